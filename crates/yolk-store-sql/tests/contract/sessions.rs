//! `SessionStore`: refresh-token rotation, reuse detection, revocation and expiry.

use yolk_domain::{SessionId, User, UserId};
use yolk_store::{MembershipStore, PermissionStore, RotateOutcome, SessionStore, UserStore};

use crate::{Db, at, permission, session, set, tid};

contract!(
    refresh_rotation_spends_once_and_reuse_revokes,
    concurrent_rotations_of_one_token_let_exactly_one_win,
    rotations_and_other_writes_at_once_all_succeed,
    expired_and_revoked_sessions_do_not_rotate,
    sessions_are_judged_at_the_given_time,
    a_session_grant_is_refused_by_every_revocation,
);

async fn refresh_rotation_spends_once_and_reuse_revokes(db: Db) {
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let s = db.session(u.id, "t1", "h1").await;
    let other = db.session(u.id, "t1", "o1").await;
    let now = at(1);
    assert_eq!(db.session_by_refresh_token("h1", now).await.unwrap(), Some(s.clone()));
    assert_eq!(db.rotate_refresh_token("h1", "h2", now).await.unwrap(), RotateOutcome::Rotated(s.clone()));
    assert_eq!(db.session_by_refresh_token("h1", now).await.unwrap(), None, "a spent token names no session");
    assert_eq!(db.session_by_refresh_token("h2", now).await.unwrap().map(|x| x.id), Some(s.id));
    assert!(
        matches!(db.rotate_refresh_token("h2", "h3", now).await.unwrap(), RotateOutcome::Rotated(x) if x.id == s.id)
    );
    assert_eq!(db.rotate_refresh_token("h1", "h4", now).await.unwrap(), RotateOutcome::Reused);
    // Reuse revokes the session: its current token no longer names it and no longer rotates.
    db.assert_revoked("h3").await;
    assert_eq!(db.rotate_refresh_token("unknown", "h6", now).await.unwrap(), RotateOutcome::Invalid);
    // Other sessions of the user are untouched.
    assert_eq!(db.session_by_refresh_token("o1", now).await.unwrap(), Some(other));
}

async fn concurrent_rotations_of_one_token_let_exactly_one_win(db: Db) {
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    db.session(u.id, "t1", "h0").await;
    let mut tasks = Vec::new();
    for i in 0..8 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move { store.rotate_refresh_token("h0", &format!("n{i}"), at(1)).await }));
    }
    let (mut rotated, mut reused) = (Vec::new(), 0);
    for (i, t) in tasks.into_iter().enumerate() {
        match t.await.unwrap().unwrap() {
            RotateOutcome::Rotated(_) => rotated.push(format!("n{i}")),
            RotateOutcome::Reused => reused += 1,
            RotateOutcome::Invalid => panic!("a known token is never invalid here"),
        }
    }
    assert_eq!((rotated.len(), reused), (1, 7), "exactly one wins; the others presented a spent token");
    // The losers' reuse revoked the session, including the winner's new token.
    db.assert_revoked(&rotated[0]).await;
}

/// Rotation chains and other writes (new users, session revocations) running at once all succeed and all land:
/// on SQLite a rotation writes through its own connection while holding the store's write lock, so it never meets
/// another writer of the process as a locked file.
async fn rotations_and_other_writes_at_once_all_succeed(db: Db) {
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let mut tasks = Vec::new();
    for chain in 0..6 {
        db.session(u.id, "t1", &format!("c{chain}-0")).await;
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            for step in 0..10 {
                let (old, new) = (format!("c{chain}-{step}"), format!("c{chain}-{}", step + 1));
                let outcome = store.rotate_refresh_token(&old, &new, at(1)).await.unwrap();
                assert!(matches!(outcome, RotateOutcome::Rotated(_)), "chain {chain} step {step}: {outcome:?}");
            }
        }));
    }
    for i in 0..6 {
        let store = db.store.clone();
        tasks.push(tokio::spawn(async move {
            for j in 0..5 {
                let email = format!("w{i}-{j}@x.io");
                store.create_user(&crate::new_user(&email, Some("t1"), &[])).await.unwrap();
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    for chain in 0..6 {
        db.assert_live(&format!("c{chain}-10")).await;
    }
    assert_eq!(db.get_user_by_email("w5-4@x.io").await.unwrap().email, "w5-4@x.io");
}

async fn expired_and_revoked_sessions_do_not_rotate(db: Db) {
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    db.create_session(&session(u.id, "t1", -1), "e1").await.unwrap();
    assert_eq!(db.rotate_refresh_token("e1", "e2", at(1)).await.unwrap(), RotateOutcome::Invalid);
    assert_eq!(db.session_by_refresh_token("e1", at(1)).await.unwrap(), None);
    let s = db.session(u.id, "t1", "r1").await;
    let kept = db.session(u.id, "t1", "k1").await;
    db.revoke_session(s.id, at(1)).await.unwrap();
    db.assert_revoked("r1").await;
    assert_eq!(db.session_by_refresh_token("k1", at(1)).await.unwrap(), Some(kept));
    // Revoking again, or an unknown session, is a no-op.
    db.revoke_session(s.id, at(2)).await.unwrap();
    db.revoke_session(SessionId::new(), at(2)).await.unwrap();
    db.assert_revoked("r1").await;
    db.assert_live("k1").await;
}

async fn sessions_are_judged_at_the_given_time(db: Db) {
    // The session expires at `at(600)`, decades before the wall clock: only the `now` passed decides.
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let s = db.session(u.id, "t1", "h1").await;
    assert_eq!(db.session_by_refresh_token("h1", at(599)).await.unwrap().map(|x| x.id), Some(s.id));
    assert_eq!(db.session_by_refresh_token("h1", at(600)).await.unwrap(), None, "expired at its expiry");
    assert_eq!(db.rotate_refresh_token("h1", "h2", at(600)).await.unwrap(), RotateOutcome::Invalid);
    assert_eq!(db.rotate_refresh_token("h1", "h2", at(599)).await.unwrap(), RotateOutcome::Rotated(s));
    assert_eq!(db.session_by_refresh_token("h2", at(599)).await.unwrap().map(|x| x.expires_at), Some(at(600)));
}

async fn a_session_grant_is_refused_by_every_revocation(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let perms = db.create_permissions(&[permission("b.write"), permission("a.read")]).await.unwrap();
    let admin = db.role("admin", None, &[perms[0].id, perms[1].id]).await;
    let viewer = db.role("viewer", Some("t1"), &[perms[1].id]).await;
    let u = db.user_in("a@x.io", "t1", &[admin.id, viewer.id]).await;
    let s = db.session(u.id, "t1", "h1").await;
    let (t1, t2) = (tid("t1"), tid("t2"));
    let g = db.session_grant(s.id, u.id, &t1, at(1)).await.unwrap().expect("a live session is granted");
    let keys: Vec<&str> = g.permissions.iter().map(|(_, k)| k.as_str()).collect();
    assert_eq!(keys, ["a.read", "b.write"], "distinct, sorted by key");
    assert_eq!(g.role_levels, [0]);
    // Not a member of t2 yet; a member without roles is granted nothing but admitted.
    assert_eq!(db.session_grant(s.id, u.id, &t2, at(1)).await.unwrap(), None);
    db.add_membership(u.id, &t2, &[], at(1)).await.unwrap();
    assert_eq!(db.session_grant(s.id, u.id, &t2, at(1)).await.unwrap(), Some(Default::default()));
    // A session of another user, an unknown session, an expired one: refused.
    assert_eq!(db.session_grant(s.id, UserId::new(), &t1, at(1)).await.unwrap(), None);
    assert_eq!(db.session_grant(SessionId::new(), u.id, &t1, at(1)).await.unwrap(), None);
    assert_eq!(db.session_grant(s.id, u.id, &t1, at(601)).await.unwrap(), None);
    // Disabled membership, pending invitation, locked user, revoked session: refused.
    db.set_membership_disabled(u.id, &t2, true, at(2)).await.unwrap();
    assert_eq!(db.session_grant(s.id, u.id, &t2, at(2)).await.unwrap(), None);
    let other = db.user_in("b@x.io", "t2", &[]).await;
    db.invite_member(other.id, &t1, &[admin.id], at(2)).await.unwrap();
    let os = db.session(other.id, "t2", "o1").await;
    assert_eq!(db.session_grant(os.id, other.id, &t1, at(2)).await.unwrap(), None);
    db.update_user(u.id, set(|u: &mut User| u.locked = true), at(3)).await.unwrap();
    assert_eq!(db.session_grant(s.id, u.id, &t1, at(3)).await.unwrap(), None);
    db.update_user(u.id, set(|u: &mut User| u.locked = false), at(4)).await.unwrap();
    assert!(db.session_grant(s.id, u.id, &t1, at(4)).await.unwrap().is_some());
    // A temporary user: admitted before its expiry, refused from it on; kept by a read-modify-write.
    db.update_user(u.id, set(|u: &mut User| u.temporary_expires_at = Some(at(10))), at(4)).await.unwrap();
    assert_eq!(db.get_user(u.id).await.unwrap().temporary_expires_at, Some(at(10)));
    assert!(db.session_grant(s.id, u.id, &t1, at(9)).await.unwrap().is_some());
    assert_eq!(db.session_grant(s.id, u.id, &t1, at(10)).await.unwrap(), None);
    db.update_user(u.id, set(|u: &mut User| u.temporary_expires_at = None), at(4)).await.unwrap();
    assert!(db.session_grant(s.id, u.id, &t1, at(10)).await.unwrap().is_some());
    db.revoke_session(s.id, at(5)).await.unwrap();
    assert_eq!(db.session_grant(s.id, u.id, &t1, at(5)).await.unwrap(), None);
    // Removed from the tenant: refused (a fresh session, so only the membership decides).
    let s2 = db.session(u.id, "t1", "h2").await;
    db.remove_from_tenant(u.id, &t1, at(6)).await.unwrap();
    assert_eq!(db.session_grant(s2.id, u.id, &t1, at(6)).await.unwrap(), None);
}
