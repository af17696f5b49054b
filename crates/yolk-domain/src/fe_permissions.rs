//! Frontegg's own permission keys: the vocabulary a tenant admin's user token must carry for each self-service
//! management action. One list, in one place; each key is also a type, so an authorization check names the
//! permission it grants at compile time (`scope.require::<WriteUsers>()` in a handler, `Permit<WriteUsers>` in the
//! service signature).
//!
//! Keys are matched exactly. A key starting with `fe.` is Frontegg-defined ([`is_frontegg_key`]); such keys are
//! shown with `fePermission: true`.

/// A Frontegg permission key as a type.
pub trait FePermission: Send + Sync + 'static {
    /// The key as it appears in tokens.
    const KEY: &'static str;
}

macro_rules! fe_permissions {
    ($($(#[$doc:meta])* $name:ident => $key:literal,)*) => {
        $(
            $(#[$doc])*
            #[derive(Debug, Clone, Copy)]
            pub struct $name;
            impl FePermission for $name {
                const KEY: &'static str = $key;
            }
        )*
        /// Every Frontegg permission key yolk checks.
        pub const ALL: &[&str] = &[$($key),*];
    };
}

fe_permissions! {
    /// View the users of the tenant.
    ReadUsers => "fe.secure.read.users",
    /// Add users to the tenant and change them.
    WriteUsers => "fe.secure.write.users",
    /// Remove users from the tenant.
    DeleteUsers => "fe.secure.delete.users",
    /// Assign roles to the tenant's users.
    WriteUsersRoles => "fe.secure.write.usersRoles",
    /// Unassign roles from the tenant's users.
    DeleteUsersRoles => "fe.secure.delete.usersRoles",
    /// Enable or disable users in the tenant.
    EnableDisableUsers => "fe.secure.write.enableDisable",
    /// View the roles the tenant can use.
    ReadRoles => "fe.secure.read.roles",
    /// Create the tenant's own roles.
    WriteRoles => "fe.secure.write.roles",
    /// View the account's settings.
    ReadAccountSettings => "fe.account-settings.read",
    /// Change the account's settings.
    WriteAccountSettings => "fe.account-settings.write",
    /// Delete the account itself.
    DeleteAccount => "fe.account-settings.delete.account",
    /// View the account's sub-accounts and hierarchy.
    ReadSubAccounts => "fe.account-hierarchy.read.subAccount",
    /// Create and configure sub-accounts.
    WriteSubAccounts => "fe.account-hierarchy.write.subAccount",
    /// Delete sub-accounts.
    DeleteSubAccounts => "fe.account-hierarchy.delete.subAccount",
    /// View one's own invitation link into the tenant.
    ReadTenantInvites => "fe.secure.read.tenantInvites",
    /// Create and change one's own invitation link into the tenant.
    WriteTenantInvites => "fe.secure.write.tenantInvites",
    /// Delete one's own invitation link into the tenant.
    DeleteTenantInvites => "fe.secure.delete.tenantInvites",
    /// View the tenant's SSO configurations (SAML and OIDC), their domains, default roles and group mappings.
    ReadSso => "fe.secure.read.samlConfig",
    /// Create, change and delete the tenant's SSO configurations, domains, default roles and group mappings.
    WriteSso => "fe.secure.write.samlConfig",
}

/// Whether `key` is one of Frontegg's own permission keys (the `fe.` namespace), rendered as `fePermission`.
pub fn is_frontegg_key(key: &str) -> bool {
    key.starts_with("fe.")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_key_is_in_the_frontegg_namespace_and_unique() {
        let mut keys = ALL.to_vec();
        keys.sort_unstable();
        keys.dedup();
        assert_eq!(keys.len(), ALL.len());
        assert!(ALL.iter().all(|k| is_frontegg_key(k)));
        assert_eq!(WriteUsers::KEY, "fe.secure.write.users");
    }
}
