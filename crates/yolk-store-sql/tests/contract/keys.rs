//! `KeyStore`: the signing keys (their envelopes, rotation, retirement) and environment credentials every node
//! shares.

use std::sync::Arc;

use sqlx::Executor as _;
use yolk_domain::{EnvironmentCredentials, PrivateKey, SigningKey};
use yolk_store::keys::Reseal;
use yolk_store::{KeyStore, StoreError};
use yolk_store_sql::{MIGRATIONS, SqlStore};
use yolk_testkit::TestDb;

use crate::{Db, at};

contract!(
    first_signing_key_wins,
    concurrent_nodes_agree_on_one_signing_key,
    credentials_are_kept_once_created,
    envelopes_are_stored_as_given,
    keys_are_listed_by_activation_latest_first,
    rotation_replaces_the_newest_key_and_keeps_the_old_one,
    rotation_is_a_compare_and_swap,
    concurrent_rotations_one_wins,
    reseal_changes_only_keys_still_as_read,
    retire_deletes_superseded_keys_only,
    keys_stored_before_envelopes_read_as_clear_and_active_since_creation,
);

/// The test key as `kid`, created at `at(created)` and signing from `at(active)`.
fn key(kid: &str, created: i64, active: i64) -> SigningKey {
    SigningKey { kid: kid.into(), created_at: at(created), active_from: at(active), ..yolk_testkit::signing_key() }
}

fn sealed(text: &str) -> PrivateKey {
    PrivateKey::Sealed { scheme: "test-scheme.v1".into(), sealed: text.into() }
}

fn kids(keys: &[SigningKey]) -> Vec<&str> {
    keys.iter().map(|k| k.kid.as_str()).collect()
}

async fn first_signing_key_wins(db: Db) {
    assert!(db.signing_keys().await.unwrap().is_empty());
    let a = key("a", 0, 0);
    let b = SigningKey { kid: "other".into(), created_at: at(1), ..a.clone() };
    assert_eq!(db.ensure_signing_key(a.clone()).await.unwrap(), a);
    assert_eq!(db.ensure_signing_key(b).await.unwrap(), a, "the key in force is kept, with its creation time");
    assert_eq!(db.signing_keys().await.unwrap(), [a]);
}

async fn concurrent_nodes_agree_on_one_signing_key(db: Db) {
    let mut tasks = Vec::new();
    for i in 0..4 {
        let store = db.store.clone();
        let candidate = key(&format!("k{i}"), i, i);
        tasks.push(tokio::spawn(async move { store.ensure_signing_key(candidate).await.unwrap().kid }));
    }
    let mut kids = Vec::new();
    for t in tasks {
        kids.push(t.await.unwrap());
    }
    kids.dedup();
    assert_eq!(kids.len(), 1, "every node got the same key: {kids:?}");
    let stored: Vec<String> = db.signing_keys().await.unwrap().into_iter().map(|k| k.kid).collect();
    assert_eq!(stored, kids);
}

async fn credentials_are_kept_once_created(db: Db) {
    assert!(db.credentials().await.unwrap().is_none());
    let a = EnvironmentCredentials { client_id: "a".into(), secret_sha256: "ha".into() };
    let b = EnvironmentCredentials { client_id: "b".into(), secret_sha256: "hb".into() };
    assert_eq!(db.ensure_credentials(&a, at(1)).await.unwrap(), (a.clone(), true));
    assert_eq!(db.ensure_credentials(&b, at(2)).await.unwrap(), (a.clone(), false));
    assert_eq!(db.credentials().await.unwrap(), Some(a));
    db.set_credentials(&b, at(3)).await.unwrap();
    assert_eq!(db.credentials().await.unwrap(), Some(b.clone()));
    assert_eq!(
        db.ensure_credentials(&EnvironmentCredentials { client_id: "c".into(), ..b.clone() }, at(4)).await.unwrap(),
        (b, false)
    );
}

async fn envelopes_are_stored_as_given(db: Db) {
    // A sealed first key comes back with its scheme and text; a rotated-in sealed key too.
    let a = SigningKey { private_key: sealed("id.nonce.ciphertext-a"), ..key("a", 0, 0) };
    assert_eq!(db.ensure_signing_key(a.clone()).await.unwrap(), a);
    let b = SigningKey { private_key: sealed("id.nonce.ciphertext-b"), ..key("b", 10, 20) };
    db.rotate_signing_key(b.clone(), "a").await.unwrap();
    assert_eq!(db.signing_keys().await.unwrap(), [b, a]);
}

async fn keys_are_listed_by_activation_latest_first(db: Db) {
    // Created in one order, active in another (a rotation's key signs later than it is created).
    db.ensure_signing_key(key("a", 5, 5)).await.unwrap();
    db.rotate_signing_key(key("b", 6, 100), "a").await.unwrap();
    db.rotate_signing_key(key("c", 7, 101), "b").await.unwrap();
    assert_eq!(kids(&db.signing_keys().await.unwrap()), ["c", "b", "a"]);
}

async fn rotation_replaces_the_newest_key_and_keeps_the_old_one(db: Db) {
    let a = key("a", 0, 0);
    db.ensure_signing_key(a.clone()).await.unwrap();
    let b = key("b", 10, 20);
    db.rotate_signing_key(b.clone(), "a").await.unwrap();
    assert_eq!(db.signing_keys().await.unwrap(), [b.clone(), a.clone()], "both keys, the new one first");
    // The new key holds the primary slot: a node starting now converges on it and adds nothing.
    assert_eq!(db.ensure_signing_key(key("c", 30, 30)).await.unwrap(), b);
    assert_eq!(db.signing_keys().await.unwrap(), [b, a]);
}

async fn rotation_is_a_compare_and_swap(db: Db) {
    let a = key("a", 0, 0);
    db.ensure_signing_key(a.clone()).await.unwrap();
    let b = key("b", 10, 20);
    db.rotate_signing_key(b.clone(), "a").await.unwrap();
    // A rotation that read `a` as the newest key is refused once `b` replaced it, and writes nothing.
    let err = db.rotate_signing_key(key("c", 11, 21), "a").await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    let err = db.rotate_signing_key(key("d", 11, 21), "nope").await.unwrap_err();
    assert!(matches!(err, StoreError::Invalid(_)), "{err:?}");
    assert_eq!(db.signing_keys().await.unwrap(), [b, a]);
}

async fn concurrent_rotations_one_wins(db: Db) {
    db.ensure_signing_key(key("a", 0, 0)).await.unwrap();
    let mut tasks = Vec::new();
    for i in 0..4 {
        let store: Arc<SqlStore> = db.store.clone();
        let candidate = key(&format!("r{i}"), 10 + i, 20 + i);
        tasks.push(tokio::spawn(async move { store.rotate_signing_key(candidate, "a").await }));
    }
    let mut won = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => won += 1,
            Err(StoreError::Invalid(_)) => {}
            Err(e) => panic!("a losing rotation is refused, not failed: {e:?}"),
        }
    }
    assert_eq!(won, 1, "exactly one rotation replaced the key");
    let stored = db.signing_keys().await.unwrap();
    assert_eq!(stored.len(), 2, "{:?}", kids(&stored));
    assert_eq!(stored[1].kid, "a");
}

async fn reseal_changes_only_keys_still_as_read(db: Db) {
    let a = key("a", 0, 0);
    db.ensure_signing_key(a.clone()).await.unwrap();
    let b = key("b", 10, 20);
    db.rotate_signing_key(b.clone(), "a").await.unwrap();
    let seal =
        |k: &SigningKey, text: &str| Reseal { kid: k.kid.clone(), from: k.private_key.clone(), to: sealed(text) };

    // Both keys in one call.
    assert_eq!(db.reseal_signing_keys(&[seal(&a, "sa1"), seal(&b, "sb1")]).await.unwrap(), 2);
    let stored = db.signing_keys().await.unwrap();
    assert_eq!(stored[0], SigningKey { private_key: sealed("sb1"), ..b.clone() });
    assert_eq!(stored[1], SigningKey { private_key: sealed("sa1"), ..a.clone() });

    // A second node that read them in clear changes nothing.
    assert_eq!(db.reseal_signing_keys(&[seal(&a, "sa2"), seal(&b, "sb2")]).await.unwrap(), 0);
    assert_eq!(db.signing_keys().await.unwrap(), stored);

    // Re-sealing from the stored envelope works, one key at a time; unknown kids change nothing.
    let a1 = SigningKey { private_key: sealed("sa1"), ..a.clone() };
    let back = Reseal { kid: "a".into(), from: sealed("sa1"), to: a.private_key.clone() };
    let ghost = Reseal { kid: "ghost".into(), from: a.private_key.clone(), to: sealed("x") };
    assert_eq!(db.reseal_signing_keys(&[seal(&a1, "sa3"), ghost]).await.unwrap(), 1);
    assert_eq!(db.signing_keys().await.unwrap()[1].private_key, sealed("sa3"));
    assert_eq!(db.reseal_signing_keys(&[back]).await.unwrap(), 0, "`from` no longer matches");
    assert_eq!(db.reseal_signing_keys(&[]).await.unwrap(), 0);
}

async fn retire_deletes_superseded_keys_only(db: Db) {
    let a = key("a", 0, 0);
    db.ensure_signing_key(a.clone()).await.unwrap();
    assert!(!db.retire_signing_key("a").await.unwrap(), "the newest key is never deleted");
    let b = key("b", 10, 20);
    db.rotate_signing_key(b.clone(), "a").await.unwrap();
    assert!(!db.retire_signing_key("b").await.unwrap(), "the newest key is never deleted");
    assert!(!db.retire_signing_key("ghost").await.unwrap());
    assert!(db.retire_signing_key("a").await.unwrap());
    assert!(!db.retire_signing_key("a").await.unwrap(), "already gone");
    assert_eq!(db.signing_keys().await.unwrap(), std::slice::from_ref(&b));
    // Rotation goes on from the remaining key.
    let c = key("c", 30, 40);
    db.rotate_signing_key(c.clone(), "b").await.unwrap();
    assert_eq!(db.signing_keys().await.unwrap(), [c, b]);
}

/// Splits a migration into statements the way the migrator does (no `;` in literals, `--` comments dropped).
fn statements(sql: &str) -> Vec<String> {
    let code: String = sql.lines().map(|l| l.split_once("--").map_or(l, |(c, _)| c)).collect::<Vec<_>>().join("\n");
    code.split(';').map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned).collect()
}

async fn keys_stored_before_envelopes_read_as_clear_and_active_since_creation(db: Db) {
    // A database as an older yolk left it: the migrations before the envelope, one key in the old columns.
    let old = match db.test_db.backend {
        "postgres" => TestDb::postgres(&std::env::var(yolk_testkit::POSTGRES_ENV).unwrap()).await,
        _ => TestDb::sqlite(),
    };
    let url = if old.backend == "sqlite" { format!("{}?mode=rwc", old.url) } else { old.url.clone() };
    let mut conn = <sqlx::AnyConnection as sqlx::Connection>::connect(&url).await.unwrap();
    conn.execute("CREATE TABLE schema_migrations (version BIGINT PRIMARY KEY, applied_at BIGINT NOT NULL)")
        .await
        .unwrap();
    let envelope_version = MIGRATIONS
        .iter()
        .find(|(_, sql)| sql.contains("ADD COLUMN protection"))
        .map(|(v, _)| *v)
        .expect("the envelope migration");
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v < envelope_version) {
        for s in statements(sql) {
            conn.execute(sqlx::AssertSqlSafe(s)).await.unwrap();
        }
        sqlx::query("INSERT INTO schema_migrations (version, applied_at) VALUES ($1, 0)")
            .bind(*version)
            .execute(&mut conn)
            .await
            .unwrap();
    }
    let k = yolk_testkit::signing_key();
    let PrivateKey::Clear(pem) = &k.private_key else { panic!("the test key is clear") };
    sqlx::query(
        "INSERT INTO signing_keys (kid, slot, private_pem, public_pem, created_at) VALUES ('old', 'primary', $1, $2, $3)",
    )
    .bind(pem.as_str())
    .bind(k.public_pem.as_str())
    .bind(at(7).timestamp_millis())
    .execute(&mut conn)
    .await
    .unwrap();
    drop(conn);

    let store = SqlStore::open(&old.url, at(8)).await.expect("migrate the old database");
    let keys = store.signing_keys().await.unwrap();
    assert_eq!(keys, [SigningKey { kid: "old".into(), created_at: at(7), active_from: at(7), ..k }]);
    assert!(matches!(keys[0].private_key, PrivateKey::Clear(_)));
    // It is still the primary key: rotation replaces it.
    store.rotate_signing_key(key("new", 9, 10), "old").await.unwrap();
    assert_eq!(kids(&store.signing_keys().await.unwrap()), ["new", "old"]);
    store.close().await;
}
