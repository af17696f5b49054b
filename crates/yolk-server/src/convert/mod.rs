//! Domain → wire mapping, in one place so every endpoint renders an entity the same way. Handlers call these;
//! nothing else builds a response DTO.

mod me;
mod roles;
mod tenants;
mod users;

pub use me::{me_hierarchy, me_tenants, me_user, permissions_in};
pub use roles::{category_dto, permission_dto, role_dto};
pub use tenants::{account_settings_dto, public_account_settings_dto, tenant_dto, tree_dto};
pub use users::user_dto;
pub use yolk_domain::time::rfc3339 as time;
