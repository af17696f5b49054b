//! yolk's domain: the entities every layer speaks in, the values that are validated once at the edge, and the
//! clock. Nothing here does IO; the store, core and server crates all depend on this one and never the reverse.

pub mod clock;
pub mod delivery_settings;
pub mod fe_permissions;
pub mod ids;
pub mod model;
pub mod password_policy;
pub mod patch;
pub mod settings;
pub mod sso_settings;
pub mod tenant_input;
pub mod time;
pub mod values;

pub use clock::{Clock, SystemClock};
pub use ids::{
    CategoryId, IdError, MessageId, PermissionId, PhoneNumberId, RoleId, SessionId, TenantId, UserEmailId, UserId,
};
pub use ids::{SsoConfigurationId, SsoDomainId, SsoGroupId};
pub use model::*;
pub use patch::Patch;
