//! The application state every handler receives: no globals, so each test builds an isolated app.

use std::sync::Arc;

use yolk_core::start::{StartOptions, start};
use yolk_core::{CoreResult, Services};
use yolk_domain::Clock;
use yolk_store::Store;

use crate::config::Config;
use crate::throttle::Throttle;

/// Shared, cheaply clonable state.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    /// Every service; handlers call one method of one of them.
    pub services: Services,
    pub clock: Arc<dyn Clock>,
    /// The environment's client id (fixed for the life of the process).
    pub client_id: Arc<str>,
    /// Per-node rate limits of the password paths.
    pub throttle: Throttle,
}

/// What start-up found or created for the environment's credentials.
pub struct Bootstrap {
    pub state: AppState,
    /// The secret, when it was generated on this start (printed once, then only its hash exists).
    pub generated_secret: Option<String>,
}

impl AppState {
    /// Builds the state over a migrated store (see `yolk_core::start`).
    pub async fn bootstrap(config: Config, store: Arc<dyn Store>, clock: Arc<dyn Clock>) -> CoreResult<Bootstrap> {
        let options = StartOptions {
            client_id: config.client_id.clone(),
            api_key: config.api_key.clone(),
            issuer: config.issuer(),
            access_ttl_secs: config.access_token_ttl,
            refresh_ttl_secs: config.refresh_token_ttl,
            vendor_ttl_secs: config.vendor_token_ttl,
            hash_workers: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            access_ttl_ms: config.access_cache_ttl_ms,
            keys: yolk_core::keys::KeyRingOptions {
                master_key: config.master_key.as_ref().map(|k| k.expose().to_owned()),
                master_key_file: config.master_key_file.clone(),
                reload_interval_secs: config.key_reload_interval,
            },
            channels: config.channels().map_err(yolk_core::CoreError::Internal)?,
            app_url: config.app_url(),
            captcha_verify_url: config.captcha_verify_url.clone(),
            webauthn_origins: config.allowed_origins.clone(),
        };
        let started = start(store, clock.clone(), options).await?;
        let throttle =
            Throttle::new(clock.clone(), config.rate_limit_per_ip, config.rate_limit_failures_per_identifier);
        let state = AppState {
            config: Arc::new(config),
            services: started.services,
            clock,
            client_id: started.client_id.into(),
            throttle,
        };
        Ok(Bootstrap { state, generated_secret: started.generated_secret })
    }

    /// The refresh-cookie name: `fe_refresh_` + the client id without dashes.
    pub fn refresh_cookie_name(&self) -> String {
        format!("fe_refresh_{}", self.client_id.replace('-', ""))
    }
}
