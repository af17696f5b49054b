//! Start-up: what every node does before it serves: load or create the environment's credentials and signing key
//! (both shared through the store, so nodes converge on the same ones) and wire the services.

use std::sync::Arc;

use yolk_domain::{Clock, EnvironmentCredentials};
use yolk_store::Store;

use crate::delivery::Channels;
use crate::keys::{KeyRingOptions, start_key_ring};
use crate::passwords::Passwords;
use crate::secrets::{random_token, sha256_hex};
use crate::tokens::{CredentialCache, TokenSettings, Tokens};
use crate::{CoreError, CoreResult, Services};

/// What start-up needs from the configuration.
#[derive(Debug, Clone)]
pub struct StartOptions {
    /// The environment's client id and secret, when configured (both or neither).
    pub client_id: Option<String>,
    pub api_key: Option<String>,
    /// `iss` of every token.
    pub issuer: String,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub vendor_ttl_secs: i64,
    /// Password-hashing threads (one per CPU).
    pub hash_workers: usize,
    /// How long another node's revocation, or change of the credentials, may go unseen (see [`crate::grants`] and
    /// [`crate::tokens::CredentialCache`]).
    pub access_ttl_ms: u64,
    /// The master key sealing the signing keys, and how often the key ring is reloaded.
    pub keys: KeyRingOptions,
    /// Where emails and SMS go (the outbox when none).
    pub channels: Channels,
    /// Where the app's login box runs: links in emails point at its `/account/...` pages.
    pub app_url: String,
    /// The captcha service's `siteverify` URL.
    pub captcha_verify_url: String,
    /// Further browser origins on the app's site WebAuthn accepts (the configured allowed origins).
    pub webauthn_origins: Vec<String>,
}

/// What start-up found or created.
pub struct Started {
    pub services: Services,
    /// The environment's client id.
    pub client_id: String,
    /// The secret, when it was generated on this start (printed once; only its hash is stored).
    pub generated_secret: Option<String>,
}

/// Loads or creates the credentials and the signing key over a migrated store and builds the services.
/// Configured credentials replace the stored ones; with none configured the stored ones are kept, and on a fresh
/// store new ones are generated.
pub async fn start(store: Arc<dyn Store>, clock: Arc<dyn Clock>, options: StartOptions) -> CoreResult<Started> {
    let (creds, generated_secret) = ensure_credentials(&options, store.as_ref(), clock.as_ref()).await?;
    let keys = start_key_ring(store.clone(), clock.clone(), &options.keys).await?;
    // The credential just written (or found) is the one in force: environment tokens of any other generation are
    // refused by this node from its first request; other nodes see the change within the same TTL as revocations.
    // Recording it derives its generation (PBKDF2, about 15 ms): that runs beside start-up, not in its way. A
    // request that comes first reads the credential from the store, which already holds it.
    let credentials = CredentialCache::new(store.clone(), clock.clone(), options.access_ttl_ms);
    let observer = credentials.clone();
    let written = creds.clone();
    tokio::task::spawn_blocking(move || observer.observe(&written));
    let tokens = Tokens::new(
        keys,
        TokenSettings {
            issuer: options.issuer,
            client_id: creds.client_id.clone(),
            access_ttl_secs: options.access_ttl_secs,
            refresh_ttl_secs: options.refresh_ttl_secs,
            vendor_ttl_secs: options.vendor_ttl_secs,
        },
        credentials,
    );
    let master =
        crate::keys::MasterKey::resolve(options.keys.master_key.as_deref(), options.keys.master_key_file.as_deref())?;
    let services = Services::new(store, tokens, Passwords::new(options.hash_workers), clock, options.access_ttl_ms)
        .with_master_key(master)
        .with_channels(options.channels.clone())
        .with_app_url(&options.app_url)
        .with_captcha_url(&options.captcha_verify_url)
        .with_webauthn_origins(&options.webauthn_origins);
    Ok(Started { services, client_id: creds.client_id, generated_secret })
}

async fn ensure_credentials(
    options: &StartOptions,
    store: &dyn Store,
    clock: &dyn Clock,
) -> CoreResult<(EnvironmentCredentials, Option<String>)> {
    match (&options.client_id, &options.api_key) {
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
