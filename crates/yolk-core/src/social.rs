//! Social login: the environment's built-in providers (Google, GitHub, Microsoft, Facebook, Slack, Apple,
//! LinkedIn) and custom OAuth providers, and the sign-in through them.
//!
//! **The `state`.** The login box reads `GET sso/v2` once per page load and sends the browser to a provider's
//! `authorizationUrl` as given, so that URL carries everything: each GET mints a fresh random `state` (and PKCE
//! verifier) per active provider, kept as an [`SsoLogin`] of kind `Social` under the SHA-256 of the state for
//! [`LOGIN_TTL_MINUTES`] (any node can spend it, once). The postlogin spends it: an unknown, expired or spent
//! state, or one minted for another provider, is refused.
//!
//! **The user.** The code is exchanged at the provider's token URL (`client_secret_post`, JSON answer asked for),
//! then the user is read from its userinfo URL (OIDC userinfo `email`/`email_verified`; GitHub `/user` and the
//! verified primary address of `/user/emails`). Only a verified address is accepted: it links the existing
//! account with that address, or signs a new user up with a new tenant exactly as a self sign-up does (only while
//! the environment allows sign-ups). The session starts through the MFA policy.
//!
//! **The secret** is stored in clear (the server must present it to the provider; see migration 0022) and is
//! never returned nor logged.

use std::sync::Arc;

use chrono::Duration;
use serde::Deserialize;
use uuid::Uuid;
use yolk_api_types::social::{CustomSsoRequest, SocialProviderRequest};
use yolk_api_types::users::NewUserFields;
use yolk_domain::values::normalize_email;
use yolk_domain::{Clock, TenantId, User, UserId};
use yolk_store::social::SocialProvider;
use yolk_store::{Entity, SsoLogin, SsoLoginKind, Store, StoreError};

use crate::access::Environment;
use crate::auth::AuthService;
use crate::mfa::LoginOutcome;
use crate::secrets::sha256_hex;
use crate::sso_login::oidc;
use crate::users::UserService;
use crate::{CoreError, CoreResult};

/// How long a minted social `state` stays usable.
pub const LOGIN_TTL_MINUTES: i64 = 10;

/// What every refused social sign-in is told (the reason is logged).
pub const SOCIAL_FAILED: &str = "Social login failed";

/// Longest URL accepted.
const MAX_URL: usize = 2048;
/// Longest client id, secret, scopes, type or display name.
const MAX_TEXT: usize = 1024;

/// A built-in provider's well-known endpoints and default scopes.
pub struct BuiltIn {
    pub kind: &'static str,
    pub authorization_url: &'static str,
    pub token_url: &'static str,
    pub user_info_url: &'static str,
    pub scopes: &'static str,
}

/// The built-in providers.
pub const BUILT_IN: &[BuiltIn] = &[
    BuiltIn {
        kind: "google",
        authorization_url: "https://accounts.google.com/o/oauth2/v2/auth",
        token_url: "https://oauth2.googleapis.com/token",
        user_info_url: "https://openidconnect.googleapis.com/v1/userinfo",
        scopes: "openid email profile",
    },
    BuiltIn {
        kind: "github",
        authorization_url: "https://github.com/login/oauth/authorize",
        token_url: "https://github.com/login/oauth/access_token",
        user_info_url: "https://api.github.com/user",
        scopes: "read:user user:email",
    },
    BuiltIn {
        kind: "microsoft",
        authorization_url: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        token_url: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        user_info_url: "https://graph.microsoft.com/oidc/userinfo",
        scopes: "openid email profile",
    },
    BuiltIn {
        kind: "facebook",
        authorization_url: "https://www.facebook.com/v19.0/dialog/oauth",
        token_url: "https://graph.facebook.com/v19.0/oauth/access_token",
        user_info_url: "https://graph.facebook.com/me?fields=id,name,email",
        scopes: "email public_profile",
    },
    BuiltIn {
        kind: "slack",
        authorization_url: "https://slack.com/openid/connect/authorize",
        token_url: "https://slack.com/api/openid.connect.token",
        user_info_url: "https://slack.com/api/openid.connect.userInfo",
        scopes: "openid email profile",
    },
    BuiltIn {
        kind: "apple",
        authorization_url: "https://appleid.apple.com/auth/authorize",
        token_url: "https://appleid.apple.com/auth/token",
        user_info_url: "",
        scopes: "name email",
    },
    BuiltIn {
        kind: "linkedin",
        authorization_url: "https://www.linkedin.com/oauth/v2/authorization",
        token_url: "https://www.linkedin.com/oauth/v2/accessToken",
        user_info_url: "https://api.linkedin.com/v2/userinfo",
        scopes: "openid email profile",
    },
];

fn built_in(kind: &str) -> Option<&'static BuiltIn> {
    BUILT_IN.iter().find(|b| b.kind == kind)
}

/// A built-in provider as the login box sees it: its configuration and the URL that starts the sign-in.
pub struct ListedProvider {
    pub provider: SocialProvider,
    pub authorization_url: String,
    pub additional_scopes: Vec<String>,
}

/// A completed social sign-in.
pub struct SocialSignOn {
    pub outcome: LoginOutcome,
    pub user_id: UserId,
    pub tenant_id: Option<TenantId>,
    pub email: String,
    pub name: Option<String>,
    pub is_new_user: bool,
}

/// What the provider says about the user.
#[derive(Debug, Default)]
struct ProviderUser {
    email: Option<String>,
    verified: bool,
    name: Option<String>,
    picture: Option<String>,
}

/// Social login (cheap to clone).
#[derive(Clone)]
pub struct Social {
    pub(crate) store: Arc<dyn Store>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) auth: AuthService,
    pub(crate) users: UserService,
}

fn refused(reason: impl std::fmt::Display) -> CoreError {
    tracing::warn!(%reason, "social login refused");
    CoreError::Unauthorized(SOCIAL_FAILED.into())
}

fn check_url(field: &str, v: &str) -> CoreResult<()> {
    let bad = || CoreError::BadRequest(format!("{field} must be an http or https URL"));
    if v.len() > MAX_URL {
        return Err(CoreError::BadRequest(format!("{field} is longer than {MAX_URL} characters")));
    }
    let url = url::Url::parse(v).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(bad());
    }
    Ok(())
}

fn check_text(field: &str, v: &str, required: bool) -> CoreResult<()> {
    if required && v.trim().is_empty() {
        return Err(CoreError::BadRequest(format!("{field} is required")));
    }
    if v.len() > MAX_TEXT {
        return Err(CoreError::BadRequest(format!("{field} is longer than {MAX_TEXT} characters")));
    }
    Ok(())
}

fn opt_url(field: &str, v: Option<String>) -> CoreResult<Option<String>> {
    match v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(u) => {
            check_url(field, &u)?;
            Ok(Some(u))
        }
        None => Ok(None),
    }
}

/// A custom provider's whole configuration, checked.
fn check_custom(p: &SocialProvider) -> CoreResult<()> {
    check_text("type", &p.kind, true)?;
    check_text("clientId", &p.client_id, true)?;
    check_text("secret", &p.secret, true)?;
    check_text("scopes", &p.scopes, false)?;
    check_text("displayName", p.display_name.as_deref().unwrap_or(""), false)?;
    check_url("redirectUrl", &p.redirect_url)?;
    for (field, v) in
        [("authorizationUrl", &p.authorization_url), ("tokenUrl", &p.token_url), ("userInfoUrl", &p.user_info_url)]
    {
        check_url(field, v.as_deref().ok_or_else(|| CoreError::BadRequest(format!("{field} is required")))?)?;
    }
    if let Some(logo) = &p.logo_url {
        check_url("ssoLogoUrl", logo)?;
    }
    Ok(())
}

impl Social {
    // ---- custom OAuth providers ----

    /// `POST /identity/resources/sso/custom/v1`.
    pub async fn create_custom(&self, _: &Environment, input: CustomSsoRequest) -> CoreResult<SocialProvider> {
        let now = self.clock.now();
        let text = |v: Option<String>| v.map(|s| s.trim().to_owned()).unwrap_or_default();
        let p = SocialProvider {
            id: Uuid::new_v4().to_string(),
            custom: true,
            kind: text(input.kind),
            client_id: text(input.client_id),
            secret: input.secret.unwrap_or_default(),
            redirect_url: text(input.redirect_url),
            authorization_url: opt_url("authorizationUrl", input.authorization_url)?,
            token_url: opt_url("tokenUrl", input.token_url)?,
            user_info_url: opt_url("userInfoUrl", input.user_info_url)?,
            scopes: text(input.scopes),
            logo_url: opt_url("ssoLogoUrl", input.sso_logo_url)?,
            display_name: input.display_name.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()),
            active: input.active.unwrap_or(false),
            created_at: now,
            updated_at: now,
        };
        check_custom(&p)?;
        self.store.put_social_provider(&p).await?;
        Ok(p)
    }

    /// The custom providers (`active_only` for an unauthenticated login box).
    pub async fn custom_providers(&self, active_only: bool) -> CoreResult<Vec<SocialProvider>> {
        let all = self.store.social_providers().await?;
        Ok(all.into_iter().filter(|p| p.custom && (p.active || !active_only)).collect())
    }

    async fn custom(&self, id: &str) -> CoreResult<SocialProvider> {
        match self.store.social_provider(id).await {
            Ok(p) if p.custom => Ok(p),
            Ok(_) => Err(CoreError::NotFound(Entity::SocialProvider)),
            Err(e) => Err(e.into()),
        }
    }

    /// `PATCH /identity/resources/sso/custom/v1/{id}`: the given fields replace the stored ones.
    pub async fn update_custom(
        &self,
        _: &Environment,
        id: &str,
        input: CustomSsoRequest,
    ) -> CoreResult<SocialProvider> {
        let mut p = self.custom(id).await?;
        let trim = |s: String| s.trim().to_owned();
        if let Some(v) = input.kind {
            p.kind = trim(v);
        }
        if let Some(v) = input.client_id {
            p.client_id = trim(v);
        }
        if let Some(v) = input.secret.filter(|s| !s.is_empty()) {
            p.secret = v;
        }
        if let Some(v) = input.redirect_url {
            p.redirect_url = trim(v);
        }
        if input.authorization_url.is_some() {
            p.authorization_url = input.authorization_url.map(trim);
        }
        if input.token_url.is_some() {
            p.token_url = input.token_url.map(trim);
        }
        if input.user_info_url.is_some() {
            p.user_info_url = input.user_info_url.map(trim);
        }
        if let Some(v) = input.scopes {
            p.scopes = trim(v);
        }
        if let Some(v) = input.sso_logo_url {
            p.logo_url = Some(trim(v)).filter(|s| !s.is_empty());
        }
        if let Some(v) = input.display_name {
            p.display_name = Some(trim(v)).filter(|s| !s.is_empty());
        }
        if let Some(v) = input.active {
            p.active = v;
        }
        p.updated_at = self.clock.now();
        check_custom(&p)?;
        self.store.put_social_provider(&p).await?;
        Ok(p)
    }

    /// `DELETE /identity/resources/sso/custom/v1/{id}`.
    pub async fn delete_custom(&self, _: &Environment, id: &str) -> CoreResult<()> {
        self.custom(id).await?;
        Ok(self.store.delete_social_provider(id).await?)
    }

    // ---- built-in providers ----

    /// yolk's vendor-only `POST /identity/resources/sso/v1`: configures a built-in provider (by `type`).
    pub async fn configure(&self, _: &Environment, input: SocialProviderRequest) -> CoreResult<SocialProvider> {
        let kind = input.kind.unwrap_or_default().trim().to_ascii_lowercase();
        let Some(b) = built_in(&kind) else {
            let kinds: Vec<_> = BUILT_IN.iter().map(|b| b.kind).collect();
            return Err(CoreError::BadRequest(format!("type must be one of {}", kinds.join(", "))));
        };
        let now = self.clock.now();
        let existing = match self.store.social_provider(b.kind).await {
            Ok(p) => Some(p),
            Err(StoreError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        };
        let client_id = input.client_id.map(|s| s.trim().to_owned()).unwrap_or_default();
        check_text("clientId", &client_id, true)?;
        // A configured provider keeps its secret when none is given.
        let secret = match input.secret.filter(|s| !s.is_empty()) {
            Some(s) => s,
            None => existing.as_ref().map(|p| p.secret.clone()).unwrap_or_default(),
        };
        check_text("secret", &secret, true)?;
        let redirect_url = input.redirect_url.map(|s| s.trim().to_owned()).unwrap_or_default();
        check_url("redirectUrl", &redirect_url)?;
        let scopes = input.additional_scopes.unwrap_or_default();
        if scopes.len() > 50 || scopes.iter().any(|s| s.is_empty() || s.len() > 200 || s.contains(char::is_whitespace))
        {
            return Err(CoreError::BadRequest("additionalScopes must be at most 50 scopes without spaces".into()));
        }
        let p = SocialProvider {
            id: b.kind.to_owned(),
            custom: false,
            kind: b.kind.to_owned(),
            client_id,
            secret,
            redirect_url,
            authorization_url: opt_url("authorizationUrl", input.authorization_url)?,
            token_url: opt_url("tokenUrl", input.token_url)?,
            user_info_url: opt_url("userInfoUrl", input.user_info_url)?,
            scopes: scopes.join(" "),
            logo_url: None,
            display_name: None,
            active: input.active.unwrap_or(true),
            created_at: existing.map_or(now, |p| p.created_at),
            updated_at: now,
        };
        self.store.put_social_provider(&p).await?;
        Ok(p)
    }

    /// The configured built-in providers, each active one with a freshly minted authorization URL.
    pub async fn built_in_providers(&self) -> CoreResult<Vec<ListedProvider>> {
        let all = self.store.social_providers().await?;
        let mut out = Vec::new();
        for p in all.into_iter().filter(|p| !p.custom) {
            let authorization_url = if p.active { self.authorization_url(&p).await? } else { String::new() };
            let additional_scopes = p.scopes.split_whitespace().map(str::to_owned).collect();
            out.push(ListedProvider { provider: p, authorization_url, additional_scopes });
        }
        Ok(out)
    }

    fn endpoints(p: &SocialProvider) -> (String, String, String, String) {
        let b = built_in(&p.kind).filter(|_| !p.custom);
        let pick = |own: &Option<String>, default: fn(&BuiltIn) -> &'static str| {
            own.clone().unwrap_or_else(|| b.map(default).unwrap_or_default().to_owned())
        };
        let scopes = match b {
            Some(b) if p.scopes.is_empty() => b.scopes.to_owned(),
            Some(b) => format!("{} {}", b.scopes, p.scopes),
            None => p.scopes.clone(),
        };
        (
            pick(&p.authorization_url, |b| b.authorization_url),
            pick(&p.token_url, |b| b.token_url),
            pick(&p.user_info_url, |b| b.user_info_url),
            scopes,
        )
    }

    /// Mints a `state` (and PKCE verifier) for `p` and answers the URL that starts its sign-in.
    async fn authorization_url(&self, p: &SocialProvider) -> CoreResult<String> {
        let (auth_url, _, _, scopes) = Self::endpoints(p);
        let now = self.clock.now();
        let state = crate::secrets::random_token();
        let (verifier, challenge) = oidc::pkce();
        let payload = serde_json::json!({"verifier": verifier, "redirectUri": p.redirect_url});
        let login = SsoLogin {
            id: sha256_hex(&state),
            kind: SsoLoginKind::Social,
            configuration_id: p.id.clone(),
            payload: Some(payload.to_string()),
            expires_at: now + Duration::minutes(LOGIN_TTL_MINUTES),
        };
        self.store.start_sso_login(&login, now).await?;
        let mut url = url::Url::parse(&auth_url).map_err(|e| CoreError::Internal(format!("authorization URL: {e}")))?;
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", &p.client_id)
            .append_pair("redirect_uri", &p.redirect_url)
            .append_pair("scope", &scopes)
            .append_pair("state", &state)
            .append_pair("code_challenge", &challenge)
            .append_pair("code_challenge_method", "S256");
        Ok(url.into())
    }

    // ---- the sign-in ----

    /// `POST auth/v1/user/sso/{provider}/postlogin`: spends the `state`, exchanges the `code` and signs the user
    /// on (linking a verified address's account, or signing a new user up).
    pub async fn postlogin(&self, provider: &str, code: &str, state: &str) -> CoreResult<SocialSignOn> {
        // Microsoft's codes run to a few thousand characters.
        if code.is_empty() || state.is_empty() || code.len() > 8 * MAX_TEXT || state.len() > MAX_TEXT {
            return Err(CoreError::BadRequest("code and state are required".into()));
        }
        let p = match self.store.social_provider(provider).await {
            Ok(p) => p,
            Err(StoreError::NotFound(_)) => return Err(refused("unknown provider")),
            Err(e) => return Err(e.into()),
        };
        let login = self
            .store
            .take_sso_login(&sha256_hex(state), SsoLoginKind::Social, self.clock.now())
            .await?
            .ok_or_else(|| refused("the state names no login in flight"))?;
        if login.configuration_id != p.id {
            return Err(refused("the state was minted for another provider"));
        }
        if !p.active {
            return Err(refused("the provider is not active"));
        }
        let payload: serde_json::Value =
            serde_json::from_str(login.payload.as_deref().unwrap_or("{}")).map_err(|_| refused("bad login payload"))?;
        let field = |k: &str| payload.get(k).and_then(|v| v.as_str()).unwrap_or_default().to_owned();
        let (verifier, redirect_uri) = (field("verifier"), field("redirectUri"));
        let (_, token_url, user_info_url, _) = Self::endpoints(&p);
        let client = oidc::client().map_err(CoreError::Internal)?;
        let access_token = exchange(&client, &token_url, &p, code, &redirect_uri, &verifier).await.map_err(refused)?;
        let github = p.kind == "github" && !p.custom;
        let who = user_info(&client, &user_info_url, &access_token, github).await.map_err(refused)?;
        let email = who.email.clone().filter(|e| !e.trim().is_empty()).ok_or_else(|| refused("no email"))?;
        if !who.verified {
            tracing::warn!(provider = %p.kind, "social login refused: the provider did not verify the address");
            return Err(CoreError::Unauthorized("The identity provider did not verify this email address".into()));
        }
        self.sign_on(&p, &email, who).await
    }

    async fn sign_on(&self, p: &SocialProvider, email: &str, who: ProviderUser) -> CoreResult<SocialSignOn> {
        let (user, is_new_user) = match self.store.get_user_by_email(&normalize_email(email)).await {
            Ok(user) => (user, false),
            Err(StoreError::NotFound(_)) => (self.sign_up(p, email, &who).await?, true),
            Err(e) => return Err(e.into()),
        };
        if user.locked {
            return Err(refused("the user is locked"));
        }
        let user: User = self.store.record_login(user.id, self.clock.now()).await?;
        let (user_id, tenant_id, name, email) =
            (user.id, user.active_tenant_id.clone(), user.name.clone(), user.email.clone());
        let outcome = self.auth.finish_first_factor(user, None, false).await?;
        Ok(SocialSignOn { outcome, user_id, tenant_id, email, name, is_new_user })
    }

    async fn sign_up(&self, p: &SocialProvider, email: &str, who: &ProviderUser) -> CoreResult<User> {
        let provider = if p.custom { "local" } else { p.kind.as_str() };
        let fields = NewUserFields {
            email: Some(email.to_owned()),
            name: who.name.clone(),
            profile_picture_url: who.picture.clone().filter(|u| u.starts_with("https://")),
            provider: Some(provider.into()),
            ..NewUserFields::default()
        };
        let company = who.name.clone().unwrap_or_else(|| email.to_owned());
        match self.users.sign_up_external(fields.clone(), company.clone()).await {
            Ok(s) => Ok(s.user),
            // Two first sign-ins racing for one address: the loser signs on as the winner's account.
            Err(CoreError::Conflict(_)) => Ok(self.store.get_user_by_email(&normalize_email(email)).await?),
            // A picture URL or name the profile rules refuse is not worth failing the sign-up for.
            Err(CoreError::BadRequest(_)) if fields.name.is_some() || fields.profile_picture_url.is_some() => {
                let bare = NewUserFields { name: None, profile_picture_url: None, ..fields };
                Ok(self.users.sign_up_external(bare, company).await?.user)
            }
            Err(e) => Err(e),
        }
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: Option<String>,
}

/// Exchanges the code at the token URL (`client_secret_post`, with the PKCE verifier; JSON asked for, as GitHub
/// otherwise answers a form).
async fn exchange(
    client: &reqwest::Client,
    token_url: &str,
    p: &SocialProvider,
    code: &str,
    redirect_uri: &str,
    verifier: &str,
) -> Result<String, String> {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code),
        ("redirect_uri", redirect_uri),
        ("client_id", p.client_id.as_str()),
        ("client_secret", p.secret.as_str()),
        ("code_verifier", verifier),
    ];
    let res = client
        .post(token_url)
        .header("accept", "application/json")
        .form(&form)
        .send()
        .await
        .map_err(|e| format!("token endpoint: {}", e.without_url()))?;
    let answer: TokenAnswer = oidc::read_json(res).await?;
    answer.access_token.filter(|t| !t.is_empty()).ok_or_else(|| "the token endpoint gave no access_token".into())
}

async fn get_json(client: &reqwest::Client, url: &str, token: &str) -> Result<serde_json::Value, String> {
    let res = client
        .get(url)
        .bearer_auth(token)
        .header("accept", "application/json")
        .header("user-agent", "yolk")
        .send()
        .await
        .map_err(|e| format!("userinfo: {}", e.without_url()))?;
    oidc::read_json(res).await
}

fn verified(v: Option<&serde_json::Value>) -> bool {
    match v {
        Some(serde_json::Value::Bool(b)) => *b,
        Some(serde_json::Value::String(s)) => s.eq_ignore_ascii_case("true"),
        _ => false,
    }
}

/// Reads the user: OIDC userinfo claims, or GitHub's `/user` and the verified primary of `/user/emails`.
async fn user_info(client: &reqwest::Client, url: &str, token: &str, github: bool) -> Result<ProviderUser, String> {
    if url.is_empty() {
        return Err("the provider has no userinfo endpoint".into());
    }
    let info = get_json(client, url, token).await?;
    let text = |k: &str| info.get(k).and_then(|v| v.as_str()).map(str::to_owned).filter(|s| !s.is_empty());
    if github {
        let emails = get_json(client, &format!("{}/emails", url.trim_end_matches('/')), token).await?;
        let primary = emails
            .as_array()
            .and_then(|list| list.iter().find(|e| e.get("primary").and_then(|v| v.as_bool()) == Some(true)));
        let (email, is_verified) = match primary {
            Some(e) => (e.get("email").and_then(|v| v.as_str()).map(str::to_owned), verified(e.get("verified"))),
            None => (None, false),
        };
        return Ok(ProviderUser {
            email,
            verified: is_verified,
            name: text("name").or_else(|| text("login")),
            picture: text("avatar_url"),
        });
    }
    let name = text("name").or_else(|| match (text("given_name"), text("family_name")) {
        (Some(g), Some(f)) => Some(format!("{g} {f}")),
        (g, f) => g.or(f),
    });
    Ok(ProviderUser {
        email: text("email"),
        verified: verified(info.get("email_verified")),
        name,
        picture: text("picture"),
    })
}
