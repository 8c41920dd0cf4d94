//! `messages[]` → MO or postback events.

use std::borrow::Cow;
use std::collections::HashMap;

use serde_json::value::RawValue;
use wa_schemas::inner::{
    Attachment, Location as LocationOut, MessageContext, MetaError, Referral, SharedContact,
    SystemChange,
};
use wa_schemas::mo::{Channel, MoEventName};
use wa_schemas::postback::PostbackEventName;
use wa_schemas::{MoEvent, PostbackEvent, ReasonKind};

use super::{Ctx, Fragment, Scope};
use crate::ids::IdBuf;
use crate::input::{
    Button, Contact, Edit, Identity, Interactive, Location, Media, Message, Order, System, Text,
};
use crate::lenient::{LStr, Lenient, Obj};
use crate::minify::{minify, minify_into};
use crate::output::EventType;
use wa_schemas::time::{iso_from_epoch_seconds, parse_epoch_seconds};

/// Message types the seed's MO shape describes: no `details` unless Meta sent errors.
const SEED_TYPES: [&str; 9] = [
    "text", "image", "audio", "video", "document", "sticker", "location", "contacts", "system",
];

/// Why a message cannot become an event.
struct Reject {
    kind: ReasonKind,
    detail: String,
}

fn reject(kind: ReasonKind, detail: impl Into<String>) -> Reject {
    Reject {
        kind,
        detail: detail.into(),
    }
}

/// What the content of a message maps to on MO.
#[derive(Default)]
struct Content<'a> {
    message: Cow<'a, str>,
    attachments: Option<String>,
    location: Option<String>,
}

/// The button or reply a postback carries.
struct Tap<'a> {
    payload: Cow<'a, str>,
    text: Cow<'a, str>,
}

/// The sender as far as the message and `value.contacts` tell.
struct Sender<'a, 'v> {
    waid: &'v str,
    user_id: &'v str,
    parent_user_id: &'v str,
    profile_name: &'v str,
    username: &'v str,
    contact_hash: &'v str,
    _marker: std::marker::PhantomData<&'a ()>,
}

impl<'a, 'v> Sender<'a, 'v> {
    fn of(message: &'v Message<'a>, contacts: &'v [&'v Contact<'a>]) -> Self {
        let from = message.from.as_str();
        let from_user_id = message.from_user_id.as_str();
        // contacts[i] need not line up with messages[i]: match on the ids.
        let contact = contacts
            .iter()
            .find(|c| {
                (!from.is_empty() && c.wa_id.as_str() == from)
                    || (!from_user_id.is_empty() && c.user_id.as_str() == from_user_id)
            })
            .or(match contacts {
                [only] if from.is_empty() && from_user_id.is_empty() => Some(only),
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
            waid: pick(from, |c| c.wa_id.as_str()),
            user_id: pick(from_user_id, |c| c.user_id.as_str()),
            parent_user_id: pick(message.from_parent_user_id.as_str(), |c| {
                c.parent_user_id.as_str()
            }),
            profile_name: profile.map_or("", |p| p.name.as_str()),
            username: profile.map_or("", |p| p.username.as_str()),
            contact_hash: contact.map_or("", |c| c.identity_key_hash.as_str()),
            _marker: std::marker::PhantomData,
        }
    }

    /// The user part of the record key: the WhatsApp id, else the BSUID.
    fn key_user(&self) -> &'v str {
        if self.waid.is_empty() {
            self.user_id
        } else {
            self.waid
        }
    }
}

impl<'c, 'a> Ctx<'c, 'a> {
    /// Maps one message; a message that cannot be mapped becomes a dead letter.
    pub(super) fn message(&mut self, scope: &Scope<'a, '_>, k: usize, raw: &'a RawValue) {
        if let Err(r) = self.try_message(scope, raw) {
            self.dead_letter(
                r.kind,
                &r.detail,
                &scope.path("messages", k),
                Fragment::Raw(raw.get()),
                scope.phone_number_id,
            );
        }
    }

    fn try_message(&mut self, scope: &Scope<'a, '_>, raw: &'a RawValue) -> Result<(), Reject> {
        let message: Message<'a> = match serde_json::from_str(raw.get()) {
            Ok(Lenient::Ok(Obj(message))) => message,
            Ok(other) => {
                return Err(reject(
                    ReasonKind::InvalidField,
                    format!("the message is not an object (found {})", found(&other)),
                ))
            }
            Err(e) => {
                return Err(reject(
                    ReasonKind::InvalidField,
                    format!("the message does not have the documented shape: {e}"),
                ))
            }
        };
        let wamid = required(&message.id, "id")?;
        let kind = required(&message.kind, "type")?;
        let seconds =
            parse_epoch_seconds(required(&message.timestamp, "timestamp")?).ok_or_else(|| {
                reject(
                    ReasonKind::InvalidField,
                    format!(
                        "`timestamp` {:?} is not a number of seconds since 1970",
                        message.timestamp.as_str()
                    ),
                )
            })?;
        let mut ts_buf = [0u8; 24];
        let ts = iso_from_epoch_seconds(seconds, &mut ts_buf).ok_or_else(|| {
            reject(
                ReasonKind::InvalidField,
                format!("`timestamp` {seconds} is outside the years 1970 to 9999"),
            )
        })?;
        let sender = Sender::of(&message, scope.contacts);
        let tid = IdBuf::tid(wamid);
        let system_identity = match message.system {
            Some(system) if kind == "system" => serde_json::from_str::<System>(system.get())
                .ok()
                .and_then(|s| s.identity.into_ok()),
            _ => None,
        };
        let identity = message
            .identity
            .and_then(|raw| serde_json::from_str::<Lenient<Obj<Identity>>>(raw.get()).ok())
            .and_then(Lenient::into_ok);
        let identity_hash: &str = match (&system_identity, &identity) {
            (Some(hash), _) if !hash.is_empty() => hash,
            (_, Some(identity)) if !identity.0.hash.as_str().is_empty() => identity.0.hash.as_str(),
            _ => sender.contact_hash,
        };
        let context = checked::<MessageContext>(message.context, "context", b'{')?;
        let referral = checked::<Referral>(message.referral, "referral", b'{')?;
        let errors = checked::<Vec<MetaError>>(message.errors, "errors", b'[')?;
        let key = Some((scope.phone_number_id, sender.key_user()));
        let app_id = self.config.app_id(scope.phone_number_id);

        if let Some(tap) = self.tap(kind, &message)? {
            let details = details(kind, raw, &message, None);
            let event = PostbackEvent {
                user_id: Cow::Borrowed(sender.user_id),
                channel: Channel::WhatsApp,
                app_id: Cow::Borrowed(app_id),
                event: PostbackEventName::Postback,
                waid: Cow::Borrowed(sender.waid),
                ts: Cow::Borrowed(ts),
                tid: Cow::Borrowed(tid.as_str()),
                button_payload: tap.payload,
                button_text: tap.text,
                errors: opt(&errors),
                message_id: Cow::Borrowed(wamid),
                message_type: Cow::Borrowed(kind),
                phone_number_id: Cow::Borrowed(scope.phone_number_id),
                display_phone_number: Cow::Borrowed(scope.display_phone_number),
                waba_id: Cow::Borrowed(scope.waba_id),
                profile_name: Cow::Borrowed(sender.profile_name),
                username: Cow::Borrowed(sender.username),
                parent_user_id: Cow::Borrowed(sender.parent_user_id),
                identity_hash: Cow::Borrowed(identity_hash),
                context: opt(&context),
                referral: opt(&referral),
                details: Cow::Owned(details),
            };
            self.out
                .push(EventType::Postback, key, tid.as_str(), &event);
            return Ok(());
        }

        let content = self.content(kind, &message, true)?;
        let details = if SEED_TYPES.contains(&kind) && errors.is_none() {
            String::new()
        } else {
            details(kind, raw, &message, errors.as_deref())
        };
        let (contacts, system) = match kind {
            "contacts" => (
                Some(required_payload::<Vec<SharedContact>>(
                    message.contacts,
                    "contacts",
                    b'[',
                )?),
                None,
            ),
            "system" => (
                None,
                Some(required_payload::<SystemChange>(
                    message.system,
                    "system",
                    b'{',
                )?),
            ),
            _ => (None, None),
        };
        let event = MoEvent {
            user_id: Cow::Borrowed(sender.user_id),
            channel: Channel::WhatsApp,
            app_id: Cow::Borrowed(app_id),
            event: MoEventName::Mo,
            waid: Cow::Borrowed(sender.waid),
            message: content.message,
            attachments: content.attachments.map_or(Cow::Borrowed("[]"), Cow::Owned),
            system: opt(&system),
            location: opt(&content.location),
            contacts: opt(&contacts),
            ts: Cow::Borrowed(ts),
            tid: Cow::Borrowed(tid.as_str()),
            message_id: Cow::Borrowed(wamid),
            message_type: Cow::Borrowed(kind),
            phone_number_id: Cow::Borrowed(scope.phone_number_id),
            display_phone_number: Cow::Borrowed(scope.display_phone_number),
            waba_id: Cow::Borrowed(scope.waba_id),
            profile_name: Cow::Borrowed(sender.profile_name),
            username: Cow::Borrowed(sender.username),
            parent_user_id: Cow::Borrowed(sender.parent_user_id),
            identity_hash: Cow::Borrowed(identity_hash),
            context: opt(&context),
            referral: opt(&referral),
            details: Cow::Owned(details),
        };
        self.out.push(EventType::Mo, key, tid.as_str(), &event);
        Ok(())
    }

    /// The button or reply of a postback type, `None` for MO types.
    fn tap(&self, kind: &str, message: &Message<'a>) -> Result<Option<Tap<'a>>, Reject> {
        match kind {
            "button" => {
                let raw = message.button.ok_or_else(|| {
                    reject(
                        ReasonKind::MissingField,
                        "a message of type `button` without its `button` object",
                    )
                })?;
                let button: Button<'a> = parse_payload(raw, "button")?;
                Ok(Some(Tap {
                    payload: text_of(button.payload, "button.payload")?,
                    text: text_of(button.text, "button.text")?,
                }))
            }
            "interactive" => {
                let raw = message.interactive.ok_or_else(|| {
                    reject(
                        ReasonKind::MissingField,
                        "a message of type `interactive` without its `interactive` object",
                    )
                })?;
                let interactive: Interactive<'a> = parse_payload(raw, "interactive")?;
                let missing = |what: &str| {
                    reject(
                        ReasonKind::MissingField,
                        format!(
                            "an `interactive` message of type `{what}` without its `{what}` object"
                        ),
                    )
                };
                match interactive.kind.as_str() {
                    "button_reply" | "list_reply" => {
                        let what = interactive.kind.as_str();
                        let reply = if what == "button_reply" {
                            interactive.button_reply
                        } else {
                            interactive.list_reply
                        }
                        .ok_or_else(|| missing(what))?;
                        Ok(Some(Tap {
                            payload: text_of(reply.id, "reply id")?,
                            text: text_of(reply.title, "reply title")?,
                        }))
                    }
                    "nfm_reply" => {
                        let reply = interactive.nfm_reply.ok_or_else(|| missing("nfm_reply"))?;
                        Ok(Some(Tap {
                            payload: text_of(reply.response_json, "nfm_reply.response_json")?,
                            text: text_of(reply.body, "nfm_reply.body")?,
                        }))
                    }
                    // Other interactive kinds (call permission replies, future ones) are MO
                    // events with the object in `details`.
                    _ => Ok(None),
                }
            }
            _ => Ok(None),
        }
    }

    /// Text, media and location of a message (`top`: not the nested message of an edit,
    /// whose missing payload is not ours to reject).
    fn content(&self, kind: &str, message: &Message<'a>, top: bool) -> Result<Content<'a>, Reject> {
        fn payload<'m, T: serde::Deserialize<'m>>(
            raw: Option<&'m RawValue>,
            what: &str,
            top: bool,
        ) -> Result<Option<T>, Reject> {
            let field = match raw {
                None => Lenient::Missing,
                Some(raw) => serde_json::from_str::<Lenient<Obj<T>>>(raw.get()).map_err(|e| {
                    reject(
                        ReasonKind::UnsupportedField,
                        format!("`{what}` does not have the documented shape: {e}"),
                    )
                })?,
            };
            match field {
                Lenient::Ok(Obj(value)) => Ok(Some(value)),
                Lenient::Missing if !top => Ok(None),
                Lenient::Missing => Err(reject(
                    ReasonKind::MissingField,
                    format!("a message of type `{what}` without its `{what}` object"),
                )),
                Lenient::Bad(found) => Err(reject(
                    ReasonKind::UnsupportedField,
                    format!("`{what}` is not an object (found {found})"),
                )),
            }
        }
        let mut content = Content::default();
        match kind {
            "text" => {
                if let Some(text) = payload::<Text>(message.text, "text", top)? {
                    content.message = text_of(text.body, "text.body")?;
                }
            }
            "image" | "audio" | "video" | "document" | "sticker" => {
                let media = match kind {
                    "image" => message.image,
                    "audio" => message.audio,
                    "video" => message.video,
                    "document" => message.document,
                    _ => message.sticker,
                };
                if let Some(media) = payload::<Media>(media, kind, top)? {
                    content.attachments = Some(self.attachments(kind, &media)?);
                }
            }
            "location" => {
                if let Some(location) = payload::<Location>(message.location, "location", top)? {
                    let out = LocationOut {
                        address: text_of(location.address.clone(), "location.address")?,
                        latitude: coordinate(&location.latitude, "latitude")?,
                        longitude: coordinate(&location.longitude, "longitude")?,
                        name: text_of(location.name.clone(), "location.name")?,
                        url: text_of(location.url.clone(), "location.url")?,
                    };
                    content.location = Some(serde_json::to_string(&out).expect("serializes"));
                }
            }
            "order" => {
                if let Some(order) = message.order {
                    if let Ok(order) = serde_json::from_str::<Order<'a>>(order.get()) {
                        content.message = Cow::Owned(order.text.as_str().to_owned());
                    }
                }
            }
            "edit" if top => {
                if let Some(edit) = message.edit {
                    let edit: Edit<'a> = parse_payload(edit, "edit")?;
                    if let Lenient::Ok(Obj(inner)) = &edit.message {
                        let inner_kind = inner.kind.as_str().to_owned();
                        let inner_content = self.content(&inner_kind, inner, false)?;
                        content = Content {
                            message: Cow::Owned(inner_content.message.into_owned()),
                            ..inner_content
                        };
                    }
                }
            }
            _ => {}
        }
        Ok(content)
    }

    fn attachments(&self, kind: &str, media: &Media<'a>) -> Result<String, Reject> {
        let id = text_of(media.id.clone(), "media id")?;
        let url = match media.url.as_str() {
            "" if id.is_empty() => Cow::Borrowed(""),
            "" => Cow::Owned(self.config.media_url_template.replace("{media_id}", &id)),
            url => Cow::Borrowed(url),
        };
        fn some<'m>(s: &'m LStr<'_>) -> Option<Cow<'m, str>> {
            match s.as_str() {
                "" => None,
                text => Some(Cow::Borrowed(text)),
            }
        }
        let attachment = Attachment {
            mime_type: text_of(media.mime_type.clone(), "mime_type")?,
            url,
            id: id.clone(),
            sha256: Cow::Borrowed(media.sha256.as_str()),
            kind: Cow::Borrowed(kind),
            caption: some(&media.caption),
            filename: some(&media.filename),
            voice: media.voice.ok().copied(),
            animated: media.animated.ok().copied(),
        };
        Ok(serde_json::to_string(&[attachment]).expect("serializes"))
    }
}

fn required<'v>(field: &'v LStr<'_>, name: &str) -> Result<&'v str, Reject> {
    match field {
        Lenient::Ok(text) if !text.is_empty() => Ok(text),
        Lenient::Bad(found) => Err(reject(
            ReasonKind::InvalidField,
            format!("`{name}` is not a string (found {found})"),
        )),
        _ => Err(reject(
            ReasonKind::MissingField,
            format!("the message has no `{name}`"),
        )),
    }
}

/// A text field of a payload: absent is `""`, another shape is unsupported.
fn text_of<'a>(field: LStr<'a>, name: &str) -> Result<Cow<'a, str>, Reject> {
    match field {
        Lenient::Ok(text) => Ok(text),
        Lenient::Missing => Ok(Cow::Borrowed("")),
        Lenient::Bad(found) => Err(reject(
            ReasonKind::UnsupportedField,
            format!("`{name}` is not a string (found {found})"),
        )),
    }
}

/// A coordinate as the seed's string: numbers keep their shortest decimal form.
fn coordinate<'a>(field: &LStr<'a>, name: &str) -> Result<Cow<'a, str>, Reject> {
    match field {
        Lenient::Ok(text) if text.trim().parse::<f64>().is_ok_and(f64::is_finite) => {
            Ok(text.clone())
        }
        Lenient::Missing => Err(reject(
            ReasonKind::MissingField,
            format!("a `location` without `{name}`"),
        )),
        _ => Err(reject(
            ReasonKind::UnsupportedField,
            format!("`location.{name}` is not a number"),
        )),
    }
}

fn parse_payload<'a, T: serde::Deserialize<'a>>(
    raw: &'a RawValue,
    name: &str,
) -> Result<T, Reject> {
    match serde_json::from_str(raw.get()) {
        Ok(Lenient::Ok(Obj(value))) => Ok(value),
        Ok(other) => Err(reject(
            ReasonKind::UnsupportedField,
            format!("`{name}` is not an object (found {})", found(&other)),
        )),
        Err(e) => Err(reject(
            ReasonKind::UnsupportedField,
            format!("`{name}` does not have the documented shape: {e}"),
        )),
    }
}

/// The JSON type named by a rejected or absent lenient value.
fn found<T>(value: &Lenient<T>) -> &'static str {
    match value {
        Lenient::Bad(found) => found,
        _ => "null",
    }
}

/// A Meta object passed on verbatim, checked against the type its `contentSchema`
/// documents, so consumers' generated types can always read it. `None` when absent.
fn checked<'de, T: serde::Deserialize<'de>>(
    raw: Option<&'de RawValue>,
    name: &str,
    open: u8,
) -> Result<Option<String>, Reject> {
    let Some(raw) = raw else { return Ok(None) };
    if raw.get() == "null" {
        return Ok(None);
    }
    let what = if open == b'{' {
        "an object"
    } else {
        "an array"
    };
    if raw.get().as_bytes().first() != Some(&open) {
        return Err(reject(
            ReasonKind::UnsupportedField,
            format!("`{name}` is not {what}"),
        ));
    }
    serde_json::from_str::<T>(raw.get()).map_err(|e| {
        reject(
            ReasonKind::UnsupportedField,
            format!("`{name}` does not have the documented shape: {e}"),
        )
    })?;
    Ok(Some(minify(raw.get())))
}

/// Like [`checked`], for the payload a message type requires.
fn required_payload<'de, T: serde::Deserialize<'de>>(
    raw: Option<&'de RawValue>,
    name: &str,
    open: u8,
) -> Result<String, Reject> {
    checked::<T>(raw, name, open)?.ok_or_else(|| {
        reject(
            ReasonKind::MissingField,
            format!("a message of type `{name}` without its `{name}`"),
        )
    })
}

fn opt(text: &Option<String>) -> Cow<'_, str> {
    Cow::Borrowed(text.as_deref().unwrap_or(""))
}

/// `{"type": kind, "<kind>": <Meta's object>, "errors": [...]}` for `details`.
fn details(kind: &str, raw: &RawValue, message: &Message<'_>, errors: Option<&str>) -> String {
    let payload = match kind {
        "button" => message.button,
        "interactive" => message.interactive,
        "order" => message.order,
        "edit" => message.edit,
        "reaction" => message.reaction,
        "revoke" => message.revoke,
        "unsupported" => message.unsupported,
        // Types without a typed field: find the object named like the type.
        _ => serde_json::from_str::<HashMap<Cow<str>, &RawValue>>(raw.get())
            .ok()
            .and_then(|fields| fields.get(kind).copied()),
    };
    let mut out = String::with_capacity(64 + raw.get().len());
    out.push_str("{\"type\":");
    out.push_str(&serde_json::to_string(kind).expect("serializes"));
    if let (Some(payload), false) = (payload, SEED_TYPES.contains(&kind)) {
        out.push(',');
        out.push_str(&serde_json::to_string(kind).expect("serializes"));
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
