//! `TaskStore`: a task is read only by its id, kind and tenant; finishing stores the report; gone with its tenant.

use serde_json::json;
use yolk_store::{Entity, Task, TaskKind, TaskStore, TenantStore};

use crate::{Db, assert_not_found, at, tid};

contract!(tasks_are_read_in_their_tenant_and_kind_and_finished_with_a_report,);

async fn tasks_are_read_in_their_tenant_and_kind_and_finished_with_a_report(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let task = Task {
        id: "task-1".into(),
        tenant_id: tid("t1"),
        kind: TaskKind::BulkInvite,
        status: "InProgress".into(),
        report: json!({}),
        created_at: at(1),
        updated_at: at(1),
    };
    let mut orphan = task.clone();
    orphan.tenant_id = tid("missing");
    assert_not_found(db.create_task(&orphan).await, Entity::Tenant);
    db.create_task(&task).await.unwrap();
    assert_eq!(db.get_task("task-1", TaskKind::BulkInvite, &tid("t1")).await.unwrap(), task);
    assert_not_found(db.get_task("task-1", TaskKind::BulkInvite, &tid("t2")).await, Entity::Task);
    assert_not_found(db.get_task("task-1", TaskKind::BulkRoles, &tid("t1")).await, Entity::Task);
    assert_not_found(db.get_task("nope", TaskKind::BulkInvite, &tid("t1")).await, Entity::Task);

    let report = json!({"succeeded": [{"email": "a@x.io"}], "failed": []});
    db.finish_task("task-1", "Completed", &report, at(2)).await.unwrap();
    let done = db.get_task("task-1", TaskKind::BulkInvite, &tid("t1")).await.unwrap();
    assert_eq!(
        (done.status.as_str(), &done.report, done.created_at, done.updated_at),
        ("Completed", &report, at(1), at(2))
    );
    assert_not_found(db.finish_task("nope", "Completed", &report, at(2)).await, Entity::Task);

    db.delete_tenant(&tid("t1"), at(3)).await.unwrap();
    assert_not_found(db.get_task("task-1", TaskKind::BulkInvite, &tid("t1")).await, Entity::Task);
}
