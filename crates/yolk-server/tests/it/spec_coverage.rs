//! Spec coverage: every operation of Frontegg's OpenAPI files (`shared/frontegg-openapi/*.json`, beside the repo)
//! is either routed by yolk or listed in `tests/spec-pending.txt`, and the pending list only shrinks.
//!
//! "Routed" means the route table has the operation: `METHOD <service prefix><path>` (each `{param}` replaced by a
//! UUID, or by the first value of the parameter's `enum`) answers anything but the route table's own
//! 404 `Cannot METHOD /path`. Whether the handler is right is the job of the per-module tests, not this one.
//!
//! Regenerate the pending list with `YOLK_UPDATE_SPEC_PENDING=1 cargo test -p yolk-server --test it spec_coverage`.
//! The spec directory is found at `<repo>/../shared/frontegg-openapi` (or the nearest ancestor's
//! `shared/frontegg-openapi`); `YOLK_SPEC_DIR` overrides it.

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::path::Path;

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::spec::{self, SPEC_DIR_ENV, join_path, resolve_ref, spec_dir, spec_files};
use crate::support::TestApp;

/// Set to rewrite the pending list from what is routed now.
const UPDATE_ENV: &str = "YOLK_UPDATE_SPEC_PENDING";
const HEADER: &str = "\
# Operations of shared/frontegg-openapi/*.json that yolk does not route yet: `METHOD /prefix/path`, sorted.
# Checked by tests/it/spec_coverage.rs: delete a line when its operation is routed (the test says which);
# regenerate with YOLK_UPDATE_SPEC_PENDING=1 cargo test -p yolk-server --test it spec_coverage.
";

/// One operation of a spec file.
struct Operation {
    method: Method,
    /// `METHOD /prefix/path` as the spec spells the path (the pending-list key).
    key: String,
    /// The concrete path sent to the router.
    request_path: String,
}

#[tokio::test]
async fn every_spec_operation_is_routed_or_pending() {
    let Some(dir) = spec_dir() else {
        let msg = format!(
            "spec coverage: shared/frontegg-openapi not found beside the repository (set {SPEC_DIR_ENV} to its path)"
        );
        assert!(std::env::var_os("CI").is_none(), "{msg}");
        report(&format!("{msg}; skipped (not in CI)"));
        return;
    };
    let files = spec_files(&dir);
    assert!(!files.is_empty(), "spec coverage: no *.json in {}", dir.display());

    let app = TestApp::new().await;
    let mut unrouted = BTreeSet::new();
    let mut all = BTreeSet::new();
    let mut summary = Vec::new();
    for file in &files {
        let ops = operations(file);
        let mut implemented = 0;
        for op in &ops {
            all.insert(op.key.clone());
            if is_routed(&app, op).await {
                implemented += 1;
            } else {
                unrouted.insert(op.key.clone());
            }
        }
        let name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
        summary.push(format!("spec coverage: {name}: implemented {implemented} / total {}", ops.len()));
    }
    summary.push(format!("spec coverage: all files: implemented {} / total {}", all.len() - unrouted.len(), all.len()));
    report(&summary.join("\n"));

    let pending_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/spec-pending.txt");
    if std::env::var_os(UPDATE_ENV).is_some() {
        let body: String = unrouted.iter().map(|k| format!("{k}\n")).collect();
        std::fs::write(&pending_path, format!("{HEADER}{body}")).expect("write spec-pending.txt");
        report(&format!("spec coverage: rewrote {} ({} lines)", pending_path.display(), unrouted.len()));
        return;
    }
    let text = std::fs::read_to_string(&pending_path)
        .unwrap_or_else(|e| panic!("read {}: {e} (regenerate with {UPDATE_ENV}=1)", pending_path.display()));
    let pending = parse_pending(&text);

    let missing: Vec<&String> = unrouted.difference(&pending).collect();
    let now_routed: Vec<&String> = pending.intersection(&all).filter(|k| !unrouted.contains(*k)).collect();
    let unknown: Vec<&String> = pending.difference(&all).collect();
    let mut problems = Vec::new();
    if !missing.is_empty() {
        problems.push(format!(
            "{} operation(s) neither routed nor in tests/spec-pending.txt (route them, or add these lines):\n  {}",
            missing.len(),
            join(&missing)
        ));
    }
    if !now_routed.is_empty() {
        problems.push(format!(
            "{} operation(s) are routed now: delete these lines from tests/spec-pending.txt:\n  {}",
            now_routed.len(),
            join(&now_routed)
        ));
    }
    if !unknown.is_empty() {
        problems.push(format!(
            "{} line(s) of tests/spec-pending.txt name no spec operation: delete them:\n  {}",
            unknown.len(),
            join(&unknown)
        ));
    }
    let lines: Vec<&str> = text.lines().filter(|l| is_entry(l)).collect();
    let mut sorted = lines.clone();
    sorted.sort_unstable();
    sorted.dedup();
    if lines != sorted {
        problems.push("tests/spec-pending.txt must be sorted without duplicates".to_owned());
    }
    assert!(problems.is_empty(), "spec coverage:\n{}\n(or regenerate with {UPDATE_ENV}=1)", problems.join("\n"));
}

/// Sends the operation through the in-process router: routed unless the answer is the route table's own 404.
async fn is_routed(app: &TestApp, op: &Operation) -> bool {
    let res = app.request(op.method.clone(), &op.request_path).send().await;
    let route_table_404 = format!("Cannot {} {}", op.method, op.request_path);
    !(res.status == StatusCode::NOT_FOUND && res.body["errors"][0].as_str() == Some(route_table_404.as_str()))
}

/// Every operation of one spec file, under the path part of its first `servers` URL.
fn operations(file: &Path) -> Vec<Operation> {
    let spec = spec::load(file);
    let prefix = spec::file_prefix(&spec, &file.display().to_string());
    let paths = spec["paths"].as_object().unwrap_or_else(|| panic!("{}: no paths", file.display()));
    let mut ops = Vec::new();
    for (path, item) in paths {
        let Some(item) = item.as_object() else { continue };
        for (method, op) in item {
            if !spec::METHODS.contains(&method.as_str()) {
                continue;
            }
            let Ok(method) = method.to_ascii_uppercase().parse::<Method>() else { continue };
            let full = join_path(&prefix, path);
            let enums = path_param_enums(&spec, item.get("parameters"), op.get("parameters"));
            let request_path = fill_params(&full, &enums);
            ops.push(Operation { key: format!("{method} {full}"), method, request_path });
        }
    }
    ops
}

/// Path parameters whose schema is an `enum`: name → first value (routes may list enum values literally).
fn path_param_enums(spec: &Value, path_level: Option<&Value>, op_level: Option<&Value>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for params in [path_level, op_level].into_iter().flatten() {
        for param in params.as_array().into_iter().flatten() {
            let param = resolve_ref(spec, param);
            if param["in"] != "path" {
                continue;
            }
            let (Some(name), Some(first)) = (param["name"].as_str(), param["schema"]["enum"][0].as_str()) else {
                continue;
            };
            out.insert(name.to_owned(), first.to_owned());
        }
    }
    out
}

/// Replaces each `{param}` with its enum value or a fixed UUID.
fn fill_params(path: &str, enums: &BTreeMap<String, String>) -> String {
    const ID: &str = "8c3e4f0a-1b2d-4e5f-9a7b-6c5d4e3f2a10";
    let mut out = String::with_capacity(path.len() + 32);
    let mut rest = path;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else { break };
        let name = &rest[start + 1..start + len];
        out.push_str(&rest[..start]);
        out.push_str(enums.get(name).map_or(ID, String::as_str));
        rest = &rest[start + len + 1..];
    }
    out.push_str(rest);
    out
}

/// Whether a line of the pending list is an entry (not blank, not a `#` comment).
fn is_entry(line: &str) -> bool {
    let line = line.trim();
    !line.is_empty() && !line.starts_with('#')
}

fn parse_pending(text: &str) -> BTreeSet<String> {
    text.lines().filter(|l| is_entry(l)).map(|l| l.trim().to_owned()).collect()
}

fn join(keys: &[&String]) -> String {
    keys.iter().map(|k| k.as_str()).collect::<Vec<_>>().join("\n  ")
}

/// Writes past the test harness's output capture, so the per-file counts show in every run.
fn report(text: &str) {
    let _ = writeln!(std::io::stderr(), "{text}");
}

#[test]
fn params_fill() {
    let enums = BTreeMap::from([("type".to_owned(), "ResetPassword".to_owned())]);
    assert_eq!(
        fill_params("/identity/resources/mail/v1/configs/{type}/default/{id}", &enums),
        "/identity/resources/mail/v1/configs/ResetPassword/default/8c3e4f0a-1b2d-4e5f-9a7b-6c5d4e3f2a10"
    );
}
