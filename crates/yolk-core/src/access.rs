//! Who is calling, proven. A service method that needs authority takes one of these proofs as its first argument,
//! and none of them can be built outside this crate except through [`Gate`], which verifies a token first:
//!
//! - [`Environment`]: a valid environment token of the credential in force (management APIs);
//! - [`Permit<P>`]: a tenant-scoped caller holding Frontegg permission `P` (the environment holds all), obtained
//!   from a [`TenantScope`] with [`TenantScope::require`];
//! - [`UserContext`]: the user a self-service call acts as, and the tenant it acts in.
//!
//! So a handler cannot reach a service method without the check that method needs, and the permission a method
//! needs is in its signature (`Permit<WriteUsers>`), as lldap hands out write capabilities only after the check.

use std::marker::PhantomData;
use std::sync::Arc;

use yolk_domain::fe_permissions::FePermission;
use yolk_domain::{PermissionId, Role, SessionId, TenantId, UserId};
use yolk_store::{Entity, SessionGrant, Store};

use crate::grants::AccessCache;
use crate::tokens::{Tokens, UserClaims, VerifiedToken};
use crate::{CoreError, CoreResult};

/// The message Frontegg gives for anything but a valid environment token on a management route.
pub const VENDOR_JWT_ERROR: &str = "Failed to verify vendor JWT";

/// Proof that the caller presented a valid environment token of the credential in force.
#[derive(Debug, Clone)]
pub struct Environment {
    _proof: (),
}

/// Who acts on a tenant-scoped route.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// The environment (full rights, every tenant).
    Environment,
    /// A tenant member with a user token, holding the roles and permissions the store gives it now (not the ones
    /// its token was issued with).
    Member { user_id: UserId, grant: Arc<SessionGrant> },
}

impl Actor {
    /// Whether the caller holds the permission with this key.
    pub fn holds(&self, key: &str) -> bool {
        match self {
            Actor::Environment => true,
            Actor::Member { grant, .. } => grant.permissions.iter().any(|(_, k)| k == key),
        }
    }

    /// Whether the caller holds every one of these permissions.
    pub fn holds_all(&self, ids: &[PermissionId]) -> bool {
        match self {
            Actor::Environment => true,
            Actor::Member { grant, .. } => ids.iter().all(|id| grant.permissions.iter().any(|(p, _)| p == id)),
        }
    }

    /// Whether the caller may hand `role` to someone: the environment always; a member only a role whose level is
    /// not above its own (a lower level is more privileged; its own level is that of its most privileged role)
    /// and whose permissions it holds. A member without roles grants nothing.
    pub fn may_grant(&self, role: &Role) -> bool {
        self.may_grant_level(role.level) && self.holds_all(&role.permission_ids)
    }

    /// Whether a role of this level is not above the caller's own (the environment: any level).
    pub fn may_grant_level(&self, level: i64) -> bool {
        match self {
            Actor::Environment => true,
            Actor::Member { grant, .. } => grant.role_levels.first().is_some_and(|own| level >= *own),
        }
    }

    /// The member acting, if a member acts.
    pub fn member(&self) -> Option<UserId> {
        match self {
            Actor::Environment => None,
            Actor::Member { user_id, .. } => Some(*user_id),
        }
    }
}

/// A tenant-scoped caller, verified but not yet authorized for an action: the environment (tenant from
/// `frontegg-tenant-id`, optional) or a member (tenant from its token; the header cannot widen it).
#[derive(Debug, Clone)]
pub struct TenantScope {
    tenant: Option<TenantId>,
    actor: Actor,
}

impl TenantScope {
    /// Checks that the caller holds `P` (the environment holds every permission) and hands out the permit that
    /// service methods needing `P` take. Call it first in the handler.
    pub fn require<P: FePermission>(&self) -> CoreResult<Permit<P>> {
        if !self.actor.holds(P::KEY) {
            return Err(CoreError::Forbidden(format!("Missing permission {}", P::KEY)));
        }
        Ok(Permit { tenant: self.tenant.clone(), actor: self.actor.clone(), _permission: PhantomData })
    }

    /// Whether the caller holds `P`, without asking for it (for an optional part of an operation).
    pub fn has<P: FePermission>(&self) -> bool {
        self.actor.holds(P::KEY)
    }

    /// The tenant in scope, if any.
    pub fn tenant(&self) -> Option<&TenantId> {
        self.tenant.as_ref()
    }

    /// The caller.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }
}

/// Authority to do what Frontegg permission `P` allows, in the tenant in scope.
#[derive(Debug, Clone)]
pub struct Permit<P> {
    tenant: Option<TenantId>,
    actor: Actor,
    _permission: PhantomData<fn() -> P>,
}

impl<P> Permit<P> {
    /// The tenant in scope, or a 400 saying the header is missing (an environment call without
    /// `frontegg-tenant-id`).
    pub fn tenant(&self) -> CoreResult<&TenantId> {
        self.tenant.as_ref().ok_or_else(|| CoreError::BadRequest("frontegg-tenant-id header is required".into()))
    }

    /// The tenant in scope, if any (an environment call may act on every tenant).
    pub fn tenant_opt(&self) -> Option<&TenantId> {
        self.tenant.as_ref()
    }

    /// The caller.
    pub fn actor(&self) -> &Actor {
        &self.actor
    }

    /// Whether a tenant member acts (it sees only its own tenant; the environment sees everything).
    pub fn is_member(&self) -> bool {
        matches!(self.actor, Actor::Member { .. })
    }
}

/// The user a self-service call acts as, and the tenant it acts in.
#[derive(Debug, Clone)]
pub struct UserContext {
    user_id: UserId,
    tenant_id: TenantId,
    session_id: Option<SessionId>,
}

impl UserContext {
    /// The user.
    pub fn user_id(&self) -> UserId {
        self.user_id
    }

    /// The tenant it acts in.
    pub fn tenant_id(&self) -> &TenantId {
        &self.tenant_id
    }

    /// The session of the user token, when the caller used one.
    pub fn session_id(&self) -> Option<SessionId> {
        self.session_id
    }
}

/// Verifies tokens and hands out the proofs above.
#[derive(Clone)]
pub struct Gate {
    tokens: Tokens,
    store: Arc<dyn Store>,
    grants: AccessCache,
}

impl Gate {
    /// A gate over the token service, the store (for the users an environment token names) and the cache of what
    /// user tokens' sessions may do.
    pub fn new(tokens: Tokens, store: Arc<dyn Store>, grants: AccessCache) -> Self {
        Self { tokens, store, grants }
    }

    /// What a verified user token may do in its tenant now; a 401 once its session, user or membership no
    /// longer admits it.
    async fn session_grant(&self, claims: &UserClaims) -> CoreResult<(UserId, TenantId, SessionId, Arc<SessionGrant>)> {
        let user_id = UserId::parse(&claims.sub).map_err(|_| unauthorized())?;
        let tenant = TenantId::parse(&claims.tenant_id).map_err(|_| unauthorized())?;
        let session = SessionId::parse(&claims.sid).map_err(|_| unauthorized())?;
        let grant = self.grants.grant(session, user_id, &tenant).await?.ok_or_else(unauthorized)?;
        Ok((user_id, tenant, session, grant))
    }

    /// The environment, if `token` is a valid environment token of the credential in force. Anything else,
    /// including a valid user token or an environment token issued under a former API key, is the one 401 Frontegg
    /// gives. (A failure to read the credential from the store is not a verdict on the token: it stays an error.)
    pub async fn environment(&self, token: Option<&str>) -> CoreResult<Environment> {
        let unauthorized = || CoreError::Unauthorized(VENDOR_JWT_ERROR.into());
        match self.tokens.verify_any(token.ok_or_else(unauthorized)?).await {
            Ok(VerifiedToken::Vendor(_)) => Ok(Environment { _proof: () }),
            Ok(VerifiedToken::User(_)) | Err(CoreError::Unauthorized(_)) => Err(unauthorized()),
            Err(e) => Err(e),
        }
    }

    /// A tenant-scoped caller: the environment acting on `frontegg-tenant-id` (optional), or a member acting on
    /// its token's tenant (a header naming another tenant is a 403) with the authority the store gives it now.
    pub async fn tenant_scope(&self, token: Option<&str>, tenant_header: Option<&str>) -> CoreResult<TenantScope> {
        let claims = match self.tokens.verify_any(token.ok_or_else(unauthorized)?).await? {
            VerifiedToken::Vendor(_) => {
                let tenant = tenant_header.map(parse_tenant_header).transpose()?;
                return Ok(TenantScope { tenant, actor: Actor::Environment });
            }
            VerifiedToken::User(claims) => claims,
        };
        if let Some(h) = tenant_header
            && h.trim() != claims.tenant_id
        {
            return Err(CoreError::Forbidden("Token is not valid for this tenant".into()));
        }
        let (user_id, tenant, _, grant) = self.session_grant(&claims).await?;
        Ok(TenantScope { tenant: Some(tenant), actor: Actor::Member { user_id, grant } })
    }

    /// A self-service caller: the user of a user token in its token's tenant, or the user an environment token
    /// names in `frontegg-user-id`, acting in `frontegg-tenant-id` (which must be an enabled membership) or else in
    /// its active tenant.
    pub async fn user_context(
        &self,
        token: Option<&str>,
        user_header: Option<&str>,
        tenant_header: Option<&str>,
    ) -> CoreResult<UserContext> {
        let claims = match self.tokens.verify_any(token.ok_or_else(unauthorized)?).await? {
            VerifiedToken::User(claims) => claims,
            VerifiedToken::Vendor(_) => return self.named_user(user_header, tenant_header).await,
        };
        let (user_id, tenant_id, session_id, _) = self.session_grant(&claims).await?;
        Ok(UserContext { user_id, tenant_id, session_id: Some(session_id) })
    }

    async fn named_user(&self, user_header: Option<&str>, tenant_header: Option<&str>) -> CoreResult<UserContext> {
        let user_id = user_header.ok_or_else(|| CoreError::BadRequest("frontegg-user-id header is required".into()))?;
        let user_id =
            UserId::parse(user_id).map_err(|_| CoreError::BadRequest("frontegg-user-id must be a UUID".into()))?;
        let user = self.store.get_user(user_id).await?;
        let memberships = self.store.memberships(&[user_id]).await?.remove(&user_id).unwrap_or_default();
        let tenant_id = match tenant_header {
            Some(t) => {
                let t = parse_tenant_header(t)?;
                let m = memberships.iter().find(|m| m.tenant_id == t).ok_or(CoreError::NotFound(Entity::Membership))?;
                crate::auth::membership_admits(m)?;
                t
            }
            None => crate::auth::active_tenant(&user, &memberships)
                .ok_or_else(|| CoreError::BadRequest("frontegg-tenant-id header is required".into()))?,
        };
        Ok(UserContext { user_id, tenant_id, session_id: None })
    }
}

fn unauthorized() -> CoreError {
    CoreError::Unauthorized("Unauthorized".into())
}

fn parse_tenant_header(raw: &str) -> CoreResult<TenantId> {
    TenantId::parse(raw).map_err(|e| CoreError::BadRequest(format!("frontegg-tenant-id {}", e.expectation())))
}
