//! `contacts`: the shared cards, Meta's as they came, checked against their schema.

use wa_schemas::inner::SharedContact;

use super::fields::{required_payload, Reject};
use super::{Content, Message, MessageKind};

pub(super) fn content<'a>(message: &Message<'a>) -> Result<Content<'a>, Reject> {
    let raw = message.payload(MessageKind::Contacts);
    Ok(Content {
        contacts: Some(required_payload::<Vec<SharedContact>>(
            raw, "contacts", b'[',
        )?),
        ..Content::default()
    })
}
