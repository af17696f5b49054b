//! JWTs: the environment (vendor) token and the user token. RS256 only: verification pins the algorithm, so a
//! token signed with HS256 (or `none`) is refused whatever its header says.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, Header, Validation, decode, decode_header, encode};
use serde::{Deserialize, Serialize};

use crate::keys::KeyRing;
use crate::{CoreError, CoreResult};

/// The `type` claim of environment tokens.
pub const VENDOR_TOKEN_TYPE: &str = "vendor";
/// The `type` claim of user tokens.
pub const USER_TOKEN_TYPE: &str = "userToken";

/// Claims of the environment token returned by `POST /auth/vendor`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VendorClaims {
    /// The environment's client id.
    pub sub: String,
    #[serde(rename = "type")]
    pub token_type: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
}

/// Claims of a user access token (CLIENTS.md §5.1).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct UserClaims {
    pub sub: String,
    pub name: String,
    pub email: String,
    #[serde(rename = "email_verified")]
    pub email_verified: bool,
    /// The user's metadata as an object (`{}` when none).
    pub metadata: serde_json::Value,
    /// Role keys in the token's tenant.
    pub roles: Vec<String>,
    /// Permission keys in the token's tenant.
    pub permissions: Vec<String>,
    pub tenant_id: String,
    pub tenant_ids: Vec<String>,
    pub profile_picture_url: Option<String>,
    /// The session id.
    pub sid: String,
    #[serde(rename = "type")]
    pub token_type: String,
    pub application_id: String,
    pub aud: String,
    pub iss: String,
    pub iat: i64,
    pub exp: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub super_user: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub invisible: Option<bool>,
}

/// A verified token of either kind.
#[derive(Debug, Clone)]
pub enum VerifiedToken {
    /// An environment token.
    Vendor(VendorClaims),
    /// A user access token.
    User(Box<UserClaims>),
}

/// Token lifetimes and the issuer.
#[derive(Debug, Clone)]
pub struct TokenSettings {
    /// `iss` of every token (the server's public base URL).
    pub issuer: String,
    /// The environment's client id: `aud` and `applicationId` of user tokens.
    pub client_id: String,
    pub access_ttl_secs: i64,
    pub refresh_ttl_secs: i64,
    pub vendor_ttl_secs: i64,
}

/// Issues and verifies tokens with the key ring.
#[derive(Clone)]
pub struct Tokens {
    keys: Arc<KeyRing>,
    settings: Arc<TokenSettings>,
}

impl Tokens {
    /// A token service over `keys`.
    pub fn new(keys: Arc<KeyRing>, settings: TokenSettings) -> Self {
        Self { keys, settings: Arc::new(settings) }
    }

    /// The settings in force.
    pub fn settings(&self) -> &TokenSettings {
        &self.settings
    }

    /// The key ring.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    fn sign<T: Serialize>(&self, claims: &T) -> CoreResult<String> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.keys.signing_kid().to_owned());
        encode(&header, claims, self.keys.encoding_key()).map_err(|e| CoreError::Internal(format!("sign: {e}")))
    }

    fn verify<T: for<'de> Deserialize<'de>>(&self, token: &str) -> Result<T, jsonwebtoken::errors::Error> {
        let header = decode_header(token)?;
        let kid = header.kid.as_deref().unwrap_or(self.keys.signing_kid());
        let key = self
            .keys
            .decoding_key(kid)
            .ok_or_else(|| jsonwebtoken::errors::Error::from(jsonwebtoken::errors::ErrorKind::InvalidKeyFormat))?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.leeway = 0;
        validation.validate_aud = false;
        // `iss` is not pinned: nodes of one environment may answer at different addresses (each defaults its
        // issuer to its listen address). The shared signing key binds a token to the environment.
        validation.set_required_spec_claims(&["exp", "iat", "sub"]);
        Ok(decode::<T>(token, key, &validation)?.claims)
    }

    /// A new environment token and its lifetime in seconds.
    pub fn issue_vendor_token(&self, client_id: &str, now: DateTime<Utc>) -> CoreResult<(String, i64)> {
        let ttl = self.settings.vendor_ttl_secs;
        let claims = VendorClaims {
            sub: client_id.to_owned(),
            token_type: VENDOR_TOKEN_TYPE.to_owned(),
            iss: self.settings.issuer.clone(),
            iat: now.timestamp(),
            exp: now.timestamp() + ttl,
        };
        Ok((self.sign(&claims)?, ttl))
    }

    /// Verifies a token once (signature, algorithm, expiry) and tells which kind it is by its `type`. Routes that
    /// accept either kind call this instead of trying one verifier after the other (two RSA verifications).
    pub fn verify_any(&self, token: &str) -> CoreResult<VerifiedToken> {
        let claims = self.verify::<serde_json::Value>(token).map_err(|e| {
            CoreError::Unauthorized(match e.kind() {
                jsonwebtoken::errors::ErrorKind::ExpiredSignature => "Token expired".into(),
                _ => "Invalid authorization token".into(),
            })
        })?;
        let invalid = || CoreError::Unauthorized("Invalid authorization token".into());
        match claims.get("type").and_then(serde_json::Value::as_str) {
            Some(VENDOR_TOKEN_TYPE) => {
                let c: VendorClaims = serde_json::from_value(claims).map_err(|_| invalid())?;
                if c.sub == self.settings.client_id { Ok(VerifiedToken::Vendor(c)) } else { Err(invalid()) }
            }
            Some(USER_TOKEN_TYPE) => {
                serde_json::from_value(claims).map(|c| VerifiedToken::User(Box::new(c))).map_err(|_| invalid())
            }
            _ => Err(CoreError::Unauthorized("Invalid token type".into())),
        }
    }

    /// Signs user claims.
    pub fn issue_user_token(&self, claims: &UserClaims) -> CoreResult<String> {
        self.sign(claims)
    }

    /// Verifies a user access token.
    pub fn verify_user_token(&self, token: &str) -> CoreResult<UserClaims> {
        match self.verify_any(token)? {
            VerifiedToken::User(c) => Ok(*c),
            VerifiedToken::Vendor(_) => Err(CoreError::Unauthorized("Invalid token type".into())),
        }
    }
}
