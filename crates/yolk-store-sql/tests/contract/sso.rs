//! `SsoStore`: configurations with their children, the validated-domain constraint, role references that cascade,
//! excluded emails, the enforcement lookup, the SP key, and nothing left behind by a tenant's deletion.

use serde_json::json;
use uuid::Uuid;
use yolk_domain::{PrivateKey, SsoConfigurationId, SsoDomainId, SsoGroupId};
use yolk_store::sso::{SpKey, SsoConfiguration, SsoDomain, SsoExcludedEmail, SsoGroup, SsoKind};
use yolk_store::{Constraint, Entity, RoleStore, SsoStore, StoreError, TenantStore};

use crate::{Db, assert_conflict, assert_not_found, at, set, tid};

contract!(
    configurations_keep_their_fields_and_children_and_go_with_their_tenant,
    a_validated_domain_has_one_owner_per_claim,
    roles_are_referenced_and_deleting_one_removes_it_from_mappings,
    enforcement_needs_a_validated_domain_of_an_enabled_configuration_and_spares_excluded_emails,
    the_sp_key_is_made_once,
    forced_validation_is_all_or_nothing,
);

fn config(tenant: &str, created: i64) -> SsoConfiguration {
    SsoConfiguration {
        id: SsoConfigurationId::from(Uuid::new_v4()),
        tenant_id: tid(tenant),
        kind: SsoKind::Saml,
        enabled: true,
        sso_endpoint: "https://idp.example/sso".into(),
        public_certificate: "MIIB".into(),
        sign_request: true,
        acs_url: String::new(),
        sp_entity_id: "urn:sp".into(),
        oidc_client_id: "client".into(),
        oidc_secret: "secret".into(),
        config_metadata: json!({"a": 1}),
        override_active_tenant: false,
        sub_account_access_limit: 3,
        idp_client_id: String::new(),
        idp_client_secret: "idp-secret".into(),
        generated_verification: "verify-me".into(),
        skip_email_domain_validation: false,
        created_at: at(created),
        updated_at: at(created),
        domains: vec![],
        role_ids: vec![],
        groups: vec![],
    }
}

fn domain(config: &SsoConfiguration, name: &str) -> SsoDomain {
    SsoDomain {
        id: SsoDomainId::from(Uuid::new_v4()),
        configuration_id: config.id,
        domain: name.into(),
        validated: false,
        txt_record: config.generated_verification.clone(),
        created_at: at(1),
    }
}

async fn configurations_keep_their_fields_and_children_and_go_with_their_tenant(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let c = config("t1", 1);
    assert_not_found(db.create_sso_configuration(&config("missing", 1)).await, Entity::Tenant);
    db.create_sso_configuration(&c).await.unwrap();
    assert_eq!(db.sso_configuration(c.id).await.unwrap(), c);
    assert_eq!(db.sso_configurations(&tid("t1")).await.unwrap(), vec![c.clone()]);
    assert!(db.sso_configurations(&tid("t2")).await.unwrap().is_empty());

    let updated = db
        .update_sso_configuration(
            c.id,
            set(|c: &mut SsoConfiguration| {
                c.enabled = false;
                c.kind = SsoKind::Oidc;
                c.tenant_id = tid("t2"); // ignored: a configuration never changes tenant
            }),
            at(5),
        )
        .await
        .unwrap();
    assert_eq!(
        (updated.enabled, updated.kind, updated.tenant_id.as_str(), updated.updated_at),
        (false, SsoKind::Oidc, "t1", at(5))
    );
    let refused = db
        .update_sso_configuration(
            c.id,
            Box::new(|c: &mut SsoConfiguration| {
                c.enabled = true;
                Err(StoreError::Invalid("no".into()))
            }),
            at(6),
        )
        .await;
    assert!(matches!(refused, Err(StoreError::Invalid(_))));
    assert!(!db.sso_configuration(c.id).await.unwrap().enabled, "a refused change writes nothing");

    let d = domain(&c, "acme.io");
    db.add_sso_domain(&d, None, at(1)).await.unwrap();
    assert_conflict(
        db.add_sso_domain(&SsoDomain { id: SsoDomainId::from(Uuid::new_v4()), ..d.clone() }, None, at(1)).await,
        Constraint::SsoDomainInConfiguration,
    );
    let g = SsoGroup {
        id: SsoGroupId::from(Uuid::new_v4()),
        configuration_id: c.id,
        group: "devs".into(),
        role_ids: vec![],
    };
    db.add_sso_group(&g, at(1)).await.unwrap();
    assert_conflict(
        db.add_sso_group(&SsoGroup { id: SsoGroupId::from(Uuid::new_v4()), ..g.clone() }, at(1)).await,
        Constraint::SsoGroup,
    );
    let read = db.sso_configuration(c.id).await.unwrap();
    assert_eq!((read.domains, read.groups), (vec![d.clone()], vec![g.clone()]));
    // Children are addressed through their configuration.
    let other = config("t2", 2);
    db.create_sso_configuration(&other).await.unwrap();
    assert_not_found(db.delete_sso_domain(other.id, d.id).await, Entity::SsoDomain);
    assert_not_found(db.delete_sso_group(other.id, g.id).await, Entity::SsoGroup);
    assert_not_found(db.validate_sso_domain(other.id, d.id, "acme.io", at(2)).await, Entity::SsoDomain);
    assert_not_found(db.add_sso_domain(&domain(&config("t1", 1), "x.io"), None, at(1)).await, Entity::SsoConfiguration);

    db.delete_tenant(&tid("t1"), at(9)).await.unwrap();
    assert_not_found(db.sso_configuration(c.id).await, Entity::SsoConfiguration);
    assert!(db.sso_domains_named("acme.io").await.unwrap().is_empty(), "no domain left behind");
    assert_not_found(db.delete_sso_configuration(c.id).await, Entity::SsoConfiguration);
    db.delete_sso_configuration(other.id).await.unwrap();
}

async fn a_validated_domain_has_one_owner_per_claim(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let (a, b) = (config("t1", 1), config("t2", 2));
    db.create_sso_configuration(&a).await.unwrap();
    db.create_sso_configuration(&b).await.unwrap();
    let (da, dbb) = (domain(&a, "acme.io"), SsoDomain { created_at: at(2), ..domain(&b, "acme.io") });
    db.add_sso_domain(&da, None, at(1)).await.unwrap();
    db.add_sso_domain(&dbb, None, at(1)).await.unwrap();
    assert!(db.validate_sso_domain(a.id, da.id, "acme.io", at(2)).await.unwrap().validated);
    assert_conflict(db.validate_sso_domain(b.id, dbb.id, "acme.io", at(2)).await, Constraint::SsoDomain);
    assert!(!db.sso_configuration(b.id).await.unwrap().domains[0].validated, "the refused validation wrote nothing");
    // Per-tenant claims (multiple SSO per domain) do not clash.
    db.validate_sso_domain(b.id, dbb.id, "acme.io|t2", at(3)).await.unwrap();
    let named = db.sso_domains_named("acme.io").await.unwrap();
    assert_eq!(
        named.iter().map(|(d, t)| (d.validated, t.as_str().to_owned())).collect::<Vec<_>>(),
        vec![(true, "t1".into()), (true, "t2".into())]
    );
    // A domain added validated claims at once.
    let c = config("t1", 3);
    db.create_sso_configuration(&c).await.unwrap();
    let dc = SsoDomain { validated: true, ..domain(&c, "acme.io") };
    assert_conflict(db.add_sso_domain(&dc, Some("acme.io"), at(4)).await, Constraint::SsoDomain);
    // Deleting the owner's domain frees the claim.
    db.delete_sso_domain(a.id, da.id).await.unwrap();
    db.add_sso_domain(&dc, Some("acme.io"), at(4)).await.unwrap();
    let logins = db.sso_login_configurations("acme.io").await.unwrap();
    assert_eq!(logins.iter().map(|c| c.id).collect::<Vec<_>>(), vec![b.id, c.id]);
}

async fn roles_are_referenced_and_deleting_one_removes_it_from_mappings(db: Db) {
    db.tenants(&["t1"]).await;
    let r1 = db.role("r1", None, &[]).await;
    let r2 = db.role("r2", Some("t1"), &[]).await;
    let c = config("t1", 1);
    db.create_sso_configuration(&c).await.unwrap();
    db.set_sso_default_roles(c.id, &[r1.id, r2.id, r1.id], at(2)).await.unwrap();
    let mut got = db.sso_configuration(c.id).await.unwrap().role_ids;
    got.sort();
    let mut want = vec![r1.id, r2.id];
    want.sort();
    assert_eq!(got, want);
    let missing_role = yolk_domain::RoleId::new();
    assert_not_found(db.set_sso_default_roles(c.id, &[r1.id, missing_role], at(3)).await, Entity::Role);
    assert_eq!(db.sso_configuration(c.id).await.unwrap().role_ids.len(), 2, "the failed replacement wrote nothing");
    assert_not_found(
        db.set_sso_default_roles(SsoConfigurationId::from(Uuid::new_v4()), &[], at(3)).await,
        Entity::SsoConfiguration,
    );

    let g = SsoGroup {
        id: SsoGroupId::from(Uuid::new_v4()),
        configuration_id: c.id,
        group: "devs".into(),
        role_ids: vec![r2.id],
    };
    db.add_sso_group(&g, at(1)).await.unwrap();
    let renamed = SsoGroup { group: "eng".into(), role_ids: vec![r1.id, r2.id], ..g.clone() };
    db.update_sso_group(&renamed, at(2)).await.unwrap();
    assert_eq!(db.sso_configuration(c.id).await.unwrap().groups[0].group, "eng");
    assert_not_found(
        db.update_sso_group(&SsoGroup { id: SsoGroupId::from(Uuid::new_v4()), ..g.clone() }, at(2)).await,
        Entity::SsoGroup,
    );

    db.delete_role(r2.id).await.unwrap();
    let read = db.sso_configuration(c.id).await.unwrap();
    assert_eq!(read.role_ids, vec![r1.id]);
    assert_eq!(read.groups[0].role_ids, vec![r1.id]);
}

async fn enforcement_needs_a_validated_domain_of_an_enabled_configuration_and_spares_excluded_emails(db: Db) {
    db.tenants(&["t1"]).await;
    let c = config("t1", 1);
    db.create_sso_configuration(&c).await.unwrap();
    let d = domain(&c, "acme.io");
    db.add_sso_domain(&d, None, at(1)).await.unwrap();
    assert!(!db.sso_required_for("acme.io", "ann@acme.io").await.unwrap(), "unvalidated");
    db.validate_sso_domain(c.id, d.id, "acme.io", at(2)).await.unwrap();
    assert!(db.sso_required_for("acme.io", "ann@acme.io").await.unwrap());
    assert!(!db.sso_required_for("other.io", "ann@other.io").await.unwrap());
    assert!(db.any_sso_enabled().await.unwrap());

    let e = SsoExcludedEmail { email: "Ann@acme.io".into(), email_norm: "ann@acme.io".into(), created_at: at(3) };
    db.add_sso_excluded_email(&e).await.unwrap();
    assert_conflict(db.add_sso_excluded_email(&e).await, Constraint::SsoExcludedEmail);
    assert_eq!(db.sso_excluded_emails(10).await.unwrap(), vec![e.clone()]);
    assert!(!db.sso_required_for("acme.io", "ann@acme.io").await.unwrap());
    assert!(db.sso_required_for("acme.io", "bob@acme.io").await.unwrap());
    db.delete_sso_excluded_email("ann@acme.io").await.unwrap();
    assert_not_found(db.delete_sso_excluded_email("ann@acme.io").await, Entity::SsoExcludedEmail);

    db.update_sso_configuration(c.id, set(|c: &mut SsoConfiguration| c.enabled = false), at(4)).await.unwrap();
    assert!(!db.sso_required_for("acme.io", "ann@acme.io").await.unwrap(), "disabled");
    assert!(!db.any_sso_enabled().await.unwrap());
    assert!(db.sso_login_configurations("acme.io").await.unwrap().is_empty());
}

async fn the_sp_key_is_made_once(db: Db) {
    assert!(db.sp_key().await.unwrap().is_none());
    let sealed = PrivateKey::Sealed { scheme: "aes-256-gcm".into(), sealed: "m.n.c".into() };
    let first = SpKey { private_key: sealed, certificate_pem: "c1".into(), created_at: at(1) };
    let second = SpKey { private_key: PrivateKey::Clear("k2".into()), certificate_pem: "c2".into(), created_at: at(2) };
    assert_eq!(db.ensure_sp_key(&first).await.unwrap(), first);
    assert_eq!(db.ensure_sp_key(&second).await.unwrap(), first);
    assert_eq!(db.sp_key().await.unwrap(), Some(first));
}

async fn forced_validation_is_all_or_nothing(db: Db) {
    db.tenants(&["t1", "t2"]).await;
    let (a, b) = (config("t1", 1), config("t2", 2));
    db.create_sso_configuration(&a).await.unwrap();
    db.create_sso_configuration(&b).await.unwrap();
    db.add_sso_domain(&domain(&a, "acme.io"), None, at(1)).await.unwrap();
    db.add_sso_domain(&SsoDomain { created_at: at(2), ..domain(&b, "acme.io") }, None, at(1)).await.unwrap();
    // One owner per domain: two tenants cannot both get it, and neither does.
    assert_conflict(db.force_validate_sso_domain("acme.io", false, at(3)).await, Constraint::SsoDomain);
    assert!(db.sso_domains_named("acme.io").await.unwrap().iter().all(|(d, _)| !d.validated));
    let rows = db.force_validate_sso_domain("acme.io", true, at(3)).await.unwrap();
    assert!(rows.iter().all(|(d, _)| d.validated));
    assert!(db.force_validate_sso_domain("none.io", false, at(3)).await.unwrap().is_empty());
}
