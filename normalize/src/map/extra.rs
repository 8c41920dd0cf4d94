//! The `extra` member of events: every member of Meta's message or status object that no
//! other field carries, as it came, so nothing Meta sends is dropped and a member Meta adds
//! tomorrow reaches consumers without a release.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::value::RawValue;

use crate::input::Status;
use crate::lenient::Lenient;
use crate::minify::minify_into;

/// `{"name": value, ...}` of `members`, minified; `None` when there are none.
pub(crate) fn object<'a>(
    members: impl IntoIterator<Item = (&'a str, &'a RawValue)>,
) -> Option<String> {
    let mut out = String::new();
    for (name, value) in members {
        out.push(if out.is_empty() { '{' } else { ',' });
        out.push_str(&serde_json::to_string(name).expect("a string serializes"));
        out.push(':');
        minify_into(value.get(), &mut out);
    }
    (!out.is_empty()).then(|| {
        out.push('}');
        out
    })
}

/// `members` by name; a repeated member keeps its last value, as a map read of the object
/// does.
fn by_name<'m>(members: &'m [(Cow<'_, str>, &'m RawValue)]) -> BTreeMap<&'m str, &'m RawValue> {
    members
        .iter()
        .map(|(name, value)| (name.as_ref(), *value))
        .collect()
}

/// `{...}` of the members a kind's object had beyond its fields (collected by
/// [`WithUnread`](crate::member::WithUnread)), sorted by name; `None` when there are none.
pub(crate) fn sorted(members: &[(Cow<'_, str>, &RawValue)]) -> Option<String> {
    object(by_name(members))
}

/// The members of a status that no field of the delivery event carries (collected by its
/// one-pass read), and `conversation` or `pricing` when they are not objects (the event
/// reads objects only), sorted by name; `None` when there are none.
pub(crate) fn of_status(raw: &RawValue, status: &Status<'_>) -> Option<String> {
    let odd_shapes =
        matches!(status.conversation, Lenient::Bad(_)) || matches!(status.pricing, Lenient::Bad(_));
    if !odd_shapes && status.unknown.is_empty() {
        return None;
    }
    let mut members = by_name(&status.unknown);
    if odd_shapes {
        // Rare: read the object again for the raw text of the member of the wrong shape.
        let all: BTreeMap<Cow<'_, str>, &RawValue> = serde_json::from_str(raw.get()).ok()?;
        for name in ["conversation", "pricing"] {
            match all.get(name) {
                Some(value) if !value.get().starts_with('{') => {
                    members.insert(name, *value);
                }
                _ => {}
            }
        }
    }
    object(members)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn status(raw: &RawValue) -> Status<'_> {
        serde_json::from_str(raw.get()).expect("a status object")
    }

    #[test]
    fn unread_status_members_are_kept_and_read_ones_are_not() {
        let raw: &RawValue = serde_json::from_str(
            r#"{"id":"wamid.1","status":"read","timestamp":"1","recipient_id":"1","new_thing":{"a": [1, 2]},"another":"x"}"#,
        )
        .unwrap();
        assert_eq!(
            of_status(raw, &status(raw)).as_deref(),
            Some(r#"{"another":"x","new_thing":{"a":[1,2]}}"#)
        );
        let odd: &RawValue =
            serde_json::from_str(r#"{"id":"w","conversation":"odd","pricing":{"billable":true}}"#)
                .unwrap();
        assert_eq!(
            of_status(odd, &status(odd)).as_deref(),
            Some(r#"{"conversation":"odd"}"#)
        );
        let plain: &RawValue = serde_json::from_str(r#"{"id":"wamid.1","status":"read"}"#).unwrap();
        assert_eq!(of_status(plain, &status(plain)), None);
    }

    #[test]
    fn both_spellings_are_read_and_a_repeated_unknown_member_keeps_its_last_value() {
        let raw: &RawValue = serde_json::from_str(
            r#"{"id":"w","recipient_parent_user_id":"p","participant_recipient_id":"1","\u0069d2":1,"z":1,"z":2}"#,
        )
        .unwrap();
        let read = status(raw);
        assert_eq!(read.parent_recipient_user_id.as_str(), "p");
        assert_eq!(read.recipient_participant_id.as_str(), "1");
        assert_eq!(of_status(raw, &read).as_deref(), Some(r#"{"id2":1,"z":2}"#));
    }

    #[test]
    fn a_repeated_read_member_is_an_error_whatever_its_spelling() {
        for body in [
            r#"{"id":"a","id":"b"}"#,
            r#"{"parent_recipient_user_id":"a","recipient_parent_user_id":"b"}"#,
            r#"{"\u0069d":"a","id":"b"}"#,
        ] {
            let err = serde_json::from_str::<Status<'_>>(body).err().expect(body);
            assert!(err.to_string().contains("duplicate field"), "{body}: {err}");
        }
    }
}
