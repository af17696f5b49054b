//! `PasswordHistoryStore`: every password-setting path keeps the replaced hash (newest first, at most
//! `HISTORY_KEPT`) and the time the password was set.

use yolk_domain::UserId;
use yolk_store::passwords::HISTORY_KEPT;
use yolk_store::{Entity, PasswordHistoryStore, SecretStore, StoreError};

use crate::{Db, at};

contract!(replaced_passwords_are_kept_newest_first_and_bounded);

async fn replaced_passwords_are_kept_newest_first_and_bounded(db: Db) {
    db.tenants(&["t1"]).await;
    let u = db.user_in("a@x.io", "t1", &[]).await;
    let first = db.recent_password_hashes(u.id, 10).await.unwrap();
    assert_eq!(first.len(), 1, "the seeded password");
    assert!(db.password_set_at(u.id).await.unwrap().is_some(), "set at creation");
    for i in 0..12 {
        db.change_password(u.id, &format!("$h{i}"), None, at(i + 1)).await.unwrap();
    }
    let recent = db.recent_password_hashes(u.id, 3).await.unwrap();
    assert_eq!(recent, ["$h11", "$h10", "$h9"]);
    let all = db.recent_password_hashes(u.id, 100).await.unwrap();
    assert_eq!(all.len() as i64, 1 + HISTORY_KEPT, "current plus the kept history");
    assert!(!all.contains(&first[0]), "the oldest fell out");
    assert_eq!(db.password_set_at(u.id).await.unwrap(), Some(at(12)));
    assert!(matches!(db.password_set_at(UserId::new()).await, Err(StoreError::NotFound(Entity::User))));
}
