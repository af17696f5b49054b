//! `ScimStore`: connections by id and token hash, scoped to their tenant; records scoped to their connection;
//! members written with their record in one transaction; `active` follows to the membership; filters as SQL;
//! the maintained user count; deletions (with `deleteAll`) and the tenant's deletion take everything.

use serde_json::json;
use yolk_domain::UserId;
use yolk_store::scim::{
    ScimAttr, ScimConnection, ScimConnectionQuery, ScimFilter, ScimGroup, ScimOp, ScimStore, ScimUser, ScimValue,
};
use yolk_store::users::NewUser;
use yolk_store::{Constraint, Entity, MembershipStore, PageRequest, TenantStore, UserStore};

use crate::{Db, assert_conflict, assert_not_found, at, tid, user};

contract!(
    connections_are_found_by_id_and_token_in_their_tenant,
    users_are_scoped_to_their_connection_and_members_follow_them,
    filters_run_as_sql_with_pages_and_totals,
    groups_keep_members_of_their_connection_only,
    deleting_a_connection_with_delete_all_removes_its_members,
);

fn conn(id: &str, tenant: &str, sync: bool) -> ScimConnection {
    ScimConnection {
        id: id.into(),
        tenant_id: tid(tenant),
        connection_name: format!("conn {id}"),
        source: "okta".into(),
        sync_to_user_management: sync,
        users_count: 0,
        last_sync: None,
        created_at: at(1),
        updated_at: at(1),
    }
}

fn record(connection: &str, user_name: &str, email: &str, secs: i64) -> ScimUser {
    ScimUser {
        id: UserId::new(),
        connection_id: connection.into(),
        user_name: user_name.into(),
        external_id: Some(format!("ext-{user_name}")),
        display_name: Some(user_name.to_uppercase()),
        email: Some(email.into()),
        active: true,
        member: false,
        resource: json!({"userName": user_name, "emails": [{"value": email}]}),
        created_at: at(secs),
        updated_at: at(secs),
    }
}

fn member_of(r: &ScimUser, tenant: &str) -> NewUser {
    let mut u = user(r.email.as_deref().unwrap());
    u.id = r.id;
    NewUser { user: u, password_hash: None, tenant_id: Some(tid(tenant)), role_ids: vec![], new_tenant: None }
}

async fn member(db: &Db, c: &str, tenant: &str, name: &str, secs: i64) -> ScimUser {
    let mut r = record(c, name, &format!("{name}@x.io"), secs);
    r.member = true;
    db.create_scim_user(&r, Some(&member_of(&r, tenant)), at(secs)).await.unwrap()
}

fn page(limit: u64, offset: u64) -> PageRequest {
    PageRequest { limit, offset }
}

async fn connections_are_found_by_id_and_token_in_their_tenant(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    assert_not_found(db.create_scim_connection(&conn("c0", "missing", true), "h0").await, Entity::Tenant);
    db.create_scim_connection(&conn("c1", "t1", true), "hash-1").await.unwrap();
    let mut c2 = conn("c2", "t2", false);
    c2.created_at = at(2);
    c2.updated_at = at(2);
    db.create_scim_connection(&c2, "hash-2").await.unwrap();
    assert_eq!(db.get_scim_connection("c1", None).await.unwrap(), conn("c1", "t1", true));
    assert_eq!(db.get_scim_connection("c1", Some(&tid("t1"))).await.unwrap().id, "c1");
    assert_not_found(db.get_scim_connection("c1", Some(&tid("t2"))).await, Entity::ScimConnection);
    assert_eq!(db.scim_connection_by_token("hash-2").await.unwrap().id, "c2");
    assert_not_found(db.scim_connection_by_token("hash-3").await, Entity::ScimConnection);
    let all = db.list_scim_connections(&ScimConnectionQuery::default()).await.unwrap();
    assert_eq!(all.iter().map(|c| c.id.as_str()).collect::<Vec<_>>(), ["c1", "c2"]);
    let q = ScimConnectionQuery { tenant_id: Some(tid("t2")), ..Default::default() };
    assert_eq!(db.list_scim_connections(&q).await.unwrap().len(), 1);
    let q = ScimConnectionQuery { source: Some("okta".into()), id: Some("c1".into()), ..Default::default() };
    assert_eq!(db.list_scim_connections(&q).await.unwrap()[0].id, "c1");

    assert_not_found(db.set_scim_connection_sync("c1", Some(&tid("t2")), false, at(3)).await, Entity::ScimConnection);
    db.set_scim_connection_sync("c1", Some(&tid("t1")), false, at(3)).await.unwrap();
    assert!(!db.get_scim_connection("c1", None).await.unwrap().sync_to_user_management);
    assert_not_found(db.delete_scim_connection("c1", Some(&tid("t2")), false, at(4)).await, Entity::ScimConnection);
    db.delete_scim_connection("c1", None, false, at(4)).await.unwrap();
    assert_not_found(db.scim_connection_by_token("hash-1").await, Entity::ScimConnection);
    // A tenant's deletion takes its connections and their records.
    member(&db, "c2", "t2", "ann", 5).await;
    db.delete_tenant(&tid("t2"), at(6)).await.unwrap();
    assert_not_found(db.get_scim_connection("c2", None).await, Entity::ScimConnection);
    assert_eq!(db.maintained_counts_drift().await.unwrap(), Vec::<String>::new());
}

async fn users_are_scoped_to_their_connection_and_members_follow_them(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    db.create_scim_connection(&conn("c1", "t1", true), "h1").await.unwrap();
    db.create_scim_connection(&conn("c2", "t2", true), "h2").await.unwrap();
    let ann = member(&db, "c1", "t1", "ann", 2).await;
    assert_eq!(db.member_of(ann.id).await, ["t1"]);
    assert_eq!(db.get_user(ann.id).await.unwrap().email, "ann@x.io");
    assert_eq!(db.get_scim_user("c1", ann.id).await.unwrap(), ann);
    assert_not_found(db.get_scim_user("c2", ann.id).await, Entity::ScimUser);
    // userName is unique per connection, case-insensitively; another connection may reuse it.
    let dup = record("c1", "ANN", "other@x.io", 3);
    assert_conflict(db.create_scim_user(&dup, None, at(3)).await, Constraint::ScimUserName);
    db.create_scim_user(&record("c2", "ann", "ann2@x.io", 3), None, at(3)).await.unwrap();
    // A member whose email is taken: nothing is kept (the record neither).
    let mut clash = record("c1", "bob", "ann@x.io", 4);
    clash.member = true;
    assert_conflict(db.create_scim_user(&clash, Some(&member_of(&clash, "t1")), at(4)).await, Constraint::UserEmail);
    assert_not_found(db.get_scim_user("c1", clash.id).await, Entity::ScimUser);
    assert_eq!(db.get_scim_connection("c1", None).await.unwrap().users_count, 1);
    assert_not_found(db.create_scim_user(&record("gone", "x", "x@x.io", 4), None, at(4)).await, Entity::ScimConnection);

    // Deactivating disables the membership (and revokes its sessions); activating enables it.
    db.session(ann.id, "t1", "ann-session").await;
    let off = db
        .update_scim_user(
            "c1",
            ann.id,
            Box::new(|u| {
                u.active = false;
                Ok(())
            }),
            at(5),
        )
        .await
        .unwrap();
    assert!(!off.active);
    assert!(off.member, "the mutation cannot change what the store owns");
    let m = db.memberships(&[ann.id]).await.unwrap().remove(&ann.id).unwrap();
    assert!(m[0].disabled);
    db.assert_revoked("ann-session").await;
    db.update_scim_user(
        "c1",
        ann.id,
        Box::new(|u| {
            u.active = true;
            u.display_name = Some("Ann Lee".into());
            Ok(())
        }),
        at(6),
    )
    .await
    .unwrap();
    let m = db.memberships(&[ann.id]).await.unwrap().remove(&ann.id).unwrap();
    assert!(!m[0].disabled);
    assert_eq!(db.get_user(ann.id).await.unwrap().name.as_deref(), Some("Ann Lee"));
    // Another connection cannot change or delete it.
    assert_not_found(db.update_scim_user("c2", ann.id, Box::new(|_| Ok(())), at(7)).await, Entity::ScimUser);
    assert_not_found(db.delete_scim_user("c2", ann.id, at(7)).await, Entity::ScimUser);
    // A rename onto a taken userName changes nothing.
    let bob = member(&db, "c1", "t1", "bob", 8).await;
    let clash = db
        .update_scim_user(
            "c1",
            bob.id,
            Box::new(|u| {
                u.user_name = "Ann".into();
                Ok(())
            }),
            at(9),
        )
        .await;
    assert_conflict(clash, Constraint::ScimUserName);
    assert_eq!(db.get_scim_user("c1", bob.id).await.unwrap().user_name, "bob");

    // Deleting the record removes the member (its last tenant: the user goes).
    db.delete_scim_user("c1", ann.id, at(10)).await.unwrap();
    assert_not_found(db.get_user(ann.id).await, Entity::User);
    assert_eq!(db.get_scim_connection("c1", None).await.unwrap().users_count, 1);
    // Provisioned inactive: a disabled member from the start.
    let mut eve = record("c1", "eve", "eve@x.io", 11);
    eve.member = true;
    eve.active = false;
    db.create_scim_user(&eve, Some(&member_of(&eve, "t1")), at(11)).await.unwrap();
    assert!(db.memberships(&[eve.id]).await.unwrap().remove(&eve.id).unwrap()[0].disabled);
    assert_eq!(db.maintained_counts_drift().await.unwrap(), Vec::<String>::new());
}

async fn filters_run_as_sql_with_pages_and_totals(db: Db) {
    db.tenants(&["t1"]).await;
    db.create_scim_connection(&conn("c1", "t1", false), "h1").await.unwrap();
    db.create_scim_connection(&conn("c2", "t1", false), "h2").await.unwrap();
    for (i, n) in ["ann", "bob", "carl", "dana_x", "dan%"].iter().enumerate() {
        db.create_scim_user(&record("c1", n, &format!("{n}@Acme.io"), i as i64 + 1), None, at(10)).await.unwrap();
    }
    db.create_scim_user(&record("c2", "ann", "ann@acme.io", 1), None, at(10)).await.unwrap();
    let cmp = |attr, op, v: &str| ScimFilter::Compare { attr, op, value: ScimValue::Str(v.into()) };
    let names = |r: &(Vec<ScimUser>, u64)| r.0.iter().map(|u| u.user_name.clone()).collect::<Vec<_>>();
    let all = db.list_scim_users("c1", None, page(2, 1)).await.unwrap();
    assert_eq!(names(&all), ["bob", "carl"]);
    assert_eq!(all.1, 5, "the maintained count");
    let f = cmp(ScimAttr::UserName, ScimOp::Eq, "BOB");
    assert_eq!(names(&db.list_scim_users("c1", Some(&f), page(10, 0)).await.unwrap()), ["bob"]);
    let f = cmp(ScimAttr::Email, ScimOp::Eq, "carl@acme.io");
    assert_eq!(names(&db.list_scim_users("c1", Some(&f), page(10, 0)).await.unwrap()), ["carl"]);
    let f = cmp(ScimAttr::ExternalId, ScimOp::Eq, "ext-ann");
    let r = db.list_scim_users("c1", Some(&f), page(10, 0)).await.unwrap();
    assert_eq!((names(&r), r.1), (vec!["ann".to_owned()], 1), "the other connection's ann is not counted");
    // LIKE wildcards in a value are literal.
    let f = cmp(ScimAttr::UserName, ScimOp::Sw, "dan%");
    assert_eq!(names(&db.list_scim_users("c1", Some(&f), page(10, 0)).await.unwrap()), ["dan%"]);
    let f = cmp(ScimAttr::UserName, ScimOp::Co, "_");
    assert_eq!(names(&db.list_scim_users("c1", Some(&f), page(10, 0)).await.unwrap()), ["dana_x"]);
    let f = ScimFilter::Or(
        Box::new(cmp(ScimAttr::UserName, ScimOp::Ew, "nn")),
        Box::new(ScimFilter::And(
            Box::new(cmp(ScimAttr::DisplayName, ScimOp::Sw, "C")),
            Box::new(ScimFilter::Compare { attr: ScimAttr::Active, op: ScimOp::Eq, value: ScimValue::Bool(true) }),
        )),
    );
    let r = db.list_scim_users("c1", Some(&f), page(1, 1)).await.unwrap();
    assert_eq!((names(&r), r.1), (vec!["carl".to_owned()], 2));
    let f = ScimFilter::Not(Box::new(cmp(ScimAttr::UserName, ScimOp::Ne, "ann")));
    assert_eq!(names(&db.list_scim_users("c1", Some(&f), page(10, 0)).await.unwrap()), ["ann"]);
    // A filter on an attribute groups do not have is refused by the store too.
    let f = cmp(ScimAttr::UserName, ScimOp::Eq, "x");
    assert!(matches!(db.list_scim_groups("c1", Some(&f), page(10, 0)).await, Err(yolk_store::StoreError::Invalid(_))));
}

async fn groups_keep_members_of_their_connection_only(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    db.create_scim_connection(&conn("c1", "t1", true), "h1").await.unwrap();
    db.create_scim_connection(&conn("c2", "t2", true), "h2").await.unwrap();
    let ann = member(&db, "c1", "t1", "ann", 1).await;
    let bob = member(&db, "c1", "t1", "bob", 2).await;
    let eve = member(&db, "c2", "t2", "eve", 3).await;
    let group = |id: &str, c: &str, members: Vec<UserId>| ScimGroup {
        id: id.into(),
        connection_id: c.into(),
        display_name: format!("Group {id}"),
        external_id: None,
        members,
        created_at: at(4),
        updated_at: at(4),
    };
    assert_not_found(db.create_scim_group(&group("g0", "c1", vec![ann.id, eve.id]), at(4)).await, Entity::ScimUser);
    assert_not_found(db.get_scim_group("c1", "g0").await, Entity::ScimGroup);
    db.create_scim_group(&group("g1", "c1", vec![ann.id]), at(4)).await.unwrap();
    assert_eq!(db.get_scim_group("c1", "g1").await.unwrap().members, vec![ann.id]);
    assert_not_found(db.get_scim_group("c2", "g1").await, Entity::ScimGroup);
    let eve_id = eve.id;
    let r = db
        .update_scim_group(
            "c1",
            "g1",
            Box::new(move |g| {
                g.members.push(eve_id);
                Ok(())
            }),
            at(5),
        )
        .await;
    assert_not_found(r, Entity::ScimUser);
    let bob_id = bob.id;
    let g = db
        .update_scim_group(
            "c1",
            "g1",
            Box::new(move |g| {
                g.members = vec![bob_id];
                g.display_name = "Admins".into();
                Ok(())
            }),
            at(5),
        )
        .await
        .unwrap();
    assert_eq!(g.members, vec![bob.id]);
    let f = ScimFilter::Compare { attr: ScimAttr::DisplayName, op: ScimOp::Eq, value: ScimValue::Str("admins".into()) };
    let (found, total) = db.list_scim_groups("c1", Some(&f), page(10, 0)).await.unwrap();
    assert_eq!((found[0].members.clone(), total), (vec![bob.id], 1));
    // A deleted user leaves its groups.
    db.delete_scim_user("c1", bob.id, at(6)).await.unwrap();
    assert!(db.get_scim_group("c1", "g1").await.unwrap().members.is_empty());
    assert_not_found(db.delete_scim_group("c2", "g1", at(7)).await, Entity::ScimGroup);
    db.delete_scim_group("c1", "g1", at(7)).await.unwrap();
    assert_not_found(db.get_scim_group("c1", "g1").await, Entity::ScimGroup);
}

async fn deleting_a_connection_with_delete_all_removes_its_members(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    db.create_scim_connection(&conn("c1", "t1", true), "h1").await.unwrap();
    let ann = member(&db, "c1", "t1", "ann", 1).await;
    let bob = member(&db, "c1", "t1", "bob", 2).await;
    // bob is also a member of t2: he stays a user there.
    db.add_membership(bob.id, &tid("t2"), &[], at(3)).await.unwrap();
    // carl left the tenant meanwhile (an administrator removed him): nothing to remove.
    let carl = member(&db, "c1", "t1", "carl", 3).await;
    db.add_membership(carl.id, &tid("t2"), &[], at(3)).await.unwrap();
    db.remove_from_tenant(carl.id, &tid("t1"), at(4)).await.unwrap();
    db.session(bob.id, "t1", "bob-t1").await;
    db.delete_scim_connection("c1", Some(&tid("t1")), true, at(5)).await.unwrap();
    assert_not_found(db.get_user(ann.id).await, Entity::User);
    assert_eq!(db.member_of(bob.id).await, ["t2"]);
    assert_eq!(db.member_of(carl.id).await, ["t2"]);
    db.assert_revoked("bob-t1").await;
    assert_not_found(db.get_scim_connection("c1", None).await, Entity::ScimConnection);
    // Without deleteAll the members stay.
    db.create_scim_connection(&conn("c2", "t1", true), "h2").await.unwrap();
    let dana = member(&db, "c2", "t1", "dana", 6).await;
    db.delete_scim_connection("c2", None, false, at(7)).await.unwrap();
    assert_eq!(db.member_of(dana.id).await, ["t1"]);
    assert_eq!(db.maintained_counts_drift().await.unwrap(), Vec::<String>::new());
}
