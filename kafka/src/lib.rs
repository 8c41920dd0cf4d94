//! Everything the stages share about talking to Kafka, in one place:
//!
//! - [`client`]: the one builder of every librdkafka client configuration (ingest's raw
//!   producer, normalize's consumer and producer, the admin client), with the settings each
//!   delivery guarantee rests on;
//! - [`guarded`]: the extra properties that would weaken those guarantees, refused at
//!   startup with the reason;
//! - [`failure`]: which produce errors a retry can cure and which stop the service;
//! - [`security`]: TLS and SASL (PLAIN, SCRAM, OAUTHBEARER/OIDC) options;
//! - [`probe`]: a startup check that names a wrong password, an untrusted CA or a protocol
//!   that does not match the listener;
//! - [`topics`]: creating the topics, sized for the body limit.

pub mod client;
pub mod failure;
pub mod guarded;
pub mod probe;
pub mod security;
pub mod topics;

pub use client::{ClientSettings, Role};
pub use failure::{classify, Failure};
pub use guarded::ConfigError;
pub use security::{Mechanism, Oidc, Protocol, Secret, Security, SecurityError};
