//! Temporary users: a user with an expiry cannot log in, refresh or use a session from then on (enforced in
//! `AuthService::start_session`, `finish_first_factor`, the refresh and the store's session check). The
//! environment's [`TemporaryUsersConfiguration`] decides whether users may be made temporary (on create with
//! `expirationInSeconds`, or later); making a user permanent is always allowed.

use chrono::{DateTime, Duration, Utc};
use serde_json::Value;
use yolk_domain::UserId;
use yolk_domain::settings::TemporaryUsersConfiguration;

use super::UserService;
use crate::access::Environment;
use crate::settings::Scope;
use crate::{CoreError, CoreResult};

/// The shortest time limit (the spec's minimum).
pub const MIN_TEMPORARY_SECS: f64 = 300.0;
/// The longest time limit: ten years (keeps the expiry far from overflowing).
pub const MAX_TEMPORARY_SECS: f64 = 315_360_000.0;

impl UserService {
    /// `GET /users/temporary/v1/configuration` (disabled until set).
    pub async fn temporary_users_configuration(&self, _: &Environment) -> CoreResult<TemporaryUsersConfiguration> {
        self.settings.get_or_default::<TemporaryUsersConfiguration>(Scope::Environment).await
    }

    /// `PUT /users/temporary/v1/configuration`: creates or replaces the configuration.
    pub async fn set_temporary_users_configuration(
        &self,
        env: &Environment,
        body: Value,
    ) -> CoreResult<TemporaryUsersConfiguration> {
        Ok(self.settings.put_document::<TemporaryUsersConfiguration>(env, None, body).await?.doc)
    }

    /// The expiry of a user made temporary now for `secs` seconds: 400 while the configuration is off or for a
    /// time limit out of range.
    pub(crate) async fn temporary_expiry(&self, secs: f64) -> CoreResult<DateTime<Utc>> {
        if !secs.is_finite() || !(MIN_TEMPORARY_SECS..=MAX_TEMPORARY_SECS).contains(&secs) {
            return Err(CoreError::BadRequest(format!(
                "expirationInSeconds must be between {MIN_TEMPORARY_SECS} and {MAX_TEMPORARY_SECS}"
            )));
        }
        if !self.settings.get_or_default::<TemporaryUsersConfiguration>(Scope::Environment).await?.enabled {
            return Err(CoreError::BadRequest("Temporary users are not enabled".into()));
        }
        // In range above: at most ten years of milliseconds.
        #[allow(clippy::cast_possible_truncation)]
        let ms = (secs * 1000.0).round() as i64;
        Ok(self.clock.now() + Duration::milliseconds(ms))
    }

    /// `PUT /users/temporary/v1/{userId}`: the user expires `secs` seconds from now (a permanent user becomes
    /// temporary). `NotFound(User)` for an unknown user.
    pub async fn set_temporary(&self, _: &Environment, id: UserId, secs: f64) -> CoreResult<DateTime<Utc>> {
        let expiry = self.temporary_expiry(secs).await?;
        let change = Box::new(move |u: &mut yolk_domain::User| {
            u.temporary_expires_at = Some(expiry);
            Ok(())
        });
        self.store.update_user(id, change, self.clock.now()).await?;
        // A shorter limit narrows access: other nodes' cached grants go within their TTL, this node's now.
        self.access.invalidate();
        Ok(expiry)
    }

    /// `DELETE /users/temporary/v1/{userId}`: the user becomes permanent. `NotFound(User)` for an unknown user.
    pub async fn set_permanent(&self, _: &Environment, id: UserId) -> CoreResult<()> {
        let change = Box::new(|u: &mut yolk_domain::User| {
            u.temporary_expires_at = None;
            Ok(())
        });
        self.store.update_user(id, change, self.clock.now()).await?;
        Ok(())
    }
}
