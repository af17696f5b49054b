//! `TaskStore`: tasks on users and their reports.

use chrono::{DateTime, Utc};
use yolk_domain::TenantId;
use yolk_store::{Entity, StoreError, StoreResult, Task, TaskKind, TaskStore};

use crate::SqlStore;
use crate::rows::{Arg, Decode, RowExt, missing, ms, touched};

impl Decode for Task {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        let kind = match r.text("kind")?.as_str() {
            "bulk_invite" => TaskKind::BulkInvite,
            "bulk_roles" => TaskKind::BulkRoles,
            _ => return Err(StoreError::Backend("bad task kind in store".into())),
        };
        let report = serde_json::from_str(&r.text("report")?)
            .map_err(|_| StoreError::Backend("bad task report in store".into()))?;
        Ok(Task {
            id: r.text("id")?,
            tenant_id: r.tenant_id("tenant_id")?,
            kind,
            status: r.text("status")?,
            report,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
        })
    }
}

fn json(v: &serde_json::Value) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

#[async_trait::async_trait]
impl TaskStore for SqlStore {
    async fn create_task(&self, task: &Task) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO user_tasks (id, tenant_id, kind, status, report, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(&task.id)
        .bind(task.tenant_id.as_str())
        .bind(task.kind.as_str())
        .bind(&task.status)
        .bind(json(&task.report)?)
        .bind(ms(task.created_at))
        .bind(ms(task.updated_at))
        .execute(&self.write)
        .await
        .map_err(missing(Entity::Tenant))?;
        Ok(())
    }

    async fn finish_task(
        &self,
        id: &str,
        status: &str,
        report: &serde_json::Value,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let result = sqlx::query("UPDATE user_tasks SET status = $1, report = $2, updated_at = $3 WHERE id = $4")
            .bind(status)
            .bind(json(report)?)
            .bind(ms(now))
            .bind(id)
            .execute(&self.write)
            .await;
        touched(result, Entity::Task)
    }

    async fn get_task(&self, id: &str, kind: TaskKind, tenant: &TenantId) -> StoreResult<Task> {
        let rows: Vec<Task> = self
            .fetch_bounded(
                "SELECT * FROM user_tasks WHERE id = $1 AND kind = $2 AND tenant_id = $3",
                &[Arg::from(id), Arg::from(kind.as_str()), Arg::from(tenant)],
            )
            .await?;
        rows.into_iter().next().ok_or(StoreError::NotFound(Entity::Task))
    }
}
