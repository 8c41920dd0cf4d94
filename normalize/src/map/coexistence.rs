//! `history` and `smb_message_echoes` changes (Coexistence numbers): each message they
//! carry becomes a coexistence event (or its own dead letter), and the change itself stays
//! one account event whose `value` leaves those messages out.
//!
//! The count rule for these changes: one record per item of `value.messages`, then of
//! `value.message_echoes`, then of each `value.history[].threads[].messages`, then the
//! account event. An array of the wrong shape is not walked, and stays in the account event.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;
use wa_schemas::coexistence::{Direction, Origin};

use super::{readable_contacts, Ctx, Scope};
use crate::input::{Contact, Metadata, Profile};
use crate::lenient::{Arr, LInt, LStr, Lenient, Obj};
use crate::minify::minify_into;

/// Where the walker found a message: its origin, and its direction when the place tells.
pub(crate) struct CopyOf {
    pub origin: Origin,
    /// `None` for a history thread's messages: each one's `from` decides.
    pub direction: Option<Direction>,
}

/// The `value` of a `history` or `smb_message_echoes` change, as far as the walk reads it.
#[derive(Deserialize)]
struct CopiesValue<'a> {
    #[serde(borrow, default)]
    metadata: Lenient<Obj<Metadata<'a>>>,
    #[serde(borrow, default)]
    contacts: Lenient<Arr<Lenient<Obj<Contact<'a>>>>>,
    #[serde(borrow, default)]
    messages: Lenient<Arr<&'a RawValue>>,
    #[serde(borrow, default)]
    message_echoes: Lenient<Arr<&'a RawValue>>,
    #[serde(borrow, default)]
    history: Lenient<Arr<Lenient<Obj<Chunk<'a>>>>>,
}

/// `value.history[]`: one chunk of a sync (its `metadata` stays in the account event).
#[derive(Deserialize)]
struct Chunk<'a> {
    #[serde(borrow, default)]
    threads: Lenient<Arr<Lenient<Obj<Thread<'a>>>>>,
}

/// `history[].threads[]`: one chat, with the user it is with.
#[derive(Deserialize)]
struct Thread<'a> {
    /// The user's phone number; absent for username users.
    #[serde(borrow, default)]
    id: LStr<'a>,
    #[serde(borrow, default)]
    context: Lenient<Obj<ThreadUser<'a>>>,
    #[serde(borrow, default)]
    messages: Lenient<Arr<&'a RawValue>>,
}

/// `threads[].context` (2026): the chat's user.
#[derive(Deserialize)]
struct ThreadUser<'a> {
    #[serde(borrow, default)]
    wa_id: LStr<'a>,
    #[serde(borrow, default)]
    user_id: LStr<'a>,
    #[serde(borrow, default)]
    parent_user_id: LStr<'a>,
    #[serde(borrow, default)]
    username: LStr<'a>,
}

impl<'a> Thread<'a> {
    /// The chat's user as a contact, so messages find their user as live ones do.
    fn contact(&self) -> Contact<'a> {
        let user = self.context.ok().map(|c| &c.0);
        let or_id = |wa_id: Option<&LStr<'a>>| match wa_id {
            Some(Lenient::Ok(id)) if !id.is_empty() => Lenient::Ok(id.clone()),
            _ => self.id.clone(),
        };
        Contact {
            wa_id: or_id(user.map(|u| &u.wa_id)),
            user_id: user.map_or(Lenient::Missing, |u| u.user_id.clone()),
            parent_user_id: user.map_or(Lenient::Missing, |u| u.parent_user_id.clone()),
            identity_key_hash: Lenient::Missing,
            profile: Lenient::Ok(Obj(Profile {
                name: Lenient::Missing,
                username: user.map_or(Lenient::Missing, |u| u.username.clone()),
            })),
        }
    }
}

impl<'c, 'a> Ctx<'c, 'a> {
    /// Maps a `history` or `smb_message_echoes` change.
    pub(super) fn coexistence(
        &mut self,
        field: &str,
        waba_id: &str,
        time: &LInt,
        (i, j): (usize, usize),
    ) {
        let origin = if field == "history" {
            Origin::History
        } else {
            Origin::Echo
        };
        let value = self.raw_value(i, j).filter(|raw| {
            // Too deep or unreadable: the account event path says so, with nothing copied.
            crate::minify::deeper_than(raw.get(), self.config.max_depth).is_none()
        });
        let parsed = value.and_then(|raw| {
            match serde_json::from_str::<Lenient<Obj<CopiesValue<'a>>>>(raw.get()) {
                Ok(Lenient::Ok(Obj(value))) => Some((raw, value)),
                _ => None,
            }
        });
        let Some((raw, value)) = parsed else {
            return self.account_event(field, waba_id, time, "", i, j);
        };
        let metadata = value.metadata.ok().map(|m| &m.0);
        let phone_number_id = metadata.map_or("", |m| m.phone_number_id.as_str());
        let contacts = readable_contacts(&value.contacts);
        let scope = Scope {
            waba_id,
            phone_number_id,
            display_phone_number: metadata.map_or("", |m| m.display_phone_number.as_str()),
            contacts: &contacts,
            entry: i,
            change: j,
        };
        for (name, items, direction) in [
            ("messages", &value.messages, Direction::Inbound),
            ("message_echoes", &value.message_echoes, Direction::Outbound),
        ] {
            let copy = CopyOf {
                origin,
                direction: Some(direction),
            };
            for (k, item) in items.ok().map_or(&[][..], |a| &a.0).iter().enumerate() {
                self.message_at(&scope, &|| scope.path(name, k), item, Some(&copy));
            }
        }
        self.history_threads(&scope, &value.history, origin);
        let stripped = without_copies(raw);
        self.account_event_of(field, waba_id, time, phone_number_id, stripped);
    }

    /// Every message of every thread of every chunk of a history sync.
    fn history_threads(
        &mut self,
        scope: &Scope<'a, '_>,
        history: &Lenient<Arr<Lenient<Obj<Chunk<'a>>>>>,
        origin: Origin,
    ) {
        let copy = CopyOf {
            origin,
            direction: None,
        };
        let chunks = history.ok().map_or(&[][..], |a| &a.0);
        for (h, chunk) in chunks.iter().enumerate() {
            let Some(Obj(chunk)) = chunk.ok() else {
                continue;
            };
            let threads = chunk.threads.ok().map_or(&[][..], |a| &a.0);
            for (t, thread) in threads.iter().enumerate() {
                let Some(Obj(thread)) = thread.ok() else {
                    continue;
                };
                let Some(messages) = thread.messages.ok() else {
                    continue;
                };
                let user = thread.contact();
                let contacts = [&user];
                let scope = Scope {
                    contacts: &contacts,
                    ..*scope
                };
                for (m, item) in messages.0.iter().enumerate() {
                    let path = || scope.path(&format!("history/{h}/threads/{t}/messages"), m);
                    self.message_at(&scope, &path, item, Some(&copy));
                }
            }
        }
    }
}

/// Meta's `value` less the arrays whose every item became a record of its own: `messages`
/// and `message_echoes`, and each history thread's `messages`. Minified, members in order.
fn without_copies(raw: &RawValue) -> String {
    let mut out = String::with_capacity(256);
    write_object(raw, Level::Value, &mut out);
    out
}

/// How deep in a `history` or echoes value an object sits.
#[derive(Clone, Copy, PartialEq)]
enum Level {
    Value,
    Chunk,
    Thread,
}

/// The members of an object, in order (keys unescaped, values raw).
struct Members<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de: 'a, 'a> Deserialize<'de> for Members<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Members<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Self::Value, A::Error> {
                let mut members = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    members.push((Cow::Owned(key), map.next_value()?));
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(V(std::marker::PhantomData))
    }
}

fn write_object(raw: &RawValue, level: Level, out: &mut String) {
    let Ok(Members(members)) = serde_json::from_str::<Members>(raw.get()) else {
        return minify_into(raw.get(), out);
    };
    out.push('{');
    let mut first = true;
    for (name, value) in members {
        let array = value.get().starts_with('[');
        let inner = match (level, name.as_ref()) {
            (Level::Value, "messages" | "message_echoes") | (Level::Thread, "messages")
                if array =>
            {
                continue
            }
            (Level::Value, "history") if array => Some(Level::Chunk),
            (Level::Chunk, "threads") if array => Some(Level::Thread),
            _ => None,
        };
        if !std::mem::take(&mut first) {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(name.as_ref()).expect("a string serializes"));
        out.push(':');
        match inner {
            Some(level) => write_array(value, level, out),
            None => minify_into(value.get(), out),
        }
    }
    out.push('}');
}

/// An array whose object items are written at `level`.
fn write_array(raw: &RawValue, level: Level, out: &mut String) {
    let Ok(items) = serde_json::from_str::<Vec<&RawValue>>(raw.get()) else {
        return minify_into(raw.get(), out);
    };
    out.push('[');
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(',');
        }
        if item.get().starts_with('{') {
            write_object(item, level, out);
        } else {
            minify_into(item.get(), out);
        }
    }
    out.push(']');
}
