//! The webhook receiver: verifies Meta's requests and persists their bodies unchanged.

pub mod signature;
