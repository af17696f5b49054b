//! identity.json tags Users and User management: creating, reading, updating and deleting users, their roles,
//! their tenants and their state (locked, verified, super-user, invisible).
//!
//! Who may call what: routes a tenant admin uses from the admin portal take [`TenantScope`] and require Frontegg's
//! permission key first; the environment-only routes (vendor-only, global updates, state flags, tenant moves) take
//! [`VendorAuth`]. The rules (who sees what, default roles, invite semantics) are `yolk_core::users`'.
//!
//! [`TenantScope`]: crate::extract::TenantScope
//! [`VendorAuth`]: crate::extract::VendorAuth

mod bulk;
mod create;
mod list;
mod read;
mod roles;
mod status;
mod statuses;
mod temporary;
mod tenancy;
mod update;

use axum::Router;
use axum::routing::{get, patch, post, put};

use crate::state::AppState;

/// User routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/resources/vendor-only/users/v1", post(create::create_user_vendor_only))
        .route("/resources/vendor-only/users/v1/{userId}", get(read::get_user_vendor_only))
        .route("/resources/vendor-only/users/v1/passwords/verify", post(read::verify_user_password))
        .route("/resources/vendor-only/users/v1/{userId}/roles/bulk", patch(roles::bulk_update_user_roles))
        .route("/resources/users/v1", get(list::list_users_v1).post(create::create_user).put(update::update_user))
        .route("/resources/users/v2", post(create::create_user_v2))
        .route("/resources/users/v3", get(list::list_users_v3))
        .route("/resources/users/v3/roles", get(list::list_users_roles_v3))
        .route("/resources/users/bulk/v1/invite", post(bulk::bulk_invite_users))
        .route("/resources/users/bulk/v1/status/{id}", get(bulk::get_bulk_invite_status))
        .route("/resources/users/v1/email", get(read::get_user_by_email))
        .route(
            "/resources/users/v1/{userId}",
            get(read::get_user).put(update::update_user_for_vendor).delete(tenancy::delete_user),
        )
        .route(
            "/resources/users/v1/{userId}/roles",
            post(roles::add_roles_to_user).delete(roles::delete_roles_from_user),
        )
        .route(
            "/resources/users/v1/{userId}/tenant",
            post(tenancy::add_user_to_tenant).put(tenancy::set_user_active_tenant),
        )
        .route("/resources/users/v1/{userId}/email", put(update::update_user_email))
        .route("/resources/users/v1/tenants/migrate", put(tenancy::migrate_users_tenant))
        .route("/resources/tenants/users/v1/statuses", get(statuses::get_users_tenant_statuses))
        .route("/resources/tenants/users/v1/{userId}/disable", post(tenancy::disable_user_in_tenant))
        .route("/resources/tenants/users/v1/{userId}/enable", post(tenancy::enable_user_in_tenant))
        .route("/resources/users/v1/{userId}/lock", post(status::lock_user))
        .route("/resources/users/v1/{userId}/unlock", post(status::unlock_user))
        .route("/resources/users/v3/me/unlock", post(status::unlock_me))
        .route(
            "/resources/users/temporary/v1/configuration",
            get(temporary::get_temporary_users_configuration).put(temporary::set_temporary_users_configuration),
        )
        .route(
            "/resources/users/temporary/v1/{userId}",
            put(temporary::set_user_temporary).delete(temporary::set_user_permanent),
        )
        .route("/resources/users/v1/{userId}/verify", post(status::verify_user))
        .route("/resources/users/v1/{userId}/superuser", put(status::set_user_super_user))
        .route("/resources/users/v1/{userId}/invisible", put(status::set_user_invisible))
}
