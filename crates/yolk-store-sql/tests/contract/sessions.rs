//! `SessionStore`: refresh-token rotation, reuse detection, revocation and expiry.

use yolk_domain::SessionId;
use yolk_store::{RotateOutcome, SessionStore};

use crate::{Db, at, session};

contract!(
    refresh_rotation_spends_once_and_reuse_revokes,
    concurrent_rotations_of_one_token_let_exactly_one_win,
    expired_and_revoked_sessions_do_not_rotate,
    sessions_are_judged_at_the_given_time,
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
