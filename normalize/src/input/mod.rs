//! Meta's webhook shapes, as far as the mapping reads them.
//!
//! Everything borrows from the raw body. The envelope (down to each change's `value`) uses
//! the [`lenient`](crate::lenient) wrappers, so a field of the wrong shape is noticed and
//! reported without failing the body. Messages and statuses are kept as raw JSON at first
//! and parsed one by one, so a bad one becomes its own dead letter. A status keeps its
//! unknown members for `extra` ([`Status`], read in one pass); elsewhere unknown fields are
//! ignored here, and the objects passed on to consumers are taken from the raw text.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::lenient::{Arr, LBool, LInt, LStr, Lenient, Obj};

mod status;
pub use status::Status;

/// The body: `{"object": ..., "entry": [...]}`.
#[derive(Deserialize)]
pub struct Envelope<'a> {
    #[serde(borrow, default)]
    pub object: LStr<'a>,
    #[serde(borrow, default)]
    pub entry: Lenient<Arr<Lenient<Obj<Entry<'a>>>>>,
}

/// One `entry[]`: a WhatsApp Business Account and its changes.
#[derive(Deserialize)]
pub struct Entry<'a> {
    #[serde(borrow, default)]
    pub id: LStr<'a>,
    #[serde(default)]
    pub time: LInt,
    #[serde(borrow, default)]
    pub changes: Lenient<Arr<Lenient<Obj<Change<'a>>>>>,
}

/// One `changes[]`. Meta puts `value` before `field`, so `value` is read as a `messages`
/// value whatever the field (every part of it is lenient, so any object reads); the raw
/// text of other fields' values is fetched separately ([`RawEnvelope`]), which is rare.
#[derive(Deserialize)]
pub struct Change<'a> {
    #[serde(borrow, default)]
    pub field: LStr<'a>,
    #[serde(borrow, default)]
    pub value: Lenient<Obj<MessagesValue<'a>>>,
}

/// The body with each change's `value` as raw text: read only for non-`messages` changes.
#[derive(Deserialize)]
pub struct RawEnvelope<'a> {
    #[serde(borrow, default)]
    pub entry: Lenient<Arr<Lenient<Obj<RawEntry<'a>>>>>,
}

/// An entry of [`RawEnvelope`].
#[derive(Deserialize)]
pub struct RawEntry<'a> {
    #[serde(borrow, default)]
    pub changes: Lenient<Arr<Lenient<Obj<RawChange<'a>>>>>,
}

/// A change of [`RawEnvelope`].
#[derive(Deserialize)]
pub struct RawChange<'a> {
    #[serde(borrow, default)]
    pub value: Option<&'a RawValue>,
}

/// The `value` of a `messages` change.
#[derive(Deserialize)]
pub struct MessagesValue<'a> {
    #[serde(borrow, default)]
    pub metadata: Lenient<Obj<Metadata<'a>>>,
    /// `messaging_handovers` name the business number here, having no `metadata`.
    #[serde(borrow, default)]
    pub recipient: Lenient<Obj<Metadata<'a>>>,
    #[serde(borrow, default)]
    pub contacts: Lenient<Arr<Lenient<Obj<Contact<'a>>>>>,
    #[serde(borrow, default)]
    pub messages: Lenient<Arr<&'a RawValue>>,
    #[serde(borrow, default)]
    pub statuses: Lenient<Arr<&'a RawValue>>,
    #[serde(borrow, default)]
    pub errors: Lenient<Arr<&'a RawValue>>,
}

/// `value.metadata`: the business number.
#[derive(Deserialize, Default)]
pub struct Metadata<'a> {
    #[serde(borrow, default)]
    pub display_phone_number: LStr<'a>,
    #[serde(borrow, default)]
    pub phone_number_id: LStr<'a>,
}

/// `value.contacts[]`: a WhatsApp user involved in the change.
#[derive(Deserialize)]
pub struct Contact<'a> {
    #[serde(borrow, default)]
    pub wa_id: LStr<'a>,
    #[serde(borrow, default)]
    pub user_id: LStr<'a>,
    #[serde(borrow, default)]
    pub parent_user_id: LStr<'a>,
    #[serde(borrow, default)]
    pub identity_key_hash: LStr<'a>,
    #[serde(borrow, default)]
    pub profile: Lenient<Obj<Profile<'a>>>,
}

/// `contacts[].profile`.
#[derive(Deserialize)]
pub struct Profile<'a> {
    #[serde(borrow, default)]
    pub name: LStr<'a>,
    #[serde(borrow, default)]
    pub username: LStr<'a>,
}

/// `statuses[].conversation`.
#[derive(Deserialize)]
pub struct Conversation<'a> {
    #[serde(borrow, default)]
    pub id: LStr<'a>,
    #[serde(borrow, default)]
    pub expiration_timestamp: LStr<'a>,
    #[serde(borrow, default)]
    pub origin: Lenient<Obj<Origin<'a>>>,
}

/// `conversation.origin`.
#[derive(Deserialize)]
pub struct Origin<'a> {
    #[serde(borrow, default, rename = "type")]
    pub kind: LStr<'a>,
}

/// `statuses[].pricing`.
#[derive(Deserialize)]
pub struct Pricing<'a> {
    #[serde(default)]
    pub billable: LBool,
    #[serde(borrow, default)]
    pub pricing_model: LStr<'a>,
    #[serde(borrow, default, rename = "type")]
    pub kind: LStr<'a>,
    #[serde(borrow, default)]
    pub category: LStr<'a>,
}

/// One of Meta's `errors[]` items, as far as the mapping reads it.
#[derive(Deserialize)]
pub struct MetaError<'a> {
    #[serde(default)]
    pub code: LInt,
    #[serde(borrow, default)]
    pub title: LStr<'a>,
    #[serde(borrow, default)]
    pub message: LStr<'a>,
    #[serde(borrow, default)]
    pub details: LStr<'a>,
    #[serde(borrow, default)]
    pub error_data: Lenient<Obj<ErrorData<'a>>>,
}

/// `errors[].error_data`.
#[derive(Deserialize)]
pub struct ErrorData<'a> {
    #[serde(borrow, default)]
    pub details: LStr<'a>,
}
