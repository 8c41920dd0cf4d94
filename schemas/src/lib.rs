//! The output events of wa-pipeline, defined once.
//!
//! Every output topic carries exactly one of these types as JSON. The JSON Schemas under
//! `schemas/json/` are generated from them ([`generate`]), the normalizer serializes them,
//! and the tests validate every produced value against the committed schemas, so the
//! contract, the code and the documentation cannot drift apart.
//!
//! Field names and types of the seed (the Webex Connect WhatsApp payloads) are kept exactly,
//! including the JSON-encoded strings (`attachments`, `location`, `contacts`, `system`).
//! Everything we add is additive and camelCase. Consumers must tolerate fields added later.
//!
//! Rooms: one module per output type ([`mo`], [`postback`], [`delivery`], [`account_event`],
//! [`coexistence`], [`dead_letter`]) and the JSON-in-string types ([`inner`]); [`topic`] and [`contract`]
//! (what the stages agree on besides the types); [`generate`], [`docs`] and [`compat`]
//! (schemas, documentation and the compatibility check made from the types); [`time`] and
//! [`trace`] (conventions shared by the stages).

pub mod account_event;
pub mod coexistence;
pub mod compat;
pub mod contract;
pub mod dead_letter;
pub mod delivery;
pub mod docs;
pub mod generate;
pub mod inner;
pub mod json_string;
pub mod mo;
pub mod postback;
pub mod time;
pub mod topic;
pub mod trace;

pub use account_event::AccountEvent;
pub use coexistence::CoexistenceEvent;
pub use dead_letter::{DeadLetter, DeadLetterReason, FragmentEncoding, ReasonKind};
pub use delivery::{DeliveryInfo, DeliveryInfoNotification, DeliveryReceipt, DeliveryStatus};
pub use mo::MoEvent;
pub use postback::PostbackEvent;
pub use topic::{EventType, Topic};

/// Version of the event contract, carried in the `schema-version` header of every output
/// record and in each schema's `$id`. Bump the major version on any breaking change.
pub const SCHEMA_VERSION: &str = "1.3.0";

/// The `channel` value of MO and postback events (seed).
pub const CHANNEL: &str = "WhatsApp";
