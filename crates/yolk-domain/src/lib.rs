//! yolk's domain: the entities every layer speaks in, the values that are validated once at the edge, and the
//! clock. Nothing here does IO; the store, core and server crates all depend on this one and never the reverse.

pub mod clock;
pub mod model;
pub mod password_policy;
pub mod values;

pub use clock::{Clock, SystemClock};
pub use model::*;
