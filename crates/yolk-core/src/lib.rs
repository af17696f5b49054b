//! yolk's services. Handlers call these; these call the store through its traits. Nothing here knows about
//! HTTP or SQL.

pub mod auth;
mod error;
pub mod keys;
pub mod passwords;
pub mod secrets;
pub mod settings;
pub mod tokens;

pub use error::{CoreError, CoreResult};
