//! The application state every handler receives: no globals, so each test builds an isolated app.

use std::sync::Arc;

use yolk_core::keys::KeyRing;
use yolk_core::passwords::Passwords;
use yolk_core::secrets::{random_token, sha256_hex};
use yolk_core::tokens::{TokenSettings, Tokens};
use yolk_core::{CoreError, CoreResult, Services};
use yolk_domain::{Clock, EnvironmentCredentials};
use yolk_store::Store;

use crate::config::Config;

/// Shared, cheaply clonable state.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// Every service; handlers call one method of one of them.
    pub services: Services,
    pub clock: Arc<dyn Clock>,
    /// The environment's client id (fixed for the life of the process).
    pub client_id: Arc<str>,
}

/// What start-up found or created for the environment's credentials.
pub struct Bootstrap {
    pub state: AppState,
    /// The secret, when it was generated on this start (printed once, then only its hash exists).
    pub generated_secret: Option<String>,
}

impl AppState {
    /// Builds the state over a migrated store: loads or creates the signing key and the environment credentials.
    pub async fn bootstrap(config: Config, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> CoreResult<Bootstrap> {
        let (creds, generated_secret) = ensure_credentials(&config, store.as_ref(), clock.as_ref()).await?;
        let keys = Arc::new(KeyRing::load_or_create(store.as_ref(), clock.now()).await?);
        let tokens = Tokens::new(
            keys,
            TokenSettings {
                issuer: config.issuer(),
                client_id: creds.client_id.clone(),
                access_ttl_secs: config.access_token_ttl,
                refresh_ttl_secs: config.refresh_token_ttl,
                vendor_ttl_secs: config.vendor_token_ttl,
            },
        );
        let cpus = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let services = Services::new(store, tokens, Passwords::new(cpus), clock.clone());
        let state = AppState { config: Arc::new(config), services, clock, client_id: creds.client_id.into() };
        Ok(Bootstrap { state, generated_secret })
    }

    /// The refresh-cookie name: `fe_refresh_` + the client id without dashes.
    pub fn refresh_cookie_name(&self) -> String {
        format!("fe_refresh_{}", self.client_id.replace('-', ""))
    }
}

/// Configured credentials replace the stored ones; with none configured the stored ones are kept, and on a
/// fresh store new ones are generated (the secret is returned so it can be printed once).
async fn ensure_credentials(
    config: &Config,
    store: &dyn Store,
    clock: &dyn Clock,
) -> CoreResult<(EnvironmentCredentials, Option<String>)> {
    match (&config.client_id, &config.api_key) {
        (Some(id), Some(key)) => {
            let creds = EnvironmentCredentials { client_id: id.clone(), secret_sha256: sha256_hex(key) };
            store.set_credentials(&creds, clock.now()).await?;
            Ok((creds, None))
        }
        (None, None) => {
            let secret = random_token();
            let candidate = EnvironmentCredentials {
                client_id: uuid::Uuid::new_v4().to_string(),
                secret_sha256: sha256_hex(&secret),
            };
            let (creds, created) = store.ensure_credentials(&candidate, clock.now()).await?;
            Ok((creds, created.then_some(secret)))
        }
        _ => Err(CoreError::BadRequest(
            "configure both client_id and api_key (YOLK_CLIENT_ID / YOLK_API_KEY), or neither".into(),
        )),
    }
}
