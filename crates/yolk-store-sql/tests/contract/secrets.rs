//! `SecretStore`: single-use secrets — the newest only, expiry, wrong-guess limit, spent once by a password reset
//! that also revokes the user's sessions.

use yolk_domain::UserId;
use yolk_store::users::LoginIdentifier;
use yolk_store::{Entity, MembershipStore, SecretPurpose, SecretStore, StoreError, UserStore};

use crate::{Db, at, new_user, tid};

contract!(
    a_reset_secret_is_the_newest_only_expires_dies_after_failures_and_is_spent_once,
    a_password_change_keeps_only_the_callers_session,
    a_secret_presented_alone_is_spent_once_for_its_purpose_only,
    an_activation_spends_its_secret_once_verifies_and_sets_the_password_only_when_given,
    an_invitation_secret_is_per_tenant_and_accepting_it_activates_that_membership_only,
    accepting_an_invitation_into_an_unverified_account_clears_its_password_and_sessions,
    wrong_guesses_count_against_every_live_secret_of_the_user,
    concurrent_uses_of_one_activation_or_invitation_secret_let_exactly_one_win,
    an_unlock_secret_unlocks_once_and_dies_with_another_lock_or_unlock,
);

async fn an_unlock_secret_unlocks_once_and_dies_with_another_lock_or_unlock(db: Db) {
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let unlock = SecretPurpose::Unlock;
    db.set_user_locked(u.id, true, at(0)).await.unwrap();
    db.issue_secret(u.id, unlock, "u1", at(0), at(60)).await.unwrap();
    assert_eq!(db.unlock_with_secret("u1", at(60)).await.unwrap(), None, "expired");
    assert_eq!(db.unlock_with_secret("nope", at(1)).await.unwrap(), None);
    db.issue_secret(u.id, RESET, "r1", at(0), at(60)).await.unwrap();
    assert_eq!(db.unlock_with_secret("r1", at(1)).await.unwrap(), None, "another purpose");
    assert!(db.get_user(u.id).await.unwrap().locked);
    assert_eq!(db.unlock_with_secret("u1", at(1)).await.unwrap(), Some(u.id));
    assert!(!db.get_user(u.id).await.unwrap().locked);
    assert_eq!(db.unlock_with_secret("u1", at(2)).await.unwrap(), None, "spent");

    // The environment's own lock drops a live unlock secret.
    db.issue_secret(u.id, unlock, "u2", at(3), at(60)).await.unwrap();
    db.set_user_locked(u.id, true, at(4)).await.unwrap();
    assert_eq!(db.unlock_with_secret("u2", at(5)).await.unwrap(), None);
    assert!(db.get_user(u.id).await.unwrap().locked);
}

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

const ACTIVATION: SecretPurpose = SecretPurpose::Activation;

async fn unverified_in(db: &Db, email: &str, tenant: &str) -> yolk_domain::User {
    let mut new = new_user(email, Some(tenant), &[]);
    new.user = yolk_domain::User { verified: false, ..new.user };
    db.create_user(&new).await.unwrap()
}

async fn password_of(db: &Db, email: &str) -> Option<String> {
    db.login_candidate(&LoginIdentifier::Email(email.into())).await.unwrap().unwrap().1
}

async fn an_activation_spends_its_secret_once_verifies_and_sets_the_password_only_when_given(db: Db) {
    db.tenants(&["t1"]).await;
    let u = unverified_in(&db, "a@x.io", "t1").await;
    let before = password_of(&db, "a@x.io").await;
    db.issue_secret(u.id, ACTIVATION, "act", at(0), at(60)).await.unwrap();
    let live = db.live_secret(u.id, ACTIVATION, at(1), 5).await.unwrap().expect("live");
    assert!(!db.activate_with_secret(&live.id, u.id, None, at(60)).await.unwrap(), "expired: refused");
    assert!(!db.activate_with_secret(&live.id, UserId::new(), None, at(1)).await.unwrap(), "another user's");
    assert!(!db.get_user(u.id).await.unwrap().verified, "a refused activation changes nothing");
    assert!(db.activate_with_secret(&live.id, u.id, None, at(1)).await.unwrap());
    assert!(db.get_user(u.id).await.unwrap().verified);
    assert_eq!(password_of(&db, "a@x.io").await, before, "no password given: kept");
    assert!(!db.activate_with_secret(&live.id, u.id, Some("$x"), at(2)).await.unwrap(), "spent once");
    assert_eq!(db.live_secret(u.id, ACTIVATION, at(2), 5).await.unwrap(), None);

    // With a password: set, with the failed-login count cleared.
    let b = unverified_in(&db, "b@x.io", "t1").await;
    db.issue_secret(b.id, ACTIVATION, "act-b", at(0), at(60)).await.unwrap();
    let live = db.live_secret(b.id, ACTIVATION, at(1), 5).await.unwrap().expect("live");
    assert!(db.activate_with_secret(&live.id, b.id, Some("$chosen"), at(1)).await.unwrap());
    assert_eq!(password_of(&db, "b@x.io").await.as_deref(), Some("$chosen"));
    // An activation secret does not reset a password, nor a reset secret activate.
    db.issue_secret(b.id, RESET, "reset-b", at(2), at(60)).await.unwrap();
    let reset = db.live_secret(b.id, RESET, at(3), 5).await.unwrap().expect("live");
    assert!(!db.activate_with_secret(&reset.id, b.id, Some("$other"), at(3)).await.unwrap());
}

async fn an_invitation_secret_is_per_tenant_and_accepting_it_activates_that_membership_only(db: Db) {
    db.tenants(&["t1", "t2", "t3"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    db.invite_member(u.id, &tid("t2"), &[], at(0)).await.unwrap();
    db.invite_member(u.id, &tid("t3"), &[], at(0)).await.unwrap();
    assert!(matches!(
        db.issue_invitation_secret(UserId::new(), &tid("t2"), "h", at(0), at(60)).await,
        Err(StoreError::NotFound(Entity::User))
    ));
    db.issue_invitation_secret(u.id, &tid("t2"), "t2-old", at(0), at(60)).await.unwrap();
    db.issue_invitation_secret(u.id, &tid("t2"), "t2", at(1), at(60)).await.unwrap();
    db.issue_invitation_secret(u.id, &tid("t3"), "t3", at(1), at(60)).await.unwrap();
    let mut hashes: Vec<_> =
        db.live_invitation_secrets(u.id, at(2), 5).await.unwrap().into_iter().map(|s| s.hash).collect();
    hashes.sort();
    assert_eq!(hashes, ["t2", "t3"], "a new invitation replaces the unspent one of its tenant only");
    assert_eq!(db.live_invitation_secrets(u.id, at(60), 5).await.unwrap(), vec![], "expired");

    let live = db.live_invitation_secrets(u.id, at(2), 5).await.unwrap();
    let t2 = live.iter().find(|s| s.hash == "t2").unwrap();
    db.session(u.id, "t1", "r1").await;
    assert_eq!(db.accept_invitation_with_secret(&t2.id, u.id, at(60)).await.unwrap(), None, "expired");
    assert_eq!(db.accept_invitation_with_secret(&t2.id, u.id, at(3)).await.unwrap(), Some(tid("t2")));
    assert_eq!(db.accept_invitation_with_secret(&t2.id, u.id, at(4)).await.unwrap(), None, "spent once");
    let memberships = db.memberships(&[u.id]).await.unwrap().remove(&u.id).unwrap();
    let pending = |t: &str| memberships.iter().find(|m| m.tenant_id == t).unwrap().pending;
    assert!(!pending("t2"));
    assert!(pending("t3"), "the other tenant's invitation is still pending");
    // A verified account keeps its password and sessions.
    assert!(password_of(&db, "a@x.io").await.is_some());
    db.assert_live("r1").await;

    // The membership gone (the user removed from the tenant): nothing changes, the secret stays unspent.
    let t3 = live.iter().find(|s| s.hash == "t3").unwrap();
    db.remove_from_tenant(u.id, &tid("t3"), at(5)).await.unwrap();
    assert_eq!(db.accept_invitation_with_secret(&t3.id, u.id, at(5)).await.unwrap(), None);
    assert_eq!(db.live_invitation_secrets(u.id, at(5), 5).await.unwrap().len(), 1);
}

async fn accepting_an_invitation_into_an_unverified_account_clears_its_password_and_sessions(db: Db) {
    db.tenants(&["attacker", "victim"]).await;
    // Someone registered the address without proving it, and holds a password and a session.
    let u = unverified_in(&db, "v@x.io", "attacker").await;
    db.session(u.id, "attacker", "attacker-session").await;
    db.invite_member(u.id, &tid("victim"), &[], at(0)).await.unwrap();
    db.issue_invitation_secret(u.id, &tid("victim"), "inv", at(0), at(60)).await.unwrap();
    let live = db.live_invitation_secrets(u.id, at(1), 5).await.unwrap().remove(0);
    assert_eq!(db.accept_invitation_with_secret(&live.id, u.id, at(1)).await.unwrap(), Some(tid("victim")));
    let after = db.get_user(u.id).await.unwrap();
    assert!(after.verified, "the mailbox owner proved the address");
    assert_eq!(password_of(&db, "v@x.io").await, None, "the registrant's password is gone");
    db.assert_revoked("attacker-session").await;
}

async fn wrong_guesses_count_against_every_live_secret_of_the_user(db: Db) {
    db.tenants(&["t1", "t2", "t3"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let other = db.user_in("b@x.io", "t1", &[]).await;
    for t in ["t2", "t3"] {
        db.invite_member(u.id, &tid(t), &[], at(0)).await.unwrap();
        db.issue_invitation_secret(u.id, &tid(t), t, at(0), at(60)).await.unwrap();
    }
    db.invite_member(other.id, &tid("t2"), &[], at(0)).await.unwrap();
    db.issue_invitation_secret(other.id, &tid("t2"), "other", at(0), at(60)).await.unwrap();
    for _ in 0..3 {
        db.fail_user_secrets(u.id, SecretPurpose::Invitation, at(1)).await.unwrap();
    }
    assert_eq!(db.live_invitation_secrets(u.id, at(1), 4).await.unwrap().len(), 2);
    assert_eq!(db.live_invitation_secrets(u.id, at(1), 3).await.unwrap(), vec![], "both dead at the limit");
    assert_eq!(db.live_invitation_secrets(other.id, at(1), 1).await.unwrap().len(), 1, "another user's untouched");
}

async fn concurrent_uses_of_one_activation_or_invitation_secret_let_exactly_one_win(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let u = unverified_in(&db, "a@x.io", "t1").await;
    db.invite_member(u.id, &tid("t2"), &[], at(0)).await.unwrap();
    db.issue_secret(u.id, ACTIVATION, "act", at(0), at(60)).await.unwrap();
    db.issue_invitation_secret(u.id, &tid("t2"), "inv", at(0), at(60)).await.unwrap();
    let activation = db.live_secret(u.id, ACTIVATION, at(1), 5).await.unwrap().unwrap().id;
    let invitation = db.live_invitation_secrets(u.id, at(1), 5).await.unwrap().remove(0).id;

    let mut tasks = Vec::new();
    for i in 0..6 {
        let (store, activation, invitation) = (db.store.clone(), activation.clone(), invitation.clone());
        tasks.push(tokio::spawn(async move {
            let hash = format!("$p{i}");
            let activated = store.activate_with_secret(&activation, u.id, Some(&hash), at(1)).await.unwrap();
            let accepted = store.accept_invitation_with_secret(&invitation, u.id, at(1)).await.unwrap();
            (activated, accepted.is_some())
        }));
    }
    let (mut activations, mut acceptances) = (0, 0);
    for task in tasks {
        let (activated, accepted) = task.await.unwrap();
        activations += usize::from(activated);
        acceptances += usize::from(accepted);
    }
    assert_eq!((activations, acceptances), (1, 1), "each secret is spent exactly once");
}
