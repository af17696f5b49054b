//! Changing a user: its profile (one set of rules for the environment, the user itself and the "me" routes), its
//! email, and its environment-wide state (locked, verified, super-user, invisible).

use serde_json::Value;
use yolk_api_types::users::UpdateUserRequest;
use yolk_domain::values::{
    Email, MAX_NAME, check_phone_number, check_text, display_name, metadata_to_string, picture_url,
};
use yolk_domain::{Patch, User, UserId};
use yolk_store::StoreError;

use super::{UserService, UserView};
use crate::access::{Environment, UserContext};
use crate::{CoreError, CoreResult};

/// A validated profile change, applied inside the store's transaction.
struct ProfileChange {
    name: Patch<String>,
    phone_number: Patch<String>,
    profile_picture_url: Patch<String>,
    metadata: Patch<String>,
    external_id: Patch<String>,
}

/// A text field where an empty string means "clear".
fn clearable(p: Patch<String>) -> Patch<String> {
    match p {
        Patch::Value(v) if v.trim().is_empty() => Patch::Null,
        Patch::Value(v) => Patch::Value(v.trim().to_owned()),
        other => other,
    }
}

impl ProfileChange {
    /// The one set of profile rules (the same as at creation, from `values`): a name is not blank; a phone number
    /// is in international format; a picture URL is http(s); metadata is an object or a JSON string of bounded
    /// size; no control characters anywhere.
    fn parse(input: UpdateUserRequest, may_set_external_id: bool) -> CoreResult<Self> {
        let bad = CoreError::BadRequest;
        match &input.vendor_metadata {
            Patch::Absent | Patch::Null => {}
            Patch::Value(Value::String(s)) if s.is_empty() => {}
            Patch::Value(_) => return Err(bad("vendorMetadata is not supported".into())),
        }
        let name = match input.name {
            Patch::Value(n) => Patch::Value(display_name("name", &n).map_err(bad)?),
            Patch::Absent => Patch::Absent,
            Patch::Null => return Err(bad("name must not be empty".into())),
        };
        let phone_number =
            clearable(input.phone_number).try_map(|p| check_phone_number(&p).map(|()| p)).map_err(bad)?;
        let profile_picture_url = clearable(input.profile_picture_url).try_map(|u| picture_url(&u)).map_err(bad)?;
        let metadata = match input.metadata.try_map(|v| metadata_to_string(&v)).map_err(bad)? {
            Patch::Value(None) => Patch::Null,
            Patch::Value(Some(m)) => Patch::Value(m),
            Patch::Null => Patch::Null,
            Patch::Absent => Patch::Absent,
        };
        let external_id = if may_set_external_id { clearable(input.external_id) } else { Patch::Absent }
            .try_map(|x| check_text("externalId", &x, MAX_NAME).map(|()| x))
            .map_err(bad)?;
        Ok(Self { name, phone_number, profile_picture_url, metadata, external_id })
    }

    fn apply(self, u: &mut User) {
        self.name.apply_to(&mut u.name);
        self.phone_number.apply_to(&mut u.phone_number);
        self.profile_picture_url.apply_to(&mut u.profile_picture_url);
        self.metadata.apply_to(&mut u.metadata);
        self.external_id.apply_to(&mut u.external_id);
    }
}

impl UserService {
    /// `PUT /users/v1/{userId}`: a partial update of any user, `externalId` included.
    pub async fn update_any(&self, _: &Environment, id: UserId, input: UpdateUserRequest) -> CoreResult<UserView> {
        self.change_profile(id, ProfileChange::parse(input, true)?).await?;
        self.view(id, None).await
    }

    /// `PUT /users/v1` and `PUT /users/v2/me`: the user in context changes its own profile (not `externalId`),
    /// rendered in the tenant it acts in.
    pub async fn update_own(&self, ctx: &UserContext, input: UpdateUserRequest) -> CoreResult<UserView> {
        self.change_profile(ctx.user_id(), ProfileChange::parse(input, false)?).await?;
        self.view(ctx.user_id(), Some(ctx.tenant_id())).await
    }

    /// `PUT /users/v2/me`: as [`UserService::update_own`], answered as the caller's profile.
    pub async fn update_profile(&self, ctx: &UserContext, input: UpdateUserRequest) -> CoreResult<super::Profile> {
        self.change_profile(ctx.user_id(), ProfileChange::parse(input, false)?).await?;
        self.profile(ctx).await
    }

    async fn change_profile(&self, id: UserId, change: ProfileChange) -> CoreResult<User> {
        self.update(id, move |u| {
            change.apply(u);
            Ok(())
        })
        .await
    }

    /// `PUT /users/v1/{userId}/email`: changes a user's email everywhere; `Conflict(UserEmail)` if another user has
    /// it. The user then logs in with the new address.
    pub async fn change_email(&self, _: &Environment, id: UserId, email: &str) -> CoreResult<UserView> {
        let email = Email::parse(email).map_err(CoreError::BadRequest)?;
        self.update(id, move |u| {
            u.email = email.as_str().to_owned();
            Ok(())
        })
        .await?;
        self.view(id, None).await
    }

    /// Locks (every session revoked at once; no login or refresh anywhere) or unlocks a user.
    pub async fn set_locked(&self, _: &Environment, id: UserId, locked: bool) -> CoreResult<()> {
        self.store.set_user_locked(id, locked, self.clock.now()).await?;
        self.access.invalidate();
        Ok(())
    }

    /// Marks the user verified (`email_verified` in its next token).
    pub async fn verify(&self, _: &Environment, id: UserId) -> CoreResult<()> {
        self.update(id, |u| {
            u.verified = true;
            Ok(())
        })
        .await
        .map(drop)
    }

    /// The `superUser` claim of the user's next token.
    pub async fn set_super_user(&self, _: &Environment, id: UserId, super_user: bool) -> CoreResult<UserView> {
        self.update(id, move |u| {
            u.super_user = super_user;
            Ok(())
        })
        .await?;
        self.view(id, None).await
    }

    /// An invisible user stays in its tenants but is left out of the lists tenant members see; the `invisible`
    /// claim of its next token.
    pub async fn set_invisible(&self, _: &Environment, id: UserId, invisible: bool) -> CoreResult<UserView> {
        self.update(id, move |u| {
            u.invisible = invisible;
            Ok(())
        })
        .await?;
        self.view(id, None).await
    }

    async fn update(
        &self,
        id: UserId,
        change: impl FnOnce(&mut User) -> Result<(), StoreError> + Send + 'static,
    ) -> CoreResult<User> {
        Ok(self.store.update_user(id, Box::new(change), self.clock.now()).await?)
    }
}
