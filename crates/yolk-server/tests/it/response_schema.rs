//! Every JSON response body a test receives is checked against the response schema Frontegg's OpenAPI files
//! (`shared/frontegg-openapi/*.json`) declare for its operation and status: [`crate::support::RequestBuilder::send`]
//! calls [`check`], and a body that does not conform fails the test, naming the operation, the status, the JSON
//! pointer of each offending value and the reason.
//!
//! - A request is mapped to its operation by method and path (the path as the test sent it, without the query):
//!   `/frontegg` stripped, empty segments dropped (trailing and doubled slashes), each file's paths under its
//!   `servers[0].url` prefix, templates matched segment by segment with literal segments preferred over `{param}`
//!   ones (`/users/v1/email` beats `/users/v1/{userId}`). Requests that match no operation (`/health`, the JWKS,
//!   the legacy users list) are not checked.
//! - Only a status the operation declares (exactly, else `2XX`, else `default`) with an `application/json` schema
//!   is checked; error bodies have no schema in the files (their `{"errors":[...]}` shape is asserted by the tests).
//! - OpenAPI 3.0 schemas become JSON Schema (2020-12): `nullable: true` admits `null`, `$ref` siblings are ignored
//!   (as OpenAPI 3.0 says), `example` is dropped; `format: date-time` and `email` are asserted.
//! - [`DEPARTURES`] is the one list of places where yolk deliberately answers otherwise, each with its reason; the
//!   same list is in `docs/api-conventions.md` ("Where yolk departs from the OpenAPI files").
//!
//! The files are parsed once per test binary and each operation/status validator is compiled once (a `OnceLock`).
//! Without the spec directory (see [`crate::spec::spec_dir`]) nothing is checked.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, OnceLock};

use axum::http::{Method, StatusCode};
use jsonschema::{Draft, Validator};
use serde_json::{Map, Value, json};

use crate::spec;

/// How yolk departs from the spec at one place.
#[derive(Debug, Clone, Copy)]
pub enum Rule {
    /// The property may be absent (yolk omits it when it has no value).
    MayBeAbsent,
    /// The value may be `null`.
    MayBeNull,
    /// The value follows this (OpenAPI) schema instead.
    Schema(&'static str),
    /// The body is empty (no JSON at all) although the spec declares one.
    EmptyBody,
}

/// One documented departure from the OpenAPI files.
#[derive(Debug, Clone, Copy)]
pub struct Departure {
    /// A component schema (`UserDto`, wherever it is used), or one operation's response: `METHOD /prefix/path
    /// STATUS` with the path as the spec spells it (`GET /identity/resources/users/v1/{userId} 200`).
    pub at: &'static str,
    /// JSON pointer of the value inside an instance of that schema or body; `*` stands for any array index.
    /// Empty for the whole body.
    pub pointer: &'static str,
    /// The machine form, applied by the check.
    pub rule: Rule,
    /// What yolk sends instead (for the docs table).
    pub yolk: &'static str,
    /// Why, in words a reviewer can check.
    pub why: &'static str,
}

/// Where yolk's responses depart from the OpenAPI files, kept as short as honesty allows. The same table, with
/// the reasons, is in `docs/api-conventions.md` (a test keeps them equal).
pub const DEPARTURES: &[Departure] = &[
    Departure {
        at: "AuthenticationResponseDto",
        pointer: "/accessToken",
        rule: Rule::MayBeAbsent,
        yolk: "absent in the MFA branch of a login",
        why: "the login answers the MFA branch (`mfaRequired: true`, `mfaToken`) without tokens until the second factor is given; `@frontegg/rest-api` reads a body without `accessToken` as that branch (CLIENTS.md §3.3)",
    },
    Departure {
        at: "AuthenticationResponseDto",
        pointer: "/refreshToken",
        rule: Rule::MayBeAbsent,
        yolk: "absent in the MFA branch of a login",
        why: "as for `/accessToken`",
    },
    Departure {
        at: "AuthenticationResponseDto",
        pointer: "/expiresIn",
        rule: Rule::MayBeAbsent,
        yolk: "absent in the MFA branch of a login",
        why: "as for `/accessToken`",
    },
    Departure {
        at: "AuthenticationResponseDto",
        pointer: "/expires",
        rule: Rule::MayBeAbsent,
        yolk: "absent in the MFA branch of a login",
        why: "as for `/accessToken`",
    },
    Departure {
        at: "AuthenticationResponseDto",
        pointer: "/mfaStrategies",
        rule: Rule::Schema(r##"{"type":"array","items":{"type":"string"}}"##),
        yolk: "an array of strategy names (`AuthenticatorApp`, `EmailCode`, ...)",
        why: "`@frontegg/rest-api` types it `mfaStrategies?: MFAStrategyEnum[]` and the login box iterates it",
    },
    Departure {
        at: "UserDto",
        pointer: "/lastLogin",
        rule: Rule::MayBeAbsent,
        yolk: "absent until the user's first login",
        why: "a user who never logged in has no truthful value; `@frontegg/rest-api` types it optional \
              (`lastLogin?: Date`)",
    },
    Departure {
        at: "UserV3Dto",
        pointer: "/lastLogin",
        rule: Rule::MayBeAbsent,
        yolk: "absent until the user's first login",
        why: "as for `UserDto`",
    },
    Departure {
        at: "CoreUserDto",
        pointer: "/lastLogin",
        rule: Rule::MayBeAbsent,
        yolk: "absent until the user's first login",
        why: "as for `UserDto`",
    },
    Departure {
        at: "RoleResponse",
        pointer: "/tenantId",
        rule: Rule::MayBeAbsent,
        yolk: "absent for an environment-wide role",
        why: "such a role belongs to no tenant, and an empty string would read as a tenant id; `@frontegg/rest-api` \
              types it optional (`IRole.tenantId?: string`)",
    },
    Departure {
        at: "UserCreatedResponse",
        pointer: "/roles",
        rule: Rule::Schema(r##"{"type":"array","items":{"$ref":"#/components/schemas/RoleResponse"}}"##),
        yolk: "role objects (`RoleResponse`), not role ids",
        why: "`@frontegg/rest-api` `addUser` (`POST /users/v2`) reads `ITeamUser.roles: IRole[]`; every user \
              response carries role objects",
    },
    Departure {
        at: "POST /identity/resources/users/v1/signUp 201",
        pointer: "",
        rule: Rule::Schema(r##"{"$ref":"#/components/schemas/SignUpResponseDto"}"##),
        yolk: "`SignUpResponseDto` (`{shouldActivate, userId, tenantId, authResponse}`)",
        why: "the file names the request schema (`SignUpUserEmailDto`) as the answer; `.../signUp/username` \
              declares `SignUpResponseDto`, which is what `@frontegg/rest-api` `signUpUser` reads",
    },
    Departure {
        at: "GET /identity/resources/users/v3/roles 200",
        pointer: "",
        rule: Rule::Schema(
            r##"{"type":"array","items":{"type":"object","required":["userId","tenantId","roleIds","vendorId"],
                "properties":{"userId":{"type":"string"},"tenantId":{"type":"string"},"vendorId":{"type":"string"},
                "roleIds":{"type":"array","items":{"type":"string"}}}}}"##,
        ),
        yolk: "an array of `{userId, tenantId, vendorId, roleIds}`",
        why: "the file's `GetUserRolesResponse` is an object without properties; `@frontegg/rest-api` \
              `getUsersRoles` reads an array (`GetUserRolesResponse[]`) of these fields",
    },
    Departure {
        at: "GET /identity/resources/tenants/users/v1/statuses 200",
        pointer: "",
        rule: Rule::Schema(r##"{"type":"array","items":{"$ref":"#/components/schemas/UserTenantStatusesResponse"}}"##),
        yolk: "an array of `UserTenantStatusesResponse`, one per known user",
        why: "the file declares one `UserTenantStatusesResponse` (one `userId`) for a call that names up to 200 \
              users; one of them would be an arbitrary answer",
    },
    Departure {
        at: "PUT /identity/resources/permissions/v1/classification 200",
        pointer: "",
        rule: Rule::Schema(r##"{"type":"array","items":{"$ref":"#/components/schemas/PermissionResponse"}}"##),
        yolk: "an array of the classified permissions",
        why: "the file declares one `PermissionResponse` for a call that classifies a list of permissions; one of \
              them would be an arbitrary answer, the list is what changed, and no client in CLIENTS.md reads it",
    },
    Departure {
        at: "GetMailConfigResponseDto",
        pointer: "/provider",
        rule: Rule::Schema(r##"{"type":"string","enum":["smtp"]}"##),
        yolk: "`smtp`, with `host`, `port`, `username`, `tls`, `senderEmail`; `secret` is `********` (or empty), never the password",
        why: "yolk sends email over SMTP only: SendGrid, SES and Mailgun are refused rather than stored unenforced, and a secret is never answered",
    },
    Departure {
        at: "GetTemplateResponseDto",
        pointer: "/type",
        rule: Rule::Schema(r##"{"type":"string"}"##),
        yolk: "the template type's name (`ResetPassword`, ...), as sent in `CreateTemplateDto.type`",
        why: "the file types it `object`, but the value is the enum `CreateTemplateDto` declares; the admin portal compares it with those names",
    },
    Departure {
        at: "GET /identity/resources/configurations/v1/sms/templates 200",
        pointer: "",
        rule: Rule::Schema(r##"{"type":"array","items":{"type":"object"}}"##),
        yolk: "an array of `{type, body}`, one per SMS template type",
        why: "the file's `SmsTemplateResponse` is an object without properties for a call that lists every template",
    },
    Departure {
        at: "GET /identity/resources/configurations/v1/sms/templates/default/all 200",
        pointer: "",
        rule: Rule::Schema(r##"{"type":"array","items":{"type":"object"}}"##),
        yolk: "an array of `{type, body}`, yolk's text of every SMS template type",
        why: "as for `GET .../sms/templates`",
    },
    Departure {
        at: "GET /identity/resources/usernames/v1 200",
        pointer: "",
        rule: Rule::Schema(
            r##"{"allOf":[{"$ref":"#/components/schemas/FronteggPaginationWrapper"},{"properties":{"items":{"type":"array",
                "items":{"$ref":"#/components/schemas/UsernameResponseDto"}}}}]}"##,
        ),
        yolk: "a page (`FronteggPaginationWrapper`) of `UsernameResponseDto`",
        why: "the operation lists usernames (`_limit`, `_offset`, `_sortBy`, `userIds`, `usernames` filters) but the file declares a single `UsernameResponseDto`; yolk answers the list the parameters page through, as `GET /users/emails/v1` does",
    },
];

/// Routes yolk serves that no spec file has, but whose path a spec template would match: they are not checked
/// against that template's schema. (CLIENTS.md §1: the Node SDK calls the tenants' `active` list, which the public
/// OpenAPI lacks; `{id}` would swallow it.)
pub const NOT_IN_SPEC: &[&str] = &["GET /identity/resources/vendor-only/tenants/access-tokens/v1/active"];

/// [`DEPARTURES`] as the Markdown table of `docs/api-conventions.md`.
pub fn departures_table() -> String {
    let mut out = String::from("| Schema or operation | Pointer | What yolk sends | Why |\n|---|---|---|---|\n");
    for d in DEPARTURES {
        let pointer = if d.pointer.is_empty() { "(body)" } else { d.pointer };
        let _ = writeln!(out, "| `{}` | `{pointer}` | {} | {} |", d.at, d.yolk, d.why);
    }
    out
}

/// Checks one response: `Err` names the operation, the status, and each offending pointer with the reason.
pub fn check(method: &Method, path: &str, status: StatusCode, body: &[u8]) -> Result<(), String> {
    match global() {
        Some(index) => index.check(method, path, status, body),
        None => Ok(()),
    }
}

/// The spec files of this machine, loaded on first use; `None` when the directory is not found.
fn global() -> Option<&'static SpecIndex> {
    static INDEX: OnceLock<Option<SpecIndex>> = OnceLock::new();
    INDEX
        .get_or_init(|| {
            let dir = spec::spec_dir()?;
            let files = spec::spec_files(&dir)
                .iter()
                .map(|f| {
                    let name = f.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
                    (name, spec::load(f))
                })
                .collect();
            Some(SpecIndex::new(files, DEPARTURES))
        })
        .as_ref()
}

/// The operations of a set of spec files, and their compiled response validators.
pub struct SpecIndex {
    ops: Vec<Operation>,
    files: Vec<SpecFile>,
    departures: &'static [Departure],
    /// (operation index, response key) → its compiled validator.
    validators: Mutex<HashMap<(usize, String), Arc<Validator>>>,
}

struct SpecFile {
    name: String,
    /// `components.schemas` as the file has them, with the schema-level departures applied (OpenAPI dialect).
    schemas: Value,
    /// The same, converted to JSON Schema; each validator's document carries the ones its schema reaches.
    converted: Map<String, Value>,
}

struct Operation {
    method: Method,
    /// The path's segments under the file prefix; `None` for a `{param}`.
    segments: Vec<Option<String>>,
    /// `METHOD /prefix/path`, as the spec spells the path.
    key: String,
    file: usize,
    /// Response key (`200`, `2XX`, `default`) → its `application/json` schema, as the file has it.
    responses: BTreeMap<String, Value>,
}

impl SpecIndex {
    /// Indexes `files` (name, parsed OpenAPI document) with `departures` applied. Panics on a departure that names
    /// nothing in the files, so the list cannot rot.
    pub fn new(files: Vec<(String, Value)>, departures: &'static [Departure]) -> Self {
        let mut ops = Vec::new();
        let mut out = Vec::new();
        let mut used = vec![false; departures.len()];
        for (file, (name, doc)) in files.into_iter().enumerate() {
            let prefix = spec::file_prefix(&doc, &name);
            for (path, item) in doc["paths"].as_object().into_iter().flatten() {
                for method in spec::METHODS {
                    let Some(op) = item.get(method) else { continue };
                    let full = spec::join_path(&prefix, path);
                    let segments = full
                        .split('/')
                        .filter(|s| !s.is_empty())
                        .map(|s| (!(s.starts_with('{') && s.ends_with('}'))).then(|| s.to_owned()))
                        .collect();
                    let mut responses = BTreeMap::new();
                    for (code, response) in op["responses"].as_object().into_iter().flatten() {
                        let response = spec::resolve_ref(&doc, response);
                        if let Some(schema) = response.pointer("/content/application~1json/schema") {
                            responses.insert(code.clone(), schema.clone());
                        }
                    }
                    let method = method.to_ascii_uppercase().parse().expect("method");
                    ops.push(Operation { key: format!("{method} {full}"), method, segments, file, responses });
                }
            }
            let mut schemas = doc.pointer("/components/schemas").cloned().unwrap_or_else(|| json!({}));
            for (i, d) in departures.iter().enumerate() {
                if let Some(target) = schemas.get(d.at).cloned() {
                    let patched = patch(target, d, &schemas).unwrap_or_else(|e| panic!("departure {d:?}: {e}"));
                    schemas[d.at] = patched;
                    used[i] = true;
                }
            }
            let converted: Map<String, Value> =
                schemas.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), convert(v))).collect();
            out.push(SpecFile { name, schemas, converted });
        }
        for (i, d) in departures.iter().enumerate() {
            if used[i] {
                continue;
            }
            let (key, code) = d.at.rsplit_once(' ').unwrap_or_else(|| panic!("departure {d:?}: names no schema"));
            let op = ops.iter().find(|o| o.key == key).unwrap_or_else(|| panic!("departure {d:?}: no such operation"));
            let schema = op.responses.get(code);
            let schema = schema.unwrap_or_else(|| panic!("departure {d:?}: {key} declares no JSON response {code}"));
            if !matches!(d.rule, Rule::EmptyBody) {
                patch(schema.clone(), d, &out[op.file].schemas).unwrap_or_else(|e| panic!("departure {d:?}: {e}"));
            }
        }
        Self { ops, files: out, departures, validators: Mutex::new(HashMap::new()) }
    }

    /// See [`check`].
    pub fn check(&self, method: &Method, path: &str, status: StatusCode, body: &[u8]) -> Result<(), String> {
        let Some(op_index) = self.find(method, path) else { return Ok(()) };
        let op = &self.ops[op_index];
        let Some(code) = response_key(&op.responses, status) else { return Ok(()) };
        let at = format!("{} {code}", op.key);
        let label = format!("{} (sent as {method} {path}) answered {status}", op.key);
        if body.iter().all(u8::is_ascii_whitespace) {
            let allowed = self.departures.iter().any(|d| d.at == at && matches!(d.rule, Rule::EmptyBody));
            return if allowed {
                Ok(())
            } else {
                Err(format!("{label}: empty body, but the spec declares a JSON body for {code}"))
            };
        }
        let instance: Value = serde_json::from_slice(body)
            .map_err(|e| format!("{label}: the body is not JSON ({e}): {}", String::from_utf8_lossy(body)))?;
        let validator = self.validator(op_index, &code);
        let mut errors = String::new();
        for e in validator.iter_errors(&instance) {
            let pointer = e.instance_path().to_string();
            let pointer = if pointer.is_empty() { "(root)".to_owned() } else { pointer };
            let _ = writeln!(errors, "  at {pointer}: {e}");
        }
        if errors.is_empty() {
            return Ok(());
        }
        let file = &self.files[op.file].name;
        let mut text = instance.to_string();
        if text.len() > 2000 {
            let cut = (0..=2000).rev().find(|&i| text.is_char_boundary(i)).unwrap_or(0);
            text.truncate(cut);
            text.push('…');
        }
        Err(format!(
            "{label}: the body does not match the {code} response schema of {file}:\n{errors}  body: {text}\n  \
             (fix the DTO, or document a departure in tests/it/response_schema.rs and docs/api-conventions.md)"
        ))
    }

    /// The operation `method path` maps to: literal segments beat parameters, leftmost first.
    fn find(&self, method: &Method, path: &str) -> Option<usize> {
        let path = path.split(['?', '#']).next().unwrap_or_default();
        let mut segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        if segments.first() == Some(&"frontegg") {
            segments.remove(0);
        }
        if NOT_IN_SPEC.contains(&format!("{method} /{}", segments.join("/")).as_str()) {
            return None;
        }
        self.ops
            .iter()
            .enumerate()
            .filter(|(_, op)| op.method == *method && op.segments.len() == segments.len())
            .filter(|(_, op)| op.segments.iter().zip(&segments).all(|(s, p)| s.as_ref().is_none_or(|s| s == p)))
            .max_by_key(|(_, op)| op.segments.iter().map(Option::is_some).collect::<Vec<_>>())
            .map(|(i, _)| i)
    }

    /// The compiled validator of one operation's response, built on first use.
    fn validator(&self, op_index: usize, code: &str) -> Arc<Validator> {
        let mut cache = self.validators.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        cache.entry((op_index, code.to_owned())).or_insert_with(|| self.compile(op_index, code)).clone()
    }

    fn compile(&self, op_index: usize, code: &str) -> Arc<Validator> {
        let op = &self.ops[op_index];
        let file = &self.files[op.file];
        let mut schema = op.responses[code].clone();
        let at = format!("{} {code}", op.key);
        for d in self.departures.iter().filter(|d| d.at == at && !matches!(d.rule, Rule::EmptyBody)) {
            schema = patch(schema, d, &file.schemas).unwrap_or_else(|e| panic!("departure {d:?}: {e}"));
        }
        let schema = convert(&schema);
        // Only the components the schema reaches: compiling against all of identity.json's costs ~4 ms a time.
        let all = &file.converted;
        let mut reached = Map::new();
        let mut pending = vec![&schema];
        while let Some(node) = pending.pop() {
            for name in refs(node) {
                if let (false, Some(target)) = (reached.contains_key(&name), all.get(&name)) {
                    reached.insert(name, target.clone());
                    pending.push(target);
                }
            }
        }
        let mut root = match schema {
            Value::Object(map) => map,
            other => Map::from_iter([("allOf".to_owned(), json!([other]))]),
        };
        root.insert("components".to_owned(), json!({ "schemas": reached }));
        let validator = jsonschema::options()
            .with_draft(Draft::Draft202012)
            .should_validate_formats(true)
            .build(&Value::Object(root))
            .unwrap_or_else(|e| panic!("{} {code} ({}): cannot compile the response schema: {e}", op.key, file.name));
        Arc::new(validator)
    }
}

/// The component names `#/components/schemas/X` that `node` refers to (not following them).
fn refs(node: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![node];
    while let Some(v) = stack.pop() {
        match v {
            Value::Object(map) => {
                if let Some(name) =
                    map.get("$ref").and_then(Value::as_str).and_then(|r| r.strip_prefix("#/components/schemas/"))
                {
                    out.push(name.to_owned());
                }
                stack.extend(map.values());
            }
            Value::Array(items) => stack.extend(items),
            _ => {}
        }
    }
    out
}

/// The declared response that applies to `status` (its key as the file spells it): the exact code, else the
/// `2XX`-style range, else `default`.
fn response_key(responses: &BTreeMap<String, Value>, status: StatusCode) -> Option<String> {
    let exact = status.as_u16().to_string();
    let range = format!("{}XX", status.as_u16() / 100);
    let found = responses.keys().find(|k| **k == exact);
    let found = found.or_else(|| responses.keys().find(|k| k.eq_ignore_ascii_case(&range)));
    found.or_else(|| responses.keys().find(|k| k.eq_ignore_ascii_case("default"))).cloned()
}

/// OpenAPI 3.0 schema → JSON Schema 2020-12.
fn convert(schema: &Value) -> Value {
    let Value::Object(map) = schema else { return schema.clone() };
    if let Some(reference) = map.get("$ref") {
        // OpenAPI 3.0: "properties adjacent to $ref are ignored".
        return json!({ "$ref": reference });
    }
    let mut out = Map::new();
    for (key, value) in map {
        let value = match key.as_str() {
            "nullable" | "example" | "discriminator" | "xml" | "externalDocs" | "deprecated" => continue,
            "properties" => {
                Value::Object(value.as_object().into_iter().flatten().map(|(k, v)| (k.clone(), convert(v))).collect())
            }
            "items" | "not" | "additionalProperties" => convert(value),
            "allOf" | "oneOf" | "anyOf" => Value::Array(value.as_array().into_iter().flatten().map(convert).collect()),
            _ => value.clone(),
        };
        out.insert(key.clone(), value);
    }
    if map.get("nullable") != Some(&Value::Bool(true)) {
        return Value::Object(out);
    }
    let composed = ["allOf", "oneOf", "anyOf", "not"].iter().any(|k| out.contains_key(*k));
    match out.get("type").cloned() {
        Some(Value::String(t)) if !composed => {
            out.insert("type".to_owned(), json!([t, "null"]));
            if let Some(Value::Array(values)) = out.get_mut("enum") {
                values.push(Value::Null);
            }
            Value::Object(out)
        }
        _ => json!({ "anyOf": [Value::Object(out), { "type": "null" }] }),
    }
}

/// Applies one departure to `schema` (OpenAPI dialect) at the departure's pointer; `$ref`s on the way are inlined
/// from `schemas` so that only this place changes.
fn patch(mut schema: Value, d: &Departure, schemas: &Value) -> Result<Value, String> {
    let segments: Vec<&str> = d.pointer.split('/').skip(1).collect();
    let (last, parents) = match segments.split_last() {
        Some((last, parents)) => (Some(*last), parents),
        None => (None, &[][..]),
    };
    let mut node = &mut schema;
    for seg in parents {
        node = child(node, seg, schemas)?;
    }
    let Some(last) = last else {
        return match d.rule {
            Rule::Schema(text) => serde_json::from_str(text).map_err(|e| format!("bad schema: {e}")),
            Rule::MayBeNull => {
                inline(node, schemas)?;
                node["nullable"] = Value::Bool(true);
                Ok(schema)
            }
            Rule::MayBeAbsent | Rule::EmptyBody => Err("needs a property pointer".to_owned()),
        };
    };
    match d.rule {
        Rule::MayBeAbsent => {
            let holder = owner(node, last, schemas)?;
            let required = holder.get_mut("required").and_then(Value::as_array_mut);
            let required = required.ok_or_else(|| format!("{last} is not required"))?;
            let before = required.len();
            required.retain(|r| r != last);
            if required.len() == before {
                return Err(format!("{last} is not required"));
            }
        }
        Rule::MayBeNull => {
            let target = child(node, last, schemas)?;
            inline(target, schemas)?;
            target["nullable"] = Value::Bool(true);
        }
        Rule::Schema(text) => {
            *child(node, last, schemas)? = serde_json::from_str(text).map_err(|e| format!("bad schema: {e}"))?;
        }
        Rule::EmptyBody => return Err("EmptyBody takes no pointer".to_owned()),
    }
    Ok(schema)
}

/// The subschema of `node` for one pointer segment: a property, or (`*` or an index) the array's items.
fn child<'a>(node: &'a mut Value, seg: &str, schemas: &Value) -> Result<&'a mut Value, String> {
    if seg == "*" || seg.parse::<usize>().is_ok() {
        inline(node, schemas)?;
        return node.get_mut("items").ok_or_else(|| format!("no array items for /{seg}"));
    }
    owner(node, seg, schemas)?.get_mut("properties").and_then(|p| p.get_mut(seg)).ok_or_else(|| format!("no /{seg}"))
}

/// The (inlined) schema object among `node` and its `allOf` branches whose `properties` has `name`.
fn owner<'a>(node: &'a mut Value, name: &str, schemas: &Value) -> Result<&'a mut Value, String> {
    inline(node, schemas)?;
    if node.pointer(&format!("/properties/{name}")).is_some() {
        return Ok(node);
    }
    let branches = node.get_mut("allOf").and_then(Value::as_array_mut).ok_or_else(|| format!("no property {name}"))?;
    for branch in branches.iter_mut() {
        inline(branch, schemas)?;
    }
    branches
        .iter_mut()
        .find(|b| b.pointer(&format!("/properties/{name}")).is_some())
        .ok_or_else(|| format!("no property {name}"))
}

/// Replaces a `$ref` node by a copy of the component it names.
fn inline(node: &mut Value, schemas: &Value) -> Result<(), String> {
    while let Some(reference) = node.get("$ref").and_then(Value::as_str) {
        let name =
            reference.strip_prefix("#/components/schemas/").ok_or_else(|| format!("cannot follow {reference}"))?;
        *node = schemas.get(name).cloned().ok_or_else(|| format!("no schema {name}"))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(departures: &'static [Departure]) -> SpecIndex {
        let doc = json!({
            "openapi": "3.0.0",
            "servers": [{ "url": "https://api.example.com/identity" }],
            "paths": {
                "/resources/users/v1/{userId}": { "get": { "responses": {
                    "200": { "content": { "application/json": { "schema": { "$ref": "#/components/schemas/User" } } } },
                    "404": { "description": "not found" }
                } } },
                "/resources/users/v1/email": { "get": { "responses": {
                    "200": { "content": { "application/json": { "schema": {
                        "type": "object", "required": ["found"], "properties": { "found": { "type": "boolean" } }
                    } } } }
                } } },
                "/resources/users/v1/{userId}/roles": { "get": { "responses": {
                    "2XX": { "content": { "application/json": { "schema": {
                        "type": "array", "items": { "$ref": "#/components/schemas/Role" }
                    } } } }
                } } }
            },
            "components": { "schemas": {
                "User": {
                    "type": "object",
                    "required": ["id", "name", "lastLogin", "tenants"],
                    "properties": {
                        "id": { "type": "string", "example": "u1" },
                        "name": { "type": "string" },
                        "phoneNumber": { "type": "string", "nullable": true },
                        "lastLogin": { "type": "string", "format": "date-time" },
                        "kind": { "type": "string", "enum": ["a", "b"], "nullable": true },
                        "tenants": { "type": "array", "items": { "$ref": "#/components/schemas/Role" } }
                    }
                },
                "Role": {
                    "allOf": [{ "$ref": "#/components/schemas/Base" }],
                    "type": "object", "required": ["key"], "properties": { "key": { "type": "string" } }
                },
                "Base": { "type": "object", "required": ["level"], "properties": { "level": { "type": "number" } } }
            } }
        });
        SpecIndex::new(vec![("test.json".to_owned(), doc)], departures)
    }

    fn get(index: &SpecIndex, path: &str, body: Value) -> Result<(), String> {
        index.check(&Method::GET, path, StatusCode::OK, body.to_string().as_bytes())
    }

    fn user() -> Value {
        json!({ "id": "u1", "name": "Ann", "lastLogin": "2026-01-02T03:04:05.678Z", "tenants": [{"key": "k", "level": 1}] })
    }

    #[test]
    fn a_conforming_body_passes() {
        get(&index(&[]), "/identity/resources/users/v1/u1", user()).unwrap();
    }

    #[test]
    fn a_non_conforming_body_is_reported_with_operation_status_pointer_and_reason() {
        let mut body = user();
        body["name"] = Value::Null;
        body["tenants"][0]["level"] = json!("high");
        body.as_object_mut().unwrap().remove("lastLogin");
        let err = get(&index(&[]), "/frontegg/identity/resources/users/v1/u1?x=1", body).unwrap_err();
        assert!(err.starts_with("GET /identity/resources/users/v1/{userId} (sent as GET "), "{err}");
        assert!(err.contains("answered 200 OK"), "{err}");
        assert!(err.contains("at /name: null is not of type \"string\""), "{err}");
        assert!(err.contains("at /tenants/0/level: \"high\" is not of type \"number\""), "{err}");
        assert!(err.contains("at (root): \"lastLogin\" is a required property"), "{err}");
    }

    #[test]
    fn formats_are_asserted() {
        let mut body = user();
        body["lastLogin"] = json!("yesterday");
        let err = get(&index(&[]), "/identity/resources/users/v1/u1", body).unwrap_err();
        assert!(err.contains("at /lastLogin: \"yesterday\" is not a \"date-time\""), "{err}");
    }

    #[test]
    fn a_nullable_field_accepts_null_and_its_type_only() {
        let index = index(&[]);
        let mut body = user();
        body["phoneNumber"] = Value::Null;
        body["kind"] = Value::Null;
        get(&index, "/identity/resources/users/v1/u1", body.clone()).unwrap();
        body["kind"] = json!("c");
        let err = get(&index, "/identity/resources/users/v1/u1", body.clone()).unwrap_err();
        assert!(err.contains("at /kind:"), "{err}");
        body["kind"] = json!("a");
        body["phoneNumber"] = json!(5);
        let err = get(&index, "/identity/resources/users/v1/u1", body).unwrap_err();
        assert!(err.contains("at /phoneNumber:"), "{err}");
    }

    #[test]
    fn unknown_paths_and_undeclared_statuses_are_skipped() {
        let index = index(&[]);
        get(&index, "/health", json!({"anything": 1})).unwrap();
        get(&index, "/identity/resources/users/v1", json!([1])).unwrap();
        index.check(&Method::POST, "/identity/resources/users/v1/u1", StatusCode::OK, b"[]").unwrap();
        let path = "/identity/resources/users/v1/u1";
        index.check(&Method::GET, path, StatusCode::NOT_FOUND, br#"{"errors":["x"]}"#).unwrap();
    }

    #[test]
    fn a_literal_segment_beats_a_parameter() {
        let index = index(&[]);
        get(&index, "/identity/resources/users/v1/email", json!({"found": true})).unwrap();
        let err = get(&index, "/identity/resources/users/v1/email", user()).unwrap_err();
        assert!(err.starts_with("GET /identity/resources/users/v1/email "), "{err}");
    }

    #[test]
    fn slashes_and_the_frontegg_prefix_are_normalized_and_ranges_apply() {
        let index = index(&[]);
        for path in ["//identity/resources/users/v1/u1/roles/", "/frontegg/identity//resources/users/v1/u1/roles"] {
            get(&index, path, json!([{"key": "k", "level": 2}])).unwrap();
            let err = get(&index, path, json!([{"key": "k"}])).unwrap_err();
            assert!(err.contains("at /0: \"level\" is a required property"), "{err}");
            assert!(err.contains("the 2XX response schema"), "{err}");
        }
    }

    #[test]
    fn an_empty_body_is_reported_unless_documented() {
        let err = index(&[]).check(&Method::GET, "/identity/resources/users/v1/u1", StatusCode::OK, b"").unwrap_err();
        assert!(err.contains("empty body"), "{err}");
        static EMPTY: &[Departure] = &[Departure {
            at: "GET /identity/resources/users/v1/{userId} 200",
            pointer: "",
            rule: Rule::EmptyBody,
            yolk: "",
            why: "test",
        }];
        index(EMPTY).check(&Method::GET, "/identity/resources/users/v1/u1", StatusCode::OK, b"").unwrap();
    }

    #[test]
    fn departures_relax_exactly_their_place() {
        static RELAXED: &[Departure] = &[
            Departure { at: "User", pointer: "/lastLogin", rule: Rule::MayBeAbsent, yolk: "", why: "" },
            Departure { at: "User", pointer: "/name", rule: Rule::MayBeNull, yolk: "", why: "" },
            Departure { at: "Role", pointer: "/level", rule: Rule::Schema(r#"{"type":"string"}"#), yolk: "", why: "" },
            Departure {
                at: "GET /identity/resources/users/v1/{userId}/roles 2XX",
                pointer: "/*/key",
                rule: Rule::MayBeAbsent,
                yolk: "",
                why: "",
            },
        ];
        let index = index(RELAXED);
        let mut body = user();
        body.as_object_mut().unwrap().remove("lastLogin");
        body["name"] = Value::Null;
        body["tenants"][0]["level"] = json!("high");
        get(&index, "/identity/resources/users/v1/u1", body.clone()).unwrap();
        body["id"] = Value::Null;
        let err = get(&index, "/identity/resources/users/v1/u1", body).unwrap_err();
        assert!(err.contains("at /id:"), "{err}");
        get(&index, "/identity/resources/users/v1/u1/roles", json!([{"level": "x"}])).unwrap();
    }

    #[test]
    #[should_panic(expected = "no property nope")]
    fn a_departure_naming_nothing_is_refused() {
        static STALE: &[Departure] =
            &[Departure { at: "User", pointer: "/nope", rule: Rule::MayBeNull, yolk: "", why: "" }];
        index(STALE);
    }

    #[test]
    fn the_documented_departures_apply_to_the_real_files_and_match_the_docs() {
        // Loading the real files applies DEPARTURES and panics on an entry that names nothing.
        let _ = global();
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/api-conventions.md");
        let doc = std::fs::read_to_string(path).expect("docs/api-conventions.md");
        let table = departures_table();
        assert!(doc.contains(&table), "docs/api-conventions.md must hold this table, as generated:\n{table}");
    }
}
