//! The user an event names: the sender of a live message, the user of a copied chat.

use serde_json::value::RawValue;

use wa_schemas::coexistence::{Direction, Origin};

use super::Message;
use crate::input::Contact;
use crate::lenient::{LStr, Lenient, Obj};
use crate::map::coexistence::CopyOf;
use crate::map::{extra, Scope};
use crate::member::WithUnread;

/// The user as far as the message and `value.contacts` tell.
pub(super) struct Sender<'v> {
    pub waid: &'v str,
    pub user_id: &'v str,
    pub parent_user_id: &'v str,
    pub profile_name: &'v str,
    pub username: &'v str,
    pub contact_hash: &'v str,
}

/// How the message names a user: its own members, to be completed from the contact whose
/// ids match.
pub(super) struct Ids<'v> {
    pub waid: &'v str,
    pub user_id: &'v str,
    pub parent_user_id: &'v str,
}

impl<'v> Ids<'v> {
    /// The sender of a message.
    pub fn from(message: &'v Message<'_>) -> Self {
        Ids {
            waid: message.from.as_str(),
            user_id: message.from_user_id.as_str(),
            parent_user_id: message.from_parent_user_id.as_str(),
        }
    }

    /// The recipient of what the business sent (`to`, `to_user_id`), as read into `to`.
    pub fn to(to: &'v Recipient<'_>) -> Self {
        Ids {
            waid: to.to.as_str(),
            user_id: to.to_user_id.as_str(),
            parent_user_id: to.to_parent_user_id.as_str(),
        }
    }
}

/// The `to` members of an echo or a business-sent history message, read as text.
#[derive(Default)]
pub(super) struct Recipient<'a> {
    pub to: LStr<'a>,
    pub to_user_id: LStr<'a>,
    pub to_parent_user_id: LStr<'a>,
}

impl<'a> Recipient<'a> {
    pub fn of(message: &Message<'a>) -> Self {
        let text = |raw: Option<&'a RawValue>| -> LStr<'a> {
            raw.and_then(|raw| serde_json::from_str(raw.get()).ok())
                .unwrap_or(Lenient::Missing)
        };
        Recipient {
            to: text(message.copy.to),
            to_user_id: text(message.copy.to_user_id),
            to_parent_user_id: text(message.copy.to_parent_user_id),
        }
    }

    /// Whether the message names a recipient at all.
    pub fn is_named(&self) -> bool {
        !self.to.as_str().is_empty() || !self.to_user_id.as_str().is_empty()
    }
}

impl<'v> Sender<'v> {
    /// The user `ids` name, completed from the contact with the same ids (or the only
    /// contact, when the message names nobody).
    pub fn of<'a>(ids: Ids<'v>, contacts: &'v [&'v Contact<'a>]) -> Self {
        // contacts[i] need not line up with messages[i]: match on the ids.
        let contact = contacts
            .iter()
            .find(|c| {
                (!ids.waid.is_empty() && c.wa_id.as_str() == ids.waid)
                    || (!ids.user_id.is_empty() && c.user_id.as_str() == ids.user_id)
            })
            .or(match contacts {
                [only] if ids.waid.is_empty() && ids.user_id.is_empty() => Some(only),
                _ => None,
            });
        let pick = |own: &'v str, theirs: fn(&'v Contact<'a>) -> &'v str| -> &'v str {
            if !own.is_empty() {
                own
            } else {
                contact.map_or("", |c| theirs(c))
            }
        };
        let profile = contact.and_then(|c| c.profile.ok()).map(|p| &p.0);
        Sender {
            waid: pick(ids.waid, |c| c.wa_id.as_str()),
            user_id: pick(ids.user_id, |c| c.user_id.as_str()),
            parent_user_id: pick(ids.parent_user_id, |c| c.parent_user_id.as_str()),
            profile_name: profile.map_or("", |p| p.name.as_str()),
            username: profile.map_or("", |p| p.username.as_str()),
            contact_hash: contact.map_or("", |c| c.identity_key_hash.as_str()),
        }
    }

    /// The user part of the record key: the WhatsApp id, else the BSUID.
    pub fn key_user(&self) -> &'v str {
        if self.waid.is_empty() {
            self.user_id
        } else {
            self.waid
        }
    }
}

/// How a copied message is told apart from live traffic: where it came from, who wrote
/// it, its status at sync time.
pub(crate) struct Copied<'a> {
    pub origin: Origin,
    pub direction: Direction,
    pub history_status: LStr<'a>,
    /// `history_context` less the `status` carried by `history_status`, for `extra`: all
    /// of it when it is not an object with a string `status`; `None` when nothing is left.
    pub history_rest: Option<Box<RawValue>>,
}

/// `history_context`: the message's status when the history was synced.
#[derive(serde::Deserialize)]
struct HistoryContext<'a> {
    #[serde(borrow, default)]
    status: LStr<'a>,
}

impl<'a> Copied<'a> {
    /// `message` copied as `copy` says; a history message's direction is decided here: the
    /// user wrote it when its `from` is the chat's user (the one contact of a thread), the
    /// business when it names a recipient or comes from anyone else.
    pub(super) fn of(
        copy: &CopyOf,
        message: &Message<'a>,
        recipient: &Recipient<'_>,
        scope: &Scope<'_, '_>,
    ) -> Self {
        let from = message.from.as_str();
        let from_user_id = message.from_user_id.as_str();
        let by_user = || {
            scope.contacts.iter().any(|c| {
                (!from.is_empty() && c.wa_id.as_str() == from)
                    || (!from_user_id.is_empty() && c.user_id.as_str() == from_user_id)
            })
        };
        let direction = copy.direction.unwrap_or_else(|| {
            if recipient.is_named() {
                Direction::Outbound
            } else if by_user() {
                Direction::Inbound
            } else if !from.is_empty()
                && (from == scope.display_phone_number || !scope.contacts.is_empty())
            {
                Direction::Outbound
            } else {
                Direction::Inbound
            }
        });
        let (history_status, history_rest) = history(message.copy.history_context);
        Copied {
            origin: copy.origin,
            direction,
            history_status,
            history_rest,
        }
    }
}

/// The status of `history_context`, and what `extra` keeps of it.
fn history(raw: Option<&RawValue>) -> (LStr<'_>, Option<Box<RawValue>>) {
    let Some(raw) = raw else {
        return (Lenient::Missing, None);
    };
    match serde_json::from_str::<Lenient<Obj<WithUnread<HistoryContext>>>>(raw.get()) {
        Ok(Lenient::Ok(Obj(WithUnread { value, unread })))
            if !matches!(value.status, Lenient::Bad(_)) =>
        {
            let rest =
                extra::sorted(&unread).map(|text| RawValue::from_string(text).expect("JSON"));
            (value.status, rest)
        }
        _ => (Lenient::Missing, Some(raw.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rest(text: &str) -> (String, Option<String>) {
        let raw: &RawValue = serde_json::from_str(text).unwrap();
        let (status, rest) = history(Some(raw));
        (status.as_str().to_owned(), rest.map(|r| r.get().to_owned()))
    }

    #[test]
    fn history_context_keeps_in_extra_what_history_status_does_not_carry() {
        assert_eq!(rest(r#"{"status":"READ"}"#), ("READ".to_owned(), None));
        assert_eq!(
            rest(r#"{"z":1,"status":"READ","a":[2]}"#),
            ("READ".to_owned(), Some(r#"{"a":[2],"z":1}"#.to_owned()))
        );
        // Not readable as documented: nothing is taken out of it.
        for odd in [
            r#"{"status":{"x":1},"a":1}"#,
            r#"{"status":"A","status":"B"}"#,
            r#""READ""#,
        ] {
            assert_eq!(rest(odd), (String::new(), Some(odd.to_owned())), "{odd}");
        }
    }
}
