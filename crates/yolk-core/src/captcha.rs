//! The captcha policy, enforced: with an enabled policy, password login, sign-up, passwordless sign-in and "forgot
//! password" need a `recaptchaToken` that the verifier accepts (not for the policy's `ignoredEmails`).
//!
//! The verifier speaks reCAPTCHA's `siteverify` protocol (a form `secret`, `response`, `remoteip` POSTed; JSON
//! `{success, score?}` back), which hCaptcha and Cloudflare Turnstile also speak: the server's `captcha_verify_url`
//! chooses the service (Google's by default). A token the service refuses, or whose score is below `minScore`, is
//! a 400; a service that does not answer fails closed (503), never open.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;
use yolk_domain::settings::CaptchaPolicy;

use crate::settings::{Scope, Settings};
use crate::{CoreError, CoreResult};

/// Google's reCAPTCHA verification endpoint.
pub const RECAPTCHA_VERIFY_URL: &str = "https://www.google.com/recaptcha/api/siteverify";

/// What a refused or missing token is told.
pub const INVALID_CAPTCHA: &str = "Invalid recaptcha token";

/// The captcha check (cheap to clone).
#[derive(Clone)]
pub struct Captcha {
    settings: Settings,
    client: reqwest::Client,
    url: Arc<str>,
}

#[derive(Debug, Deserialize)]
struct Verdict {
    success: bool,
    #[serde(default)]
    score: Option<f64>,
}

impl Captcha {
    /// A check against the service at `url`.
    pub fn new(settings: Settings, url: &str) -> Self {
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap_or_default();
        Self { settings, client, url: Arc::from(url) }
    }

    /// Passes when no enabled policy exists, when `email` is one of the policy's ignored addresses, or when the
    /// service accepts `token` with at least the policy's score.
    pub async fn check(&self, token: Option<&str>, email: Option<&str>, ip: Option<IpAddr>) -> CoreResult<()> {
        let Some(policy) = self.settings.get::<CaptchaPolicy>(Scope::Environment).await? else { return Ok(()) };
        let policy = policy.doc;
        if !policy.enabled {
            return Ok(());
        }
        if let Some(email) = email.map(str::trim)
            && policy.ignored_emails.iter().any(|e| e.eq_ignore_ascii_case(email))
        {
            return Ok(());
        }
        let Some(token) = token.map(str::trim).filter(|t| !t.is_empty()) else {
            return Err(CoreError::BadRequest(INVALID_CAPTCHA.into()));
        };
        let mut form = vec![("secret", policy.secret_key.clone()), ("response", token.to_owned())];
        if let Some(ip) = ip {
            form.push(("remoteip", ip.to_string()));
        }
        let unavailable = |why: String| {
            tracing::warn!(reason = %why, "the captcha service did not answer");
            CoreError::Unavailable { message: "The captcha service did not answer".into(), retry_after_secs: 5 }
        };
        let response = self.client.post(&*self.url).form(&form).send().await.map_err(|e| unavailable(e.to_string()))?;
        if !response.status().is_success() {
            return Err(unavailable(format!("status {}", response.status())));
        }
        let verdict: Verdict = response.json().await.map_err(|e| unavailable(e.to_string()))?;
        let score_ok = verdict.score.is_none_or(|s| s >= policy.min_score);
        if !verdict.success || !score_ok {
            return Err(CoreError::BadRequest(INVALID_CAPTCHA.into()));
        }
        Ok(())
    }
}
