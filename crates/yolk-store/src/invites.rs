//! Tenant invitation links: a token that lets whoever holds it sign up into one tenant.

use chrono::{DateTime, Utc};
use yolk_domain::{RoleId, TenantId, UserId};

use crate::StoreResult;

/// A tenant invitation link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantInvite {
    pub id: String,
    pub tenant_id: TenantId,
    /// The member whose own link this is (one per member and tenant); `None` for a link the environment made.
    pub user_id: Option<UserId>,
    /// The token itself (the API answers it back): 256 random bits, base64url.
    pub token: String,
    pub expires_at: DateTime<Utc>,
    pub should_send_email: bool,
    /// The roles a user joining through the link gets (none: the tenant's default roles).
    pub role_ids: Vec<RoleId>,
    pub created_at: DateTime<Utc>,
}

/// Tenant invitation links.
#[async_trait::async_trait]
pub trait TenantInviteStore {
    /// Keeps a new link. With a `user_id`, the member's previous link into that tenant is replaced (one per member
    /// and tenant). `NotFound(Tenant)` / `NotFound(User)` when they do not exist.
    async fn put_tenant_invite(&self, invite: &TenantInvite) -> StoreResult<()>;

    /// The link with this token, expired or not (the caller checks the expiry).
    async fn tenant_invite_by_token(&self, token: &str) -> StoreResult<Option<TenantInvite>>;

    /// The member's own link into the tenant.
    async fn user_tenant_invite(&self, tenant: &TenantId, user: UserId) -> StoreResult<Option<TenantInvite>>;

    /// Every link, newest first, at most `limit`.
    async fn list_tenant_invites(&self, limit: u64) -> StoreResult<Vec<TenantInvite>>;

    /// Changes a link's expiry and email flag; `NotFound(TenantInvite)` when it is gone.
    async fn update_tenant_invite(
        &self,
        id: &str,
        expires_at: DateTime<Utc>,
        should_send_email: bool,
    ) -> StoreResult<TenantInvite>;

    /// Deletes a link; `NotFound(TenantInvite)` when there is none with that id.
    async fn delete_tenant_invite(&self, id: &str) -> StoreResult<()>;
}
