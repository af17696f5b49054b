//! Permissions and permission categories (`Permissions` and `Permissions categories` tags).

use serde::{Deserialize, Deserializer, Serialize};
pub use yolk_domain::AssignmentType;
use yolk_domain::{CategoryId, Patch, PermissionId, RoleId};

/// `PermissionResponse`, plus `assignmentType` (the classification, which clients read back).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionDto {
    pub id: String,
    pub key: String,
    pub name: String,
    /// `""` when the permission has none (the spec requires a string).
    #[serde(serialize_with = "crate::ser::or_empty")]
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Ids of the roles granting it.
    pub role_ids: Vec<String>,
    /// The category id, or `""` for an uncategorized permission (the spec and the iOS SDK require a string).
    #[serde(serialize_with = "crate::ser::or_empty")]
    pub category_id: Option<String>,
    /// Whether Frontegg defines it (never, for permissions created through the API).
    pub fe_permission: bool,
    pub assignment_type: AssignmentType,
}

/// `AddPermissionRequest`, one element of `POST /resources/permissions/v1`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddPermissionRequest {
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    /// A category id; an empty string means none.
    #[serde(default, deserialize_with = "optional_category")]
    pub category_id: Option<CategoryId>,
    pub assignment_type: Option<AssignmentType>,
}

/// `UpdatePermissionRequest`: absent fields are kept; `categoryId: null` removes the category.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePermissionRequest {
    pub key: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    /// `null` (or an empty string) removes the category.
    #[serde(default, deserialize_with = "category_patch")]
    pub category_id: Patch<CategoryId>,
    pub assignment_type: Option<AssignmentType>,
}

/// `AddRolesToPermissionRequest` (`PUT /resources/permissions/v1/{permissionId}/roles`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddRolesToPermissionRequest {
    pub role_ids: Vec<RoleId>,
}

/// `ClassifyPermissionsDto` (`PUT /resources/permissions/v1/classification`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassifyPermissionsRequest {
    pub permission_ids: Vec<PermissionId>,
    #[serde(rename = "type")]
    pub assignment_type: AssignmentType,
}

/// `PermissionCategoryResponseDto`; the list endpoint adds each category's permissions.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CategoryDto {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    pub fe_category: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub permissions: Option<Vec<PermissionDto>>,
}

/// `CreateCategoryDto`; the client may choose the id (a UUID).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateCategoryRequest {
    pub name: String,
    pub description: Option<String>,
    pub id: Option<CategoryId>,
}

/// `UpdateCategoryDto`: absent fields are kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCategoryRequest {
    pub name: Option<String>,
    pub description: Option<String>,
}

/// A category id where clients send an empty string for "none".
fn optional_category<'de, D: Deserializer<'de>>(d: D) -> Result<Option<CategoryId>, D::Error> {
    match Option::<String>::deserialize(d)?.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(raw) => CategoryId::parse(raw).map(Some).map_err(|_| serde::de::Error::custom("must be a UUID")),
    }
}

/// [`optional_category`] for a present field: `null` or `""` clears the category.
fn category_patch<'de, D: Deserializer<'de>>(d: D) -> Result<Patch<CategoryId>, D::Error> {
    Ok(optional_category(d)?.map_or(Patch::Null, Patch::Value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uncategorized_permission_renders_empty_strings() {
        let p = PermissionDto {
            id: "p".into(),
            key: "reports.read".into(),
            name: "Read".into(),
            description: None,
            created_at: "2026-01-01T00:00:00.000Z".into(),
            updated_at: "2026-01-01T00:00:00.000Z".into(),
            role_ids: Vec::new(),
            category_id: None,
            fe_permission: false,
            assignment_type: AssignmentType::Never,
        };
        let v = serde_json::to_value(p).unwrap();
        assert_eq!((v["description"].as_str(), v["categoryId"].as_str()), (Some(""), Some("")));
    }
}
