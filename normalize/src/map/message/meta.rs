//! Meta's message object as the mapping reads it: the members every kind shares, and the
//! payload object of each known kind in its slot.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::kind::{MessageKind, KNOWN};
use crate::lenient::LStr;
use crate::member::{once, Key};

/// One `messages[]` item (or the nested message of an `edit`). Payloads stay raw: only the
/// one the `type` names is read, by its kind's own module.
#[derive(Default)]
pub struct Message<'a> {
    pub from: LStr<'a>,
    pub from_user_id: LStr<'a>,
    pub from_parent_user_id: LStr<'a>,
    pub id: LStr<'a>,
    pub timestamp: LStr<'a>,
    /// `type`.
    pub kind: LStr<'a>,
    pub context: Option<&'a RawValue>,
    pub referral: Option<&'a RawValue>,
    pub identity: Option<&'a RawValue>,
    pub errors: Option<&'a RawValue>,
    /// The group the message was posted in (groups API); empty for a 1:1 chat.
    pub group_id: LStr<'a>,
    /// `from_logical_id`: opaque, kept as it came.
    pub from_logical_id: LStr<'a>,
    /// Members only copies read (`to`, `history_context`, ...); `extra` on live events.
    pub copy: CopyMembers<'a>,
    /// Members no slot here reads, in their order: they go to the event's `extra`.
    pub unknown: Vec<(Cow<'a, str>, &'a RawValue)>,
    /// The object of each known kind (`text`, `image`, ...), by [`MessageKind::slot`];
    /// `None` when absent or `null`.
    payloads: [Option<&'a RawValue>; KNOWN],
}

/// The members Meta writes on history messages and echoes: the recipient of what the
/// business sent, and the status at sync time.
#[derive(Default)]
pub struct CopyMembers<'a> {
    pub to: Option<&'a RawValue>,
    pub to_user_id: Option<&'a RawValue>,
    pub to_parent_user_id: Option<&'a RawValue>,
    pub history_context: Option<&'a RawValue>,
}

impl<'a> CopyMembers<'a> {
    /// The members present, by name, in a stable order.
    pub fn present(&self) -> impl Iterator<Item = (&'static str, &'a RawValue)> {
        [
            ("to", self.to),
            ("to_user_id", self.to_user_id),
            ("to_parent_user_id", self.to_parent_user_id),
            ("history_context", self.history_context),
        ]
        .into_iter()
        .filter_map(|(name, raw)| raw.map(|raw| (name, raw)))
    }
}

impl<'a> Message<'a> {
    /// The object of a known kind; `None` for unknown kinds (see `details`).
    pub fn payload(&self, kind: MessageKind<'_>) -> Option<&'a RawValue> {
        kind.slot().and_then(|slot| self.payloads[slot])
    }

    /// The objects of known kinds other than `kind` (Meta sends none; kept if it does).
    pub fn foreign_payloads(
        &self,
        kind: MessageKind<'_>,
    ) -> impl Iterator<Item = (&'static str, &'a RawValue)> + '_ {
        let own = kind.slot();
        self.payloads
            .iter()
            .enumerate()
            .filter(move |(slot, _)| Some(*slot) != own)
            .filter_map(|(slot, raw)| raw.map(|raw| (MessageKind::slot_name(slot), raw)))
    }
}

impl<'de: 'a, 'a> Deserialize<'de> for Message<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Message<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a message object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut m = Message::default();
                let mut seen = [false; 16];
                let mut seen_payload = [false; KNOWN];
                while let Some(Key(key)) = map.next_key()? {
                    let map = &mut map;
                    match key.as_ref() {
                        "from" => m.from = once(map, &mut seen[0], "from")?,
                        "from_user_id" => m.from_user_id = once(map, &mut seen[1], "from_user_id")?,
                        "from_parent_user_id" => {
                            m.from_parent_user_id = once(map, &mut seen[2], "from_parent_user_id")?
                        }
                        "id" => m.id = once(map, &mut seen[3], "id")?,
                        "timestamp" => m.timestamp = once(map, &mut seen[4], "timestamp")?,
                        "type" => m.kind = once(map, &mut seen[5], "type")?,
                        "context" => m.context = once(map, &mut seen[6], "context")?,
                        "referral" => m.referral = once(map, &mut seen[7], "referral")?,
                        "identity" => m.identity = once(map, &mut seen[8], "identity")?,
                        "errors" => m.errors = once(map, &mut seen[9], "errors")?,
                        "group_id" => m.group_id = once(map, &mut seen[10], "group_id")?,
                        "from_logical_id" => {
                            m.from_logical_id = once(map, &mut seen[11], "from_logical_id")?
                        }
                        "to" => m.copy.to = once(map, &mut seen[12], "to")?,
                        "to_user_id" => m.copy.to_user_id = once(map, &mut seen[13], "to_user_id")?,
                        "to_parent_user_id" => {
                            m.copy.to_parent_user_id =
                                once(map, &mut seen[14], "to_parent_user_id")?
                        }
                        "history_context" => {
                            m.copy.history_context = once(map, &mut seen[15], "history_context")?
                        }
                        other => match MessageKind::slot_of(other) {
                            Some(slot) => {
                                let name = MessageKind::slot_name(slot);
                                m.payloads[slot] = once(map, &mut seen_payload[slot], name)?;
                            }
                            None => {
                                if m.unknown.iter().any(|(k, _)| *k == key) {
                                    let message = format!("duplicate field `{key}`");
                                    return Err(de::Error::custom(message));
                                }
                                m.unknown.push((key, map.next_value()?));
                            }
                        },
                    }
                }
                Ok(m)
            }
        }
        deserializer.deserialize_map(V(PhantomData))
    }
}
