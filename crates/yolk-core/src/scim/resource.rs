//! Reading SCIM User and Group resources (RFC 7643) from JSON, and applying PATCH operations (RFC 7644 §3.5.2) to
//! a resource's JSON: a PATCH edits the resource as a document, then the result is read like a PUT body, so one
//! set of rules decides what a valid user or group is.
//!
//! Identity providers differ in what they send: Okta patches without a path (`{"op":"replace","value":{"active":
//! false}}`), Entra ID with one and string booleans (`"path":"active","value":"False"`), capitalized operations
//! (`"Replace"`), value-path filters (`emails[type eq "work"].value`, `members[value eq "id"]`) and removes members
//! by listing them in `value`. All are accepted.

use serde_json::{Map, Value};
use yolk_domain::values::{MAX_NAME, check_text};

use super::ScimError;

/// The core User schema.
pub const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
/// The core Group schema.
pub const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
/// The PatchOp message.
pub const PATCH_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
/// The most operations one PATCH may carry.
pub const MAX_PATCH_OPERATIONS: usize = 1000;
/// The most members one group write may name.
pub const MAX_MEMBERS: usize = 10_000;
/// Longest userName, externalId, email or group name.
const MAX_VALUE: usize = 1024;

/// Attributes the server owns: never stored from a client's body.
const SERVER_OWNED: &[&str] = &["id", "meta", "schemas", "password"];

/// A user's attributes as yolk reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct UserInput {
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    /// `name.formatted`, else `givenName familyName`.
    pub full_name: Option<String>,
    /// The primary email, else the first.
    pub email: Option<String>,
    pub active: bool,
    /// The resource to keep (server-owned attributes removed, `active` as a boolean when sent).
    pub resource: Value,
}

/// A group's attributes as yolk reads them.
#[derive(Debug, Clone, PartialEq)]
pub struct GroupInput {
    pub display_name: String,
    pub external_id: Option<String>,
    /// Member ids as sent (parsed by the caller).
    pub members: Vec<String>,
}

fn invalid_value(detail: impl Into<String>) -> ScimError {
    ScimError::bad_request("invalidValue", detail)
}

fn object(body: &Value) -> Result<&Map<String, Value>, ScimError> {
    body.as_object().ok_or_else(|| ScimError::bad_request("invalidSyntax", "The body must be a JSON object"))
}

/// The value of a key, matched case-insensitively (SCIM attribute names are case-insensitive).
fn get<'a>(m: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    m.get(key).or_else(|| m.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

fn opt_string(m: &Map<String, Value>, key: &str) -> Result<Option<String>, ScimError> {
    match get(m, key) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => {
            check_text(key, s, MAX_VALUE).map_err(invalid_value)?;
            Ok(Some(s.clone()).filter(|s| !s.trim().is_empty()))
        }
        Some(_) => Err(invalid_value(format!("{key} must be a string"))),
    }
}

/// A boolean, or Entra's string form (`"True"`, `"false"`).
pub fn boolean(v: &Value, key: &str) -> Result<bool, ScimError> {
    match v {
        Value::Bool(b) => Ok(*b),
        Value::String(s) if s.eq_ignore_ascii_case("true") => Ok(true),
        Value::String(s) if s.eq_ignore_ascii_case("false") => Ok(false),
        _ => Err(invalid_value(format!("{key} must be a boolean"))),
    }
}

/// Reads a User body (POST, PUT, or a patched resource).
pub fn parse_user(body: &Value) -> Result<UserInput, ScimError> {
    let m = object(body)?;
    let user_name = opt_string(m, "userName")?.ok_or_else(|| invalid_value("userName is required"))?;
    let external_id = opt_string(m, "externalId")?;
    if let Some(x) = &external_id {
        check_text("externalId", x, MAX_NAME).map_err(invalid_value)?;
    }
    let display_name = opt_string(m, "displayName")?;
    let active = match get(m, "active") {
        None | Some(Value::Null) => true,
        Some(v) => boolean(v, "active")?,
    };
    let full_name = match get(m, "name") {
        None | Some(Value::Null) => None,
        Some(Value::Object(n)) => match opt_string(n, "formatted")? {
            Some(f) => Some(f),
            None => {
                let parts: Vec<String> =
                    [opt_string(n, "givenName")?, opt_string(n, "familyName")?].into_iter().flatten().collect();
                Some(parts.join(" ")).filter(|s| !s.is_empty())
            }
        },
        Some(_) => return Err(invalid_value("name must be an object")),
    };
    let email = match get(m, "emails") {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => {
            let mut first = None;
            let mut primary = None;
            for item in items {
                let e = item.as_object().ok_or_else(|| invalid_value("emails must be objects"))?;
                let value = opt_string(e, "value")?;
                let is_primary = match get(e, "primary") {
                    None | Some(Value::Null) => false,
                    Some(v) => boolean(v, "emails.primary")?,
                };
                if is_primary && primary.is_none() {
                    primary = value.clone();
                }
                if first.is_none() {
                    first = value;
                }
            }
            primary.or(first)
        }
        Some(_) => return Err(invalid_value("emails must be an array")),
    };
    let mut resource = m.clone();
    resource.retain(|k, _| !SERVER_OWNED.iter().any(|o| k.eq_ignore_ascii_case(o)));
    // `active` is kept only when the client sent it (a removed one stays removed; absent means active).
    if get(m, "active").is_some_and(|v| !v.is_null()) {
        resource.retain(|k, _| !k.eq_ignore_ascii_case("active"));
        resource.insert("active".into(), Value::Bool(active));
    } else {
        resource.retain(|k, _| !k.eq_ignore_ascii_case("active"));
    }
    Ok(UserInput { user_name, external_id, display_name, full_name, email, active, resource: Value::Object(resource) })
}

/// Reads a Group body (POST, PUT, or a patched resource).
pub fn parse_group(body: &Value) -> Result<GroupInput, ScimError> {
    let m = object(body)?;
    let display_name = opt_string(m, "displayName")?.ok_or_else(|| invalid_value("displayName is required"))?;
    let external_id = opt_string(m, "externalId")?;
    let members = match get(m, "members") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            if items.len() > MAX_MEMBERS {
                return Err(invalid_value(format!("A group write names at most {MAX_MEMBERS} members")));
            }
            let mut out = Vec::with_capacity(items.len());
            for item in items {
                let value = item
                    .as_object()
                    .and_then(|o| get(o, "value"))
                    .and_then(Value::as_str)
                    .ok_or_else(|| invalid_value("Each member must have a value"))?;
                if !out.iter().any(|v| v == value) {
                    out.push(value.to_owned());
                }
            }
            out
        }
        Some(_) => return Err(invalid_value("members must be an array")),
    };
    Ok(GroupInput { display_name, external_id, members })
}

/// One PATCH operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Add,
    Replace,
    Remove,
}

/// Applies a PatchOp body's operations to `doc` (a resource as JSON), in order. Nothing is kept if any fails.
pub fn apply_patch(doc: &mut Value, body: &Value) -> Result<(), ScimError> {
    let m = object(body)?;
    let ops = match get(m, "Operations") {
        Some(Value::Array(ops)) if !ops.is_empty() => ops,
        _ => return Err(ScimError::bad_request("invalidSyntax", "Operations must be a non-empty array")),
    };
    if ops.len() > MAX_PATCH_OPERATIONS {
        return Err(ScimError::bad_request("tooMany", format!("At most {MAX_PATCH_OPERATIONS} operations")));
    }
    let target = doc.as_object_mut().ok_or_else(|| ScimError::internal("a resource is not an object"))?;
    for op in ops {
        let o = op.as_object().ok_or_else(|| ScimError::bad_request("invalidSyntax", "An operation is an object"))?;
        let kind = match get(o, "op").and_then(Value::as_str).map(str::to_ascii_lowercase).as_deref() {
            Some("add") => Op::Add,
            Some("replace") => Op::Replace,
            Some("remove") => Op::Remove,
            _ => return Err(ScimError::bad_request("invalidSyntax", "op must be add, replace or remove")),
        };
        let value = get(o, "value").cloned();
        match get(o, "path") {
            None | Some(Value::Null) => apply_without_path(target, kind, value)?,
            Some(Value::String(p)) => apply_path(target, kind, p, value)?,
            Some(_) => return Err(ScimError::bad_request("invalidPath", "path must be a string")),
        }
    }
    Ok(())
}

fn apply_without_path(doc: &mut Map<String, Value>, kind: Op, value: Option<Value>) -> Result<(), ScimError> {
    if kind == Op::Remove {
        return Err(ScimError::bad_request("noTarget", "remove needs a path"));
    }
    let Some(Value::Object(fields)) = value else {
        return Err(ScimError::bad_request("invalidValue", "An operation without a path needs an object value"));
    };
    for (k, v) in fields {
        // `"name.givenName": "x"` (Entra) and `"urn:...:enterprise:2.0:User:department": "x"` are paths.
        if k.contains('.') || (k.to_ascii_lowercase().starts_with("urn:") && !is_schema_urn(&k)) {
            apply_path(doc, kind, &k, Some(v))?;
        } else {
            set_attr(doc, &k, v, kind == Op::Add);
        }
    }
    Ok(())
}

/// Whether `s` is an extension schema's URN itself (its value is an object of the extension's attributes).
fn is_schema_urn(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.ends_with(":user") || l.ends_with(":group")
}

/// The key of `name` in `doc` (case-insensitively), or `name` itself.
fn key_of(doc: &Map<String, Value>, name: &str) -> String {
    doc.keys().find(|k| k.eq_ignore_ascii_case(name)).cloned().unwrap_or_else(|| name.to_owned())
}

/// Sets an attribute: `add` appends to a multi-valued attribute and merges into a complex one; otherwise the value
/// replaces it.
fn set_attr(doc: &mut Map<String, Value>, name: &str, value: Value, add: bool) {
    let key = key_of(doc, name);
    match (doc.get_mut(&key), value, add) {
        (Some(Value::Array(items)), Value::Array(new), true) => {
            for v in new {
                if !items.contains(&v) {
                    items.push(v);
                }
            }
        }
        (Some(Value::Array(items)), v @ Value::Object(_), true) => {
            if !items.contains(&v) {
                items.push(v);
            }
        }
        (Some(Value::Object(existing)), Value::Object(new), _) => {
            if add {
                for (k, v) in new {
                    let k = key_of(existing, &k);
                    existing.insert(k, v);
                }
            } else {
                *existing = new;
            }
        }
        (_, v, _) => {
            doc.insert(key, v);
        }
    }
}

/// A parsed patch path: `attr`, `attr.sub`, `attr[filter]`, `attr[filter].sub`, with URN prefixes.
struct Path {
    attr: String,
    filter: Option<Vec<(String, Value)>>,
    sub: Option<String>,
}

fn parse_path(raw: &str) -> Result<Path, ScimError> {
    let bad = || ScimError::bad_request("invalidPath", format!("Unsupported path {raw}"));
    let mut p = raw.trim();
    if p.is_empty() || p.len() > 1024 {
        return Err(bad());
    }
    let lower = p.to_ascii_lowercase();
    for core in [format!("{}:", USER_SCHEMA.to_ascii_lowercase()), format!("{}:", GROUP_SCHEMA.to_ascii_lowercase())] {
        if lower.starts_with(&core) {
            p = &p[core.len()..];
        }
    }
    if p.to_ascii_lowercase().starts_with("urn:") {
        // An extension attribute: the URN up to its last `:` is the attribute, the rest its sub-attribute.
        let cut = p.rfind(':').ok_or_else(bad)?;
        let (urn, rest) = (&p[..cut], &p[cut + 1..]);
        if rest.is_empty() || rest.contains('[') {
            return Err(bad());
        }
        return Ok(Path { attr: urn.to_owned(), filter: None, sub: Some(rest.to_owned()) });
    }
    if let Some(open) = p.find('[') {
        let close = p.rfind(']').ok_or_else(bad)?;
        if close < open {
            return Err(bad());
        }
        let attr = &p[..open];
        let filter = parse_value_filter(&p[open + 1..close]).ok_or_else(bad)?;
        let after = &p[close + 1..];
        let sub = match after.strip_prefix('.') {
            Some(s) if !s.is_empty() => Some(s.to_owned()),
            None if after.is_empty() => None,
            _ => return Err(bad()),
        };
        if attr.is_empty() || attr.contains('.') {
            return Err(bad());
        }
        return Ok(Path { attr: attr.to_owned(), filter: Some(filter), sub });
    }
    match p.split_once('.') {
        Some((a, s)) if !a.is_empty() && !s.is_empty() && !s.contains('.') => {
            Ok(Path { attr: a.to_owned(), filter: None, sub: Some(s.to_owned()) })
        }
        None => Ok(Path { attr: p.to_owned(), filter: None, sub: None }),
        _ => Err(bad()),
    }
}

/// `field eq value [and field eq value]...` inside a value path's brackets.
fn parse_value_filter(s: &str) -> Option<Vec<(String, Value)>> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    loop {
        let (field, r) = rest.split_once(char::is_whitespace)?;
        let r = r.trim_start();
        let (op, r) = r.split_once(char::is_whitespace)?;
        if !op.eq_ignore_ascii_case("eq") {
            return None;
        }
        let r = r.trim_start();
        let (value, r) = if let Some(stripped) = r.strip_prefix('"') {
            let end = stripped.find('"')?;
            (Value::String(stripped[..end].to_owned()), &stripped[end + 1..])
        } else {
            let end = r.find(char::is_whitespace).unwrap_or(r.len());
            let word = &r[..end];
            let v = match word {
                "true" => Value::Bool(true),
                "false" => Value::Bool(false),
                _ => Value::String(word.to_owned()),
            };
            (v, &r[end..])
        };
        out.push((field.to_owned(), value));
        let r = r.trim_start();
        if r.is_empty() {
            return Some(out);
        }
        let (and, r) = r.split_once(char::is_whitespace)?;
        if !and.eq_ignore_ascii_case("and") || out.len() >= 8 {
            return None;
        }
        rest = r.trim_start();
    }
}

fn matches(item: &Value, filter: &[(String, Value)]) -> bool {
    let Some(o) = item.as_object() else { return false };
    filter.iter().all(|(field, want)| match (get(o, field), want) {
        (Some(Value::String(have)), Value::String(w)) => have.eq_ignore_ascii_case(w),
        (Some(have), Value::String(w)) if have.is_boolean() => {
            boolean(have, field).ok() == boolean(&Value::String(w.clone()), field).ok()
        }
        (Some(have), w) => have == w,
        (None, _) => false,
    })
}

fn apply_path(doc: &mut Map<String, Value>, kind: Op, raw: &str, value: Option<Value>) -> Result<(), ScimError> {
    let path = parse_path(raw)?;
    let key = key_of(doc, &path.attr);
    let need_value = || ScimError::bad_request("invalidValue", format!("{raw}: the operation needs a value"));
    match (path.filter, path.sub) {
        (None, None) => match kind {
            Op::Remove => match (doc.get_mut(&key), value) {
                // Entra removes members by listing them.
                (Some(Value::Array(items)), Some(Value::Array(gone))) => {
                    let ids: Vec<&Value> = gone.iter().filter_map(|g| g.get("value")).collect();
                    items.retain(|i| !i.get("value").is_some_and(|v| ids.contains(&v)));
                }
                _ => {
                    doc.remove(&key);
                }
            },
            _ => set_attr(doc, &key, value.ok_or_else(need_value)?, kind == Op::Add),
        },
        (None, Some(sub)) => {
            let parent = doc.entry(key).or_insert_with(|| Value::Object(Map::new()));
            if parent.is_null() {
                *parent = Value::Object(Map::new());
            }
            let parent = parent
                .as_object_mut()
                .ok_or_else(|| ScimError::bad_request("invalidPath", format!("{raw}: not a complex attribute")))?;
            match kind {
                Op::Remove => {
                    let k = key_of(parent, &sub);
                    parent.remove(&k);
                }
                _ => set_attr(parent, &sub, value.ok_or_else(need_value)?, kind == Op::Add),
            }
        }
        (Some(filter), sub) => {
            let items = doc.entry(key).or_insert_with(|| Value::Array(Vec::new()));
            if items.is_null() {
                *items = Value::Array(Vec::new());
            }
            let items = items
                .as_array_mut()
                .ok_or_else(|| ScimError::bad_request("invalidPath", format!("{raw}: not a multi-valued attribute")))?;
            let hit = items.iter().any(|i| matches(i, &filter));
            match (kind, sub) {
                (Op::Remove, None) => items.retain(|i| !matches(i, &filter)),
                (Op::Remove, Some(sub)) => {
                    for i in items.iter_mut().filter(|i| matches(i, &filter)) {
                        if let Some(o) = i.as_object_mut() {
                            let k = key_of(o, &sub);
                            o.remove(&k);
                        }
                    }
                }
                (_, sub) => {
                    let value = value.ok_or_else(need_value)?;
                    if !hit {
                        // Entra sets `emails[type eq "work"].value` on users that have no such email yet.
                        let mut o: Map<String, Value> = filter.iter().cloned().collect();
                        match (&sub, value) {
                            (Some(s), v) => {
                                o.insert(s.clone(), v);
                            }
                            (None, Value::Object(fields)) => o.extend(fields),
                            (None, _) => return Err(need_value()),
                        }
                        items.push(Value::Object(o));
                        return Ok(());
                    }
                    for i in items.iter_mut().filter(|i| matches(i, &filter)) {
                        let Some(o) = i.as_object_mut() else { continue };
                        match (&sub, &value) {
                            (Some(s), v) => set_attr(o, s, v.clone(), false),
                            (None, Value::Object(fields)) => {
                                for (k, v) in fields {
                                    set_attr(o, k, v.clone(), false);
                                }
                            }
                            (None, _) => return Err(need_value()),
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn patch(doc: Value, ops: Value) -> Result<Value, ScimError> {
        let mut d = doc;
        apply_patch(&mut d, &json!({"schemas": [PATCH_SCHEMA], "Operations": ops}))?;
        Ok(d)
    }

    #[test]
    fn okta_and_entra_deactivation() {
        let u = json!({"userName": "a", "active": true});
        let d = patch(u.clone(), json!([{"op": "replace", "value": {"active": false}}])).unwrap();
        assert!(!parse_user(&d).unwrap().active);
        let d = patch(u, json!([{"op": "Replace", "path": "active", "value": "False"}])).unwrap();
        assert!(!parse_user(&d).unwrap().active);
    }

    #[test]
    fn value_paths() {
        let u = json!({"userName": "a", "emails": [{"type": "work", "value": "a@x.io", "primary": true}]});
        let d =
            patch(u.clone(), json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@x.io"}]))
                .unwrap();
        assert_eq!(parse_user(&d).unwrap().email.as_deref(), Some("b@x.io"));
        let d = patch(
            json!({"userName": "a"}),
            json!([{"op": "add", "path": "emails[type eq \"work\"].value", "value": "c@x.io"}]),
        )
        .unwrap();
        assert_eq!(parse_user(&d).unwrap().email.as_deref(), Some("c@x.io"));
        let d = patch(u, json!([{"op": "replace", "path": "name.givenName", "value": "Ann"}])).unwrap();
        assert_eq!(parse_user(&d).unwrap().full_name.as_deref(), Some("Ann"));
    }

    #[test]
    fn group_members() {
        let g = json!({"displayName": "g", "members": [{"value": "1"}, {"value": "2"}]});
        let d = patch(g.clone(), json!([{"op": "add", "path": "members", "value": [{"value": "3"}]}])).unwrap();
        assert_eq!(parse_group(&d).unwrap().members, vec!["1", "2", "3"]);
        let d = patch(g.clone(), json!([{"op": "remove", "path": "members[value eq \"1\"]"}])).unwrap();
        assert_eq!(parse_group(&d).unwrap().members, vec!["2"]);
        let d = patch(g.clone(), json!([{"op": "remove", "path": "members", "value": [{"value": "2"}]}])).unwrap();
        assert_eq!(parse_group(&d).unwrap().members, vec!["1"]);
        let d = patch(g, json!([{"op": "replace", "path": "displayName", "value": "h"}])).unwrap();
        assert_eq!(parse_group(&d).unwrap().display_name, "h");
    }

    #[test]
    fn bad_patches() {
        let u = json!({"userName": "a"});
        assert!(patch(u.clone(), json!([])).is_err());
        assert!(patch(u.clone(), json!([{"op": "move", "path": "userName"}])).is_err());
        assert!(patch(u.clone(), json!([{"op": "remove"}])).is_err());
        assert!(patch(u.clone(), json!([{"op": "replace", "path": "emails[type eq]", "value": 1}])).is_err());
        assert!(patch(u.clone(), json!([{"op": "replace", "path": "a.b.c", "value": 1}])).is_err());
        let d = patch(u, json!([{"op": "replace", "path": "active", "value": "maybe"}])).unwrap();
        assert!(parse_user(&d).is_err());
        assert!(parse_user(&json!({"active": true})).is_err());
        assert!(parse_user(&json!([1])).is_err());
    }
}
