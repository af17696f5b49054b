//! `SsoStore`: SSO configurations, their domains, default roles and group mappings; excluded emails; the SP key.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use sqlx::AnyConnection;
use yolk_domain::{RoleId, SsoConfigurationId, SsoDomainId, SsoGroupId, TenantId};
use yolk_store::sso::{MAX_SSO_ROWS, SpKey, SsoConfiguration, SsoDomain, SsoExcludedEmail, SsoGroup, SsoKind};
use yolk_store::{Entity, Mutation, SsoStore, StoreError, StoreResult};

use crate::rows::{Arg, Decode, Record, RowExt, flag, lock_and_read, missing, ms, touched};
use crate::{SqlStore, db_err, placeholders};

impl Record for SsoConfiguration {
    const TABLE: &'static str = "sso_configurations";
    const KEY: &'static str = "id";
    const ENTITY: Entity = Entity::SsoConfiguration;

    fn from_row<R: RowExt>(r: &R) -> StoreResult<Self> {
        let kind = SsoKind::parse(&r.text("kind")?)
            .ok_or_else(|| StoreError::Backend("bad SSO configuration type in store".into()))?;
        let config_metadata = serde_json::from_str(&r.text("config_metadata")?)
            .map_err(|_| StoreError::Backend("bad SSO configMetadata in store".into()))?;
        Ok(SsoConfiguration {
            id: r.id("id")?,
            tenant_id: r.tenant_id("tenant_id")?,
            kind,
            enabled: r.flag("enabled")?,
            sso_endpoint: r.text("sso_endpoint")?,
            public_certificate: r.text("public_certificate")?,
            sign_request: r.flag("sign_request")?,
            acs_url: r.text("acs_url")?,
            sp_entity_id: r.text("sp_entity_id")?,
            oidc_client_id: r.text("oidc_client_id")?,
            oidc_secret: r.text("oidc_secret")?,
            config_metadata,
            override_active_tenant: r.flag("override_active_tenant")?,
            sub_account_access_limit: r.int("sub_account_access_limit")?,
            idp_client_id: r.text("idp_client_id")?,
            idp_client_secret: r.text("idp_client_secret")?,
            generated_verification: r.text("generated_verification")?,
            skip_email_domain_validation: r.flag("skip_email_domain_validation")?,
            created_at: r.time("created_at")?,
            updated_at: r.time("updated_at")?,
            domains: Vec::new(),
            role_ids: Vec::new(),
            groups: Vec::new(),
        })
    }
}

impl Decode for SsoDomain {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(SsoDomain {
            id: r.id("id")?,
            configuration_id: r.id("configuration_id")?,
            domain: r.text("domain")?,
            validated: r.flag("validated")?,
            txt_record: r.text("txt_record")?,
            created_at: r.time("created_at")?,
        })
    }
}

/// A domain with its configuration's tenant.
struct DomainOfTenant(SsoDomain, TenantId);

impl Decode for DomainOfTenant {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Self(SsoDomain::decode(r)?, r.tenant_id("tenant_id")?))
    }
}

/// `(owner, role)`: a default role of a configuration, or a role of a group.
struct Pair(String, RoleId);

impl Decode for Pair {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Self(r.text("owner")?, r.id("role_id")?))
    }
}

struct GroupRow {
    id: SsoGroupId,
    configuration_id: SsoConfigurationId,
    name: String,
}

impl Decode for GroupRow {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Self { id: r.id("id")?, configuration_id: r.id("configuration_id")?, name: r.text("name")? })
    }
}

struct Excluded(SsoExcludedEmail);

impl Decode for Excluded {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Self(SsoExcludedEmail {
            email: r.text("email")?,
            email_norm: r.text("email_norm")?,
            created_at: r.time("created_at")?,
        }))
    }
}

struct SpKeyRow(SpKey);

impl Decode for SpKeyRow {
    fn decode<R: RowExt>(r: &R) -> StoreResult<Self> {
        Ok(Self(SpKey {
            private_key: yolk_domain::PrivateKey::from_stored(r.text("protection")?, r.text("private_key")?),
            certificate_pem: r.text("certificate")?,
            created_at: r.time("created_at")?,
        }))
    }
}

struct Found;

impl Decode for Found {
    fn decode<R: RowExt>(_: &R) -> StoreResult<Self> {
        Ok(Self)
    }
}

fn json(v: &serde_json::Value) -> StoreResult<String> {
    serde_json::to_string(v).map_err(|e| StoreError::Backend(e.to_string()))
}

async fn write_roles(
    tx: &mut AnyConnection,
    table: &'static str,
    owner_column: &'static str,
    owner: &str,
    roles: &[RoleId],
) -> StoreResult<()> {
    let delete = format!("DELETE FROM {table} WHERE {owner_column} = $1");
    sqlx::query(sqlx::AssertSqlSafe(delete)).bind(owner).execute(&mut *tx).await.map_err(db_err)?;
    let insert = format!("INSERT INTO {table} ({owner_column}, role_id) VALUES ($1, $2)");
    let mut seen = std::collections::HashSet::new();
    for role in roles.iter().filter(|r| seen.insert(**r)) {
        sqlx::query(sqlx::AssertSqlSafe(insert.clone()))
            .bind(owner)
            .bind(role.to_string())
            .execute(&mut *tx)
            .await
            .map_err(missing(Entity::Role))?;
    }
    Ok(())
}

impl SqlStore {
    /// Fills in the children of `configs` (at most [`MAX_SSO_ROWS`] of them): three reads by configuration id.
    async fn with_children(&self, mut configs: Vec<SsoConfiguration>) -> StoreResult<Vec<SsoConfiguration>> {
        if configs.is_empty() {
            return Ok(configs);
        }
        let ids: Vec<String> = configs.iter().map(|c| c.id.to_string()).collect();
        let args: Vec<Arg<'_>> = ids.iter().map(Arg::from).collect();
        let list = placeholders(1, ids.len());
        let domains: Vec<SsoDomain> = self
            .fetch_bounded(
                &format!("SELECT * FROM sso_domains WHERE configuration_id IN ({list}) ORDER BY created_at, id"),
                &args,
            )
            .await?;
        let defaults: Vec<Pair> = self
            .fetch_bounded(
                &format!(
                    "SELECT configuration_id AS owner, role_id FROM sso_default_roles
                     WHERE configuration_id IN ({list}) ORDER BY role_id"
                ),
                &args,
            )
            .await?;
        let groups: Vec<GroupRow> = self
            .fetch_bounded(
                &format!("SELECT * FROM sso_groups WHERE configuration_id IN ({list}) ORDER BY created_at, id"),
                &args,
            )
            .await?;
        let group_roles: Vec<Pair> = self
            .fetch_bounded(
                &format!(
                    "SELECT gr.group_id AS owner, gr.role_id FROM sso_group_roles gr
                     JOIN sso_groups g ON g.id = gr.group_id
                     WHERE g.configuration_id IN ({list}) ORDER BY gr.role_id"
                ),
                &args,
            )
            .await?;
        let mut roles_of_group: HashMap<String, Vec<RoleId>> = HashMap::new();
        for Pair(group, role) in group_roles {
            roles_of_group.entry(group).or_default().push(role);
        }
        let index: HashMap<SsoConfigurationId, usize> = configs.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        for d in domains {
            if let Some(&i) = index.get(&d.configuration_id) {
                configs[i].domains.push(d);
            }
        }
        for Pair(owner, role) in defaults {
            if let Some(c) = configs.iter_mut().find(|c| c.id.to_string() == owner) {
                c.role_ids.push(role);
            }
        }
        for g in groups {
            if let Some(&i) = index.get(&g.configuration_id) {
                let role_ids = roles_of_group.remove(&g.id.to_string()).unwrap_or_default();
                configs[i].groups.push(SsoGroup {
                    id: g.id,
                    configuration_id: g.configuration_id,
                    group: g.name,
                    role_ids,
                });
            }
        }
        Ok(configs)
    }

    async fn configs_where(&self, sql: &str, args: &[Arg<'_>]) -> StoreResult<Vec<SsoConfiguration>> {
        let configs: Vec<SsoConfiguration> = self.fetch_bounded(sql, args).await?;
        self.with_children(configs).await
    }
}

#[async_trait::async_trait]
impl SsoStore for SqlStore {
    async fn create_sso_configuration(&self, c: &SsoConfiguration) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sso_configurations (id, tenant_id, kind, enabled, sso_endpoint, public_certificate,
                 sign_request, acs_url, sp_entity_id, oidc_client_id, oidc_secret, config_metadata,
                 override_active_tenant, sub_account_access_limit, idp_client_id, idp_client_secret,
                 generated_verification, skip_email_domain_validation, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)",
        )
        .bind(c.id.to_string())
        .bind(c.tenant_id.as_str())
        .bind(c.kind.as_str())
        .bind(flag(c.enabled))
        .bind(&c.sso_endpoint)
        .bind(&c.public_certificate)
        .bind(flag(c.sign_request))
        .bind(&c.acs_url)
        .bind(&c.sp_entity_id)
        .bind(&c.oidc_client_id)
        .bind(&c.oidc_secret)
        .bind(json(&c.config_metadata)?)
        .bind(flag(c.override_active_tenant))
        .bind(c.sub_account_access_limit)
        .bind(&c.idp_client_id)
        .bind(&c.idp_client_secret)
        .bind(&c.generated_verification)
        .bind(flag(c.skip_email_domain_validation))
        .bind(ms(c.created_at))
        .bind(ms(c.updated_at))
        .execute(&self.write)
        .await
        .map_err(missing(Entity::Tenant))?;
        Ok(())
    }

    async fn sso_configurations(&self, tenant: &TenantId) -> StoreResult<Vec<SsoConfiguration>> {
        let sql = format!(
            "SELECT * FROM sso_configurations WHERE tenant_id = $1 ORDER BY created_at, id LIMIT {MAX_SSO_ROWS}"
        );
        self.configs_where(&sql, &[Arg::from(tenant)]).await
    }

    async fn sso_configuration(&self, id: SsoConfigurationId) -> StoreResult<SsoConfiguration> {
        let id = id.to_string();
        self.configs_where("SELECT * FROM sso_configurations WHERE id = $1", &[Arg::from(&id)])
            .await?
            .pop()
            .ok_or(StoreError::NotFound(Entity::SsoConfiguration))
    }

    async fn update_sso_configuration(
        &self,
        id: SsoConfigurationId,
        change: Mutation<SsoConfiguration>,
        now: DateTime<Utc>,
    ) -> StoreResult<SsoConfiguration> {
        let key = id.to_string();
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let mut c: SsoConfiguration = lock_and_read(&mut tx, &key).await?;
        let (keep_id, keep_tenant, keep_created) = (c.id, c.tenant_id.clone(), c.created_at);
        change(&mut c)?;
        c.id = keep_id;
        c.tenant_id = keep_tenant;
        c.created_at = keep_created;
        c.updated_at = now;
        sqlx::query(
            "UPDATE sso_configurations SET kind = $1, enabled = $2, sso_endpoint = $3, public_certificate = $4,
                 sign_request = $5, acs_url = $6, sp_entity_id = $7, oidc_client_id = $8, oidc_secret = $9,
                 config_metadata = $10, override_active_tenant = $11, sub_account_access_limit = $12,
                 idp_client_id = $13, idp_client_secret = $14, generated_verification = $15,
                 skip_email_domain_validation = $16, updated_at = $17
             WHERE id = $18",
        )
        .bind(c.kind.as_str())
        .bind(flag(c.enabled))
        .bind(&c.sso_endpoint)
        .bind(&c.public_certificate)
        .bind(flag(c.sign_request))
        .bind(&c.acs_url)
        .bind(&c.sp_entity_id)
        .bind(&c.oidc_client_id)
        .bind(&c.oidc_secret)
        .bind(json(&c.config_metadata)?)
        .bind(flag(c.override_active_tenant))
        .bind(c.sub_account_access_limit)
        .bind(&c.idp_client_id)
        .bind(&c.idp_client_secret)
        .bind(&c.generated_verification)
        .bind(flag(c.skip_email_domain_validation))
        .bind(ms(now))
        .bind(&key)
        .execute(&mut *tx)
        .await
        .map_err(db_err)?;
        tx.commit().await.map_err(db_err)?;
        self.sso_configuration(id).await
    }

    async fn delete_sso_configuration(&self, id: SsoConfigurationId) -> StoreResult<()> {
        let result =
            sqlx::query("DELETE FROM sso_configurations WHERE id = $1").bind(id.to_string()).execute(&self.write).await;
        touched(result, Entity::SsoConfiguration)
    }

    async fn add_sso_domain(&self, d: &SsoDomain, claim: Option<&str>, now: DateTime<Utc>) -> StoreResult<()> {
        sqlx::query(
            "INSERT INTO sso_domains (id, configuration_id, domain, validated, txt_record, claim, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(d.id.to_string())
        .bind(d.configuration_id.to_string())
        .bind(&d.domain)
        .bind(flag(d.validated))
        .bind(&d.txt_record)
        .bind(claim.filter(|_| d.validated))
        .bind(ms(d.created_at))
        .bind(ms(now))
        .execute(&self.write)
        .await
        .map_err(missing(Entity::SsoConfiguration))?;
        Ok(())
    }

    async fn delete_sso_domain(&self, config: SsoConfigurationId, id: SsoDomainId) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM sso_domains WHERE id = $1 AND configuration_id = $2")
            .bind(id.to_string())
            .bind(config.to_string())
            .execute(&self.write)
            .await;
        touched(result, Entity::SsoDomain)
    }

    async fn validate_sso_domain(
        &self,
        config: SsoConfigurationId,
        id: SsoDomainId,
        claim: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<SsoDomain> {
        let (id, config) = (id.to_string(), config.to_string());
        let result = sqlx::query(
            "UPDATE sso_domains SET validated = 1, claim = $1, updated_at = $2 WHERE id = $3 AND configuration_id = $4",
        )
        .bind(claim)
        .bind(ms(now))
        .bind(&id)
        .bind(&config)
        .execute(&self.write)
        .await;
        touched(result, Entity::SsoDomain)?;
        self.fetch_bounded("SELECT * FROM sso_domains WHERE id = $1", &[Arg::from(&id)])
            .await?
            .pop()
            .ok_or(StoreError::NotFound(Entity::SsoDomain))
    }

    async fn force_validate_sso_domain(
        &self,
        domain: &str,
        per_tenant: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<Vec<(SsoDomain, TenantId)>> {
        sqlx::query(
            "UPDATE sso_domains SET validated = 1, updated_at = $1,
                 claim = CASE WHEN $2 = 1
                     THEN domain || '|' || (SELECT c.tenant_id FROM sso_configurations c WHERE c.id = configuration_id)
                     ELSE domain END
             WHERE domain = $3 AND validated = 0",
        )
        .bind(ms(now))
        .bind(flag(per_tenant))
        .bind(domain)
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        self.sso_domains_named(domain).await
    }

    async fn sso_domains_named(&self, domain: &str) -> StoreResult<Vec<(SsoDomain, TenantId)>> {
        let sql = format!(
            "SELECT d.*, c.tenant_id FROM sso_domains d JOIN sso_configurations c ON c.id = d.configuration_id
             WHERE d.domain = $1 ORDER BY d.created_at, d.id LIMIT {MAX_SSO_ROWS}"
        );
        let rows: Vec<DomainOfTenant> = self.fetch_bounded(&sql, &[Arg::from(domain)]).await?;
        Ok(rows.into_iter().map(|DomainOfTenant(d, t)| (d, t)).collect())
    }

    async fn set_sso_default_roles(
        &self,
        config: SsoConfigurationId,
        roles: &[RoleId],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let key = config.to_string();
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let _: SsoConfiguration = lock_and_read(&mut tx, &key).await?;
        write_roles(&mut tx, "sso_default_roles", "configuration_id", &key, roles).await?;
        sqlx::query("UPDATE sso_configurations SET updated_at = $1 WHERE id = $2")
            .bind(ms(now))
            .bind(&key)
            .execute(&mut *tx)
            .await
            .map_err(db_err)?;
        tx.commit().await.map_err(db_err)
    }

    async fn add_sso_group(&self, g: &SsoGroup, now: DateTime<Utc>) -> StoreResult<()> {
        let id = g.id.to_string();
        let mut tx = self.write.begin().await.map_err(db_err)?;
        sqlx::query(
            "INSERT INTO sso_groups (id, configuration_id, name, created_at, updated_at) VALUES ($1, $2, $3, $4, $4)",
        )
        .bind(&id)
        .bind(g.configuration_id.to_string())
        .bind(&g.group)
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(missing(Entity::SsoConfiguration))?;
        write_roles(&mut tx, "sso_group_roles", "group_id", &id, &g.role_ids).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn update_sso_group(&self, g: &SsoGroup, now: DateTime<Utc>) -> StoreResult<()> {
        let id = g.id.to_string();
        let mut tx = self.write.begin().await.map_err(db_err)?;
        let result =
            sqlx::query("UPDATE sso_groups SET name = $1, updated_at = $2 WHERE id = $3 AND configuration_id = $4")
                .bind(&g.group)
                .bind(ms(now))
                .bind(&id)
                .bind(g.configuration_id.to_string())
                .execute(&mut *tx)
                .await;
        touched(result, Entity::SsoGroup)?;
        write_roles(&mut tx, "sso_group_roles", "group_id", &id, &g.role_ids).await?;
        tx.commit().await.map_err(db_err)
    }

    async fn delete_sso_group(&self, config: SsoConfigurationId, id: SsoGroupId) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM sso_groups WHERE id = $1 AND configuration_id = $2")
            .bind(id.to_string())
            .bind(config.to_string())
            .execute(&self.write)
            .await;
        touched(result, Entity::SsoGroup)
    }

    async fn add_sso_excluded_email(&self, e: &SsoExcludedEmail) -> StoreResult<()> {
        sqlx::query("INSERT INTO sso_excluded_emails (email_norm, email, created_at) VALUES ($1, $2, $3)")
            .bind(&e.email_norm)
            .bind(&e.email)
            .bind(ms(e.created_at))
            .execute(&self.write)
            .await
            .map_err(db_err)?;
        Ok(())
    }

    async fn sso_excluded_emails(&self, limit: u64) -> StoreResult<Vec<SsoExcludedEmail>> {
        let sql = format!("SELECT * FROM sso_excluded_emails ORDER BY created_at, email_norm LIMIT {limit}");
        let rows: Vec<Excluded> = self.fetch_bounded(&sql, &[]).await?;
        Ok(rows.into_iter().map(|Excluded(e)| e).collect())
    }

    async fn delete_sso_excluded_email(&self, email_norm: &str) -> StoreResult<()> {
        let result = sqlx::query("DELETE FROM sso_excluded_emails WHERE email_norm = $1")
            .bind(email_norm)
            .execute(&self.write)
            .await;
        touched(result, Entity::SsoExcludedEmail)
    }

    async fn sso_required_for(&self, domain: &str, email_norm: &str) -> StoreResult<bool> {
        let rows: Vec<Found> = self
            .fetch_bounded(
                "SELECT 1 AS found FROM sso_domains d JOIN sso_configurations c ON c.id = d.configuration_id
                 WHERE d.domain = $1 AND d.validated = 1 AND c.enabled = 1
                   AND NOT EXISTS (SELECT 1 FROM sso_excluded_emails e WHERE e.email_norm = $2)
                 LIMIT 1",
                &[Arg::from(domain), Arg::from(email_norm)],
            )
            .await?;
        Ok(!rows.is_empty())
    }

    async fn sso_login_configurations(&self, domain: &str) -> StoreResult<Vec<SsoConfiguration>> {
        let sql = format!(
            "SELECT c.* FROM sso_configurations c
             WHERE c.enabled = 1 AND c.id IN (SELECT d.configuration_id FROM sso_domains d
                                              WHERE d.domain = $1 AND d.validated = 1)
             ORDER BY c.created_at, c.id LIMIT {MAX_SSO_ROWS}"
        );
        self.configs_where(&sql, &[Arg::from(domain)]).await
    }

    async fn any_sso_enabled(&self) -> StoreResult<bool> {
        let rows: Vec<Found> =
            self.fetch_bounded("SELECT 1 AS found FROM sso_configurations WHERE enabled = 1 LIMIT 1", &[]).await?;
        Ok(!rows.is_empty())
    }

    async fn ensure_sp_key(&self, candidate: &SpKey) -> StoreResult<SpKey> {
        sqlx::query(
            "INSERT INTO sso_sp_keys (slot, private_key, protection, certificate, created_at)
             VALUES ('primary', $1, $2, $3, $4)
             ON CONFLICT (slot) DO NOTHING",
        )
        .bind(candidate.private_key.stored_text())
        .bind(candidate.private_key.scheme())
        .bind(&candidate.certificate_pem)
        .bind(ms(candidate.created_at))
        .execute(&self.write)
        .await
        .map_err(db_err)?;
        // Read on the writer: a reader might not see the row yet.
        let row = sqlx::query("SELECT * FROM sso_sp_keys WHERE slot = 'primary'")
            .fetch_one(&self.write)
            .await
            .map_err(db_err)?;
        Ok(SpKeyRow::decode(&row)?.0)
    }

    async fn sp_key(&self) -> StoreResult<Option<SpKey>> {
        let rows: Vec<SpKeyRow> = self.fetch_bounded("SELECT * FROM sso_sp_keys WHERE slot = 'primary'", &[]).await?;
        Ok(rows.into_iter().next().map(|SpKeyRow(k)| k))
    }
}
