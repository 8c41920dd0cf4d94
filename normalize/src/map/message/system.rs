//! `system`: number, identity and user-id changes. The object goes out as it came; the
//! identity a `customer_identity_changed` message announces becomes `identityHash`.

use serde::Deserialize;
use wa_schemas::inner::SystemChange;

use super::fields::{required_payload, Reject};
use super::{Content, Message, MessageKind};
use crate::lenient::LStr;

/// The parts of Meta's `system` object the mapping reads.
#[derive(Deserialize)]
struct System<'a> {
    #[serde(borrow, default)]
    identity: LStr<'a>,
}

pub(super) fn content<'a>(message: &Message<'a>) -> Result<Content<'a>, Reject> {
    let raw = message.payload(MessageKind::System);
    let identity = raw
        .and_then(|system| serde_json::from_str::<System>(system.get()).ok())
        .and_then(|s| s.identity.into_ok());
    Ok(Content {
        system: Some(required_payload::<SystemChange>(raw, "system", b'{')?),
        identity,
        ..Content::default()
    })
}
