//! `MfaStore`: enrolment spends its challenges atomically, a TOTP step is accepted once, removal takes the recovery
//! code with the last device, recovery is single-use, challenges are the newest only and die by failures and expiry,
//! remembered devices expire.

use yolk_domain::UserId;
use yolk_store::mfa::{ChallengeKind, Enrollment, MfaDevice, MfaDeviceKind, NewChallenge, Passkey};
use yolk_store::{Constraint, Entity, MfaStore, StoreError};

use crate::{Db, assert_conflict, at};

contract!(
    enrolment_spends_its_challenges_once_and_sets_the_first_recovery_code,
    a_totp_step_is_accepted_once_and_never_an_earlier_one,
    removing_the_last_device_removes_the_recovery_code_and_recovery_is_single_use,
    challenges_are_the_newest_only_and_die_by_failures_and_expiry,
    remembered_devices_belong_to_their_user_and_expire,
    a_webauthn_credential_is_registered_once_across_users_and_passkeys_are_their_users,
);

fn authenticator(user: UserId, id: &str) -> MfaDevice {
    MfaDevice {
        id: id.into(),
        user_id: user,
        kind: MfaDeviceKind::Authenticator,
        totp_secret: Some("JBSWY3DPEHPK3PXP".into()),
        phone_number: None,
        last_step: 10,
        credential_id: None,
        webauthn: None,
        created_at: at(0),
    }
}

async fn challenge(db: &Db, user: UserId, kind: ChallengeKind, token: &str, expires: i64) -> String {
    let c = NewChallenge { user_id: user, kind, token_hash: token, payload: Some("p"), expires_at: at(expires) };
    db.issue_challenge(c, at(0)).await.unwrap();
    db.challenge_by_token(kind, token, at(0), 5).await.unwrap().expect("live").id
}

async fn enrolment_spends_its_challenges_once_and_sets_the_first_recovery_code(db: Db) {
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let login = challenge(&db, u.id, ChallengeKind::Login, "login", 60).await;
    let pending = challenge(&db, u.id, ChallengeKind::TotpEnrollment, "enrol", 60).await;
    let d1 = authenticator(u.id, "d1");
    let spend = [login.as_str(), pending.as_str()];
    let e = Enrollment { device: &d1, recovery_code_hash: Some("rc1"), spend: &spend };
    assert!(db.enroll_mfa_device(e, at(1)).await.unwrap());
    assert_eq!(db.mfa_devices(u.id).await.unwrap(), vec![d1.clone()]);
    assert_eq!(db.recovery_code_hash(u.id).await.unwrap().as_deref(), Some("rc1"));
    assert_eq!(db.challenge_by_token(ChallengeKind::Login, "login", at(1), 5).await.unwrap(), None, "spent");

    // Spent challenges: nothing happens.
    let d2 = authenticator(u.id, "d2");
    let e = Enrollment { device: &d2, recovery_code_hash: Some("rc2"), spend: &spend };
    assert!(!db.enroll_mfa_device(e, at(2)).await.unwrap());
    assert_eq!(db.mfa_devices(u.id).await.unwrap().len(), 1);
    // A second device keeps the first recovery code.
    let e = Enrollment { device: &d2, recovery_code_hash: Some("rc2"), spend: &[] };
    assert!(db.enroll_mfa_device(e, at(2)).await.unwrap());
    assert_eq!(db.recovery_code_hash(u.id).await.unwrap().as_deref(), Some("rc1"));
    let ghost = authenticator(UserId::new(), "d3");
    let e = Enrollment { device: &ghost, recovery_code_hash: None, spend: &[] };
    assert!(matches!(db.enroll_mfa_device(e, at(2)).await, Err(StoreError::NotFound(Entity::User))));
}

async fn a_totp_step_is_accepted_once_and_never_an_earlier_one(db: Db) {
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let d = authenticator(u.id, "d1");
    assert!(
        db.enroll_mfa_device(Enrollment { device: &d, recovery_code_hash: None, spend: &[] }, at(0)).await.unwrap()
    );
    assert!(!db.accept_totp_step("d1", 10).await.unwrap(), "the enrolment's step");
    assert!(db.accept_totp_step("d1", 11).await.unwrap());
    assert!(!db.accept_totp_step("d1", 11).await.unwrap(), "once");
    assert!(!db.accept_totp_step("d1", 9).await.unwrap(), "never earlier");
    assert!(!db.accept_totp_step("nope", 12).await.unwrap());
}

async fn removing_the_last_device_removes_the_recovery_code_and_recovery_is_single_use(db: Db) {
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    for id in ["d1", "d2"] {
        let d = authenticator(u.id, id);
        let e = Enrollment { device: &d, recovery_code_hash: Some("rc"), spend: &[] };
        db.enroll_mfa_device(e, at(0)).await.unwrap();
    }
    db.remember_device(u.id, "dev", at(0), at(100)).await.unwrap();
    assert_eq!(db.remove_mfa_devices(u.id, Some("d1")).await.unwrap(), 1);
    assert!(db.recovery_code_hash(u.id).await.unwrap().is_some(), "one device left");
    assert_eq!(db.remove_mfa_devices(u.id, Some("d1")).await.unwrap(), 0);
    assert_eq!(db.remove_mfa_devices(u.id, None).await.unwrap(), 1);
    assert_eq!(db.recovery_code_hash(u.id).await.unwrap(), None);
    assert!(!db.is_device_remembered(u.id, "dev", at(1)).await.unwrap());

    let d = authenticator(u.id, "d3");
    db.enroll_mfa_device(Enrollment { device: &d, recovery_code_hash: Some("rc"), spend: &[] }, at(0)).await.unwrap();
    assert!(!db.recover_mfa(u.id, "wrong").await.unwrap());
    assert_eq!(db.mfa_devices(u.id).await.unwrap().len(), 1, "a wrong code changes nothing");
    assert!(db.recover_mfa(u.id, "rc").await.unwrap());
    assert!(db.mfa_devices(u.id).await.unwrap().is_empty());
    assert!(!db.recover_mfa(u.id, "rc").await.unwrap(), "once");
}

async fn challenges_are_the_newest_only_and_die_by_failures_and_expiry(db: Db) {
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let first = challenge(&db, u.id, ChallengeKind::Login, "one", 60).await;
    let second = challenge(&db, u.id, ChallengeKind::Login, "two", 60).await;
    assert_eq!(db.challenge_by_token(ChallengeKind::Login, "one", at(1), 5).await.unwrap(), None, "replaced");
    assert_eq!(db.challenge_by_token(ChallengeKind::Code, "two", at(1), 5).await.unwrap(), None, "other kind");
    assert!(!db.spend_challenges(&[&first], at(1)).await.unwrap());
    // Codes coexist.
    challenge(&db, u.id, ChallengeKind::Code, "c1", 60).await;
    challenge(&db, u.id, ChallengeKind::Code, "c2", 60).await;
    assert!(db.challenge_by_token(ChallengeKind::Code, "c1", at(1), 5).await.unwrap().is_some());

    for _ in 0..3 {
        db.fail_challenge(&second).await.unwrap();
    }
    assert!(db.challenge_by_token(ChallengeKind::Login, "two", at(1), 4).await.unwrap().is_some());
    db.fail_challenge(&second).await.unwrap();
    assert_eq!(db.challenge_by_token(ChallengeKind::Login, "two", at(1), 4).await.unwrap(), None);
    let live = db.user_challenge(u.id, ChallengeKind::Login, at(1), 5).await.unwrap().expect("live");
    assert_eq!(live.id, second);
    assert_eq!(db.user_challenge(u.id, ChallengeKind::Login, at(60), 5).await.unwrap(), None, "expired");
    assert!(!db.spend_challenges(&[&second], at(60)).await.unwrap(), "expired");
    assert!(db.spend_challenges(&[&second], at(2)).await.unwrap());
    assert!(!db.spend_challenges(&[&second], at(3)).await.unwrap(), "once");
}

async fn remembered_devices_belong_to_their_user_and_expire(db: Db) {
    db.tenants(&["t1"]).await;
    let a = db.user_in("a@x.io", "t1", &[]).await;
    let b = db.user_in("b@x.io", "t1", &[]).await;
    db.remember_device(a.id, "dev", at(0), at(100)).await.unwrap();
    assert!(db.is_device_remembered(a.id, "dev", at(99)).await.unwrap());
    assert!(!db.is_device_remembered(b.id, "dev", at(1)).await.unwrap(), "another user's device");
    assert!(!db.is_device_remembered(a.id, "dev", at(100)).await.unwrap(), "expired");
    assert!(matches!(
        db.remember_device(UserId::new(), "x", at(0), at(1)).await,
        Err(StoreError::NotFound(Entity::User))
    ));
}

fn enroll(d: &MfaDevice) -> Enrollment<'_> {
    Enrollment { device: d, recovery_code_hash: None, spend: &[] }
}

fn key(user: UserId, id: &str, credential: &str) -> MfaDevice {
    MfaDevice {
        kind: MfaDeviceKind::WebAuthn,
        totp_secret: None,
        credential_id: Some(credential.into()),
        webauthn: Some("{\"v\":1}".into()),
        ..authenticator(user, id)
    }
}

fn passkey(user: UserId, id: &str, credential: &str) -> Passkey {
    Passkey {
        id: id.into(),
        user_id: user,
        credential_id: credential.into(),
        credential: "{}".into(),
        device_type: "Platform".into(),
        created_at: at(0),
    }
}

async fn a_webauthn_credential_is_registered_once_across_users_and_passkeys_are_their_users(db: Db) {
    db.tenants(&["t1"]).await;
    let a = db.user_in("a@x.io", "t1", &[]).await;
    let b = db.user_in("b@x.io", "t1", &[]).await;
    let ka = key(a.id, "ka", "cred-1");
    assert!(db.enroll_mfa_device(enroll(&ka), at(0)).await.unwrap());
    let kb = key(b.id, "kb", "cred-1");
    assert_conflict(db.enroll_mfa_device(enroll(&kb), at(0)).await, Constraint::WebAuthnCredential);
    // Kinds without a credential id do not collide with each other.
    for (u, id) in [(a.id, "t-a"), (b.id, "t-b")] {
        assert!(db.enroll_mfa_device(enroll(&authenticator(u, id)), at(0)).await.unwrap());
    }
    assert!(db.update_webauthn_device("ka", "{\"v\":2}").await.unwrap());
    assert!(!db.update_webauthn_device("t-a", "{}").await.unwrap(), "not a WebAuthn device");
    let stored = db.mfa_devices(a.id).await.unwrap();
    assert_eq!(stored.iter().find(|d| d.id == "ka").and_then(|d| d.webauthn.clone()).as_deref(), Some("{\"v\":2}"));

    assert!(db.add_passkey(&passkey(a.id, "pa", "pk-1"), &[], at(0)).await.unwrap());
    assert_conflict(db.add_passkey(&passkey(b.id, "pb", "pk-1"), &[], at(0)).await, Constraint::WebAuthnCredential);
    assert_eq!(db.passkey_by_credential("pk-1").await.unwrap().map(|p| p.user_id), Some(a.id));
    assert!(db.passkey_by_credential("pk-2").await.unwrap().is_none());
    assert!(db.update_passkey("pa", "{\"n\":1}").await.unwrap());
    assert!(!db.remove_passkey(b.id, "pa").await.unwrap(), "another user's passkey");
    assert_eq!(db.passkeys(a.id).await.unwrap().len(), 1);
    // A spent challenge stops the addition.
    let token = challenge(&db, a.id, ChallengeKind::PasskeyRegistration, "reg", 100).await;
    assert!(db.spend_challenges(&[&token], at(1)).await.unwrap());
    assert!(!db.add_passkey(&passkey(a.id, "pa2", "pk-2"), &[&token], at(2)).await.unwrap());
    assert!(db.passkey_by_credential("pk-2").await.unwrap().is_none());
    // MFA unenrol leaves passkeys; removal by its user takes it.
    db.remove_mfa_devices(a.id, None).await.unwrap();
    assert_eq!(db.passkeys(a.id).await.unwrap().len(), 1);
    assert!(db.remove_passkey(a.id, "pa").await.unwrap());
    assert!(db.passkeys(a.id).await.unwrap().is_empty());
    assert!(matches!(
        db.add_passkey(&passkey(UserId::new(), "px", "pk-3"), &[], at(0)).await,
        Err(StoreError::NotFound(Entity::User))
    ));
}
