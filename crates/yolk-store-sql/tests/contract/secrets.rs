//! `SecretStore`: single-use secrets — the newest only, expiry, wrong-guess limit, spent once by a password reset
//! that also revokes the user's sessions.

use yolk_domain::UserId;
use yolk_store::users::LoginIdentifier;
use yolk_store::{Entity, SecretPurpose, SecretStore, StoreError, UserStore};

use crate::{Db, at};

contract!(
    a_reset_secret_is_the_newest_only_expires_dies_after_failures_and_is_spent_once,
    a_password_change_keeps_only_the_callers_session,
    a_secret_presented_alone_is_spent_once_for_its_purpose_only,
);

const RESET: SecretPurpose = SecretPurpose::PasswordReset;

async fn a_reset_secret_is_the_newest_only_expires_dies_after_failures_and_is_spent_once(db: Db) {
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    assert!(matches!(
        db.issue_secret(UserId::new(), RESET, "h", at(0), at(60)).await,
        Err(StoreError::NotFound(Entity::User))
    ));
    assert_eq!(db.live_secret(u.id, RESET, at(0), 5).await.unwrap(), None);

    db.issue_secret(u.id, RESET, "first", at(0), at(60)).await.unwrap();
    db.issue_secret(u.id, RESET, "second", at(1), at(60)).await.unwrap();
    let live = db.live_secret(u.id, RESET, at(2), 5).await.unwrap().expect("a live secret");
    assert_eq!(live.hash, "second", "a new secret replaces the unspent one");
    assert_eq!(db.live_secret(u.id, RESET, at(60), 5).await.unwrap(), None, "expired at expires_at");

    // Wrong guesses: the secret dies at the limit.
    for _ in 0..2 {
        db.fail_secret(&live.id).await.unwrap();
    }
    assert!(db.live_secret(u.id, RESET, at(2), 3).await.unwrap().is_some());
    db.fail_secret(&live.id).await.unwrap();
    assert_eq!(db.live_secret(u.id, RESET, at(2), 3).await.unwrap(), None);

    // A reset spends the secret once, sets the password, and revokes every session.
    db.session(u.id, "t1", "r1").await;
    assert!(!db.reset_password_with_secret(&live.id, u.id, "$new", at(61)).await.unwrap(), "expired: refused");
    assert!(db.reset_password_with_secret(&live.id, u.id, "$new", at(3)).await.unwrap());
    assert!(!db.reset_password_with_secret(&live.id, u.id, "$newer", at(4)).await.unwrap(), "spent once");
    let (_, hash) = db.login_candidate(&LoginIdentifier::Email("a@x.io".into())).await.unwrap().unwrap();
    assert_eq!(hash.as_deref(), Some("$new"));
    db.assert_revoked("r1").await;
    assert_eq!(db.live_secret(u.id, RESET, at(5), 5).await.unwrap(), None);
}

async fn a_password_change_keeps_only_the_callers_session(db: Db) {
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let mine = db.session(u.id, "t1", "mine").await;
    db.session(u.id, "t1", "other").await;
    assert!(matches!(
        db.change_password(UserId::new(), "$x", None, at(1)).await,
        Err(StoreError::NotFound(Entity::User))
    ));
    db.change_password(u.id, "$changed", Some(mine.id), at(1)).await.unwrap();
    let (_, hash) = db.login_candidate(&LoginIdentifier::Email("a@x.io".into())).await.unwrap().unwrap();
    assert_eq!(hash.as_deref(), Some("$changed"));
    db.assert_live("mine").await;
    db.assert_revoked("other").await;
    // Without a session to keep, every session ends.
    db.change_password(u.id, "$again", None, at(2)).await.unwrap();
    db.assert_revoked("mine").await;
}

async fn a_secret_presented_alone_is_spent_once_for_its_purpose_only(db: Db) {
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    db.issue_secret(u.id, SecretPurpose::MagicLink, "m1", at(0), at(60)).await.unwrap();
    db.issue_secret(u.id, RESET, "r1", at(0), at(60)).await.unwrap();
    assert_eq!(db.spend_secret(SecretPurpose::MagicLink, "r1", at(1)).await.unwrap(), None, "another purpose's");
    assert_eq!(db.spend_secret(SecretPurpose::MagicLink, "m1", at(60)).await.unwrap(), None, "expired");
    assert_eq!(db.spend_secret(SecretPurpose::MagicLink, "m1", at(1)).await.unwrap(), Some(u.id));
    assert_eq!(db.spend_secret(SecretPurpose::MagicLink, "m1", at(2)).await.unwrap(), None, "spent once");
    assert!(db.live_secret(u.id, RESET, at(2), 5).await.unwrap().is_some(), "the reset secret is untouched");
}
