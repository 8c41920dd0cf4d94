//! The `extra` member of events: every member of Meta's message or status object that no
//! other field carries, as it came, so nothing Meta sends is dropped and a member Meta adds
//! tomorrow reaches consumers without a release.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde_json::value::RawValue;

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

/// `{...}` of the members of the object `raw` whose names are not in `read`; `None` when
/// there are none (or `raw` is not an object).
pub(crate) fn unread(raw: &RawValue, read: &[&str]) -> Option<String> {
    // Nearly every object has only members its fields read: find that out without
    // building a map.
    if !has_unread(raw, read) {
        return None;
    }
    let members: BTreeMap<Cow<'_, str>, &RawValue> = serde_json::from_str(raw.get()).ok()?;
    object(
        members
            .iter()
            .filter(|(name, _)| !read.contains(&name.as_ref()))
            .map(|(name, value)| (name.as_ref(), *value)),
    )
}

/// Whether the object `raw` has a member whose name is not in `read` (false when `raw` is
/// not an object). Allocates nothing; a name with escapes (which cannot be borrowed) or a
/// value that is not an object answers true, leaving it to the full read.
fn has_unread(raw: &RawValue, read: &[&str]) -> bool {
    struct Names<'r>(&'r [&'r str]);
    impl<'de> serde::de::Visitor<'de> for Names<'_> {
        type Value = bool;
        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("an object")
        }
        fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
            let mut found = false;
            while let Some(name) = map.next_key::<&'de str>()? {
                map.next_value::<serde::de::IgnoredAny>()?;
                found |= !self.0.contains(&name);
            }
            Ok(found)
        }
    }
    use serde::Deserializer as _;
    serde_json::Deserializer::from_str(raw.get())
        .deserialize_map(Names(read))
        .unwrap_or(true)
}

/// The members of a status object that no field of the delivery event carries, and
/// `conversation` or `pricing` when they are not objects (the event reads objects only;
/// `odd_shapes` says whether one is not).
pub(crate) fn of_status(raw: &RawValue, odd_shapes: bool) -> Option<String> {
    /// What the delivery event reads (both spellings where Meta has two).
    const READ: [&str; 17] = [
        "id",
        "status",
        "timestamp",
        "recipient_id",
        "recipient_user_id",
        "parent_recipient_user_id",
        "recipient_parent_user_id",
        "recipient_type",
        "recipient_participant_id",
        "participant_recipient_id",
        "recipient_participant_user_id",
        "recipient_participant_parent_user_id",
        "recipient_identity_key_hash",
        "biz_opaque_callback_data",
        "conversation",
        "pricing",
        "errors",
    ];
    if !odd_shapes && !has_unread(raw, &READ) {
        return None;
    }
    let members: BTreeMap<Cow<'_, str>, &RawValue> = serde_json::from_str(raw.get()).ok()?;
    let is_object = |value: &RawValue| value.get().starts_with('{');
    object(
        members
            .iter()
            .filter(|(name, value)| {
                !READ.contains(&name.as_ref())
                    || (matches!(name.as_ref(), "conversation" | "pricing") && !is_object(value))
            })
            .map(|(name, value)| (name.as_ref(), *value)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unread_status_members_are_kept_and_read_ones_are_not() {
        let raw: &RawValue = serde_json::from_str(
            r#"{"id":"wamid.1","status":"read","timestamp":"1","recipient_id":"1","new_thing":{"a": [1, 2]},"another":"x"}"#,
        )
        .unwrap();
        assert_eq!(
            of_status(raw, false).as_deref(),
            Some(r#"{"another":"x","new_thing":{"a":[1,2]}}"#)
        );
        let odd: &RawValue =
            serde_json::from_str(r#"{"id":"w","conversation":"odd","pricing":{"billable":true}}"#)
                .unwrap();
        assert_eq!(
            of_status(odd, true).as_deref(),
            Some(r#"{"conversation":"odd"}"#)
        );
        let plain: &RawValue = serde_json::from_str(r#"{"id":"wamid.1","status":"read"}"#).unwrap();
        assert_eq!(of_status(plain, false), None);
    }
}
