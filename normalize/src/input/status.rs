//! One `statuses[]` item, read in one pass: the members the delivery receipt reads, and
//! every other member for its `extra`.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::{Conversation, Pricing};
use crate::lenient::{LStr, Lenient, Obj};
use crate::member::{once, Key};

/// One `statuses[]` item.
#[derive(Default)]
pub struct Status<'a> {
    pub id: LStr<'a>,
    pub status: LStr<'a>,
    pub timestamp: LStr<'a>,
    pub recipient_id: LStr<'a>,
    pub recipient_user_id: LStr<'a>,
    /// Meta's spelling changed (Apr → May 2026): `recipient_parent_user_id` is read too.
    pub parent_recipient_user_id: LStr<'a>,
    pub recipient_type: LStr<'a>,
    /// Three of Meta's group samples write `participant_recipient_id`; both are read.
    pub recipient_participant_id: LStr<'a>,
    pub recipient_participant_user_id: LStr<'a>,
    pub recipient_participant_parent_user_id: LStr<'a>,
    pub recipient_identity_key_hash: LStr<'a>,
    pub biz_opaque_callback_data: LStr<'a>,
    pub conversation: Lenient<Obj<Conversation<'a>>>,
    pub pricing: Lenient<Obj<Pricing<'a>>>,
    pub errors: Option<&'a RawValue>,
    /// Members no field above reads, in their order: they go to the receipt's `extra`.
    pub unknown: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'de: 'a, 'a> Deserialize<'de> for Status<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Status<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a status object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut s = Status::default();
                let mut seen = [false; 15];
                while let Some(Key(key)) = map.next_key()? {
                    let (map, seen) = (&mut map, &mut seen);
                    match key.as_ref() {
                        "id" => s.id = once(map, &mut seen[0], "id")?,
                        "status" => s.status = once(map, &mut seen[1], "status")?,
                        "timestamp" => s.timestamp = once(map, &mut seen[2], "timestamp")?,
                        "recipient_id" => s.recipient_id = once(map, &mut seen[3], "recipient_id")?,
                        "recipient_user_id" => {
                            s.recipient_user_id = once(map, &mut seen[4], "recipient_user_id")?
                        }
                        "parent_recipient_user_id" | "recipient_parent_user_id" => {
                            s.parent_recipient_user_id =
                                once(map, &mut seen[5], "parent_recipient_user_id")?
                        }
                        "recipient_type" => {
                            s.recipient_type = once(map, &mut seen[6], "recipient_type")?
                        }
                        "recipient_participant_id" | "participant_recipient_id" => {
                            s.recipient_participant_id =
                                once(map, &mut seen[7], "recipient_participant_id")?
                        }
                        _ => read_rest(&mut s, key, map, seen)?,
                    }
                }
                Ok(s)
            }
        }
        deserializer.deserialize_map(V(PhantomData))
    }
}

/// The members after the recipient's (split off to keep the visitor short).
fn read_rest<'de: 'a, 'a, A: MapAccess<'de>>(
    s: &mut Status<'a>,
    key: Cow<'a, str>,
    map: &mut A,
    seen: &mut [bool; 15],
) -> Result<(), A::Error> {
    match key.as_ref() {
        "recipient_participant_user_id" => {
            s.recipient_participant_user_id =
                once(map, &mut seen[8], "recipient_participant_user_id")?
        }
        "recipient_participant_parent_user_id" => {
            s.recipient_participant_parent_user_id =
                once(map, &mut seen[9], "recipient_participant_parent_user_id")?
        }
        "recipient_identity_key_hash" => {
            s.recipient_identity_key_hash = once(map, &mut seen[10], "recipient_identity_key_hash")?
        }
        "biz_opaque_callback_data" => {
            s.biz_opaque_callback_data = once(map, &mut seen[11], "biz_opaque_callback_data")?
        }
        "conversation" => s.conversation = once(map, &mut seen[12], "conversation")?,
        "pricing" => s.pricing = once(map, &mut seen[13], "pricing")?,
        "errors" => s.errors = once(map, &mut seen[14], "errors")?,
        // serde's derive ignored a repeated unknown member and the map that read `extra`
        // kept its last value: so does this (see `extra::of_status`).
        _ => s.unknown.push((key, map.next_value()?)),
    }
    Ok(())
}
