//! team/sso.json: SSO configuration.

mod sso;
