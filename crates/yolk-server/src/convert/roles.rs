//! Roles, permissions and categories.

use yolk_api_types::permissions::{CategoryDto, PermissionDto};
use yolk_api_types::roles::RoleDto;
use yolk_domain::fe_permissions::is_frontegg_key;
use yolk_domain::{Permission, PermissionCategory, Role};

use super::time;

/// A role; `vendor_id` is the environment's client id.
pub fn role_dto(r: &Role, vendor_id: &str) -> RoleDto {
    RoleDto {
        id: r.id.to_string(),
        vendor_id: vendor_id.to_owned(),
        tenant_id: r.tenant_id.as_ref().map(ToString::to_string),
        key: r.key.clone(),
        name: r.name.clone(),
        description: r.description.clone(),
        is_default: r.is_default,
        first_user_role: r.first_user_role,
        level: r.level,
        created_at: time(r.created_at),
        updated_at: time(r.updated_at),
        permissions: r.permission_ids.iter().map(ToString::to_string).collect(),
    }
}

/// A permission; `fePermission` is whether the key is one of Frontegg's own.
pub fn permission_dto(p: &Permission) -> PermissionDto {
    PermissionDto {
        id: p.id.to_string(),
        key: p.key.clone(),
        name: p.name.clone(),
        description: p.description.clone(),
        created_at: time(p.created_at),
        updated_at: time(p.updated_at),
        role_ids: p.role_ids.iter().map(ToString::to_string).collect(),
        category_id: p.category_id.map(|c| c.to_string()),
        fe_permission: is_frontegg_key(&p.key),
        assignment_type: p.assignment_type,
    }
}

/// A category, with its permissions where given.
pub fn category_dto(c: &PermissionCategory, permissions: Option<&[Permission]>) -> CategoryDto {
    CategoryDto {
        id: c.id.to_string(),
        name: c.name.clone(),
        description: c.description.clone(),
        created_at: time(c.created_at),
        updated_at: time(c.updated_at),
        fe_category: c.fe_category,
        permissions: permissions.map(|ps| ps.iter().map(permission_dto).collect()),
    }
}
