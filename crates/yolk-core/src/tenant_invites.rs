//! Tenant invitation links (`/tenants/invites/v1*`): a token that lets whoever holds it sign up into one tenant.
//!
//! Unlike every other secret sent to users, the token is kept as it is: the API answers it back (`GET
//! /tenants/invites/v1/all`, `GET .../invites/v1/user`). It is 256 random bits and grants nothing but creating a
//! *new* account in that tenant (with the link's roles, or the tenant's default ones), so holding the table's
//! copy is worth what holding the link is. A link expires, can be deleted, and works only while the environment's
//! `allowTenantInvitations` is on. A member's own link (`.../invites/v1/user`) is one per member and tenant;
//! the environment's (`POST /tenants/invites/v1`) may be many. `shouldSendEmail` is stored and answered: a link
//! has no recipient, so yolk sends no email for it.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;
use yolk_api_types::activation::{CreateInviteTokenRequest, UserInviteTokenRequest};
use yolk_domain::fe_permissions::{FePermission, WriteUsersRoles};
use yolk_domain::settings::MAX_TOKEN_LIFETIME_SECS;
use yolk_domain::{RoleId, Tenant, TenantId, UserId};
use yolk_store::{Entity, Store, StoreError, TenantInvite};

use crate::access::{Actor, Environment, Permit};
use crate::activation::Activation;
use crate::secrets::random_token;
use crate::{CoreError, CoreResult};

/// How long a link works when the request does not say (30 days).
pub const DEFAULT_INVITE_MINUTES: i64 = 30 * 24 * 60;

/// Most links `GET /tenants/invites/v1/all` answers.
pub const MAX_LISTED_INVITES: u64 = 1000;

/// A link that works, with its tenant (what `verify` answers).
#[derive(Debug, Clone)]
pub struct VerifiedInvite {
    pub invite: TenantInvite,
    pub tenant: Tenant,
}

fn invalid_link() -> CoreError {
    CoreError::BadRequest("The invitation link is invalid or has expired".into())
}

fn expiry_minutes(raw: Option<f64>) -> CoreResult<i64> {
    let Some(m) = raw else { return Ok(DEFAULT_INVITE_MINUTES) };
    if !m.is_finite() || m.fract() != 0.0 || m < 1.0 || m > (MAX_TOKEN_LIFETIME_SECS / 60) as f64 {
        return Err(CoreError::BadRequest(format!(
            "expiresInMinutes must be a whole number between 1 and {}",
            MAX_TOKEN_LIFETIME_SECS / 60
        )));
    }
    Ok(m as i64)
}

/// The link with `token` if it works at `now`: invitations `allowed`, the link exists and is unexpired, and a
/// member's own link only while that member is still an active member of the tenant. Every other case is the one
/// 400 (`verify` and sign-up alike).
pub(crate) async fn live_tenant_invite(
    store: &dyn Store,
    now: DateTime<Utc>,
    allowed: bool,
    token: &str,
) -> CoreResult<TenantInvite> {
    let token = token.trim();
    if !allowed || token.is_empty() || token.len() > 200 {
        return Err(invalid_link());
    }
    let invite = match store.tenant_invite_by_token(token).await? {
        Some(invite) if invite.expires_at > now => invite,
        _ => return Err(invalid_link()),
    };
    if let Some(owner) = invite.user_id {
        let memberships = store.memberships(&[owner]).await?.remove(&owner).unwrap_or_default();
        if !memberships.iter().any(|m| m.tenant_id == invite.tenant_id && !m.pending && !m.disabled) {
            return Err(invalid_link());
        }
    }
    Ok(invite)
}

impl Activation {
    async fn require_invitations_allowed(&self) -> CoreResult<()> {
        if !self.settings.vendor_config_in_force().await?.allow_tenant_invitations {
            return Err(CoreError::BadRequest("Tenant invitations are disabled".into()));
        }
        Ok(())
    }

    /// The roles a link grants: each must be usable in the tenant (environment-wide or its own), and a member
    /// choosing them needs `fe.secure.write.usersRoles` and may choose only roles it could grant.
    async fn invite_roles(&self, tenant: &TenantId, ids: &[RoleId], actor: &Actor) -> CoreResult<Vec<RoleId>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        crate::roles::batch("roleIds", ids).map_err(CoreError::BadRequest)?;
        if !actor.holds(WriteUsersRoles::KEY) {
            return Err(CoreError::Forbidden(format!("Missing permission {}", WriteUsersRoles::KEY)));
        }
        let usable = self.store.list_roles(Some(tenant)).await?;
        let mut roles = Vec::with_capacity(ids.len());
        for id in ids {
            let role = usable.iter().find(|r| &r.id == id).ok_or(CoreError::NotFound(Entity::Role))?;
            if !actor.may_grant(role) {
                return Err(CoreError::Forbidden("A role above your own cannot be granted".into()));
            }
            roles.push(role.id);
        }
        Ok(roles)
    }

    /// Requires `user` to be an active member of `tenant`.
    async fn require_member(&self, tenant: &TenantId, user: UserId) -> CoreResult<()> {
        let memberships = self.store.memberships(&[user]).await?.remove(&user).unwrap_or_default();
        if !memberships.iter().any(|m| &m.tenant_id == tenant && !m.pending) {
            return Err(CoreError::NotFound(Entity::User));
        }
        Ok(())
    }

    /// `POST /tenants/invites/v1` (environment): a new link into `tenantId` (required), optionally a member's
    /// (`userId`, replacing that member's link), with roles for whoever joins through it.
    pub async fn create_tenant_invite(
        &self,
        _: &Environment,
        body: CreateInviteTokenRequest,
    ) -> CoreResult<TenantInvite> {
        self.require_invitations_allowed().await?;
        let raw = body.tenant_id.as_deref().map(str::trim).filter(|t| !t.is_empty());
        let raw = raw.ok_or_else(|| CoreError::BadRequest("tenantId is required".into()))?;
        let tenant = TenantId::parse(raw).map_err(|_| CoreError::BadRequest("tenantId is invalid".into()))?;
        self.store.get_tenant(&tenant).await?;
        let user = match body.user_id.as_deref().map(str::trim).filter(|u| !u.is_empty()) {
            Some(u) => {
                let user = UserId::parse(u).map_err(|_| CoreError::BadRequest("userId must be a UUID".into()))?;
                self.require_member(&tenant, user).await?;
                Some(user)
            }
            None => None,
        };
        let minutes = expiry_minutes(body.expires_in_minutes)?;
        let roles =
            self.invite_roles(&tenant, body.role_ids.as_deref().unwrap_or_default(), &Actor::Environment).await?;
        self.put_invite(tenant, user, minutes, body.should_send_email.unwrap_or(false), roles).await
    }

    async fn put_invite(
        &self,
        tenant: TenantId,
        user: Option<UserId>,
        minutes: i64,
        should_send_email: bool,
        role_ids: Vec<RoleId>,
    ) -> CoreResult<TenantInvite> {
        let now = self.clock.now();
        let invite = TenantInvite {
            id: Uuid::new_v4().to_string(),
            tenant_id: tenant,
            user_id: user,
            token: random_token(),
            expires_at: now + Duration::minutes(minutes),
            should_send_email,
            role_ids,
            created_at: now,
        };
        self.store.put_tenant_invite(&invite).await?;
        Ok(invite)
    }

    /// `GET /tenants/invites/v1/all` (environment): every link, newest first (at most [`MAX_LISTED_INVITES`]).
    pub async fn tenant_invites(&self, _: &Environment) -> CoreResult<Vec<TenantInvite>> {
        Ok(self.store.list_tenant_invites(MAX_LISTED_INVITES).await?)
    }

    /// `DELETE /tenants/invites/v1/token/{id}` (environment). `NotFound(TenantInvite)` for an unknown id.
    pub async fn delete_tenant_invite(&self, _: &Environment, id: &str) -> CoreResult<()> {
        Ok(self.store.delete_tenant_invite(id.trim()).await?)
    }

    /// Whose link a `.../invites/v1/user` call is about: a member's own (the `frontegg-user-id` header cannot
    /// name another), or for the environment the member the header names (required, an active member).
    async fn link_owner<P>(&self, permit: &Permit<P>, named: Option<UserId>) -> CoreResult<(TenantId, UserId)> {
        let tenant = permit.tenant()?.clone();
        let user = match permit.actor().member() {
            Some(me) => me,
            None => {
                let user = named.ok_or_else(|| CoreError::BadRequest("frontegg-user-id is required".into()))?;
                self.require_member(&tenant, user).await?;
                user
            }
        };
        Ok((tenant, user))
    }

    /// `GET /tenants/invites/v1/user`: the member's own link; `NotFound(TenantInvite)` when it has none.
    pub async fn user_tenant_invite<P>(&self, permit: &Permit<P>, named: Option<UserId>) -> CoreResult<TenantInvite> {
        let (tenant, user) = self.link_owner(permit, named).await?;
        self.store.user_tenant_invite(&tenant, user).await?.ok_or(CoreError::NotFound(Entity::TenantInvite))
    }

    /// `POST /tenants/invites/v1/user` and `/v2/user` (with `roleIds`): a new link of the member's own (its
    /// previous one dies).
    pub async fn create_user_tenant_invite<P>(
        &self,
        permit: &Permit<P>,
        named: Option<UserId>,
        body: UserInviteTokenRequest,
    ) -> CoreResult<TenantInvite> {
        self.require_invitations_allowed().await?;
        let (tenant, user) = self.link_owner(permit, named).await?;
        let minutes = expiry_minutes(body.expires_in_minutes)?;
        let roles = self.invite_roles(&tenant, body.role_ids.as_deref().unwrap_or_default(), permit.actor()).await?;
        self.put_invite(tenant, Some(user), minutes, body.should_send_email.unwrap_or(false), roles).await
    }

    /// `PATCH /tenants/invites/v1/user`: a new expiry (from now) and/or email flag for the member's own link.
    pub async fn update_user_tenant_invite<P>(
        &self,
        permit: &Permit<P>,
        named: Option<UserId>,
        body: UserInviteTokenRequest,
    ) -> CoreResult<TenantInvite> {
        let current = self.user_tenant_invite(permit, named).await?;
        let expires = match body.expires_in_minutes {
            Some(_) => self.clock.now() + Duration::minutes(expiry_minutes(body.expires_in_minutes)?),
            None => current.expires_at,
        };
        let send = body.should_send_email.unwrap_or(current.should_send_email);
        Ok(self.store.update_tenant_invite(&current.id, expires, send).await?)
    }

    /// `DELETE /tenants/invites/v1/user`: deletes the member's own link; `NotFound(TenantInvite)` when none.
    pub async fn delete_user_tenant_invite<P>(&self, permit: &Permit<P>, named: Option<UserId>) -> CoreResult<()> {
        let current = self.user_tenant_invite(permit, named).await?;
        Ok(self.store.delete_tenant_invite(&current.id).await?)
    }

    /// `POST /tenants/invites/v1/verify` (public): the link and its tenant when it works; one 400 otherwise.
    pub async fn verify_tenant_invite(&self, token: &str) -> CoreResult<VerifiedInvite> {
        let allowed = self.settings.vendor_config_in_force().await?.allow_tenant_invitations;
        let invite = live_tenant_invite(self.store.as_ref(), self.clock.now(), allowed, token).await?;
        let tenant = match self.store.get_tenant(&invite.tenant_id).await {
            Ok(t) => t,
            Err(StoreError::NotFound(_)) => return Err(invalid_link()),
            Err(e) => return Err(e.into()),
        };
        Ok(VerifiedInvite { invite, tenant })
    }
}
