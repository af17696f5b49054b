//! `MembershipStore`: memberships, role assignments, leaving, switching and migrating tenants.

use yolk_domain::{RoleId, User, UserId};
use yolk_store::{
    Constraint, Entity, MembershipStore, PermissionStore, RoleStore, SessionStore, TenantStore, UserStore,
};

use crate::{Db, assert_conflict, assert_not_found, at, permission, set, tenant, tid};

contract!(
    memberships_carry_roles_and_permissions,
    role_assignment_requires_membership_and_known_roles,
    leaving_the_last_tenant_deletes_the_user,
    disabling_a_membership_revokes_its_sessions,
    switching_the_active_tenant_joins_it_once,
    migrating_tenant_users_keeps_environment_roles,
    membership_writes_stamp_the_given_time,
    an_invited_membership_is_pending_and_keeps_that_when_migrated,
    memberships_of_many_users_keep_each_ones_roles_apart,
    roles_are_updated_across_tenants_in_one_transaction,
);

async fn keys(db: &Db, id: UserId) -> Vec<(String, Vec<String>)> {
    let mut all: Vec<(String, Vec<String>)> = db
        .memberships(&[id])
        .await
        .unwrap()
        .remove(&id)
        .unwrap_or_default()
        .into_iter()
        .map(|m| (m.tenant_id.to_string(), m.roles.into_iter().map(|r| r.key).collect()))
        .collect();
    all.sort();
    all
}

async fn roles_are_updated_across_tenants_in_one_transaction(db: Db) {
    db.tenants(&["t1", "t2", "t3"]).await;
    let viewer = db.role("viewer", None, &[]).await;
    let editor = db.role("editor", None, &[]).await;
    let own = db.role("own", Some("t1"), &[]).await;
    let u = db.user_in("a@x.io", "t1", &[viewer.id]).await;
    db.add_membership(u.id, &tid("t2"), &[viewer.id], at(1)).await.unwrap();
    let changed = db.update_roles_across_tenants(u.id, None, &[editor.id], &[viewer.id]).await.unwrap();
    assert_eq!(changed, [tid("t1"), tid("t2")]);
    assert_eq!(
        keys(&db, u.id).await,
        [("t1".into(), vec!["editor".to_owned()]), ("t2".into(), vec!["editor".to_owned()])]
    );
    // A tenant that is not the user's, or a role not usable in one of them: nothing changes.
    let before = keys(&db, u.id).await;
    let named = [tid("t1"), tid("t3")];
    assert_not_found(db.update_roles_across_tenants(u.id, Some(&named), &[viewer.id], &[]).await, Entity::Membership);
    assert_not_found(db.update_roles_across_tenants(u.id, None, &[own.id], &[editor.id]).await, Entity::Role);
    assert_eq!(keys(&db, u.id).await, before);
    let only = [tid("t2"), tid("t2")];
    assert_eq!(db.update_roles_across_tenants(u.id, Some(&only), &[viewer.id], &[]).await.unwrap(), [tid("t2")]);
}

async fn memberships_carry_roles_and_permissions(db: Db) {
    db.tenants(&["t1"]).await;
    let p = db.create_permissions(&[permission("read")]).await.unwrap().remove(0);
    let r = db.role("viewer", None, &[p.id]).await;
    let u = db.user_in("a@x.io", "t1", &[r.id]).await;
    let m = db.memberships(&[u.id, UserId::new()]).await.unwrap();
    assert_eq!(m.len(), 1, "users without memberships are absent");
    let mine = &m[&u.id][0];
    assert_eq!((mine.tenant_id.as_str(), mine.disabled), ("t1", false));
    assert_eq!(mine.roles.len(), 1);
    assert_eq!(mine.roles[0].permission_ids, vec![p.id]);
    assert_eq!(db.get_permission(p.id).await.unwrap().role_ids, vec![r.id]);
    db.delete_permission(p.id).await.unwrap();
    assert!(db.get_role(r.id).await.unwrap().permission_ids.is_empty());
    assert!(db.memberships(&[]).await.unwrap().is_empty());
}

async fn role_assignment_requires_membership_and_known_roles(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let r1 = db.role("a", None, &[]).await;
    let r2 = db.role("b", None, &[]).await;
    let theirs = db.role("theirs", Some("t2"), &[]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let (t1, t2) = (tid("t1"), tid("t2"));
    assert_not_found(db.assign_roles(u.id, &t2, &[r1.id]).await, Entity::Membership);
    assert_not_found(db.assign_roles(u.id, &t1, &[r1.id, RoleId::new()]).await, Entity::Role);
    assert_not_found(db.assign_roles(u.id, &t1, &[theirs.id]).await, Entity::Role);
    assert!(db.held(u.id, "t1").await.is_empty(), "a failed assignment assigns nothing");
    db.assign_roles(u.id, &t1, &[r1.id, r2.id]).await.unwrap();
    db.assign_roles(u.id, &t1, &[r1.id]).await.unwrap();
    assert_eq!(db.held(u.id, "t1").await, ["a", "b"]);
    db.unassign_roles(u.id, &t1, &[r1.id]).await.unwrap();
    assert_eq!(db.held(u.id, "t1").await, ["b"]);
    // Replacing the roles held (formerly `set_roles`): grant the new ones, revoke the others.
    db.assign_roles(u.id, &t1, &[r1.id]).await.unwrap();
    db.unassign_roles(u.id, &t1, &[r2.id]).await.unwrap();
    assert_eq!(db.held(u.id, "t1").await, ["a"]);
    db.unassign_roles(u.id, &t1, &[r2.id, RoleId::new()]).await.unwrap();
    assert_eq!(db.held(u.id, "t1").await, ["a"], "revoking roles not held is a no-op");
    assert_not_found(db.unassign_roles(u.id, &t2, &[r1.id]).await, Entity::Membership);
    db.delete_role(r1.id).await.unwrap();
    assert!(db.held(u.id, "t1").await.is_empty());
    // Joining: once per tenant, and only known users, tenants and usable roles.
    assert_conflict(db.add_membership(u.id, &t1, &[], at(1)).await, Constraint::Membership);
    assert_not_found(db.add_membership(UserId::new(), &t2, &[], at(1)).await, Entity::User);
    assert_not_found(db.add_membership(u.id, &tid("nope"), &[], at(1)).await, Entity::Tenant);
    assert_not_found(db.add_membership(u.id, &t2, &[RoleId::new()], at(1)).await, Entity::Role);
    assert_eq!(db.member_of(u.id).await, ["t1"], "a failed join joins nothing");
    db.add_membership(u.id, &t2, &[theirs.id, r2.id], at(1)).await.unwrap();
    assert_eq!(db.held(u.id, "t2").await, ["b", "theirs"]);
    assert!(db.held(u.id, "t1").await.is_empty(), "roles are per tenant");
}

async fn leaving_the_last_tenant_deletes_the_user(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let r = db.role("r", None, &[]).await;
    let u = db.user_in("a@x.io", "t1", &[r.id]).await;
    let (t1, t2) = (tid("t1"), tid("t2"));
    db.add_membership(u.id, &t2, &[], at(1)).await.unwrap();
    db.update_user(u.id, set(|u: &mut User| u.active_tenant_id = Some(tid("t1"))), at(1)).await.unwrap();
    db.session(u.id, "t1", "h1").await;
    db.session(u.id, "t2", "h2").await;
    assert!(!db.remove_from_tenant(u.id, &t1, at(2)).await.unwrap(), "a member elsewhere is kept");
    assert_eq!(db.member_of(u.id).await, ["t2"]);
    assert_eq!(db.get_user(u.id).await.unwrap().active_tenant_id, None);
    db.assert_revoked("h1").await;
    db.assert_live("h2").await;
    assert_not_found(db.remove_from_tenant(u.id, &t1, at(3)).await, Entity::Membership);
    // Rejoining starts without the roles held before.
    db.add_membership(u.id, &t1, &[], at(3)).await.unwrap();
    assert!(db.held(u.id, "t1").await.is_empty());
    assert!(!db.remove_from_tenant(u.id, &t1, at(4)).await.unwrap());
    assert!(db.remove_from_tenant(u.id, &t2, at(5)).await.unwrap(), "leaving the last tenant deletes the user");
    assert_not_found(db.get_user(u.id).await, Entity::User);
    assert_eq!(db.session_by_refresh_token("h2", at(1)).await.unwrap(), None);
    assert_not_found(db.remove_from_tenant(u.id, &t2, at(6)).await, Entity::Membership);
}

async fn disabling_a_membership_revokes_its_sessions(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let (t1, t2) = (tid("t1"), tid("t2"));
    db.add_membership(u.id, &t2, &[], at(1)).await.unwrap();
    db.session(u.id, "t1", "h1").await;
    db.session(u.id, "t2", "h2").await;
    db.set_membership_disabled(u.id, &t1, true, at(2)).await.unwrap();
    let disabled = |db: &Db| {
        let store = db.store.clone();
        async move {
            let mut m = store.memberships(&[u.id]).await.unwrap().remove(&u.id).unwrap();
            m.sort_by(|a, b| a.tenant_id.cmp(&b.tenant_id));
            m.into_iter().map(|m| m.disabled).collect::<Vec<_>>()
        }
    };
    assert_eq!(disabled(&db).await, [true, false]);
    db.assert_revoked("h1").await;
    db.assert_live("h2").await;
    // Enabling revokes nothing.
    db.session(u.id, "t1", "h3").await;
    db.set_membership_disabled(u.id, &t1, false, at(3)).await.unwrap();
    assert_eq!(disabled(&db).await, [false, false]);
    db.assert_live("h3").await;
    let stranger = db.user_in("b@x.io", "t2", &[]).await;
    assert_not_found(db.set_membership_disabled(stranger.id, &t1, true, at(4)).await, Entity::Membership);
}

async fn switching_the_active_tenant_joins_it_once(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let r1 = db.role("r1", None, &[]).await;
    let r2 = db.role("r2", None, &[]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let (t1, t2, t3) = (tid("t1"), tid("t2"), tid("t3"));
    let switched = db.set_active_tenant(u.id, &t2, None, &[r1.id], at(1)).await.unwrap();
    assert_eq!(switched.active_tenant_id, Some(t2.clone()));
    assert_eq!(db.held(u.id, "t2").await, ["r1"], "joins a tenant it was not a member of with the roles");
    db.set_active_tenant(u.id, &t1, None, &[r2.id], at(2)).await.unwrap();
    db.set_active_tenant(u.id, &t2, None, &[r2.id], at(3)).await.unwrap();
    assert_eq!(db.held(u.id, "t2").await, ["r1"], "a member keeps its membership as it is");
    assert!(db.held(u.id, "t1").await.is_empty());
    // Founding a tenant and switching to it is one transaction.
    let founded = db.set_active_tenant(u.id, &t3, Some(&tenant("t3")), &[r2.id], at(4)).await.unwrap();
    assert_eq!(founded.active_tenant_id, Some(t3.clone()));
    assert_eq!(db.held(u.id, "t3").await, ["r2"]);
    let again = db.set_active_tenant(u.id, &t3, Some(&tenant("t3")), &[], at(5)).await;
    assert_conflict(again, Constraint::TenantId);
    let t4 = tid("t4");
    let bad = db.set_active_tenant(u.id, &t4, Some(&tenant("t4")), &[RoleId::new()], at(5)).await;
    assert_not_found(bad, Entity::Role);
    assert_not_found(db.get_tenant(&t4).await, Entity::Tenant);
    assert_not_found(db.set_active_tenant(u.id, &tid("nope"), None, &[], at(5)).await, Entity::Tenant);
    assert_not_found(db.set_active_tenant(UserId::new(), &t1, None, &[], at(5)).await, Entity::User);
    assert_eq!(db.get_user(u.id).await.unwrap().active_tenant_id, Some(t3));
    assert_eq!(db.member_of(u.id).await, ["t1", "t2", "t3"]);
}

async fn migrating_tenant_users_keeps_environment_roles(db: Db) {
    db.tenants(&["old", "new", "other"]).await;
    let env = db.role("env", None, &[]).await;
    let owned = db.role("owned", Some("old"), &[]).await;
    let mover = db.user_in("a@x.io", "old", &[env.id, owned.id]).await;
    db.update_user(mover.id, set(|u: &mut User| u.active_tenant_id = Some(tid("old"))), at(1)).await.unwrap();
    let both = db.user_in("b@x.io", "old", &[]).await;
    db.add_membership(both.id, &tid("new"), &[], at(1)).await.unwrap();
    let bystander = db.user_in("c@x.io", "other", &[env.id]).await;
    db.session(mover.id, "old", "h1").await;
    db.session(both.id, "new", "h2").await;
    assert_eq!(db.migrate_tenant_users(&tid("old"), &tid("new"), at(2)).await.unwrap(), 2);
    assert_eq!(db.member_of(mover.id).await, ["new"]);
    assert_eq!(db.held(mover.id, "new").await, ["env"], "roles owned by the source tenant are dropped");
    assert_eq!(db.get_user(mover.id).await.unwrap().active_tenant_id, Some(tid("new")));
    assert_eq!(db.member_of(both.id).await, ["new"]);
    assert!(db.held(both.id, "new").await.is_empty());
    assert_eq!(db.member_of(bystander.id).await, ["other"]);
    db.assert_revoked("h1").await;
    db.assert_live("h2").await;
    assert_eq!(db.migrate_tenant_users(&tid("old"), &tid("new"), at(3)).await.unwrap(), 0);
    assert_not_found(db.migrate_tenant_users(&tid("nope"), &tid("new"), at(3)).await, Entity::Tenant);
    assert_not_found(db.migrate_tenant_users(&tid("old"), &tid("nope"), at(3)).await, Entity::Tenant);
}

async fn membership_writes_stamp_the_given_time(db: Db) {
    db.tenants(&["t1", "t2", "t3"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let joined = |db: &Db| {
        let store = db.store.clone();
        async move {
            let mut m = store.memberships(&[u.id]).await.unwrap().remove(&u.id).unwrap();
            m.sort_by(|a, b| a.tenant_id.cmp(&b.tenant_id));
            m.into_iter().map(|m| (m.tenant_id.into_string(), m.created_at)).collect::<Vec<_>>()
        }
    };
    assert_eq!(joined(&db).await, [("t1".to_owned(), at(0))], "creating a user joins at its creation time");
    db.add_membership(u.id, &tid("t2"), &[], at(10)).await.unwrap();
    db.set_active_tenant(u.id, &tid("t3"), None, &[], at(20)).await.unwrap();
    let expected = [("t1".to_owned(), at(0)), ("t2".to_owned(), at(10)), ("t3".to_owned(), at(20))];
    assert_eq!(joined(&db).await, expected);
    db.create_tenant(&tenant("t4")).await.unwrap();
    db.migrate_tenant_users(&tid("t3"), &tid("t4"), at(30)).await.unwrap();
    let expected = [("t1".to_owned(), at(0)), ("t2".to_owned(), at(10)), ("t4".to_owned(), at(30))];
    assert_eq!(joined(&db).await, expected);
    let moved = db.get_user(u.id).await.unwrap();
    assert_eq!((moved.active_tenant_id, moved.updated_at), (Some(tid("t4")), at(30)));
}

async fn an_invited_membership_is_pending_and_keeps_that_when_migrated(db: Db) {
    db.tenants(&["t1", "t2", "t3"]).await;
    let r = db.role("r", None, &[]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    db.invite_member(u.id, &tid("t2"), &[r.id], at(1)).await.unwrap();
    let pending =
        |m: &[yolk_domain::Membership]| m.iter().map(|m| (m.tenant_id.to_string(), m.pending)).collect::<Vec<_>>();
    let m = db.memberships(&[u.id]).await.unwrap().remove(&u.id).unwrap();
    assert_eq!(pending(&m), [("t1".into(), false), ("t2".into(), true)]);
    assert!(m[0].grants_access() && !m[1].grants_access());
    assert_eq!(db.held(u.id, "t2").await, ["r"], "the invited roles wait with the membership");
    assert_conflict(db.invite_member(u.id, &tid("t1"), &[], at(2)).await, Constraint::Membership);
    assert_not_found(db.invite_member(UserId::new(), &tid("t3"), &[], at(2)).await, Entity::User);
    db.migrate_tenant_users(&tid("t2"), &tid("t3"), at(3)).await.unwrap();
    let m = db.memberships(&[u.id]).await.unwrap().remove(&u.id).unwrap();
    assert_eq!(pending(&m), [("t1".into(), false), ("t3".into(), true)], "a migration grants no access");
}

/// One read serves the memberships of a page of users with their roles (each membership's row once per role): users
/// who joined the same tenants at the same instant, each holding several roles, still get exactly their own roles
/// once, sorted by key, with each role's permissions.
async fn memberships_of_many_users_keep_each_ones_roles_apart(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let read = db.create_permissions(&[permission("read")]).await.unwrap().remove(0);
    let write = db.create_permissions(&[permission("write")]).await.unwrap().remove(0);
    let a = db.role("a", None, &[read.id, write.id]).await;
    let b = db.role("b", None, &[]).await;
    let c = db.role("c", None, &[write.id]).await;
    let u1 = db.user_in("one@x.io", "t1", &[c.id, a.id]).await;
    let u2 = db.user_in("two@x.io", "t1", &[b.id, a.id, c.id]).await;
    let u3 = db.user_in("three@x.io", "t1", &[]).await;
    db.add_membership(u1.id, &tid("t2"), &[b.id], at(0)).await.unwrap();
    db.add_membership(u2.id, &tid("t2"), &[], at(0)).await.unwrap();
    let m = db.memberships(&[u3.id, u2.id, u1.id]).await.unwrap();
    let keys = |u: UserId| -> Vec<(String, Vec<String>)> {
        m[&u]
            .iter()
            .map(|ms| (ms.tenant_id.as_str().to_owned(), ms.roles.iter().map(|r| r.key.clone()).collect()))
            .collect()
    };
    let owned = |pairs: &[(&str, &[&str])]| -> Vec<(String, Vec<String>)> {
        pairs.iter().map(|(t, ks)| ((*t).to_owned(), ks.iter().map(|k| (*k).to_owned()).collect())).collect()
    };
    assert_eq!(keys(u1.id), owned(&[("t1", &["a", "c"]), ("t2", &["b"])]));
    assert_eq!(keys(u2.id), owned(&[("t1", &["a", "b", "c"]), ("t2", &[])]));
    assert_eq!(keys(u3.id), owned(&[("t1", &[])]));
    let role_a = m[&u2.id][0].roles.iter().find(|r| r.key == "a").expect("role a");
    let mut both = vec![read.id, write.id];
    both.sort();
    assert_eq!(role_a.permission_ids, both, "every permission of a role, once");
    let fetched = db.roles_by_ids(&[c.id, a.id, c.id]).await.unwrap();
    assert_eq!(fetched.len(), 2, "each role once");
    assert_eq!(fetched.iter().find(|r| r.id == c.id).unwrap().permission_ids, vec![write.id]);
}
