//! Login sessions and their refresh-token chains. Refresh tokens are kept only as SHA-256 hashes.

use chrono::{DateTime, Utc};
use yolk_domain::{Membership, PermissionId, Session, SessionId, TenantId, UserId};

use crate::StoreResult;

/// What rotating a refresh token found.
#[derive(Debug, Clone, PartialEq)]
pub enum RotateOutcome {
    /// The token was current; it is now spent and the new hash is the session's current token.
    Rotated(Session),
    /// The token had already been rotated: reuse. The whole session is now revoked.
    Reused,
    /// Unknown, expired, or its session is revoked or expired.
    Invalid,
}

/// What a live session's user may do in one tenant, as the store holds it now.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionGrant {
    /// The levels of the roles held in the tenant (lower is more privileged).
    pub role_levels: Vec<i64>,
    /// The permissions those roles grant: (id, key), sorted by key, distinct.
    pub permissions: Vec<(PermissionId, String)>,
}

/// A user's membership as a token sees it: the tenant, and whether the membership lets the user in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantAccess {
    pub tenant_id: TenantId,
    /// Neither disabled nor a pending invitation ([`Membership::grants_access`]).
    pub admits: bool,
}

impl From<&Membership> for TenantAccess {
    fn from(m: &Membership) -> Self {
        Self { tenant_id: m.tenant_id.clone(), admits: m.grants_access() }
    }
}

/// What a user token for one tenant carries from the roles the user holds there: their keys, and the keys of the
/// permissions they grant; each sorted (byte order) and distinct.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TokenGrants {
    pub roles: Vec<String>,
    pub permissions: Vec<String>,
}

/// Sessions.
#[async_trait::async_trait]
pub trait SessionStore {
    /// Creates a session with its first refresh token (by hash), in one transaction.
    async fn create_session(&self, session: &Session, refresh_hash: &str) -> StoreResult<()>;

    /// Spends the refresh token `old_hash` and makes `new_hash` current, atomically: of two concurrent rotations
    /// of one token (on any nodes) exactly one succeeds. A token already spent revokes the session.
    async fn rotate_refresh_token(
        &self,
        old_hash: &str,
        new_hash: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<RotateOutcome>;

    /// The live (unrevoked, unexpired) session a current refresh token belongs to.
    async fn session_by_refresh_token(&self, hash: &str, now: DateTime<Utc>) -> StoreResult<Option<Session>>;

    /// Revokes one session; revoking a revoked or unknown session is a no-op.
    async fn revoke_session(&self, id: SessionId, now: DateTime<Utc>) -> StoreResult<()>;

    /// What session `id` of `user` may do in `tenant` now, in one read: `None` unless the session is live
    /// (unrevoked, unexpired), the user exists, is not locked nor a temporary user past its expiry, and its membership in the tenant is enabled and
    /// not a pending invitation.
    async fn session_grant(
        &self,
        id: SessionId,
        user: UserId,
        tenant: &TenantId,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<SessionGrant>>;

    /// The user's memberships as a token sees them, oldest first (`created_at`, then tenant id: the order of
    /// `MembershipStore::memberships`), in one read without their roles. For the token-issuing paths (login,
    /// refresh), which need the tenants' ids and which admit the user; empty for an unknown user.
    async fn token_tenants(&self, user: UserId) -> StoreResult<Vec<TenantAccess>>;

    /// The keys of the roles `user` holds in `tenant` and of the permissions they grant, in one read: what a user
    /// token for that tenant carries, and nothing of the user's other tenants. Empty for no membership.
    async fn token_grants(&self, user: UserId, tenant: &TenantId) -> StoreResult<TokenGrants>;
}
