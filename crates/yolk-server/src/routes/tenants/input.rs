//! Parsing and validating tenant input shared by the tenants routes: ids, names, descriptive text fields,
//! metadata and partial updates.

use chrono::{DateTime, Utc};
use serde_json::Value;
use yolk_api_types::tenants::{CreateTenantRequest, Patch, UpdateTenantRequest};
use yolk_domain::{Tenant, TenantProfile};

use crate::error::ApiError;

/// Longest tenant id, name or alias accepted.
const MAX_ID: usize = 255;
/// Longest descriptive field (URLs, addresses, formats); the base64 `logo` is bounded by the body limit only.
const MAX_TEXT: usize = 2048;

/// A client-chosen tenant id: any non-empty string of at most 255 characters without control characters.
pub fn tenant_id(raw: &str, field: &str) -> Result<String, ApiError> {
    if raw.is_empty() || raw.chars().count() > MAX_ID || raw.chars().any(char::is_control) {
        return Err(ApiError::BadRequest(format!(
            "{field} must be a non-empty string of at most {MAX_ID} characters without control characters"
        )));
    }
    Ok(raw.to_owned())
}

/// A required tenant id field of a body.
pub fn required_tenant_id(raw: Option<&str>, field: &str) -> Result<String, ApiError> {
    tenant_id(raw.ok_or_else(|| ApiError::BadRequest(format!("{field} is required")))?, field)
}

/// A display name: trimmed, non-empty, at most 255 characters.
pub fn name(raw: Option<&str>) -> Result<String, ApiError> {
    let n = raw.map(str::trim).unwrap_or_default();
    if n.is_empty() || n.chars().count() > MAX_ID {
        return Err(ApiError::BadRequest(format!("name is required (1 to {MAX_ID} characters)")));
    }
    Ok(n.to_owned())
}

/// A login alias: 1 to 255 letters, digits, `-`, `_` or `.` (it travels in URLs and the `frontegg-login-alias`
/// header).
pub fn alias(raw: &str) -> Result<String, ApiError> {
    let valid = !raw.is_empty()
        && raw.len() <= MAX_ID
        && raw.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(ApiError::BadRequest("alias must be 1 to 255 letters, digits, '-', '_' or '.'".into()));
    }
    Ok(raw.to_owned())
}

/// An optional descriptive field: empty means none.
pub fn text(raw: Option<&str>, field: &str) -> Result<Option<String>, ApiError> {
    match raw {
        None | Some("") => Ok(None),
        Some(v) if field != "logo" && v.chars().count() > MAX_TEXT => {
            Err(ApiError::BadRequest(format!("{field} must be at most {MAX_TEXT} characters")))
        }
        Some(v) => Ok(Some(v.to_owned())),
    }
}

/// Tenant metadata as stored: a JSON-encoded string. Accepts an object or a string holding JSON (Frontegg's
/// documented forms) and, as Frontegg does, any other JSON value, which is stored encoded (a Rust client sends
/// `42`).
pub fn metadata(value: &Value) -> Result<Option<String>, ApiError> {
    match value {
        Value::Null | Value::Object(_) | Value::String(_) => {
            yolk_domain::values::metadata_to_string(value).map_err(ApiError::BadRequest)
        }
        other => Ok(Some(other.to_string())),
    }
}

/// The metadata object a merge applies to: from an object or a string holding a JSON object.
pub fn metadata_object(value: Option<&Value>) -> Result<serde_json::Map<String, Value>, ApiError> {
    let invalid = || ApiError::BadRequest("metadata must be a JSON object or a JSON-encoded object string".into());
    match value {
        Some(Value::Object(m)) => Ok(m.clone()),
        Some(Value::String(s)) => match serde_json::from_str::<Value>(s) {
            Ok(Value::Object(m)) => Ok(m),
            _ => Err(invalid()),
        },
        _ => Err(invalid()),
    }
}

/// The stored metadata as an object to merge into; stored non-object metadata (say `42`) is replaced.
pub fn stored_metadata_object(t: &Tenant) -> serde_json::Map<String, Value> {
    match t.metadata.as_deref().and_then(|m| serde_json::from_str::<Value>(m).ok()) {
        Some(Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    }
}

/// A new tenant from a create body: `tenantId` as given (a UUID when absent), `name` required, `parent` the
/// already-validated parent (the body's `parentTenantId` is ignored here; callers decide it).
pub fn new_tenant(body: &CreateTenantRequest, parent: Option<String>, now: DateTime<Utc>) -> Result<Tenant, ApiError> {
    let tenant_id = match body.tenant_id.as_deref() {
        Some(raw) => tenant_id(raw, "tenantId")?,
        None => uuid::Uuid::new_v4().to_string(),
    };
    let metadata = body.metadata.as_ref().map(metadata).transpose()?.flatten();
    let t = |v: &Option<String>, field: &str| text(v.as_deref(), field);
    let profile = TenantProfile {
        status: t(&body.status, "status")?,
        website: t(&body.website, "website")?,
        application_url: t(&body.application_url, "applicationUrl")?,
        logo: t(&body.logo, "logo")?,
        logo_url: t(&body.logo_url, "logoUrl")?,
        address: t(&body.address, "address")?,
        timezone: t(&body.timezone, "timezone")?,
        date_format: t(&body.date_format, "dateFormat")?,
        time_format: t(&body.time_format, "timeFormat")?,
        currency: t(&body.currency, "currency")?,
        creator_name: t(&body.creator_name, "creatorName")?,
        creator_email: t(&body.creator_email, "creatorEmail")?,
    };
    Ok(Tenant {
        id: uuid::Uuid::new_v4(),
        tenant_id,
        name: name(body.name.as_deref())?,
        metadata,
        parent_tenant_id: parent,
        alias: None,
        is_reseller: body.is_reseller.unwrap_or(false),
        profile,
        created_at: now,
        updated_at: now,
    })
}

/// Applies a text patch to an optional field after validating it.
pub fn patch_text(target: &mut Option<String>, patch: &Patch<String>, field: &str) -> Result<(), ApiError> {
    match patch {
        Patch::Absent => {}
        Patch::Null => *target = None,
        Patch::Value(v) => *target = text(Some(v), field)?,
    }
    Ok(())
}

/// A validated tenant update, ready to apply inside the store's transaction.
pub struct TenantChanges(UpdateTenantRequest);

impl TenantChanges {
    /// Validates `body`; a body with no known field is a 400 (Frontegg: "body doesn't contain any property to
    /// change").
    pub fn parse(body: UpdateTenantRequest) -> Result<Self, ApiError> {
        let b = &body;
        let present = [
            b.name.is_present(),
            b.metadata.is_present(),
            b.alias.is_present(),
            b.is_reseller.is_present(),
            b.status.is_present(),
            b.website.is_present(),
            b.application_url.is_present(),
            b.logo.is_present(),
            b.logo_url.is_present(),
            b.address.is_present(),
            b.timezone.is_present(),
            b.date_format.is_present(),
            b.time_format.is_present(),
            b.currency.is_present(),
            b.creator_name.is_present(),
            b.creator_email.is_present(),
        ];
        if !present.contains(&true) {
            return Err(ApiError::BadRequest("The body must contain at least one property to change".into()));
        }
        // Validate everything up front, on a scratch tenant, so the store transaction cannot fail on input.
        let mut scratch = scratch_tenant();
        let changes = Self(body);
        changes.apply(&mut scratch)?;
        Ok(changes)
    }

    /// Applies the changes to `t` (validation already passed in [`TenantChanges::parse`]).
    pub fn apply(&self, t: &mut Tenant) -> Result<(), ApiError> {
        let b = &self.0;
        match &b.name {
            Patch::Absent => {}
            Patch::Null => return Err(ApiError::BadRequest("name cannot be null".into())),
            Patch::Value(n) => t.name = name(Some(n))?,
        }
        match &b.metadata {
            Patch::Absent => {}
            Patch::Null => t.metadata = None,
            Patch::Value(v) => t.metadata = metadata(v)?,
        }
        match &b.alias {
            Patch::Absent => {}
            Patch::Null => t.alias = None,
            Patch::Value(a) => t.alias = Some(alias(a)?),
        }
        match b.is_reseller {
            Patch::Absent => {}
            Patch::Null => return Err(ApiError::BadRequest("isReseller must be a boolean".into())),
            Patch::Value(r) => t.is_reseller = r,
        }
        let p = &mut t.profile;
        patch_text(&mut p.status, &b.status, "status")?;
        patch_text(&mut p.website, &b.website, "website")?;
        patch_text(&mut p.application_url, &b.application_url, "applicationUrl")?;
        patch_text(&mut p.logo, &b.logo, "logo")?;
        patch_text(&mut p.logo_url, &b.logo_url, "logoUrl")?;
        patch_text(&mut p.address, &b.address, "address")?;
        patch_text(&mut p.timezone, &b.timezone, "timezone")?;
        patch_text(&mut p.date_format, &b.date_format, "dateFormat")?;
        patch_text(&mut p.time_format, &b.time_format, "timeFormat")?;
        patch_text(&mut p.currency, &b.currency, "currency")?;
        patch_text(&mut p.creator_name, &b.creator_name, "creatorName")?;
        patch_text(&mut p.creator_email, &b.creator_email, "creatorEmail")?;
        Ok(())
    }
}

fn scratch_tenant() -> Tenant {
    Tenant {
        id: uuid::Uuid::nil(),
        tenant_id: String::new(),
        name: String::new(),
        metadata: None,
        parent_tenant_id: None,
        alias: None,
        is_reseller: false,
        profile: TenantProfile::default(),
        created_at: DateTime::default(),
        updated_at: DateTime::default(),
    }
}
