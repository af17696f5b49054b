//! Tasks on users that Frontegg runs in the background (bulk invite, vendor bulk roles): yolk does the work in the
//! request and keeps the task's report, so its status route reads it.

use chrono::{DateTime, Utc};
use yolk_domain::TenantId;

use crate::StoreResult;

/// What a task does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TaskKind {
    /// `POST /users/bulk/v1/invite`.
    BulkInvite,
    /// `PATCH /vendor-only/users/v1/{userId}/roles/bulk`.
    BulkRoles,
}

impl TaskKind {
    /// The name in the store.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::BulkInvite => "bulk_invite",
            Self::BulkRoles => "bulk_roles",
        }
    }
}

/// A task and its report.
#[derive(Debug, Clone, PartialEq)]
pub struct Task {
    /// A random UUID, as text.
    pub id: String,
    /// The tenant the task works in: only a caller in that tenant reads it.
    pub tenant_id: TenantId,
    pub kind: TaskKind,
    /// `InProgress` while it runs, then `Completed` or `CompletedWithErrors`.
    pub status: String,
    /// The per-item results (JSON).
    pub report: serde_json::Value,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Tasks on users.
#[async_trait::async_trait]
pub trait TaskStore {
    /// Keeps a new task. `NotFound(Tenant)` when its tenant does not exist.
    async fn create_task(&self, task: &Task) -> StoreResult<()>;

    /// Sets a task's status and report. `NotFound(Task)` when it is gone (its tenant was deleted).
    async fn finish_task(
        &self,
        id: &str,
        status: &str,
        report: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;

    /// The task of `kind` with this id in `tenant`; `NotFound(Task)` for any other (another tenant's included).
    async fn get_task(&self, id: &str, kind: TaskKind, tenant: &TenantId) -> StoreResult<Task>;
}
