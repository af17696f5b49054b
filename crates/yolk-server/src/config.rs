//! Server configuration. The binary layers it (flags > environment > TOML file > defaults); this is the result.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// Everything the server needs to start.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on.
    pub listen: SocketAddr,
    /// Directory for the embedded store (created if missing).
    pub data_dir: PathBuf,
    /// `sqlite://...` or `postgres://...`; default: `sqlite://<data_dir>/yolk.db`.
    pub database_url: Option<String>,
    /// The environment's client id; generated on first start when neither it nor `api_key` is set.
    pub client_id: Option<String>,
    /// The environment's API key (secret).
    pub api_key: Option<String>,
    /// The `iss` of tokens; default `http://<listen>`.
    pub issuer: Option<String>,
    /// User access-token lifetime, seconds.
    pub access_token_ttl: i64,
    /// Refresh-token (session) lifetime, seconds.
    pub refresh_token_ttl: i64,
    /// Environment-token lifetime, seconds.
    pub vendor_token_ttl: i64,
    /// Browser origins allowed with credentials besides loopback ones (`*` for any).
    pub allowed_origins: Vec<String>,
    /// Mark the refresh cookie `Secure; SameSite=None` (serve over https).
    pub secure_cookies: bool,
    /// Largest accepted request body, bytes.
    pub max_body_bytes: usize,
    /// Log format: `text` or `json`.
    pub log_format: String,
    /// Master key sealing the token-signing keys at rest: 32 bytes as 64 hex digits or base64. Never printed.
    pub master_key: Option<Secret>,
    /// A file holding the master key (instead of `master_key`).
    pub master_key_file: Option<PathBuf>,
    /// Seconds between reloads of the signing keys from the store (a rotation reaches running nodes in this time).
    pub key_reload_interval: u64,
    /// Development mode: pages on loopback origins (`http(s)://localhost`, `127.0.0.1`, `[::1]`, any port) may call
    /// yolk with credentials. Off by default: in production any local process could serve such a page.
    pub dev_mode: bool,
    /// Seconds a client has to send a whole request head, from its first byte (from the connection's opening for
    /// its first request); then the connection is closed.
    pub header_read_timeout: u64,
    /// Seconds an idle keep-alive connection (no request in progress, no byte of the next one) stays open.
    pub keep_alive_timeout: u64,
    /// The most connections served at once; further ones wait in the listen backlog until one closes.
    pub max_connections: usize,
    /// Milliseconds a node may answer from its caches of what a user token's session may do and of the
    /// environment's credential: how long another node's logout, lock or removal, or a change of the API key, may go
    /// unseen here (this node's own take effect at once). 0 reads the store on every request.
    pub access_cache_ttl_ms: u64,
    /// Password attempts (login, `/auth/vendor`) a client address may make a minute, per node (0: no limit).
    pub rate_limit_per_ip: u32,
    /// Failed password attempts one identifier (email, username, client id) may take a minute, per node (0: no
    /// limit). The store-wide, exact limit is the lockout policy.
    pub rate_limit_failures_per_identifier: u32,
    /// Milliseconds a statement may run on PostgreSQL (waiting for locks included) before the database cancels it
    /// and the request is answered 503: how long one request may hold the store. 0 sets no limit. SQLite cannot
    /// interrupt a statement and ignores it.
    pub store_statement_timeout_ms: u64,
    /// Where emails go: an SMTP URL (`smtp://user:password@host:587`, `smtps://host:465`, `smtp://host:25?tls=none`
    /// for a local relay). Unset: every email is kept in the outbox (`yolk outbox`, `GET /yolk/v1/outbox`).
    pub smtp_url: Option<Secret>,
    /// The sender of every email (`Name <address>` or an address).
    pub mail_from: String,
    /// The URL of the app where the login box runs (`https://app.example.com`): links in emails (password reset,
    /// ...) point at its `/account/...` pages. Unset: the issuer. Never taken from a request's `Host`.
    pub app_url: Option<String>,
    /// The captcha service's `siteverify` URL (reCAPTCHA's by default; hCaptcha and Turnstile speak the same
    /// protocol), used when the captcha policy is enabled.
    pub captcha_verify_url: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./yolk-data"),
            database_url: None,
            client_id: None,
            api_key: None,
            issuer: None,
            access_token_ttl: 300,
            refresh_token_ttl: 30 * 24 * 3600,
            vendor_token_ttl: 24 * 3600,
            allowed_origins: Vec::new(),
            secure_cookies: false,
            max_body_bytes: 1024 * 1024,
            log_format: "text".to_owned(),
            master_key: None,
            master_key_file: None,
            key_reload_interval: yolk_core::keys::DEFAULT_RELOAD_INTERVAL_SECS,
            dev_mode: false,
            header_read_timeout: 10,
            keep_alive_timeout: 60,
            max_connections: 10_000,
            access_cache_ttl_ms: yolk_core::grants::DEFAULT_TTL_MS,
            rate_limit_per_ip: 600,
            rate_limit_failures_per_identifier: 10,
            store_statement_timeout_ms: 10_000,
            smtp_url: None,
            mail_from: "yolk <no-reply@localhost>".to_owned(),
            app_url: None,
            captcha_verify_url: yolk_core::captcha::RECAPTCHA_VERIFY_URL.to_owned(),
        }
    }
}

impl Config {
    /// The database URL in force.
    pub fn database_url(&self) -> String {
        self.database_url.clone().unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("yolk.db").display()))
    }

    /// The token issuer in force.
    pub fn issuer(&self) -> String {
        self.issuer.clone().unwrap_or_else(|| format!("http://{}", self.listen))
    }
}

/// A secret configuration value: read like a string, shown (`Debug`, and serialized, as by `yolk config`) as
/// `<redacted>`.
#[derive(Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    /// The secret's text.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl From<String> for Secret {
    fn from(s: String) -> Self {
        Self(s)
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str("<redacted>")
    }
}

/// The largest `store_statement_timeout_ms`: an hour.
const MAX_STATEMENT_TIMEOUT_MS: u64 = 3_600_000;

impl Config {
    /// Refuses configurations that would be unsafe or could not work, with a message naming the key.
    pub fn validate(&self) -> Result<(), String> {
        for origin in &self.allowed_origins {
            if origin.trim() == "*" {
                return Err("allowed_origins = [\"*\"] is refused: the browser SDKs call yolk with credentials (the \
                     refresh cookie), and allowing every origin with credentials would let any web site act as the \
                     signed-in user. List your apps' origins (\"https://app.example.com\"), or set dev_mode = true \
                     for loopback origins"
                    .into());
            }
            let host = origin.split_once("://").map(|(_, rest)| rest).unwrap_or_default();
            if host.is_empty() || host.contains('/') {
                return Err(format!(
                    "allowed_origins: {origin:?} is not an origin: write scheme://host[:port], without a path or a \
                     trailing slash (\"https://app.example.com\")"
                ));
            }
        }
        for (key, secs) in
            [("header_read_timeout", self.header_read_timeout), ("keep_alive_timeout", self.keep_alive_timeout)]
        {
            if !(1..=3600).contains(&secs) {
                return Err(format!("{key} must be between 1 and 3600 seconds, not {secs}"));
            }
        }
        if !(1..=1_000_000).contains(&self.max_connections) {
            return Err(format!("max_connections must be between 1 and 1000000, not {}", self.max_connections));
        }
        if self.store_statement_timeout_ms > MAX_STATEMENT_TIMEOUT_MS {
            return Err(format!(
                "store_statement_timeout_ms must be at most {MAX_STATEMENT_TIMEOUT_MS} (one hour; 0 for no limit), \
                 not {}",
                self.store_statement_timeout_ms
            ));
        }
        if let Some(app_url) = &self.app_url {
            let ok = url::Url::parse(app_url)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some() && u.query().is_none());
            if !ok {
                return Err(format!(
                    "app_url: {app_url:?} is not an http(s) URL without a query (\"https://app.example.com\")"
                ));
            }
        }
        let captcha = url::Url::parse(&self.captcha_verify_url)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !captcha {
            return Err(format!("captcha_verify_url: {:?} is not an http(s) URL", self.captcha_verify_url));
        }
        if let Some(url) = &self.smtp_url {
            // Built here only to be checked: a bad URL or sender fails start-up, not the first email.
            yolk_core::delivery::Smtp::new(url.expose(), &self.mail_from).map_err(|e| e.to_string())?;
        }
        Ok(())
    }

    /// The channels in force: SMTP when `smtp_url` is set; otherwise (and for SMS, until a provider is configured)
    /// the outbox.
    pub fn channels(&self) -> Result<yolk_core::delivery::Channels, String> {
        let email = match &self.smtp_url {
            Some(url) => {
                let smtp = yolk_core::delivery::Smtp::new(url.expose(), &self.mail_from).map_err(|e| e.to_string())?;
                Some(std::sync::Arc::new(smtp) as std::sync::Arc<dyn yolk_core::delivery::EmailChannel>)
            }
            None => None,
        };
        Ok(yolk_core::delivery::Channels { email, sms: None, mail_from: Some(self.mail_from.clone()) })
    }

    /// The app URL in force (see [`Config::app_url`]'s field).
    pub fn app_url(&self) -> String {
        self.app_url.clone().unwrap_or_else(|| self.issuer())
    }

    /// The statement timeout in force: `None` when `store_statement_timeout_ms` is 0 (no limit).
    pub fn store_statement_timeout(&self) -> Option<std::time::Duration> {
        (self.store_statement_timeout_ms > 0).then(|| std::time::Duration::from_millis(self.store_statement_timeout_ms))
    }

    /// Whether the issuer in force is an https URL: yolk is then served over TLS (directly or behind a proxy), and
    /// the refresh cookie is `Secure`.
    pub fn serves_https(&self) -> bool {
        self.issuer().get(..8).is_some_and(|scheme| scheme.eq_ignore_ascii_case("https://"))
    }
}

#[cfg(test)]
mod tests {
    use super::Config;

    #[test]
    fn a_star_origin_is_refused_with_a_reason() {
        let config = Config { allowed_origins: vec!["https://a.example".into(), "*".into()], ..Config::default() };
        let err = config.validate().unwrap_err();
        assert!(err.contains("allowed_origins") && err.contains("credentials"), "{err}");
    }

    #[test]
    fn origins_are_scheme_host_port_only() {
        for ok in ["https://app.example.com", "http://localhost:3000", "capacitor://localhost"] {
            let config = Config { allowed_origins: vec![ok.into()], ..Config::default() };
            assert_eq!(config.validate(), Ok(()), "{ok}");
        }
        for bad in ["https://app.example.com/", "app.example.com", "https://a.example/login", ""] {
            let config = Config { allowed_origins: vec![bad.into()], ..Config::default() };
            assert!(config.validate().is_err(), "{bad}");
        }
    }

    #[test]
    fn connection_limits_are_bounded() {
        assert_eq!(Config::default().validate(), Ok(()));
        assert!(Config { header_read_timeout: 0, ..Config::default() }.validate().is_err());
        assert!(Config { keep_alive_timeout: 0, ..Config::default() }.validate().is_err());
        assert!(Config { max_connections: 0, ..Config::default() }.validate().is_err());
        assert_eq!(Config { store_statement_timeout_ms: 0, ..Config::default() }.validate(), Ok(()));
        assert!(Config { store_statement_timeout_ms: 3_600_001, ..Config::default() }.validate().is_err());
    }

    #[test]
    fn https_is_read_from_the_issuer() {
        assert!(!Config::default().serves_https());
        assert!(Config { issuer: Some("https://auth.example".into()), ..Config::default() }.serves_https());
        assert!(Config { issuer: Some("HTTPS://auth.example".into()), ..Config::default() }.serves_https());
        assert!(!Config { issuer: Some("http://auth.example".into()), ..Config::default() }.serves_https());
    }
}
