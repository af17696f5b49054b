//! SCIM configurations (Frontegg DTOs) and SCIM 2.0 resources (RFC 7643 JSON).

use serde_json::{Map, Value, json};
use yolk_api_types::scim::ScimConnectionDto;
use yolk_core::scim::resource::{GROUP_SCHEMA, USER_SCHEMA};
use yolk_core::scim::user_document;
use yolk_domain::time::rfc3339;
use yolk_store::scim::{ScimConnection, ScimGroup, ScimUser};

/// `Scim2ConnectionConfigResponse` (never the token).
pub fn connection_dto(c: &ScimConnection) -> ScimConnectionDto {
    ScimConnectionDto {
        id: c.id.clone(),
        tenant_id: c.tenant_id.to_string(),
        connection_name: c.connection_name.clone(),
        source: c.source.clone(),
        sync_to_user_management: c.sync_to_user_management,
        last_sync: c.last_sync.map(rfc3339),
        created_at: c.created_at,
    }
}

fn meta(
    kind: &str,
    location: String,
    created: chrono::DateTime<chrono::Utc>,
    modified: chrono::DateTime<chrono::Utc>,
) -> Value {
    json!({
        "resourceType": kind,
        "created": rfc3339(created),
        "lastModified": rfc3339(modified),
        "location": location,
        "version": format!("W/\"{}\"", modified.timestamp_millis()),
    })
}

/// A User resource: what the client stored, with the server's `id`, `schemas` and `meta`. `base` is the SCIM
/// service's absolute URL.
pub fn scim_user_json(u: &ScimUser, base: &str) -> Value {
    let Value::Object(mut doc) = user_document(u) else { return Value::Null };
    let mut schemas = vec![Value::String(USER_SCHEMA.into())];
    for k in doc.keys() {
        if k.to_ascii_lowercase().starts_with("urn:") {
            schemas.push(Value::String(k.clone()));
        }
    }
    doc.insert("schemas".into(), Value::Array(schemas));
    doc.insert("id".into(), Value::String(u.id.to_string()));
    doc.insert("meta".into(), meta("User", format!("{base}/Users/{}", u.id), u.created_at, u.updated_at));
    Value::Object(doc)
}

/// A Group resource with its members.
pub fn scim_group_json(g: &ScimGroup, base: &str) -> Value {
    let mut doc = Map::new();
    doc.insert("schemas".into(), json!([GROUP_SCHEMA]));
    doc.insert("id".into(), Value::String(g.id.clone()));
    doc.insert("displayName".into(), Value::String(g.display_name.clone()));
    if let Some(x) = &g.external_id {
        doc.insert("externalId".into(), Value::String(x.clone()));
    }
    let members: Vec<Value> = g
        .members
        .iter()
        .map(|m| json!({"value": m.to_string(), "$ref": format!("{base}/Users/{m}"), "type": "User"}))
        .collect();
    doc.insert("members".into(), Value::Array(members));
    doc.insert("meta".into(), meta("Group", format!("{base}/Groups/{}", g.id), g.created_at, g.updated_at));
    Value::Object(doc)
}
