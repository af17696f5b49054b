//! Bulk invite (`POST /users/bulk/v1/invite`, `GET /users/bulk/v1/status/{id}`): each user goes through the single
//! invite ([`Activation::invite`]: the same rules, roles check, pending membership for an existing account and
//! emails), one after another; the task keeps a per-user report that the status route reads.
//!
//! The work runs in its own tokio task that the request awaits: the answer normally carries the finished report,
//! and a request that times out or is dropped does not stop the work half-way (the report still gets written).

use serde_json::{Value, json};
use uuid::Uuid;
use yolk_api_types::users::BulkInviteUser;
use yolk_domain::fe_permissions::{ReadUsers, WriteUsers};
use yolk_store::{Task, TaskKind};

use crate::access::Permit;
use crate::activation::Activation;
use crate::{CoreError, CoreResult};

/// At most this many users per bulk invite (Frontegg's limit).
pub const MAX_BULK_INVITE: usize = 1000;

/// A task's status while its work runs (the spec's task statuses, as `BulkRolesTaskStatusResponseDto` names them).
pub const IN_PROGRESS: &str = "InProgress";
/// A task's status once every user succeeded.
pub const COMPLETED: &str = "Completed";
/// A task's status once done, when some users failed.
pub const COMPLETED_WITH_ERRORS: &str = "CompletedWithErrors";

impl Activation {
    /// Invites every user of `users` into the tenant in scope as [`Activation::invite`] would, and answers the
    /// task with its report: `{"total", "succeeded": [{index, email, username, userId}], "failed": [{index,
    /// email, username, reason}]}`. One user's failure does not stop the others. 400 for no user or more than
    /// [`MAX_BULK_INVITE`]; `NotFound(Tenant)` for an unknown tenant.
    pub async fn bulk_invite(&self, permit: &Permit<WriteUsers>, users: Vec<BulkInviteUser>) -> CoreResult<Task> {
        let tenant = permit.tenant()?.clone();
        if users.is_empty() {
            return Err(CoreError::BadRequest("users must not be empty".into()));
        }
        if users.len() > MAX_BULK_INVITE {
            return Err(CoreError::BadRequest(format!("users must have at most {MAX_BULK_INVITE} entries")));
        }
        let now = self.clock.now();
        let task = Task {
            id: Uuid::new_v4().to_string(),
            tenant_id: tenant.clone(),
            kind: TaskKind::BulkInvite,
            status: IN_PROGRESS.to_owned(),
            report: json!({"total": users.len(), "succeeded": [], "failed": []}),
            created_at: now,
            updated_at: now,
        };
        self.store.create_task(&task).await?;
        let (this, permit, id) = (self.clone(), permit.clone(), task.id.clone());
        let work = tokio::spawn(async move { this.run_bulk_invite(&permit, &id, users).await });
        match work.await {
            Ok(result) => result?,
            Err(e) => return Err(CoreError::Internal(format!("bulk invite task failed: {e}"))),
        }
        Ok(self.store.get_task(&task.id, TaskKind::BulkInvite, &tenant).await?)
    }

    async fn run_bulk_invite(
        &self,
        permit: &Permit<WriteUsers>,
        id: &str,
        users: Vec<BulkInviteUser>,
    ) -> CoreResult<()> {
        let total = users.len();
        let (mut succeeded, mut failed) = (Vec::new(), Vec::new());
        for (index, entry) in users.into_iter().enumerate() {
            let who = json!({
                "index": index,
                "email": entry.user.email.clone(),
                "username": entry.user.username.clone(),
            });
            match self.invite_entry(permit, entry).await {
                Ok(user_id) => succeeded.push(with(who, "userId", Value::String(user_id))),
                Err(e) => {
                    if let CoreError::Internal(m) = &e {
                        tracing::error!(error = %m, "bulk invite: a user failed");
                    }
                    failed.push(with(who, "reason", Value::String(e.client_message())));
                }
            }
        }
        let status = if failed.is_empty() { COMPLETED } else { COMPLETED_WITH_ERRORS };
        let report = json!({"total": total, "succeeded": succeeded, "failed": failed});
        self.store.finish_task(id, status, &report, self.clock.now()).await?;
        Ok(())
    }

    async fn invite_entry(&self, permit: &Permit<WriteUsers>, entry: BulkInviteUser) -> CoreResult<String> {
        if entry.verified == Some(true) {
            return Err(CoreError::BadRequest(
                "verified is not supported by a bulk invite: an invited user activates through its email".into(),
            ));
        }
        let skip_email = entry.skip_invite_email.unwrap_or(false);
        let view = self.invite(permit, entry.user, skip_email).await?;
        Ok(view.user.id.to_string())
    }

    /// The bulk invite task `id` of the tenant in scope; `NotFound(Task)` for any other (another tenant's included).
    pub async fn bulk_invite_status(&self, permit: &Permit<ReadUsers>, id: &str) -> CoreResult<Task> {
        let tenant = permit.tenant()?;
        Ok(self.store.get_task(id, TaskKind::BulkInvite, tenant).await?)
    }
}

fn with(mut item: Value, key: &str, value: Value) -> Value {
    if let Some(map) = item.as_object_mut() {
        map.insert(key.to_owned(), value);
    }
    item
}
