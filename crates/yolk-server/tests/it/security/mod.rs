//! The attacks of the adversarial review (issue 6), each performed through the real router and refused. Tests
//! of connection-level attacks (slow headers, idle connections, the hashing queue) use real sockets and live in
//! the `yolk` crate's tests.

mod brute_force;
mod environment_tokens;
mod escalation;
mod input;
mod invitations;
mod lists;
mod revocation;
