//! Serialization helpers for fields the OpenAPI files require as strings but yolk may have no value for.

use serde::Serializer;

/// `None` as `""`: a string the spec requires (`name`, `profilePictureUrl`, a role's `description`, ...).
pub(crate) fn or_empty<S: Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value.as_deref().unwrap_or(""))
}

/// `None` as `"{}"`: JSON-encoded metadata the spec requires (an empty object, encoded).
pub(crate) fn or_empty_json<S: Serializer>(value: &Option<String>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(value.as_deref().unwrap_or("{}"))
}
