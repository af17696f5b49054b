//! `TenantStore`: uniqueness, read-modify-write, hierarchy and cascading deletion.

use std::sync::Arc;

use yolk_domain::{Tenant, User};
use yolk_store::tenants::{TenantQuery, TenantSort};
use yolk_store::users::NewUser;
use yolk_store::{
    Constraint, Entity, MembershipStore, PageRequest, RoleStore, SessionStore, SettingsStore, StoreError, TenantStore,
    UserStore,
};
use yolk_store_sql::SqlStore;

use crate::{Db, assert_conflict, assert_not_found, at, new_user, race, set, tenant, tid};

contract!(
    tenant_ids_and_aliases_are_unique,
    tenant_lists_filter_sort_and_page,
    tenant_update_is_a_transaction,
    concurrent_tenant_updates_keep_both_changes,
    deleting_a_tenant_cascades_memberships_and_revokes_its_sessions,
    tenant_hierarchy_refuses_cycles_and_walks_both_ways,
    deleting_a_parent_moves_children_up_and_deletes_sole_members,
    tenant_writes_stamp_the_given_time,
);

fn ids(tenants: Vec<Tenant>) -> Vec<String> {
    tenants.into_iter().map(|t| t.tenant_id.into_string()).collect()
}

async fn tenant_ids_and_aliases_are_unique(db: Db) {
    db.create_tenant(&tenant("t1")).await.unwrap();
    assert_conflict(db.create_tenant(&tenant("t1")).await, Constraint::TenantId);
    let a = Tenant { alias: Some("acme".into()), ..tenant("t2") };
    db.create_tenant(&a).await.unwrap();
    let b = Tenant { alias: Some("acme".into()), ..tenant("t3") };
    assert_conflict(db.create_tenant(&b).await, Constraint::TenantAlias);
    assert_eq!(db.get_tenant_by_alias("acme").await.unwrap().tenant_id, "t2");
    // Unaliased tenants do not clash with each other.
    db.create_tenant(&tenant("t4")).await.unwrap();
    let (all, total) = db.list_tenants(&TenantQuery::default()).await.unwrap();
    assert_eq!((ids(all), total), (vec!["t1".to_owned(), "t2".to_owned(), "t4".to_owned()], 3));
    // Taking an alias by update clashes too, and changes nothing.
    let taken = db.update_tenant(&tid("t4"), set(|t: &mut Tenant| t.alias = Some("acme".into())), at(1)).await;
    assert_conflict(taken, Constraint::TenantAlias);
    assert_eq!(db.get_tenant(&tid("t4")).await.unwrap().alias, None);
    assert_not_found(db.get_tenant(&tid("nope")).await, Entity::Tenant);
    assert_not_found(db.get_tenant_by_alias("nope").await, Entity::Tenant);
    let orphan = Tenant { parent_tenant_id: Some(tid("nope")), ..tenant("t5") };
    assert_not_found(db.create_tenant(&orphan).await, Entity::ParentTenant);
    assert_not_found(db.get_tenant(&tid("t5")).await, Entity::Tenant);
}

async fn tenant_lists_filter_sort_and_page(db: Db) {
    for (i, (id, name)) in [("acme", "Acme Corp"), ("beta", "beta_50%"), ("gamma", "Gamma 500"), ("delta", "alpha")]
        .into_iter()
        .enumerate()
    {
        db.create_tenant(&Tenant { created_at: at(i as i64), ..Tenant::new(tid(id), name, at(0)) }).await.unwrap();
    }
    let list = |q: TenantQuery| {
        let store = db.store.clone();
        async move {
            let (tenants, total) = store.list_tenants(&q).await.unwrap();
            (ids(tenants), total)
        }
    };
    let all = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    assert_eq!(list(TenantQuery::default()).await, (all(&["acme", "beta", "gamma", "delta"]), 4), "by creation");
    let by_name = TenantQuery { sort: TenantSort::Name, ..TenantQuery::default() };
    assert_eq!(list(by_name).await.0, ["acme", "delta", "beta", "gamma"], "case-insensitively");
    let by_id = TenantQuery { sort: TenantSort::TenantId, descending: true, ..TenantQuery::default() };
    assert_eq!(list(by_id).await.0, ["gamma", "delta", "beta", "acme"]);
    let page = TenantQuery { page: Some(PageRequest { limit: 2, offset: 1 }), ..TenantQuery::default() };
    assert_eq!(list(page).await, (all(&["beta", "gamma"]), 4), "the total is before paging");
    let filter = |f: &str| TenantQuery { filter: Some(f.to_owned()), ..TenantQuery::default() };
    assert_eq!(list(filter("ACME")).await, (all(&["acme"]), 1), "name or id, case-insensitively");
    assert_eq!(list(filter("ELT")).await.0, ["delta"]);
    assert_eq!(list(filter("50%")).await.0, ["beta"], "wildcards match themselves");
    assert_eq!(list(filter("a_5")).await.0, ["beta"]);
    let some = TenantQuery { tenant_ids: Some(vec![tid("gamma"), tid("acme"), tid("nope")]), ..filter("a") };
    assert_eq!(list(some).await, (all(&["acme", "gamma"]), 2));
    assert_eq!(list(TenantQuery { tenant_ids: Some(vec![]), ..TenantQuery::default() }).await, (vec![], 0));
}

async fn tenant_update_is_a_transaction(db: Db) {
    db.tenants(&["parent", "t1"]).await;
    db.set_tenant_parent(&tid("t1"), Some(&tid("parent")), at(1)).await.unwrap();
    let t1 = tid("t1");
    let refused = db.update_tenant(
        &t1,
        Box::new(|t| {
            t.name = "changed".into();
            Err(StoreError::Invalid("no".into()))
        }),
        at(2),
    );
    assert!(matches!(refused.await, Err(StoreError::Invalid(m)) if m == "no"));
    assert_eq!(db.get_tenant(&tid("t1")).await.unwrap().name, "Tenant t1", "a refused mutation writes nothing");
    // The hierarchy only changes through `set_tenant_parent`: a mutation's parent change is ignored.
    let updated = db.update_tenant(&tid("t1"), set(|t: &mut Tenant| t.parent_tenant_id = None), at(3)).await.unwrap();
    assert_eq!(updated.parent_tenant_id, Some(tid("parent")));
    assert_eq!(db.get_tenant(&tid("t1")).await.unwrap().parent_tenant_id, Some(tid("parent")));
    assert_not_found(db.update_tenant(&tid("nope"), set(|_: &mut Tenant| ()), at(4)).await, Entity::Tenant);
    // Many concurrent read-modify-writes lose nothing.
    let mut tasks = Vec::new();
    for i in 0..10 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            let add_key = Box::new(move |t: &mut Tenant| {
                let mut m: serde_json::Map<String, serde_json::Value> =
                    t.metadata.as_deref().map(|s| serde_json::from_str(s).unwrap()).unwrap_or_default();
                m.insert(format!("k{i}"), i.into());
                t.metadata = Some(serde_json::Value::Object(m).to_string());
                Ok(())
            });
            store.update_tenant(&tid("t1"), add_key, at(5)).await.unwrap();
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    let meta: serde_json::Value =
        serde_json::from_str(&db.get_tenant(&tid("t1")).await.unwrap().metadata.unwrap()).unwrap();
    assert_eq!(meta.as_object().unwrap().len(), 10, "{meta}");
}

async fn concurrent_tenant_updates_keep_both_changes(db: Db) {
    db.tenants(&["t1"]).await;
    let update = |store: Arc<SqlStore>, change| async move { store.update_tenant(&tid("t1"), change, at(1)).await };
    race(&db, update, |t: &mut Tenant| t.name = "Renamed".into(), |t: &mut Tenant| t.is_reseller = true).await;
    let t = db.get_tenant(&tid("t1")).await.unwrap();
    assert_eq!(t.name, "Renamed", "update_tenant lost the concurrent name change");
    assert!(t.is_reseller, "update_tenant lost the concurrent is_reseller change");
}

async fn deleting_a_tenant_cascades_memberships_and_revokes_its_sessions(db: Db) {
    db.tenants(&["t1", "t2", "t10"]).await;
    let r = db.role("tenant-role", Some("t1"), &[]).await;
    let u = db.user_in("a@x.io", "t1", &[r.id]).await;
    db.add_membership(u.id, &tid("t2"), &[], at(1)).await.unwrap();
    db.update_user(u.id, set(|u: &mut User| u.active_tenant_id = Some(tid("t1"))), at(1)).await.unwrap();
    db.session(u.id, "t1", "h1").await;
    db.session(u.id, "t2", "h2").await;
    for key in ["policy:t1", "policy:t10", "vendor"] {
        db.update_setting(
            key,
            set(|v: &mut Option<serde_json::Value>| *v = Some(serde_json::json!({"set": true}))),
            at(1),
        )
        .await
        .unwrap();
    }
    db.delete_tenant(&tid("t1"), at(2)).await.unwrap();
    assert_not_found(db.get_tenant(&tid("t1")).await, Entity::Tenant);
    assert_eq!(db.member_of(u.id).await, ["t2"], "other members just lose the membership");
    assert_eq!(db.get_user(u.id).await.unwrap().active_tenant_id, None, "and it as their active tenant");
    assert_not_found(db.get_role(r.id).await, Entity::Role);
    db.assert_revoked("h1").await;
    db.assert_live("h2").await;
    assert_eq!(db.get_setting("policy:t1").await.unwrap(), None, "its settings documents go");
    assert!(db.get_setting("policy:t10").await.unwrap().is_some(), "another tenant's documents stay");
    assert!(db.get_setting("vendor").await.unwrap().is_some());
    assert_not_found(db.delete_tenant(&tid("t1"), at(3)).await, Entity::Tenant);
}

async fn tenant_hierarchy_refuses_cycles_and_walks_both_ways(db: Db) {
    db.tenants(&["root", "mid", "leaf", "other"]).await;
    db.set_tenant_parent(&tid("mid"), Some(&tid("root")), at(1)).await.unwrap();
    db.set_tenant_parent(&tid("leaf"), Some(&tid("mid")), at(1)).await.unwrap();
    assert_eq!(ids(db.ancestor_tenants(&tid("leaf")).await.unwrap()), ["mid", "root"], "nearest first");
    let below = db.descendant_tenants(&tid("root")).await.unwrap();
    let children: Vec<String> =
        ids(below.iter().filter(|t| t.parent_tenant_id == Some(tid("root"))).cloned().collect());
    assert_eq!(children, ["mid"]);
    let mut below = ids(below);
    below.sort();
    assert_eq!(below, ["leaf", "mid"]);
    assert_eq!(ids(db.descendant_tenants(&tid("mid")).await.unwrap()), ["leaf"]);
    assert!(db.descendant_tenants(&tid("other")).await.unwrap().is_empty());
    // A tenant cannot become its own ancestor, directly or through a chain; nothing changes.
    assert!(matches!(db.set_tenant_parent(&tid("root"), Some(&tid("leaf")), at(2)).await, Err(StoreError::Invalid(_))));
    assert!(matches!(db.set_tenant_parent(&tid("root"), Some(&tid("root")), at(2)).await, Err(StoreError::Invalid(_))));
    assert_eq!(db.get_tenant(&tid("root")).await.unwrap().parent_tenant_id, None);
    let unknown_parent = db.set_tenant_parent(&tid("leaf"), Some(&tid("nope")), at(2)).await;
    assert_not_found(unknown_parent, Entity::ParentTenant);
    assert_not_found(db.set_tenant_parent(&tid("nope"), Some(&tid("root")), at(2)).await, Entity::Tenant);
    assert_not_found(db.ancestor_tenants(&tid("nope")).await, Entity::Tenant);
    assert_eq!(db.get_tenant(&tid("leaf")).await.unwrap().parent_tenant_id, Some(tid("mid")));
    db.set_tenant_parent(&tid("leaf"), None, at(3)).await.unwrap();
    assert!(db.ancestor_tenants(&tid("leaf")).await.unwrap().is_empty());
}

async fn deleting_a_parent_moves_children_up_and_deletes_sole_members(db: Db) {
    db.tenants(&["root", "mid", "leaf"]).await;
    db.set_tenant_parent(&tid("mid"), Some(&tid("root")), at(1)).await.unwrap();
    db.set_tenant_parent(&tid("leaf"), Some(&tid("mid")), at(1)).await.unwrap();
    let only_mid = db.user_in("a@x.io", "mid", &[]).await;
    let both = db.user_in("b@x.io", "mid", &[]).await;
    db.add_membership(both.id, &tid("leaf"), &[], at(1)).await.unwrap();
    db.session(only_mid.id, "mid", "h1").await;
    db.delete_tenant(&tid("mid"), at(2)).await.unwrap();
    assert_eq!(db.get_tenant(&tid("leaf")).await.unwrap().parent_tenant_id, Some(tid("root")));
    assert_not_found(db.get_user(only_mid.id).await, Entity::User);
    assert_eq!(db.session_by_refresh_token("h1", at(1)).await.unwrap(), None);
    assert_eq!(db.member_of(both.id).await, ["leaf"]);
    // Deleting a root makes its children roots.
    db.delete_tenant(&tid("root"), at(3)).await.unwrap();
    assert_eq!(db.get_tenant(&tid("leaf")).await.unwrap().parent_tenant_id, None);
}

async fn tenant_writes_stamp_the_given_time(db: Db) {
    db.tenants(&["parent", "t1"]).await;
    let created = db.get_tenant(&tid("t1")).await.unwrap();
    assert_eq!((created.created_at, created.updated_at), (at(0), at(0)), "creation keeps the tenant's times");
    let updated = db.update_tenant(&tid("t1"), set(|t: &mut Tenant| t.name = "New".into()), at(10)).await.unwrap();
    assert_eq!((updated.created_at, updated.updated_at), (at(0), at(10)));
    assert_eq!(db.get_tenant(&tid("t1")).await.unwrap().updated_at, at(10));
    let moved = db.set_tenant_parent(&tid("t1"), Some(&tid("parent")), at(20)).await.unwrap();
    assert_eq!(moved.updated_at, at(20));
    assert_eq!(db.get_tenant(&tid("t1")).await.unwrap().updated_at, at(20));
    db.delete_tenant(&tid("parent"), at(30)).await.unwrap();
    let orphan = db.get_tenant(&tid("t1")).await.unwrap();
    assert_eq!((orphan.parent_tenant_id, orphan.updated_at), (None, at(30)), "moving children up stamps them");
    // Creating a tenant through a user (sign-up) keeps the given times too.
    let founder = NewUser { new_tenant: Some(tenant("t2")), ..new_user("f@x.io", Some("t2"), &[]) };
    db.create_user(&founder).await.unwrap();
    assert_eq!(db.get_tenant(&tid("t2")).await.unwrap().created_at, at(0));
}
