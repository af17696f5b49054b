//! `GET /tenants/users/v1/statuses`: where each named user stands in each of its tenants.

use yolk_domain::{TenantId, User, UserId};
use yolk_store::PageRequest;
use yolk_store::users::UserQuery;

use super::UserService;
use crate::access::Environment;
use crate::{CoreError, CoreResult};

/// At most this many users per call (the spec's limit).
pub const MAX_STATUS_USERS: usize = 200;
/// At most this many tenant statuses per user (the spec's limit).
pub const MAX_STATUSES_PER_USER: usize = 2000;

/// A user's standing in one tenant (`TenantStatus.status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TenantUserStatus {
    /// Invited (an existing account), not yet accepted.
    PendingInvitation,
    /// The account was never activated (its address never proved).
    NotActivated,
    /// Activated, never logged in.
    PendingLogin,
    /// Activated and has logged in.
    Activated,
}

impl TenantUserStatus {
    /// The spec's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::PendingInvitation => "PendingInvitation",
            Self::NotActivated => "NotActivated",
            Self::PendingLogin => "PendingLogin",
            Self::Activated => "Activated",
        }
    }

    /// The status named `s`; 400 for another name.
    pub fn parse(s: &str) -> CoreResult<Self> {
        [Self::PendingInvitation, Self::NotActivated, Self::PendingLogin, Self::Activated]
            .into_iter()
            .find(|v| v.as_str() == s)
            .ok_or_else(|| {
                CoreError::BadRequest(
                    "userTenantStatuses must be PendingInvitation, PendingLogin, Activated or NotActivated".into(),
                )
            })
    }

    fn of(user: &User, pending: bool) -> Self {
        if pending {
            Self::PendingInvitation
        } else if !user.verified {
            Self::NotActivated
        } else if user.last_login.is_none() {
            Self::PendingLogin
        } else {
            Self::Activated
        }
    }
}

/// One user's statuses, tenant by tenant (oldest membership first).
#[derive(Debug, Clone)]
pub struct UserTenantStatuses {
    pub user_id: UserId,
    pub statuses: Vec<(TenantId, TenantUserStatus)>,
}

impl UserService {
    /// The statuses of the named users in their tenants (unknown ids are left out), only those in `only` when it
    /// is not empty. 400 for no id or more than [`MAX_STATUS_USERS`]. Two reads whatever the store's size: the
    /// users by id, then their memberships by user id.
    pub async fn tenant_statuses(
        &self,
        _: &Environment,
        ids: &[UserId],
        only: &[TenantUserStatus],
    ) -> CoreResult<Vec<UserTenantStatuses>> {
        if ids.is_empty() {
            return Err(CoreError::BadRequest("userIds is required".into()));
        }
        if ids.len() > MAX_STATUS_USERS {
            return Err(CoreError::BadRequest(format!("userIds may hold at most {MAX_STATUS_USERS} values")));
        }
        let page = PageRequest { limit: MAX_STATUS_USERS as u64, offset: 0 };
        let query = UserQuery { ids: Some(ids.to_vec()), include_invisible: true, ..UserQuery::all(page) };
        let (users, _) = self.store.list_users(&query).await?;
        let found: Vec<UserId> = users.iter().map(|u| u.id).collect();
        let mut memberships = self.store.memberships(&found).await?;
        let mut out = Vec::new();
        for id in ids {
            let Some(user) = users.iter().find(|u| u.id == *id) else { continue };
            if out.iter().any(|s: &UserTenantStatuses| s.user_id == *id) {
                continue;
            }
            let statuses = memberships
                .remove(id)
                .unwrap_or_default()
                .into_iter()
                .map(|m| (m.tenant_id, TenantUserStatus::of(user, m.pending)))
                .filter(|(_, s)| only.is_empty() || only.contains(s))
                .take(MAX_STATUSES_PER_USER)
                .collect();
            out.push(UserTenantStatuses { user_id: *id, statuses });
        }
        Ok(out)
    }
}
