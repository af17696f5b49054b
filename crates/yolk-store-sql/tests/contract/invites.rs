//! `TenantInviteStore`: links by token, one per member and tenant, update, delete, gone with their tenant; and
//! `SecretStore::set_secret_code`, the code kept with the newest live secret.

use yolk_domain::UserId;
use yolk_store::{Entity, SecretPurpose, SecretStore, TenantInvite, TenantInviteStore, TenantStore};

use crate::{Db, assert_not_found, at, tid};

contract!(
    tenant_invites_are_found_by_token_replaced_per_member_updated_and_deleted,
    a_code_is_kept_with_the_newest_live_secret_of_its_purpose_and_tenant,
);

fn invite(id: &str, tenant: &str, user: Option<UserId>, token: &str, created: i64) -> TenantInvite {
    TenantInvite {
        id: id.into(),
        tenant_id: tid(tenant),
        user_id: user,
        token: token.into(),
        expires_at: at(created + 3600),
        should_send_email: false,
        role_ids: Vec::new(),
        created_at: at(created),
    }
}

async fn tenant_invites_are_found_by_token_replaced_per_member_updated_and_deleted(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let role = db.role("r", Some("t1"), &[]).await;
    assert_not_found(db.put_tenant_invite(&invite("x", "missing", None, "tx", 0)).await, Entity::Tenant);

    let mut env = invite("e1", "t1", None, "token-e1", 0);
    env.role_ids = vec![role.id];
    db.put_tenant_invite(&env).await.unwrap();
    db.put_tenant_invite(&invite("e2", "t1", None, "token-e2", 1)).await.unwrap();
    assert_eq!(db.tenant_invite_by_token("token-e1").await.unwrap(), Some(env.clone()));
    assert_eq!(db.tenant_invite_by_token("nope").await.unwrap(), None);

    // A member's own link: one per member and tenant.
    db.put_tenant_invite(&invite("m1", "t1", Some(u.id), "token-m1", 2)).await.unwrap();
    db.put_tenant_invite(&invite("m2", "t1", Some(u.id), "token-m2", 3)).await.unwrap();
    db.put_tenant_invite(&invite("m3", "t2", Some(u.id), "token-m3", 4)).await.unwrap();
    assert_eq!(db.tenant_invite_by_token("token-m1").await.unwrap(), None, "replaced");
    assert_eq!(db.user_tenant_invite(&tid("t1"), u.id).await.unwrap().unwrap().id, "m2");
    assert_eq!(db.user_tenant_invite(&tid("t2"), u.id).await.unwrap().unwrap().id, "m3");
    assert_eq!(db.user_tenant_invite(&tid("t1"), UserId::new()).await.unwrap(), None);

    let all: Vec<_> = db.list_tenant_invites(10).await.unwrap().into_iter().map(|i| i.id).collect();
    assert_eq!(all, ["m3", "m2", "e2", "e1"], "newest first");
    assert_eq!(db.list_tenant_invites(2).await.unwrap().len(), 2);

    let updated = db.update_tenant_invite("m2", at(99), true).await.unwrap();
    assert_eq!((updated.expires_at, updated.should_send_email, updated.token.as_str()), (at(99), true, "token-m2"));
    assert_not_found(db.update_tenant_invite("gone", at(99), true).await, Entity::TenantInvite);

    db.delete_tenant_invite("e2").await.unwrap();
    assert_not_found(db.delete_tenant_invite("e2").await, Entity::TenantInvite);
    assert_eq!(db.tenant_invite_by_token("token-e2").await.unwrap(), None);

    // A tenant's links go with it.
    db.delete_tenant(&tid("t2"), at(100)).await.unwrap();
    assert_eq!(db.tenant_invite_by_token("token-m3").await.unwrap(), None);
}

async fn a_code_is_kept_with_the_newest_live_secret_of_its_purpose_and_tenant(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let act = SecretPurpose::Activation;
    assert!(!db.set_secret_code(u.id, act, None, "c0", at(0)).await.unwrap(), "no live secret");
    db.issue_secret(u.id, act, "h1", at(0), at(60)).await.unwrap();
    assert_eq!(db.live_secret(u.id, act, at(1), 5).await.unwrap().unwrap().code_hash, None);
    assert!(db.set_secret_code(u.id, act, None, "c1", at(1)).await.unwrap());
    assert_eq!(db.live_secret(u.id, act, at(1), 5).await.unwrap().unwrap().code_hash.as_deref(), Some("c1"));
    assert!(!db.set_secret_code(u.id, act, None, "c2", at(60)).await.unwrap(), "expired");

    db.issue_invitation_secret(u.id, &tid("t1"), "i1", at(0), at(60)).await.unwrap();
    db.issue_invitation_secret(u.id, &tid("t2"), "i2", at(0), at(60)).await.unwrap();
    assert!(db.set_secret_code(u.id, SecretPurpose::Invitation, Some(&tid("t2")), "ci2", at(1)).await.unwrap());
    let live = db.live_invitation_secrets(u.id, at(1), 5).await.unwrap();
    let codes: Vec<_> = live.iter().map(|s| (s.hash.as_str(), s.code_hash.as_deref())).collect();
    assert!(codes.contains(&("i1", None)) && codes.contains(&("i2", Some("ci2"))), "{codes:?}");
}
