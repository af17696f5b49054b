//! Domain → wire mapping, in one place so every endpoint renders an entity the same way. Handlers call these;
//! nothing else builds a response DTO.

mod auth;
mod identifiers;
mod me;
mod roles;
pub mod scim;
mod sso;
mod tenants;
mod users;

pub use auth::{auth_body, hierarchy_settings_dto, sign_up_body, vendor_config_basic_dto, vendor_config_dto};
pub use identifiers::{phone_number_dto, user_email_dto, username_dto};
pub use me::{me_authorization, me_hierarchy, me_tenants, me_user};
pub use roles::{category_dto, permission_dto, role_dto};
pub use sso::{sso_configuration_dto, sso_domain_dto, sso_excluded_email_dto, sso_group_dto};
pub use tenants::{account_settings_dto, public_account_settings_dto, tenant_dto, tree_dto};
pub use users::{task_dto, user_dto, user_role_ids_dto, user_roles_change_dto};
pub use yolk_domain::time::rfc3339 as time;
