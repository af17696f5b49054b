//! The application state every handler receives: no globals, so each test builds an isolated app.

use std::sync::Arc;

use yolk_core::start::{StartOptions, start};
use yolk_core::{CoreResult, Services};
use yolk_domain::Clock;
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
        };
        let started = start(store, clock.clone(), options).await?;
        let state = AppState {
            config: Arc::new(config),
            services: started.services,
            clock,
            client_id: started.client_id.into(),
        };
        Ok(Bootstrap { state, generated_secret: started.generated_secret })
    }

    /// The refresh-cookie name: `fe_refresh_` + the client id without dashes.
    pub fn refresh_cookie_name(&self) -> String {
        format!("fe_refresh_{}", self.client_id.replace('-', ""))
    }
}
