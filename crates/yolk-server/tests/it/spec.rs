//! Where Frontegg's OpenAPI files are and how their paths are spelled, shared by the spec-coverage test and the
//! response-schema check.
//!
//! The directory is `YOLK_SPEC_DIR`, else `shared/frontegg-openapi` in the nearest ancestor of this crate (the
//! files live beside the repository, not in it). Each file serves its paths under the path part of its first
//! `servers` URL (`/identity`, `/tenants`, `/auth/vendor`, ...).

use std::path::{Path, PathBuf};

use serde_json::Value;

/// Overrides where the spec files are.
pub const SPEC_DIR_ENV: &str = "YOLK_SPEC_DIR";

/// The spec directory: `YOLK_SPEC_DIR`, else `shared/frontegg-openapi` in the nearest ancestor of the repository.
pub fn spec_dir() -> Option<PathBuf> {
    if let Some(dir) = std::env::var_os(SPEC_DIR_ENV) {
        return Some(PathBuf::from(dir));
    }
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest.ancestors().map(|a| a.join("shared/frontegg-openapi")).find(|d| d.is_dir())
}

/// The `*.json` files of `dir`, sorted.
pub fn spec_files(dir: &Path) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(dir).unwrap_or_else(|e| panic!("read {}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    files
}

/// One spec file, parsed.
pub fn load(file: &Path) -> Value {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("read {}: {e}", file.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("parse {}: {e}", file.display()))
}

/// The path prefix a spec file's operations are served under: the path of its `servers[0].url`.
pub fn file_prefix(spec: &Value, name: &str) -> String {
    let server = spec["servers"][0]["url"].as_str().unwrap_or_else(|| panic!("{name}: no servers[0].url"));
    service_prefix(server)
}

/// `https://host/identity` → `/identity`; a URL without a path → ``.
pub fn service_prefix(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    match rest.find('/') {
        Some(i) => rest[i..].trim_end_matches('/').to_owned(),
        None => String::new(),
    }
}

/// `prefix` + `path` with one slash between them and none at the end (`/auth/vendor` + `/` = `/auth/vendor`).
pub fn join_path(prefix: &str, path: &str) -> String {
    let joined = format!("{prefix}/{}", path.trim_start_matches('/'));
    let trimmed = joined.trim_end_matches('/');
    if trimmed.is_empty() { "/".to_owned() } else { trimmed.to_owned() }
}

/// The HTTP methods an OpenAPI path item may hold operations for (lower case, as the files spell them).
pub const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Follows a local `$ref` (`#/components/...`) once.
pub fn resolve_ref<'a>(spec: &'a Value, v: &'a Value) -> &'a Value {
    match v["$ref"].as_str().and_then(|r| r.strip_prefix('#')) {
        Some(pointer) => spec.pointer(pointer).unwrap_or(v),
        None => v,
    }
}

#[test]
fn paths_join() {
    assert_eq!(service_prefix("https://api.frontegg.com/identity"), "/identity");
    assert_eq!(service_prefix("https://api.frontegg.com/auth/vendor/"), "/auth/vendor");
    assert_eq!(service_prefix("https://api.frontegg.com"), "");
    assert_eq!(join_path("/auth/vendor", "/"), "/auth/vendor");
    assert_eq!(join_path("/identity", "/resources/users/v1/"), "/identity/resources/users/v1");
    assert_eq!(join_path("", "/"), "/");
}
