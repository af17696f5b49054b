//! tenants.json routes.
