//! Creating users: by the environment (vendor-only), by a tenant admin (invite semantics) and by self sign-up.
//! [`UserService::new_account`] is the one place that turns a client's fields into a new user: every path that
//! creates users (and later SCIM, invitations and SSO provisioning) goes through it.

use serde_json::Value;
use yolk_api_types::auth::SignUpRequest;
use yolk_api_types::users::NewUserFields;
use yolk_domain::fe_permissions::{FePermission, WriteUsers, WriteUsersRoles};
use yolk_domain::values::{
    Email, MAX_NAME, Username, check_phone_number, check_text, display_name, metadata_to_string, picture_url,
};
use yolk_domain::{Tenant, TenantId, TenantProfile, User, UserId};
use yolk_store::StoreError;
use yolk_store::users::NewUser;

use super::{UserService, UserView, visible};
use crate::access::{Actor, Environment, Permit};
use crate::{CoreError, CoreResult};

/// The `provider` values the spec's `CreateUserDto` enumerates.
const PROVIDERS: &[&str] = &["local", "saml", "google", "github", "facebook", "microsoft", "scim2", "slack", "apple"];

/// What a sign-up created.
#[derive(Debug, Clone)]
pub struct SignedUp {
    pub user: User,
    pub tenant_id: TenantId,
    /// Whether the environment requires the user to activate before logging in (no session was started).
    pub should_activate: bool,
}

/// How a create treats an email that already belongs to a user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Existing {
    /// Add that user to the tenant (invite semantics).
    AddToTenant,
    /// Refuse with `Conflict(UserEmail)`.
    Conflict,
}

/// A validated account: the user row and its password hash (the membership is decided by the caller).
struct Account {
    user: User,
    password_hash: Option<String>,
}

fn optional_text(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

impl UserService {
    /// `POST /vendor-only/users/v1`: creates a verified user in `tenant` (which must exist). `Conflict` when the
    /// email or username is taken, `NotFound` for an unknown tenant or role.
    pub async fn create_vendor_only(
        &self,
        _: &Environment,
        tenant: &TenantId,
        input: NewUserFields,
    ) -> CoreResult<UserView> {
        self.create_member(tenant, input, Existing::Conflict, true, &Actor::Environment).await
    }

    /// `POST /users/v1`, `/users/v2`: creates an unverified user in the tenant in scope with the chosen roles (or
    /// the default ones). An email that already belongs to a user invites that user to the tenant instead: a
    /// pending membership that grants nothing until accepted, leaving its profile and password as they are;
    /// `Conflict(Membership)` if it is already a member.
    ///
    /// Choosing `roleIds` is granting roles: a member needs `fe.secure.write.usersRoles` for it, and may choose
    /// only roles it could grant (see [`crate::access::Actor::may_grant`]).
    pub async fn invite(&self, permit: &Permit<WriteUsers>, input: NewUserFields) -> CoreResult<UserView> {
        let tenant = permit.tenant()?.clone();
        self.create_member(&tenant, input, Existing::AddToTenant, false, permit.actor()).await
    }

    async fn create_member(
        &self,
        tenant: &TenantId,
        input: NewUserFields,
        existing: Existing,
        verified: bool,
        actor: &Actor,
    ) -> CoreResult<UserView> {
        let chosen_roles = input.role_ids.clone().filter(|ids| !ids.is_empty());
        if let Some(ids) = &chosen_roles {
            // Before the password is hashed: a request refused for its size costs nothing.
            crate::roles::batch("roleIds", ids).map_err(CoreError::BadRequest)?;
        }
        if chosen_roles.is_some() && !actor.holds(WriteUsersRoles::KEY) {
            return Err(CoreError::Forbidden(format!("Missing permission {}", WriteUsersRoles::KEY)));
        }
        let account = self.new_account(input, verified).await?;
        self.require_tenant(tenant).await?;
        if let Some(ids) = &chosen_roles {
            super::roles::may_grant_all(actor, &self.roles_for_tenant(tenant, ids).await?)?;
        }
        let role_ids = self.member_roles(tenant, chosen_roles.as_deref(), false).await?;
        let now = self.clock.now();
        if existing == Existing::AddToTenant && !account.user.email.is_empty() {
            match self.store.get_user_by_email(&account.user.email).await {
                Ok(user) => {
                    // An existing account gets no access from an invitation until its mailbox owner accepts it:
                    // otherwise whoever signed up first with that email (never proving it) would be let in.
                    self.store.invite_member(user.id, tenant, &role_ids, now).await?;
                    return self.created_view(user.id, tenant, actor.member().is_some()).await;
                }
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
        }
        let user = User { active_tenant_id: Some(tenant.clone()), ..account.user };
        let new = NewUser {
            user,
            password_hash: account.password_hash,
            tenant_id: Some(tenant.clone()),
            role_ids,
            new_tenant: None,
        };
        let user = self.store.create_user(&new).await?;
        self.created_view(user.id, tenant, actor.member().is_some()).await
    }

    /// The created (or added) user in the tenant's context, showing only that tenant to a member caller (an
    /// existing user added by email must not reveal its other tenants).
    async fn created_view(&self, id: UserId, tenant: &TenantId, tenant_only: bool) -> CoreResult<UserView> {
        let (user, mut memberships) = self.load(id, Some(tenant)).await?;
        visible(&mut memberships, Some(tenant), tenant_only);
        Ok(UserView { user, memberships, tenant: Some(tenant.clone()) })
    }

    /// Self sign-up: creates a tenant (named after `companyName`) and its first user, in one transaction, with
    /// the environment's default and first-user roles. Refused when the environment closed sign-up. Whether a
    /// session starts is the caller's (the login path's) business: see [`SignedUp::should_activate`].
    pub async fn sign_up(&self, input: SignUpRequest, with_username: bool) -> CoreResult<SignedUp> {
        let config = self.settings.vendor_config_in_force().await?;
        // A tenant invitation link's token: the user joins that tenant (the link is the admin's invitation, so
        // `allowTenantInvitations` rules it rather than `allowSignups`).
        let invite = match optional_text(input.invitation_token.as_deref()) {
            Some(token) => Some(
                crate::tenant_invites::live_tenant_invite(
                    self.store.as_ref(),
                    self.clock.now(),
                    config.allow_tenant_invitations,
                    token,
                )
                .await?,
            ),
            None => None,
        };
        if invite.is_none() && !config.allow_signups {
            return Err(CoreError::Forbidden("Sign up is disabled".into()));
        }
        // The identifier the sign-up route names is required (the other is optional); `new_account` parses both.
        let (given, missing) = if with_username {
            (&input.user.username, Username::RULE)
        } else {
            (&input.user.email, "email must be a valid email")
        };
        if optional_text(given.as_deref()).is_none() {
            return Err(CoreError::BadRequest(missing.into()));
        }
        let company = optional_text(input.company_name.as_deref()).map(str::to_owned);
        if company.is_none() && invite.is_none() {
            return Err(CoreError::BadRequest("companyName is required".into()));
        }
        // A self sign-up is a local account: it never picks its own roles, provider, nor sets what only the
        // environment sets.
        if input.user.provider.as_deref().is_some_and(|p| p != "local") {
            return Err(CoreError::BadRequest("provider must be local".into()));
        }
        let user = NewUserFields {
            role_ids: None,
            external_id: None,
            vendor_metadata: None,
            expiration_in_seconds: None,
            ..input.user
        };
        let account = self.new_account(user, false).await?;
        if let Some(invite) = invite {
            let tenant_id = invite.tenant_id;
            let usable = self.store.list_roles(Some(&tenant_id)).await?;
            // The link's roles that still exist, else the tenant's default ones.
            let chosen: Vec<_> = invite.role_ids.into_iter().filter(|id| usable.iter().any(|r| &r.id == id)).collect();
            let role_ids = self.member_roles(&tenant_id, Some(&chosen), false).await?;
            let user = User { active_tenant_id: Some(tenant_id.clone()), ..account.user };
            let new = NewUser {
                user,
                password_hash: account.password_hash,
                tenant_id: Some(tenant_id.clone()),
                role_ids,
                new_tenant: None,
            };
            let user = self.store.create_user(&new).await?;
            return Ok(SignedUp { user, tenant_id, should_activate: !config.allow_not_verified_users_login });
        }
        let signed_up = self.create_with_new_tenant(account, company.unwrap_or_default()).await?;
        Ok(SignedUp { should_activate: !config.allow_not_verified_users_login, ..signed_up })
    }

    /// A social sign-up: a verified user without a password (its `provider` names the social provider) and a
    /// new tenant named `company`, as a self sign-up makes; refused when the environment closed sign-up. The
    /// provider vouched for the address, so the user needs no activation.
    pub(crate) async fn sign_up_external(&self, input: NewUserFields, company: String) -> CoreResult<SignedUp> {
        let config = self.settings.vendor_config_in_force().await?;
        if !config.allow_signups {
            return Err(CoreError::Forbidden("Sign up is disabled".into()));
        }
        let input = NewUserFields { password: None, role_ids: None, vendor_metadata: None, ..input };
        let account = self.new_account(input, true).await?;
        self.create_with_new_tenant(account, company).await
    }

    /// Creates `account` as the first user of a new tenant named `company`, with the environment's default and
    /// first-user roles, in one transaction.
    async fn create_with_new_tenant(&self, account: Account, company: String) -> CoreResult<SignedUp> {
        let now = self.clock.now();
        let tenant = Tenant {
            profile: TenantProfile {
                creator_email: Some(account.user.email.clone()).filter(|e| !e.is_empty()),
                creator_name: account.user.name.clone(),
                ..Default::default()
            },
            ..Tenant::new(TenantId::generate(), company, now)
        };
        let tenant_id = tenant.tenant_id.clone();
        let role_ids = self.member_roles(&tenant_id, None, true).await?;
        let user = User { active_tenant_id: Some(tenant_id.clone()), ..account.user };
        let user = self
            .store
            .create_user(&NewUser {
                user,
                password_hash: account.password_hash,
                tenant_id: Some(tenant_id.clone()),
                role_ids,
                new_tenant: Some(tenant),
            })
            .await?;
        Ok(SignedUp { user, tenant_id, should_activate: false })
    }

    /// The new member a SCIM connection provisions in `tenant`: `input` through [`Self::new_account`] (the one
    /// rule for a new user; verified, since the identity provider vouches for it; no password), with the id of its
    /// directory record and the tenant's default roles. The caller stores it with the record in one transaction.
    pub(crate) async fn provisioned_member(
        &self,
        tenant: &TenantId,
        id: UserId,
        input: NewUserFields,
    ) -> CoreResult<NewUser> {
        let account = self.new_account(NewUserFields { password: None, role_ids: None, ..input }, true).await?;
        let role_ids = self.member_roles(tenant, None, false).await?;
        let user = User { id, active_tenant_id: Some(tenant.clone()), ..account.user };
        Ok(NewUser { user, password_hash: None, tenant_id: Some(tenant.clone()), role_ids, new_tenant: None })
    }

    /// Validates a new user's fields (email and/or username, password against the policy, phone number, picture
    /// URL, metadata, provider) and hashes the password: the one rule for every path that creates a user.
    async fn new_account(&self, input: NewUserFields, verified: bool) -> CoreResult<Account> {
        let bad = CoreError::BadRequest;
        let temporary_expires_at = match input.expiration_in_seconds {
            Some(secs) => Some(self.temporary_expiry(secs).await?),
            None => None,
        };
        match &input.vendor_metadata {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if s.is_empty() => {}
            Some(_) => return Err(bad("vendorMetadata is not supported".into())),
        }
        let email = optional_text(input.email.as_deref()).map(Email::parse).transpose().map_err(bad)?;
        let username = optional_text(input.username.as_deref()).map(Username::parse).transpose().map_err(bad)?;
        if email.is_none() && username.is_none() {
            return Err(bad("email or username is required".into()));
        }
        let provider = input.provider.as_deref().unwrap_or("local");
        if !PROVIDERS.contains(&provider) {
            return Err(bad(format!("provider must be one of {}", PROVIDERS.join(", "))));
        }
        let phone_number = optional_text(input.phone_number.as_deref()).map(str::to_owned);
        if let Some(p) = &phone_number {
            check_phone_number(p).map_err(bad)?;
        }
        let profile_picture_url =
            optional_text(input.profile_picture_url.as_deref()).map(picture_url).transpose().map_err(bad)?;
        // On creation the name is optional: blank means none (the login box sends `""` for an empty field).
        let name = optional_text(input.name.as_deref()).map(|n| display_name("name", n)).transpose().map_err(bad)?;
        if let Some(x) = &input.external_id {
            check_text("externalId", x, MAX_NAME).map_err(bad)?;
        }
        let metadata = input.metadata.as_ref().map(metadata_to_string).transpose().map_err(bad)?.flatten();
        let password_hash = match input.password.as_deref() {
            Some(p) => {
                self.settings.password_policy().await?.check(p).map_err(bad)?;
                Some(self.passwords.hash(p).await?)
            }
            None => None,
        };
        let now = self.clock.now();
        let user = User {
            name,
            username: username.map(Username::into_string),
            phone_number,
            profile_picture_url,
            metadata,
            external_id: input.external_id,
            provider: provider.to_owned(),
            verified,
            temporary_expires_at,
            ..User::new(email.as_ref().map(|e| e.as_str().to_owned()).unwrap_or_default(), now)
        };
        Ok(Account { user, password_hash })
    }

    /// Just-in-time provisioning of a user an identity provider vouched for (SSO): a new verified user without a
    /// password in `tenant`, or the existing user with that address, which joins `tenant` if it is not a member;
    /// either way `role_ids` are added there and `tenant` becomes its active tenant. Two first sign-ons racing
    /// for one address end with one user (the store's unique address; the loser takes the winner's account).
    pub(crate) async fn provision_external(
        &self,
        tenant: &TenantId,
        input: NewUserFields,
        role_ids: &[yolk_domain::RoleId],
    ) -> CoreResult<User> {
        let email = optional_text(input.email.as_deref())
            .ok_or_else(|| CoreError::BadRequest("the identity provider gave no email".into()))?
            .to_owned();
        let now = self.clock.now();
        for _ in 0..2 {
            match self.store.get_user_by_email(&email).await {
                Ok(user) => {
                    let memberships = self.store.memberships(&[user.id]).await?;
                    let Some(membership) =
                        memberships.get(&user.id).and_then(|ms| ms.iter().find(|m| &m.tenant_id == tenant))
                    else {
                        // Not a member yet: joins with the roles, and the tenant becomes its active one.
                        return Ok(self.store.set_active_tenant(user.id, tenant, None, role_ids, now).await?);
                    };
                    // A returning member (the common sign-on) writes only what changed.
                    let missing: Vec<yolk_domain::RoleId> =
                        role_ids.iter().filter(|id| !membership.roles.iter().any(|r| &r.id == *id)).cloned().collect();
                    if !missing.is_empty() {
                        self.store.assign_roles(user.id, tenant, &missing).await?;
                    }
                    if user.active_tenant_id.as_ref() == Some(tenant) {
                        return Ok(user);
                    }
                    return Ok(self.store.set_active_tenant(user.id, tenant, None, &[], now).await?);
                }
                Err(StoreError::NotFound(_)) => {}
                Err(e) => return Err(e.into()),
            }
            let account = self.new_account(input.clone(), true).await?;
            let new = NewUser {
                user: User { active_tenant_id: Some(tenant.clone()), ..account.user },
                password_hash: None,
                tenant_id: Some(tenant.clone()),
                role_ids: role_ids.to_vec(),
                new_tenant: None,
            };
            match self.store.create_user(&new).await {
                Ok(user) => return Ok(user),
                Err(StoreError::Conflict(_)) => continue,
                Err(e) => return Err(e.into()),
            }
        }
        Err(CoreError::ConflictWith("the account changed during sign-on: try again".into()))
    }

    /// `POST /vendor-only/users/v1/passwords/verify`: whether the password matches, under the lockout policy
    /// like a login (see [`crate::lockout`]). An unknown email, a user without a password, a wrong password and a
    /// locked user all answer `false` after the same hashing work.
    pub async fn verify_password(&self, _: &Environment, email: &str, password: &str) -> CoreResult<bool> {
        let ident = yolk_store::users::LoginIdentifier::Email(email.to_owned());
        let candidate = self.store.login_candidate(&ident).await?;
        Ok(self.password_check.check(candidate, password).await?.is_some())
    }
}
