//! Walking Meta's envelope: the body, its entries and their changes. Each part of the wrong
//! shape becomes one dead letter, and its neighbours still map.

use wa_schemas::ReasonKind;

use super::{Ctx, WHATSAPP_OBJECT};
use crate::input::{Change, Entry, Envelope};
use crate::lenient::{LInt, Lenient, Obj};

impl<'c, 'a> Ctx<'c, 'a> {
    /// Maps the whole body.
    pub(super) fn body(&mut self) {
        let Some(envelope) = self.envelope() else {
            return;
        };
        let entries = match envelope.entry {
            Lenient::Ok(entries) => entries.0,
            Lenient::Missing => {
                return self.reject_at(
                    ReasonKind::MissingField,
                    "the body has no `entry` array",
                    "",
                )
            }
            Lenient::Bad(found) => {
                return self.reject_at(
                    ReasonKind::InvalidField,
                    &format!("`entry` is not an array (found {found})"),
                    "/entry",
                )
            }
        };
        for (i, entry) in entries.into_iter().enumerate() {
            match entry {
                Lenient::Ok(Obj(entry)) => self.entry(i, entry),
                other => self.not_an_object(&other, &format!("/entry/{i}"), "entry"),
            }
        }
    }

    /// The envelope of a WhatsApp Business Account webhook, or the one dead letter of a body
    /// that is not one.
    fn envelope(&mut self) -> Option<Envelope<'a>> {
        let text = match std::str::from_utf8(self.body) {
            Ok(text) => text,
            Err(e) => {
                self.unreadable(&format!("the body is not UTF-8 text: {e}"));
                return None;
            }
        };
        if let Some(detail) = lone_surrogate(text) {
            self.unreadable(&detail);
            return None;
        }
        // Validating UTF-8 once up front lets the parser borrow every string without
        // checking it again.
        let envelope = match serde_json::from_str::<Lenient<Obj<Envelope<'a>>>>(text) {
            Ok(Lenient::Ok(Obj(envelope))) => envelope,
            // Only duplicate keys get here: every field is lenient.
            Err(e) if e.is_data() => {
                self.reject_at(ReasonKind::InvalidField, &e.to_string(), "");
                return None;
            }
            Err(e) => {
                let detail = if self.body.is_empty() {
                    "the body is empty".to_owned()
                } else {
                    format!("the body is not JSON: {e}")
                };
                self.unreadable(&detail);
                return None;
            }
            Ok(Lenient::Missing) => {
                let detail = "the body is JSON null, not an object";
                self.reject_at(ReasonKind::InvalidJson, detail, "");
                return None;
            }
            Ok(Lenient::Bad(found)) => {
                let detail = format!("the body is a JSON {found}, not an object");
                self.reject_at(ReasonKind::InvalidJson, &detail, "");
                return None;
            }
        };
        let detail = match &envelope.object {
            Lenient::Ok(object) if object == WHATSAPP_OBJECT => return Some(envelope),
            Lenient::Ok(object) => format!(
                "`object` is {object:?}, not \"{WHATSAPP_OBJECT}\": not a WhatsApp Business Account webhook"
            ),
            _ => format!("`object` is missing or not a string: expected \"{WHATSAPP_OBJECT}\""),
        };
        self.reject_at(ReasonKind::NotWhatsapp, &detail, "");
        None
    }

    /// One `entry[]`: its changes, in order.
    fn entry(&mut self, i: usize, entry: Entry<'a>) {
        let changes = match entry.changes {
            Lenient::Ok(changes) => changes.0,
            Lenient::Missing => {
                let path = format!("/entry/{i}");
                return self.reject_at(
                    ReasonKind::MissingField,
                    "the entry has no `changes` array",
                    &path,
                );
            }
            Lenient::Bad(found) => {
                let detail = format!("`changes` is not an array (found {found})");
                return self.reject_at(
                    ReasonKind::InvalidField,
                    &detail,
                    &format!("/entry/{i}/changes"),
                );
            }
        };
        for (j, change) in changes.into_iter().enumerate() {
            match change {
                Lenient::Ok(Obj(change)) => {
                    self.change(entry.id.as_str(), &entry.time, (i, j), change)
                }
                other => self.not_an_object(&other, &format!("/entry/{i}/changes/{j}"), "change"),
            }
        }
    }

    /// One `changes[]`: a `messages` value, or an account event.
    fn change(&mut self, waba_id: &str, time: &LInt, (i, j): (usize, usize), change: Change<'a>) {
        let path = format!("/entry/{i}/changes/{j}");
        let (field, value) = match (&change.field, change.value) {
            (Lenient::Ok(field), Lenient::Ok(Obj(value))) => (field, value),
            (Lenient::Ok(field), Lenient::Bad(found)) => {
                let detail =
                    format!("the `value` of the `{field}` change is not an object (found {found})");
                return self.reject_at(ReasonKind::InvalidField, &detail, &format!("{path}/value"));
            }
            (Lenient::Ok(_), Lenient::Missing) => {
                return self.reject_at(ReasonKind::MissingField, "the change has no `value`", &path)
            }
            _ => {
                let detail = "the change has no `field` string";
                return self.reject_at(ReasonKind::MissingField, detail, &path);
            }
        };
        if field == "messages" {
            self.messages_value(waba_id, i, j, &value);
        } else if field == "history" || field == "smb_message_echoes" {
            self.coexistence(field, waba_id, time, (i, j));
        } else {
            let phone_number_id = value
                .metadata
                .ok()
                .or(value.recipient.ok())
                .map_or("", |m| m.0.phone_number_id.as_str());
            self.account_event(field, waba_id, time, phone_number_id, i, j);
        }
    }
}

/// Why `text` is not JSON a consumer can read, when a string escapes a lone UTF-16
/// surrogate (`"\udc4d"`): serde_json refuses it (Python's `json` takes it), and members the
/// mapping passes on unread (`extra`, `details`, `context`) would carry it into records.
/// Such a body is unreadable as a whole, as serde_json says. Escaped emoji are surrogate
/// pairs and pass; the scan only looks at `\u` escapes.
fn lone_surrogate(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let unit = |at: usize| -> Option<u16> {
        let hex = std::str::from_utf8(bytes.get(at + 2..at + 6)?).ok()?;
        u16::from_str_radix(hex, 16).ok()
    };
    let mut pending_high = false;
    let mut last = 0;
    for at in memchr::memmem::find_iter(bytes, b"\\u") {
        // An escaped backslash followed by `u` is text, not an escape.
        let backslashes = bytes[..at]
            .iter()
            .rev()
            .take_while(|b| **b == b'\\')
            .count();
        if backslashes % 2 == 1 {
            continue;
        }
        let Some(code) = unit(at) else { continue };
        let adjacent = at == last + 6;
        last = at;
        let lone = match code {
            0xD800..=0xDBFF if pending_high => true,
            0xD800..=0xDBFF => {
                pending_high = true;
                false
            }
            0xDC00..=0xDFFF if pending_high && adjacent => {
                pending_high = false;
                false
            }
            0xDC00..=0xDFFF => true,
            _ => pending_high,
        };
        if lone {
            return Some(format!(
                "the body is not JSON: a string escapes a lone UTF-16 surrogate at byte {at}"
            ));
        }
    }
    pending_high.then(|| "the body is not JSON: a string ends with a lone UTF-16 surrogate".into())
}

#[cfg(test)]
mod surrogate_tests {
    use super::lone_surrogate;

    #[test]
    fn lone_surrogates_are_found_and_pairs_and_escaped_backslashes_pass() {
        assert!(lone_surrogate(r#"{"a":"\ud83d\ude00"}"#).is_none());
        assert!(lone_surrogate(r#"{"a":"\\udc4d"}"#).is_none());
        assert!(lone_surrogate(r#"{"a":"\u00e9 \u20ac"}"#).is_none());
        assert!(lone_surrogate(r#"{"a":"\udc4d"}"#).is_some());
        assert!(lone_surrogate(r#"{"a":"\ud83d"}"#).is_some());
        assert!(lone_surrogate(r#"{"a":"\ud83d x \ude00"}"#).is_some());
        assert!(lone_surrogate(r#"{"a":"\ud83d\ud83d\ude00"}"#).is_some());
        for body in [r#"{"a":"\udc4d"}"#, r#"{"a":"\ud83d"}"#] {
            assert!(
                serde_json::from_str::<serde_json::Value>(body).is_err(),
                "{body}"
            );
        }
    }
}
