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
