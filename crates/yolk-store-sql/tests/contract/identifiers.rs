//! `IdentifierStore`: a user's addresses (one owner per address, across login and secondary addresses, by
//! constraint), codes spent once, email changes, phone numbers and usernames.

use std::sync::Arc;

use sqlx::Executor as _;
use yolk_domain::{PhoneNumberId, UserEmailId, UserId};
use yolk_store::identifiers::{
    EmailQuery, IdentifierStore, NewAddress, PhoneProof, PhoneQuery, PhoneSort, UsernameQuery,
};
use yolk_store::mfa::{ChallengeKind, NewChallenge};
use yolk_store::users::NewUser;
use yolk_store::{Constraint, Entity, MfaStore, PageRequest, StoreError, UserStore};
use yolk_store_sql::{MIGRATIONS, SqlStore};
use yolk_testkit::TestDb;

use crate::{Db, assert_conflict, assert_not_found, at, new_user, set, user};

contract!(
    a_login_address_and_a_secondary_address_never_belong_to_two_users,
    a_pending_address_claims_nothing_until_its_code_is_spent_once,
    the_primary_moves_only_to_a_verified_address_and_cannot_be_deleted,
    an_email_change_spends_once_and_replaces_the_login_address,
    concurrent_claims_of_one_address_let_exactly_one_win,
    phone_numbers_and_usernames,
    a_pending_phone_number_claims_nothing_until_its_code_is_spent_once,
    phone_number_pages_follow_their_order_and_filters,
    numbers_set_before_0017_stay_held_one_spelling_each,
    concurrent_proofs_of_one_number_let_exactly_one_win,
);

fn pending(hash: &str) -> NewAddress {
    NewAddress::Pending { code_hash: hash.into(), expires_at: at(600) }
}

const PAGE: PageRequest = PageRequest { limit: 50, offset: 0 };

async fn a_login_address_and_a_secondary_address_never_belong_to_two_users(db: Db) {
    db.tenants(&["t1"]).await;
    let a = db.user_in("a@x.io", "t1", &[]).await;
    let b = db.user_in("b@x.io", "t1", &[]).await;
    // The login address is listed as the primary.
    let emails = db.user_emails(a.id).await.unwrap();
    assert_eq!(emails.len(), 1);
    assert!(emails[0].is_primary && emails[0].verified);
    assert_not_found(db.user_emails(UserId::new()).await, Entity::User);

    // Another user's login address cannot be held as a secondary address (any spelling).
    assert_conflict(db.add_user_email(b.id, "A@X.io", NewAddress::Verified, at(1)).await, Constraint::UserEmail);
    assert_conflict(db.add_user_email(a.id, "A@x.IO", pending("h"), at(1)).await, Constraint::OwnEmail);
    // A held secondary address cannot become another user's login address, by creation or by update.
    db.add_user_email(a.id, "second@x.io", NewAddress::Verified, at(1)).await.unwrap();
    assert_conflict(db.create_user(&new_user("Second@X.io", Some("t1"), &[])).await, Constraint::UserEmail);
    assert_conflict(
        db.update_user(b.id, set(|u: &mut yolk_domain::User| u.email = "SECOND@x.io".into()), at(2)).await,
        Constraint::UserEmail,
    );
    assert_eq!(db.get_user(b.id).await.unwrap().email, "b@x.io", "nothing changed");
    // A vendor update of the login address moves the claim: the former address is free again.
    db.update_user(b.id, set(|u: &mut yolk_domain::User| u.email = "b2@x.io".into()), at(3)).await.unwrap();
    let c = db.create_user(&new_user("b@x.io", Some("t1"), &[])).await.unwrap();
    assert_eq!(db.user_emails(c.id).await.unwrap()[0].email, "b@x.io");
    let listed = db.list_user_emails(&EmailQuery { user_ids: Some(vec![a.id]), ..Default::default() }, PAGE).await;
    let (items, total) = listed.unwrap();
    assert_eq!(total, 2);
    assert_eq!(items.iter().map(|e| e.email.as_str()).collect::<Vec<_>>(), ["a@x.io", "second@x.io"]);
    let filtered = EmailQuery { email: Some("SECOND".into()), ..Default::default() };
    assert_eq!(db.list_user_emails(&filtered, PAGE).await.unwrap().1, 1);
    // Deleting the user frees its addresses.
    db.delete_user(a.id).await.unwrap();
    db.create_user(&new_user("second@x.io", Some("t1"), &[])).await.unwrap();
}

async fn a_pending_address_claims_nothing_until_its_code_is_spent_once(db: Db) {
    db.tenants(&["t1"]).await;
    let a = db.user_in("a@x.io", "t1", &[]).await;
    let added = db.add_user_email(a.id, "new@x.io", pending("h1"), at(1)).await.unwrap();
    assert!(!added.verified && !added.is_primary);
    // Someone else may still take the address: a pending one blocks nobody.
    let b = db.user_in("other@x.io", "t1", &[]).await;
    db.add_user_email(b.id, "new@x.io", pending("h2"), at(1)).await.unwrap();
    assert_not_found(db.add_user_email(UserId::new(), "z@x.io", pending("h"), at(1)).await, Entity::User);

    let live = db.pending_email_code(a.id, "NEW@x.io", at(2), 3).await.unwrap().expect("live code");
    assert_eq!(live.hash, "h1");
    assert_eq!(db.pending_email_code(a.id, "new@x.io", at(600), 3).await.unwrap(), None, "expired");
    for _ in 0..3 {
        db.fail_email_code(&live.key).await.unwrap();
    }
    assert_eq!(db.pending_email_code(a.id, "new@x.io", at(2), 3).await.unwrap(), None, "dead after failures");
    assert!(db.pending_email_code(a.id, "new@x.io", at(2), 5).await.unwrap().is_some());

    assert!(!db.confirm_user_email(&live.key, at(600)).await.unwrap(), "expired codes are refused");
    assert!(db.confirm_user_email(&live.key, at(3)).await.unwrap());
    assert!(!db.confirm_user_email(&live.key, at(4)).await.unwrap(), "spent once");
    let mine = db.user_emails(a.id).await.unwrap();
    assert!(mine.iter().any(|e| e.email == "new@x.io" && e.verified));
    // B's pending copy can no longer be confirmed: A holds the address.
    let theirs = db.pending_email_code(b.id, "new@x.io", at(5), 5).await.unwrap().unwrap();
    assert_conflict(db.confirm_user_email(&theirs.key, at(5)).await, Constraint::UserEmail);
}

async fn the_primary_moves_only_to_a_verified_address_and_cannot_be_deleted(db: Db) {
    db.tenants(&["t1"]).await;
    let a = db.user_in("a@x.io", "t1", &[]).await;
    let pending_one = db.add_user_email(a.id, "p@x.io", pending("h"), at(1)).await.unwrap();
    let verified = db.add_user_email(a.id, "v@x.io", NewAddress::Verified, at(1)).await.unwrap();
    assert!(matches!(db.make_primary_email(a.id, "p@x.io", at(2)).await, Err(StoreError::Invalid(_))));
    assert_not_found(db.make_primary_email(a.id, "none@x.io", at(2)).await, Entity::UserEmail);
    assert_eq!(db.make_primary_email(a.id, "V@x.io", at(2)).await.unwrap(), "a@x.io");
    let u = db.get_user(a.id).await.unwrap();
    assert_eq!(u.email, "v@x.io");
    assert!(u.verified);
    let emails = db.user_emails(a.id).await.unwrap();
    assert_eq!(emails[0].email, "v@x.io");
    assert!(emails[0].is_primary);
    assert!(emails.iter().any(|e| e.email == "a@x.io" && !e.is_primary && e.verified), "{emails:?}");
    // Logging in goes by the new login address.
    assert!(db.get_user_by_email("v@x.io").await.is_ok());

    assert!(matches!(db.delete_user_email(a.id, verified.id).await, Err(StoreError::Invalid(_))));
    assert_not_found(db.delete_user_email(a.id, UserEmailId::new()).await, Entity::UserEmail);
    let b = db.user_in("b@x.io", "t1", &[]).await;
    assert_not_found(db.delete_user_email(b.id, pending_one.id).await, Entity::UserEmail);
    db.delete_user_email(a.id, pending_one.id).await.unwrap();
    assert_eq!(db.user_emails(a.id).await.unwrap().len(), 2);
}

async fn an_email_change_spends_once_and_replaces_the_login_address(db: Db) {
    db.tenants(&["t1"]).await;
    let a = db.user_in("a@x.io", "t1", &[]).await;
    let b = db.user_in("b@x.io", "t1", &[]).await;
    db.start_email_change(a.id, "old-try@x.io", "h0", at(0), at(600)).await.unwrap();
    db.start_email_change(a.id, "New@x.io", "h1", at(1), at(600)).await.unwrap();
    assert_eq!(db.pending_email_change(a.id, "old-try@x.io", at(2), 5).await.unwrap(), None, "replaced");
    let live = db.pending_email_change(a.id, "new@x.io", at(2), 5).await.unwrap().expect("live");
    assert_eq!(live.hash, "h1");
    db.fail_email_change(a.id).await.unwrap();
    assert_eq!(db.pending_email_change(a.id, "new@x.io", at(2), 1).await.unwrap(), None);
    assert_eq!(db.finish_email_change(a.id, at(600)).await.unwrap(), None, "expired");
    assert_eq!(db.finish_email_change(a.id, at(3)).await.unwrap().as_deref(), Some("a@x.io"));
    assert_eq!(db.finish_email_change(a.id, at(4)).await.unwrap(), None, "spent once");
    assert_eq!(db.get_user(a.id).await.unwrap().email, "New@x.io");
    let emails = db.user_emails(a.id).await.unwrap();
    assert_eq!(emails.len(), 1, "the former login address is gone: {emails:?}");
    db.create_user(&new_user("a@x.io", Some("t1"), &[])).await.expect("the former address is free");

    // A change to an address another user holds fails whole.
    db.start_email_change(b.id, "new@X.io", "h2", at(5), at(600)).await.unwrap();
    assert_conflict(db.finish_email_change(b.id, at(6)).await, Constraint::UserEmail);
    assert_eq!(db.get_user(b.id).await.unwrap().email, "b@x.io");
}

async fn concurrent_claims_of_one_address_let_exactly_one_win(db: Db) {
    db.tenants(&["t1"]).await;
    let a = db.user_in("a@x.io", "t1", &[]).await;
    let store = db.store.clone();
    let secondary = {
        let store = Arc::clone(&store);
        tokio::spawn(async move { store.add_user_email(a.id, "race@x.io", NewAddress::Verified, at(1)).await })
    };
    let login = {
        let store = Arc::clone(&store);
        tokio::spawn(async move {
            let new = NewUser { user: user("RACE@x.io"), ..new_user("", Some("t1"), &[]) };
            store.create_user(&new).await
        })
    };
    let (s, l) = (secondary.await.unwrap(), login.await.unwrap());
    assert!(s.is_ok() != l.is_ok(), "exactly one wins: {s:?} {l:?}");
    let failed = if s.is_ok() { l.map(|_| ()) } else { s.map(|_| ()) };
    assert!(matches!(failed, Err(StoreError::Conflict(Constraint::UserEmail))), "{failed:?}");
}

async fn phone_numbers_and_usernames(db: Db) {
    db.tenants(&["t1"]).await;
    let a = db.user_in("a@x.io", "t1", &[]).await;
    let b = db.user_in("b@x.io", "t1", &[]).await;
    let phone = db.add_phone_number(a.id, "+14155552671", 10, at(1)).await.unwrap();
    assert_conflict(db.add_phone_number(b.id, "+14155552671", 10, at(1)).await, Constraint::PhoneNumber);
    // Dashes do not make another number.
    assert_conflict(db.add_phone_number(b.id, "+1-415-555-2671", 10, at(1)).await, Constraint::PhoneNumber);
    assert_conflict(db.add_phone_number(a.id, "+1-415-555-2671", 10, at(1)).await, Constraint::PhoneNumber);
    assert_not_found(db.add_phone_number(UserId::new(), "+14155552672", 10, at(1)).await, Entity::User);
    assert_not_found(db.delete_phone_number(b.id, phone).await, Entity::PhoneNumber);
    assert_not_found(db.delete_phone_number(a.id, PhoneNumberId::new()).await, Entity::PhoneNumber);
    db.delete_phone_number(a.id, phone).await.unwrap();
    db.add_phone_number(b.id, "+14155552671", 10, at(2)).await.unwrap();

    db.update_user(a.id, set(|u: &mut yolk_domain::User| u.username = Some("alpha".into())), at(2)).await.unwrap();
    db.update_user(b.id, set(|u: &mut yolk_domain::User| u.username = Some("beta".into())), at(2)).await.unwrap();
    let all = db.list_usernames(&UsernameQuery::default(), PAGE).await.unwrap();
    assert_eq!(all.1, 2);
    assert_eq!(all.0[0].username, "alpha");
    // `offset` counts rows (the second page of one row is the second username).
    let second = db.list_usernames(&UsernameQuery::default(), PageRequest { limit: 1, offset: 1 }).await.unwrap();
    assert_eq!(second.0[0].username, "beta");
    let q = UsernameQuery { prefix: Some("be".into()), ..Default::default() };
    assert_eq!(db.list_usernames(&q, PAGE).await.unwrap().0[0].user_id, b.id);
    let q = UsernameQuery { usernames: Some(vec!["alpha".into()]), user_ids: Some(vec![a.id]), ..Default::default() };
    assert_eq!(db.list_usernames(&q, PAGE).await.unwrap().1, 1);
    assert_eq!(db.delete_username("alpha", at(3)).await.unwrap(), a.id);
    assert_eq!(db.get_user(a.id).await.unwrap().username, None);
    assert_not_found(db.delete_username("alpha", at(3)).await, Entity::Username);
    // A username-only user keeps its only login identifier.
    let c = NewUser {
        user: yolk_domain::User { username: Some("gamma".into()), ..user("") },
        ..new_user("", Some("t1"), &[])
    };
    db.create_user(&c).await.unwrap();
    assert!(matches!(db.delete_username("gamma", at(3)).await, Err(StoreError::Invalid(_))));
}

async fn code(db: &Db, user: UserId, token: &str, expires: i64) -> String {
    let c = NewChallenge {
        user_id: user,
        kind: ChallengeKind::Code,
        token_hash: token,
        payload: None,
        expires_at: at(expires),
    };
    db.issue_challenge(c, at(0)).await.unwrap();
    db.challenge_by_token(ChallengeKind::Code, token, at(0), 5).await.unwrap().expect("live").id
}

async fn a_pending_phone_number_claims_nothing_until_its_code_is_spent_once(db: Db) {
    db.tenants(&["t1"]).await;
    let a = db.user_in("a@x.io", "t1", &[]).await;
    let b = db.user_in("b@x.io", "t1", &[]).await;
    // Both may add the number: unproved, it blocks nobody; adding it again answers the same row.
    let pa = db.add_pending_phone_number(a.id, "+1-415-555-0001", 10, at(1)).await.unwrap();
    assert!(!pa.verified);
    assert_eq!(db.add_pending_phone_number(a.id, "+14155550001", 10, at(2)).await.unwrap(), pa);
    let pb = db.add_pending_phone_number(b.id, "+14155550001", 10, at(1)).await.unwrap();
    assert_not_found(db.add_pending_phone_number(UserId::new(), "+14155550001", 10, at(1)).await, Entity::User);

    // A's code makes it A's, once; B's proof is then a conflict that spends nothing.
    let ca = code(&db, a.id, "ta", 60).await;
    assert!(db.confirm_phone_number(a.id, &PhoneProof::Added(pa.id), &ca, 10, at(3)).await.unwrap());
    assert!(!db.confirm_phone_number(a.id, &PhoneProof::Added(pa.id), &ca, 10, at(3)).await.unwrap());
    let own = db.user_phone_numbers(a.id).await.unwrap();
    assert_eq!((own.len(), own[0].verified, own[0].updated_at), (1, true, at(3)));
    let cb = code(&db, b.id, "tb", 60).await;
    assert_conflict(
        db.confirm_phone_number(b.id, &PhoneProof::Added(pb.id), &cb, 10, at(3)).await,
        Constraint::PhoneNumber,
    );
    assert!(db.challenge_by_token(ChallengeKind::Code, "tb", at(3), 5).await.unwrap().is_some(), "not spent");
    assert!(!db.user_phone_number(b.id, pb.id).await.unwrap().verified);
    // A pre-verified number is added verified; an expired code changes nothing.
    let late = code(&db, b.id, "late", 5).await;
    let new = PhoneProof::New("+14155550002".into());
    assert!(!db.confirm_phone_number(b.id, &new, &late, 10, at(6)).await.unwrap());
    assert!(db.confirm_phone_number(b.id, &new, &cb, 10, at(4)).await.unwrap());
    let own = db.user_phone_numbers(b.id).await.unwrap();
    assert!(own.iter().any(|p| p.phone_number == "+14155550002" && p.verified));
    // Another user's number is not found; deletion spends its code once.
    assert_not_found(db.user_phone_number(b.id, pa.id).await, Entity::PhoneNumber);
    let d = code(&db, a.id, "del", 60).await;
    assert_not_found(db.delete_phone_number_spending(b.id, pa.id, &d, at(5)).await, Entity::PhoneNumber);
    assert!(db.delete_phone_number_spending(a.id, pa.id, &d, at(5)).await.unwrap());
    assert!(!db.delete_phone_number_spending(a.id, pa.id, &d, at(5)).await.unwrap());
    assert!(db.user_phone_numbers(a.id).await.unwrap().is_empty());
    // Now free, B's added number can be proved.
    let cb2 = code(&db, b.id, "tb2", 60).await;
    assert!(db.confirm_phone_number(b.id, &PhoneProof::Added(pb.id), &cb2, 10, at(6)).await.unwrap());
    // A user has at most `max_per_user` numbers.
    db.add_pending_phone_number(a.id, "+14155550010", 2, at(7)).await.unwrap();
    db.add_pending_phone_number(a.id, "+14155550011", 2, at(7)).await.unwrap();
    let full = db.add_pending_phone_number(a.id, "+14155550012", 2, at(7)).await;
    assert!(matches!(full, Err(StoreError::Invalid(_))), "{full:?}");
}

async fn phone_number_pages_follow_their_order_and_filters(db: Db) {
    db.tenants(&["t1"]).await;
    let a = db.user_in("a@x.io", "t1", &[]).await;
    let b = db.user_in("b@x.io", "t1", &[]).await;
    db.add_phone_number(a.id, "+14155550003", 10, at(1)).await.unwrap();
    db.add_phone_number(a.id, "+14155550001", 10, at(1)).await.unwrap();
    db.add_pending_phone_number(b.id, "+14155550002", 10, at(1)).await.unwrap();
    let page = |offset| PageRequest { limit: 2, offset };
    let by_number = PhoneQuery { sort: PhoneSort::PhoneNumber, ..Default::default() };
    let (items, total) = db.list_phone_numbers(&by_number, page(0)).await.unwrap();
    assert_eq!(total, 3);
    let numbers: Vec<_> = items.iter().map(|p| p.phone_number.as_str()).collect();
    assert_eq!(numbers, ["+14155550001", "+14155550002"]);
    let (items, _) = db.list_phone_numbers(&by_number, page(2)).await.unwrap();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].phone_number, "+14155550003");
    let desc = PhoneQuery { descending: true, ..by_number.clone() };
    assert_eq!(db.list_phone_numbers(&desc, page(0)).await.unwrap().0[0].phone_number, "+14155550003");
    let (lo, hi) = if a.id.to_string() < b.id.to_string() { (a.id, b.id) } else { (b.id, a.id) };
    let by_user = db.list_phone_numbers(&PhoneQuery::default(), PAGE).await.unwrap().0;
    assert_eq!((by_user[0].user_id, by_user[2].user_id), (lo, hi));
    let q = PhoneQuery { user_ids: Some(vec![b.id]), ..Default::default() };
    let (items, total) = db.list_phone_numbers(&q, PAGE).await.unwrap();
    assert_eq!((total, items[0].verified), (1, false));
    let q = PhoneQuery { phone_number: Some("+1-415-555-0003".into()), ..Default::default() };
    let (items, total) = db.list_phone_numbers(&q, PAGE).await.unwrap();
    assert_eq!((total, items[0].user_id), (1, a.id));
    let q = PhoneQuery { user_ids: Some(vec![]), ..Default::default() };
    assert_eq!(db.list_phone_numbers(&q, PAGE).await.unwrap().1, 0);
}

fn statements(sql: &str) -> Vec<String> {
    let code: String = sql.lines().map(|l| l.split_once("--").map_or(l, |(c, _)| c)).collect::<Vec<_>>().join("\n");
    code.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

async fn numbers_set_before_0017_stay_held_one_spelling_each(db: Db) {
    // A database as the migrations before 0017 left it: numbers set by the environment, two spellings of one.
    let old = match db.test_db.backend {
        "postgres" => TestDb::postgres(&std::env::var(yolk_testkit::POSTGRES_ENV).unwrap()).await,
        _ => TestDb::sqlite(),
    };
    let url = if old.backend == "sqlite" { format!("{}?mode=rwc", old.url) } else { old.url.clone() };
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await.unwrap();
    conn.execute("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        .await
        .unwrap();
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v < 17) {
        for s in statements(sql) {
            conn.execute(sqlx::AssertSqlSafe(s)).await.unwrap();
        }
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)")
            .bind(*version)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let (a, b) = (UserId::new(), UserId::new());
    for u in [a, b] {
        sqlx::query(
            "INSERT INTO users (id, provider, verified, locked, super_user, invisible, created_at, updated_at)
             VALUES ($1, 'local', 1, 0, 0, 0, 0, 0)",
        )
        .bind(u.to_string())
        .execute(&mut conn)
        .await
        .unwrap();
    }
    let rows = [
        ("00000000-0000-4000-8000-000000000001", a, "+1-415-555-0001"),
        ("00000000-0000-4000-8000-000000000002", a, "+14155550001"),
        ("00000000-0000-4000-8000-000000000003", b, "+1415555-0001"),
        ("00000000-0000-4000-8000-000000000004", b, "+14155550002"),
    ];
    for (id, user, phone) in rows {
        sqlx::query("INSERT INTO user_phone_numbers (id, user_id, phone_number, verified, created_at) VALUES ($1, $2, $3, 1, 7)")
            .bind(id)
            .bind(user.to_string())
            .bind(phone)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    drop(conn);

    let store = SqlStore::open(&old.url, at(8)).await.expect("migrate the old database");
    let mine = store.user_phone_numbers(a).await.unwrap();
    assert_eq!(mine.len(), 1, "one row per spelling of a number: {mine:?}");
    assert_eq!((mine[0].phone_number.as_str(), mine[0].verified), ("+1-415-555-0001", true));
    // The second user of a number keeps it unverified: only the first holds it.
    let theirs = store.user_phone_numbers(b).await.unwrap();
    let held: Vec<_> = theirs.iter().map(|p| (p.phone_number.as_str(), p.verified)).collect();
    assert_eq!(held, [("+1415555-0001", false), ("+14155550002", true)]);
    // Held: another spelling is refused to another user.
    assert_conflict(store.add_phone_number(b, "+14155550001", 10, at(9)).await, Constraint::PhoneNumber);
    assert_conflict(store.add_phone_number(a, "+1-415-555-0002", 10, at(9)).await, Constraint::PhoneNumber);
    store.close().await;
}

async fn concurrent_proofs_of_one_number_let_exactly_one_win(db: Db) {
    db.tenants(&["t1"]).await;
    let mut tasks = Vec::new();
    for (i, email) in ["a@x.io", "b@x.io", "c@x.io"].into_iter().enumerate() {
        let u = db.user_in(email, "t1", &[]).await;
        let added = db.add_pending_phone_number(u.id, "+1-415-555-0009", 10, at(1)).await.unwrap();
        let spend = code(&db, u.id, &format!("race{i}"), 60).await;
        let store = Arc::clone(&db.store);
        tasks.push(tokio::spawn(async move {
            store.confirm_phone_number(u.id, &PhoneProof::Added(added.id), &spend, 10, at(2)).await
        }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(true) => won += 1,
            Err(StoreError::Conflict(Constraint::PhoneNumber)) => {}
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(won, 1);
    let q = PhoneQuery { phone_number: Some("+14155550009".into()), ..Default::default() };
    let (rows, _) = db.list_phone_numbers(&q, PAGE).await.unwrap();
    assert_eq!(rows.iter().filter(|p| p.verified).count(), 1);
}
