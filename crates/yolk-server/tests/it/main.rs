//! yolk-server's integration tests: one binary whose tree mirrors `src/routes/`. Every test builds its own app
//! on its own database (SQLite, or PostgreSQL when `YOLK_TEST_POSTGRES_URL` is set) and drives the real router.

mod response_schema;
mod spec;
mod support;

mod cors;
mod directory;
mod env_auth;
mod health;
mod identity;
mod outbox;
mod page_load;
mod password_queue;
mod routing;
mod security;
mod spec_coverage;
mod team;
mod tenants;
