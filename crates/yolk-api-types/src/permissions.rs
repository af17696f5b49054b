//! Permissions and permission categories (`Permissions` and `Permissions categories` tags).

use serde::{Deserialize, Serialize};

use crate::roles::present;

/// How a permission may be used in tenants' own roles: never, always (added to every such role), or at the
/// tenant's choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum AssignmentType {
    #[serde(rename = "NEVER")]
    Never,
    #[serde(rename = "ALWAYS")]
    Always,
    #[serde(rename = "ASSIGNABLE")]
    Assignable,
}

impl AssignmentType {
    /// The wire (and stored) spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Never => "NEVER",
            Self::Always => "ALWAYS",
            Self::Assignable => "ASSIGNABLE",
        }
    }
}

/// `PermissionResponse`, plus `assignmentType` (the classification, which clients read back).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionDto {
    pub id: String,
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub created_at: String,
    pub updated_at: String,
    /// Ids of the roles granting it.
    pub role_ids: Vec<String>,
    pub category_id: Option<String>,
    /// Whether Frontegg defines it (never, for permissions created through the API).
    pub fe_permission: bool,
    pub assignment_type: String,
}

/// `AddPermissionRequest`, one element of `POST /resources/permissions/v1`.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddPermissionRequest {
    pub key: String,
    pub name: String,
    pub description: Option<String>,
    pub category_id: Option<String>,
    pub assignment_type: Option<AssignmentType>,
}

/// `UpdatePermissionRequest`: absent fields are kept; `categoryId: null` removes the category.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdatePermissionRequest {
    pub key: Option<String>,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(default, deserialize_with = "present")]
    pub category_id: Option<Option<String>>,
    pub assignment_type: Option<AssignmentType>,
}

/// `AddRolesToPermissionRequest` (`PUT /resources/permissions/v1/{permissionId}/roles`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AddRolesToPermissionRequest {
    pub role_ids: Vec<String>,
}

/// `ClassifyPermissionsDto` (`PUT /resources/permissions/v1/classification`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ClassifyPermissionsRequest {
    pub permission_ids: Vec<String>,
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
    pub id: Option<String>,
}

/// `UpdateCategoryDto`: absent fields are kept.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpdateCategoryRequest {
    pub name: Option<String>,
    pub description: Option<String>,
}
