//! `SocialProviderStore`: a provider is created or replaced by id (keeping what the caller gives, the secret
//! included), listed oldest first, read by id, and deleted once; a missing one is `NotFound(SocialProvider)`.

use yolk_store::social::SocialProvider;
use yolk_store::{Entity, SocialProviderStore, StoreError};

use crate::{Db, at};

contract!(providers_are_put_listed_read_and_deleted);

fn provider(id: &str, custom: bool, created: i64) -> SocialProvider {
    SocialProvider {
        id: id.into(),
        custom,
        kind: if custom { "acme".into() } else { id.into() },
        client_id: "cid".into(),
        secret: "s3cret".into(),
        redirect_url: "https://app.test/account/social/success".into(),
        authorization_url: custom.then(|| "https://idp.test/authorize".into()),
        token_url: custom.then(|| "https://idp.test/token".into()),
        user_info_url: None,
        scopes: "openid email".into(),
        logo_url: Some("https://idp.test/logo.png".into()),
        display_name: custom.then(|| "Acme".into()),
        active: true,
        created_at: at(created),
        updated_at: at(created),
    }
}

async fn providers_are_put_listed_read_and_deleted(db: Db) {
    assert!(db.social_providers().await.unwrap().is_empty());
    assert!(matches!(db.social_provider("google").await, Err(StoreError::NotFound(Entity::SocialProvider))));
    let google = provider("google", false, 2);
    let custom = provider("0b7c2a4e-1111-4222-8333-944455556666", true, 1);
    db.put_social_provider(&google).await.unwrap();
    db.put_social_provider(&custom).await.unwrap();
    assert_eq!(db.social_providers().await.unwrap(), vec![custom.clone(), google.clone()]);
    assert_eq!(db.social_provider("google").await.unwrap(), google);

    // A put with the same id replaces everything but the creation time.
    let changed = SocialProvider {
        secret: "new".into(),
        active: false,
        user_info_url: Some("https://idp.test/userinfo".into()),
        logo_url: None,
        updated_at: at(5),
        created_at: at(9),
        ..google.clone()
    };
    db.put_social_provider(&changed).await.unwrap();
    let read = db.social_provider("google").await.unwrap();
    assert_eq!(read, SocialProvider { created_at: at(2), ..changed });
    assert_eq!(db.social_providers().await.unwrap().len(), 2);

    db.delete_social_provider("google").await.unwrap();
    assert!(matches!(db.delete_social_provider("google").await, Err(StoreError::NotFound(Entity::SocialProvider))));
    assert_eq!(db.social_providers().await.unwrap(), vec![custom]);
}
