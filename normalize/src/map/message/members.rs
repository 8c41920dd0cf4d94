//! What an event carries of Meta's message beyond its own fields: `details` (the object
//! of a type the seed does not describe, Meta's errors) and `extra` (every member no other
//! field carries).

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::value::RawValue;

use super::{Copied, Message, MessageKind};
use crate::map::Scope;
use crate::minify::{minify, minify_into};
use wa_schemas::coexistence::Direction;

/// What no field of the event carries: unknown members, the legacy `identity` object
/// (only its hash has a field), objects of another type than the message's, the members of
/// the kind's own object that its fields do not read (`unread`, from the kind's module),
/// and the members of copies that their fields do not carry.
pub(super) fn extra_members(
    message: &Message<'_>,
    kind: MessageKind<'_>,
    unread: Option<String>,
    copied: Option<&Copied<'_>>,
    scope: &Scope<'_, '_>,
) -> Option<String> {
    let mut members: Vec<(&str, &RawValue)> = message
        .unknown
        .iter()
        .map(|(k, v)| (k.as_ref(), *v))
        .collect();
    let copy_members = copy_members(message, copied, scope.display_phone_number);
    members.extend(copy_members.iter().map(|(k, v)| (*k, &**v)));
    if let Some(raw) = message.identity {
        members.push(("identity", raw));
    }
    for (name, raw) in message.foreign_payloads(kind) {
        members.push((name, raw));
    }
    let unread = unread.and_then(|text| RawValue::from_string(text).ok());
    if let Some(unread) = &unread {
        members.push((kind.name(), unread));
    }
    crate::map::extra::object(members)
}

/// The members only copies read, less what a copy's fields carry: `to*` of an outbound
/// copy (its user fields), `history_context.status` (`historyStatus`), and the `from` of
/// an outbound copy when it is the business number (`displayPhoneNumber`).
fn copy_members(
    message: &Message<'_>,
    copied: Option<&Copied<'_>>,
    business: &str,
) -> Vec<(&'static str, Box<RawValue>)> {
    let owned = |raw: &RawValue| RawValue::from_string(raw.get().to_owned()).expect("JSON");
    let Some(copied) = copied else {
        return message.copy.present().map(|(k, v)| (k, owned(v))).collect();
    };
    let outbound = copied.direction == Direction::Outbound;
    let mut out = Vec::new();
    for (name, raw) in message.copy.present() {
        match name {
            "history_context" => out.extend(copied.history_rest.clone().map(|r| (name, r))),
            _ if outbound => {}
            _ => out.push((name, owned(raw))),
        }
    }
    let from = message.from.as_str();
    if outbound && !from.is_empty() && from != business {
        let text = serde_json::to_string(from).expect("a string serializes");
        out.push(("from", RawValue::from_string(text).expect("JSON")));
    }
    out
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
