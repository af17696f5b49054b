//! Login sessions: password login, refresh-token rotation, logout, and the claims a user token carries.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use yolk_domain::settings::{AuthStrategy, CookieSameSite, VendorConfig};
use yolk_domain::{Clock, Membership, PermissionId, Session, SessionId, TenantId, User};
use yolk_store::users::LoginIdentifier;
use yolk_store::{RotateOutcome, Store, TenantAccess, TokenGrants};

use crate::grants::AccessCache;
use crate::lockout::PasswordCheck;
use crate::mfa::LoginOutcome;
use crate::secrets::{constant_time_eq, random_token, sha256_hex};
use crate::settings::Settings;
use crate::tokens::{Tokens, USER_TOKEN_TYPE, UserClaims};
use crate::{CoreError, CoreResult};

/// The one message for every failed password login: unknown user and wrong password look the same.
pub const BAD_CREDENTIALS: &str = "Incorrect email or password";

/// The refusal of a temporary user past its expiry (login, refresh).
pub const TEMPORARY_USER_EXPIRED: &str = "User has expired";

/// What a successful login or refresh hands out.
#[derive(Debug, Clone)]
pub struct IssuedTokens {
    pub access_token: String,
    /// The raw refresh token: returned once, stored only hashed.
    pub refresh_token: String,
    pub expires_in: i64,
    pub expires: DateTime<Utc>,
    pub user: User,
    pub claims: UserClaims,
    /// When the session (and so the refresh token) ends: the refresh cookie's lifetime.
    pub session_expires_at: DateTime<Utc>,
    /// The vendor configuration's `cookieSameSite` for the refresh cookie.
    pub cookie_same_site: CookieSameSite,
    /// Minutes until the password expires and the rotation policy's notification period, when the password login
    /// falls within that period (the SDK then suggests a change).
    pub password_expiry: Option<(i64, i64)>,
}

/// Password login, refresh and logout.
#[derive(Clone)]
pub struct AuthService {
    store: Arc<dyn Store>,
    tokens: Tokens,
    password_check: PasswordCheck,
    settings: Settings,
    clock: Arc<dyn Clock>,
    access: AccessCache,
}

impl AuthService {
    /// The service over its collaborators.
    pub fn new(
        store: Arc<dyn Store>,
        tokens: Tokens,
        password_check: PasswordCheck,
        settings: Settings,
        clock: Arc<dyn Clock>,
        access: AccessCache,
    ) -> Self {
        Self { store, tokens, password_check, settings, clock, access }
    }

    /// `POST /auth/vendor`: exchanges the environment's `clientId` and secret for an environment token and its
    /// lifetime in seconds. Both are compared in constant time against the client id and secret hash in force; any
    /// mismatch is one 401. The token names the credential's generation: it verifies while that credential is in
    /// force.
    ///
    /// The credential comes from this node's cached reading while it is younger than the TTL (no store query on
    /// the hot path); a pair that does not match it is checked once more against the store, which also refreshes
    /// the reading. So a new secret works at once, and a replaced one buys tokens on a node that has not seen the
    /// change for at most the TTL: the bound its tokens already have (see `tokens::CredentialCache`).
    pub async fn environment_token(&self, client_id: &str, secret: &str) -> CoreResult<(String, i64)> {
        let secret_hash = sha256_hex(secret);
        let matches = |creds: &yolk_domain::EnvironmentCredentials| {
            // Both compared, whatever the first gives.
            let id_ok = constant_time_eq(client_id, &creds.client_id);
            let secret_ok = constant_time_eq(&secret_hash, &creds.secret_sha256);
            id_ok && secret_ok
        };
        let mut creds = self.tokens.known_credentials().await?;
        if !matches(&creds) {
            creds = self.tokens.current_credentials().await?;
            if !matches(&creds) {
                return Err(CoreError::Unauthorized("Invalid client id or secret".into()));
            }
        }
        self.tokens.issue_vendor_token(&creds, self.clock.now())
    }

    pub(crate) fn store(&self) -> &Arc<dyn Store> {
        &self.store
    }

    pub(crate) fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    pub(crate) fn settings(&self) -> &Settings {
        &self.settings
    }

    pub(crate) fn access_cache(&self) -> &AccessCache {
        &self.access
    }

    /// Logs in with a password, naming the user by email or else username. Unknown user, no password, wrong
    /// password, locked user and exhausted attempts give the same error after the same amount of hashing work
    /// (see [`crate::lockout`]). A user whose login the environment refuses (unverified) is told so only after
    /// the password has matched.
    ///
    /// A user who must give a second factor gets the MFA branch instead of a session (see [`crate::mfa`]);
    /// `remembered` is the remember-device token the client presented.
    pub async fn login(
        &self,
        email: Option<&str>,
        username: Option<&str>,
        password: &str,
        remembered: Option<&str>,
    ) -> CoreResult<LoginOutcome> {
        fn given(v: Option<&str>) -> Option<&str> {
            v.map(str::trim).filter(|v| !v.is_empty())
        }
        let ident = match (given(email), given(username)) {
            (Some(e), _) => LoginIdentifier::Email(e.to_owned()),
            (None, Some(u)) => LoginIdentifier::Username(u.to_owned()),
            (None, None) => return Err(CoreError::BadRequest("email or username is required".into())),
        };
        self.login_password(&ident, password, remembered).await
    }

    async fn login_password(
        &self,
        ident: &LoginIdentifier,
        password: &str,
        remembered: Option<&str>,
    ) -> CoreResult<LoginOutcome> {
        // The environment's sign-in strategy is public (the login box reads it), so refusing before any lookup or
        // hashing tells nothing about the user.
        let config = self.settings.vendor_config_in_force().await?;
        if config.auth_strategy != AuthStrategy::EmailAndPassword {
            return Err(CoreError::BadRequest(format!(
                "Invalid authentication type, password authentication is not enabled (authStrategy is {:?})",
                config.auth_strategy
            )));
        }
        // SSO enforcement (`crate::sso`): an address whose domain is under SSO does not sign in with a password.
        // Decided by the address alone (what prelogin tells anyone), so refusing before the lookup reveals nothing.
        if let LoginIdentifier::Email(email) = ident
            && crate::sso::password_login_refused(self.store.as_ref(), email).await?
        {
            return Err(CoreError::Forbidden(crate::sso::SSO_REQUIRED.into()));
        }
        let candidate = self.store.login_candidate(ident).await?;
        let Some(user) = self.password_check.check(candidate, password).await? else {
            return Err(CoreError::Unauthorized(BAD_CREDENTIALS.into()));
        };
        if matches!(ident, LoginIdentifier::Username(_))
            && crate::sso::password_login_refused(self.store.as_ref(), &user.email).await?
        {
            return Err(CoreError::Forbidden(crate::sso::SSO_REQUIRED.into()));
        }
        if !user.verified && !config.allow_not_verified_users_login {
            return Err(CoreError::Unauthorized("User is not verified".into()));
        }
        let user = self.store.record_login(user.id, self.clock.now()).await?;
        self.finish_first_factor(user, remembered, true).await
    }

    /// Opens a session for an authenticated user (password login, signup, later: MFA, SSO).
    pub async fn start_session(&self, user: User) -> CoreResult<IssuedTokens> {
        let now = self.clock.now();
        if user.expired(now) {
            return Err(CoreError::Unauthorized(TEMPORARY_USER_EXPIRED.into()));
        }
        let tenants = self.store.token_tenants(user.id).await?;
        let tenant_id = first_admitting(&user, tenants.iter().map(|t| (&t.tenant_id, t.admits)))
            .ok_or_else(|| CoreError::Unauthorized("User is not assigned to any tenant".into()))?;
        let refresh_token = random_token();
        let config = self.settings.vendor_config_in_force().await?;
        let refresh_ttl = config.default_refresh_token_expiration.unwrap_or(self.tokens.settings().refresh_ttl_secs);
        let session = Session {
            id: SessionId::new(),
            user_id: user.id,
            tenant_id: tenant_id.clone(),
            created_at: now,
            expires_at: now + Duration::seconds(refresh_ttl),
            revoked: false,
        };
        self.store.create_session(&session, &sha256_hex(&refresh_token)).await?;
        self.issue(user, &tenants, &tenant_id, &session, refresh_token, now, &config).await
    }

    /// Rotates a refresh token: the old one is spent, a new one and a new access token are issued. Reuse of a spent
    /// token revokes the session. The token is issued for the user's active tenant (after a tenant switch) if the
    /// user is still a member there, else for the session's tenant.
    pub async fn refresh(&self, raw: &str) -> CoreResult<IssuedTokens> {
        let now = self.clock.now();
        let config = self.settings.vendor_config_in_force().await?;
        let (session, refresh_token) = if config.rotate_refresh_tokens {
            let new_token = random_token();
            match self.store.rotate_refresh_token(&sha256_hex(raw), &sha256_hex(&new_token), now).await? {
                RotateOutcome::Rotated(s) => (s, new_token),
                RotateOutcome::Reused => {
                    self.access.invalidate();
                    tracing::warn!("refresh token reuse detected; session revoked");
                    return Err(CoreError::Unauthorized("Session expired".into()));
                }
                RotateOutcome::Invalid => return Err(CoreError::Unauthorized("Session expired".into())),
            }
        } else {
            // Rotation disabled by the environment: the token stays valid for the session's life.
            let session = self.store.session_by_refresh_token(&sha256_hex(raw), now).await?;
            let session = session.ok_or_else(|| CoreError::Unauthorized("Session expired".into()))?;
            (session, raw.to_owned())
        };
        let user = self.store.get_user(session.user_id).await?;
        if user.locked {
            self.store.revoke_session(session.id, now).await?;
            self.access.invalidate();
            return Err(CoreError::Unauthorized("User is locked".into()));
        }
        if user.expired(now) {
            self.store.revoke_session(session.id, now).await?;
            self.access.invalidate();
            return Err(CoreError::Unauthorized(TEMPORARY_USER_EXPIRED.into()));
        }
        let tenants = self.store.token_tenants(user.id).await?;
        let admits = |id: &TenantId| tenants.iter().any(|t| &t.tenant_id == id && t.admits);
        let tenant_id = user
            .active_tenant_id
            .clone()
            .filter(|t| admits(t))
            .or_else(|| admits(&session.tenant_id).then(|| session.tenant_id.clone()))
            .or_else(|| first_admitting(&user, tenants.iter().map(|t| (&t.tenant_id, t.admits))))
            .ok_or_else(|| CoreError::Unauthorized("Session expired".into()))?;
        self.issue(user, &tenants, &tenant_id, &session, refresh_token, now, &config).await
    }

    /// Ends the session a refresh token or a valid user access token (its `sid`) names. Unknown or invalid tokens
    /// are ignored (logout is idempotent and never fails for a client mistake).
    pub async fn logout(&self, refresh_token: Option<&str>, access_token: Option<&str>) -> CoreResult<()> {
        let now = self.clock.now();
        let session_id = access_token
            .and_then(|t| self.tokens.verify_user_token(t).ok())
            .and_then(|c| SessionId::parse(&c.sid).ok());
        if let Some(raw) = refresh_token
            && let Some(s) = self.store.session_by_refresh_token(&sha256_hex(raw), now).await?
        {
            self.store.revoke_session(s.id, now).await?;
            self.access.invalidate();
        }
        if let Some(sid) = session_id {
            self.store.revoke_session(sid, now).await?;
            self.access.invalidate();
        }
        Ok(())
    }

    #[expect(clippy::too_many_arguments, reason = "the pieces of one token issue, all required")]
    async fn issue(
        &self,
        user: User,
        tenants: &[TenantAccess],
        tenant_id: &TenantId,
        session: &Session,
        refresh_token: String,
        now: DateTime<Utc>,
        config: &VendorConfig,
    ) -> CoreResult<IssuedTokens> {
        // Only what the token carries is read: the keys of the roles and permissions held in its tenant (none when
        // the environment leaves both out of tokens).
        let grants = if (config.add_roles_to_jwt || config.add_permissions_to_jwt)
            && tenants.iter().any(|t| &t.tenant_id == tenant_id)
        {
            self.store.token_grants(user.id, tenant_id).await?
        } else {
            TokenGrants::default()
        };
        let mut claims = self.user_claims(&user, tenants, tenant_id, grants, session.id, now);
        let ttl = config.default_token_expiration.unwrap_or(self.tokens.settings().access_ttl_secs);
        claims.exp = claims.iat + ttl;
        if !config.add_roles_to_jwt {
            claims.roles.clear();
        }
        if !config.add_permissions_to_jwt {
            claims.permissions.clear();
        }
        let access_token = self.tokens.issue_user_token(&claims)?;
        Ok(IssuedTokens {
            access_token,
            refresh_token,
            expires_in: ttl,
            expires: now + Duration::seconds(ttl),
            user,
            claims,
            session_expires_at: session.expires_at,
            cookie_same_site: config.cookie_same_site,
            password_expiry: None,
        })
    }

    /// The claims of a user token for `tenant_id`, with the role and permission keys held there (`grants`).
    fn user_claims(
        &self,
        user: &User,
        tenants: &[TenantAccess],
        tenant_id: &TenantId,
        grants: TokenGrants,
        session_id: SessionId,
        now: DateTime<Utc>,
    ) -> UserClaims {
        let settings = self.tokens.settings();
        UserClaims {
            sub: user.id.to_string(),
            name: user.name.clone().unwrap_or_default(),
            email: user.email.clone(),
            email_verified: user.verified,
            metadata: user
                .metadata
                .as_deref()
                .and_then(|m| serde_json::from_str(m).ok())
                .unwrap_or_else(|| serde_json::json!({})),
            roles: grants.roles,
            permissions: grants.permissions,
            tenant_id: tenant_id.to_string(),
            tenant_ids: tenants.iter().filter(|t| t.admits).map(|t| t.tenant_id.to_string()).collect(),
            profile_picture_url: user.profile_picture_url.clone(),
            sid: session_id.to_string(),
            token_type: USER_TOKEN_TYPE.to_owned(),
            application_id: settings.client_id.clone(),
            aud: settings.client_id.clone(),
            iss: settings.issuer.clone(),
            iat: now.timestamp(),
            exp: now.timestamp() + settings.access_ttl_secs,
            super_user: user.super_user.then_some(true),
            invisible: user.invisible.then_some(true),
        }
    }
}

/// The distinct ids of the permissions a membership's roles grant, sorted.
pub fn granted_permissions(m: &Membership) -> Vec<PermissionId> {
    m.roles.iter().flat_map(|r| r.permission_ids.iter().copied()).collect::<BTreeSet<_>>().into_iter().collect()
}

/// The tenant a new session starts in: the user's active tenant if that membership still grants access, else
/// the first one that does (never a disabled membership nor a pending invitation).
pub fn active_tenant(user: &User, memberships: &[Membership]) -> Option<TenantId> {
    first_admitting(user, memberships.iter().map(|m| (&m.tenant_id, m.grants_access())))
}

/// [`active_tenant`] over (tenant, admits) pairs in membership order.
pub(crate) fn first_admitting<'a>(
    user: &User,
    tenants: impl Iterator<Item = (&'a TenantId, bool)> + Clone,
) -> Option<TenantId> {
    let mut admitting = tenants.filter(|(_, admits)| *admits).map(|(t, _)| t);
    user.active_tenant_id
        .as_ref()
        .filter(|active| admitting.clone().any(|t| t == *active))
        .or_else(|| admitting.next())
        .cloned()
}

/// Refuses a membership that does not let the user in: disabled, or an invitation not yet accepted.
pub(crate) fn membership_admits(m: &Membership) -> CoreResult<()> {
    if m.disabled {
        return Err(CoreError::Forbidden("User is disabled in this tenant".into()));
    }
    if m.pending {
        return Err(CoreError::Forbidden("User has not accepted the invitation to this tenant".into()));
    }
    Ok(())
}
