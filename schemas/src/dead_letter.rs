//! The dead letter (`whatsapp.dead-letter`): what could not be mapped, and why.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// Why something became a dead letter: a closed set.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(title = "ReasonKind")]
pub enum ReasonKind {
    // The body is not JSON (syntax error, not UTF-8, empty) or its top level is not an object.
    InvalidJson,
    // The body is JSON but not a WhatsApp Business Account webhook (`object` is not
    // `whatsapp_business_account`).
    NotWhatsapp,
    // A field the mapping needs is absent (e.g. a message without `id` or `timestamp`, an
    // entry without `changes`).
    MissingField,
    // A field has a type or value the mapping cannot use (e.g. `messages` is not an array,
    // a message is not an object, a timestamp is not a number of seconds).
    InvalidField,
    // A field that is known but whose shape is not supported (e.g. a known message type
    // whose payload object does not have the documented shape).
    UnsupportedField,
    // Meta reported an error in the webhook itself (`value.errors[]`).
    MetaError,
}

/// The reason of a dead letter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "DeadLetterReason")]
pub struct DeadLetterReason<'a> {
    /// The class of failure.
    #[schemars(extend("x-meta-source" = "derived"))]
    pub kind: ReasonKind,
    /// What exactly was wrong, for a person to read (a parser message, Meta's error title).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "derived"))]
    pub detail: Cow<'a, str>,
}

/// How `fragment` is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(title = "FragmentEncoding")]
pub enum FragmentEncoding {
    // `fragment` is JSON text (the offending part, whitespace removed).
    Json,
    // `fragment` is the whole raw body in standard base64 (it was not JSON).
    Base64,
}

/// Something of a raw webhook record that could not become an event: the whole body when it
/// cannot be read, or one message, status, error, entry or change. Its neighbours in the same
/// body are mapped as usual. The dead-letter topic is for failures someone should look at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "DeadLetter", example = crate::generate::examples::dead_letter())]
pub struct DeadLetter<'a> {
    /// Why it could not be mapped.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "derived"))]
    pub reason: DeadLetterReason<'a>,
    /// JSON pointer into the raw body to the offending part, e.g.
    /// `/entry/0/changes/1/value/messages/3`; `""` for the whole body.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "derived"))]
    pub path: Cow<'a, str>,
    /// The offending part: JSON text, or the whole body in base64 when it is not JSON.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "the offending part of the body"))]
    pub fragment: Cow<'a, str>,
    /// How `fragment` is encoded.
    #[schemars(extend("x-meta-source" = "derived"))]
    pub fragment_encoding: FragmentEncoding,
    /// The raw topic the body was read from.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "the raw record's topic"))]
    pub raw_topic: Cow<'a, str>,
    /// The raw record's partition; `null` outside Kafka (`normalize-file`).
    #[schemars(extend("x-meta-source" = "the raw record's partition"))]
    #[schemars(required, extend("type" = ["integer", "null"]))]
    pub raw_partition: Option<i32>,
    /// The raw record's offset; `null` outside Kafka (`normalize-file`).
    #[schemars(extend("x-meta-source" = "the raw record's offset"))]
    #[schemars(required, extend("type" = ["integer", "null"]))]
    pub raw_offset: Option<i64>,
    /// When ingest received the body (the raw record's `received-at` header, RFC 3339);
    /// `null` when unknown.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "the raw record's `received-at` header"))]
    #[schemars(required, extend("type" = ["string", "null"]))]
    pub received_at: Option<Cow<'a, str>>,
    /// The business number's id when the offending part belongs to one; `""` otherwise.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`value.metadata.phone_number_id`"))]
    pub phone_number_id: Cow<'a, str>,
    /// Deterministic id: UUID v5 of `<path>:<fragment>`.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "derived from `path` and `fragment`"))]
    pub event_id: Cow<'a, str>,
}
