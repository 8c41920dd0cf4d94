//! What an event carries of Meta's message beyond its own fields: `details` (the object
//! of a type the seed does not describe, Meta's errors) and `extra` (every member no other
//! field carries).

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::value::RawValue;

use super::{location, media, text, Message, MessageKind};
use crate::minify::{minify, minify_into};

/// What no field of the event carries: unknown members, the legacy `identity` object
/// (only its hash has a field), objects of another type than the message's.
pub(super) fn extra_members(message: &Message<'_>, kind: MessageKind<'_>) -> Option<String> {
    let mut members: Vec<(&str, &RawValue)> = message
        .unknown
        .iter()
        .map(|(k, v)| (k.as_ref(), *v))
        .collect();
    if let Some(raw) = message.identity {
        members.push(("identity", raw));
    }
    for (name, raw) in message.foreign_payloads(kind) {
        members.push((name, raw));
    }
    // Members of the kind's own object that its fields do not carry (`text.tone`, say).
    let read = match kind {
        MessageKind::Text => Some(text::READ),
        MessageKind::Location => Some(location::READ),
        MessageKind::Image
        | MessageKind::Audio
        | MessageKind::Video
        | MessageKind::Document
        | MessageKind::Sticker => Some(media::READ),
        _ => None,
    };
    let unread = read
        .zip(message.payload(kind))
        .and_then(|(read, raw)| crate::map::extra::unread(raw, read))
        .and_then(|text| RawValue::from_string(text).ok());
    if let Some(unread) = &unread {
        members.push((kind.name(), unread));
    }
    crate::map::extra::object(members)
}

/// `{"type": kind, "<kind>": <Meta's object>, "errors": [...]}` for `details`. A seed
/// kind's object is in its own fields, unless Meta `flagged` the message and the object
/// could not be read: then it is passed on here.
pub(super) fn details(
    kind: MessageKind<'_>,
    raw: &RawValue,
    message: &Message<'_>,
    errors: Option<&str>,
    flagged: bool,
) -> String {
    let name = kind.name();
    let payload = match kind {
        MessageKind::Other(_) => serde_json::from_str::<HashMap<Cow<str>, &RawValue>>(raw.get())
            .ok()
            .and_then(|fields| fields.get(name).copied()),
        _ => message.payload(kind),
    };
    let mut out = String::with_capacity(64 + raw.get().len());
    out.push_str("{\"type\":");
    out.push_str(&serde_json::to_string(name).expect("serializes"));
    if let (Some(payload), true) = (payload, flagged || !kind.is_seed()) {
        out.push(',');
        out.push_str(&serde_json::to_string(name).expect("serializes"));
        out.push(':');
        minify_into(payload.get(), &mut out);
    }
    if let Some(errors) = errors
        .map(str::to_owned)
        .or_else(|| message.errors.map(|e| minify(e.get())))
    {
        out.push_str(",\"errors\":");
        out.push_str(&errors);
    }
    out.push('}');
    out
}
