//! `messages[]` → MO or postback events.
//!
//! [`Ctx::message`] reads what every kind shares (sender, time, ids, context, referral,
//! errors) once; [`Ctx::kind_body`] dispatches on the [`MessageKind`] to the one module
//! that maps that kind's object (`text`, `media`, `location`, `contacts`, `system`,
//! `taps`, `order`, `edit`); every other kind (reaction, revoke, unsupported, types Meta
//! adds later) falls back to an MO event with its object in `details`.

mod contacts;
mod edit;
mod fields;
mod kind;
mod location;
mod media;
mod members;
mod meta;
mod order;
mod sender;
mod system;
mod taps;
mod text;

use std::borrow::Cow;

use serde_json::value::RawValue;
use wa_schemas::inner::{MessageContext, MetaError, Referral};
use wa_schemas::mo::{Channel, MoEventName};
use wa_schemas::postback::PostbackEventName;
use wa_schemas::time::{iso_from_epoch_seconds, parse_epoch_seconds};
use wa_schemas::{MoEvent, PostbackEvent, ReasonKind};

use super::coexistence::CopyOf;
use super::{Ctx, Fragment, Scope};
use crate::ids::IdBuf;
use crate::lenient::{LStr, Lenient, Obj};
use fields::{checked, reject, required, Reject};
pub(crate) use kind::MessageKind;
use members::{details, extra_members};
pub(crate) use meta::Message;
pub(crate) use sender::Copied;
use sender::{Ids, Recipient, Sender};
use taps::Tap;
use wa_schemas::coexistence::Direction;
use wa_schemas::CoexistenceEvent;
use wa_schemas::EventType;

/// What a kind contributes to its event.
enum Body<'a> {
    Mo(Content<'a>),
    Postback(Tap<'a>),
}

/// What the content of a message maps to on MO.
#[derive(Default)]
struct Content<'a> {
    message: Cow<'a, str>,
    attachments: Option<String>,
    location: Option<String>,
    contacts: Option<String>,
    system: Option<String>,
    /// The identity hash a system message announces.
    identity: Option<Cow<'a, str>>,
    /// `{...}` of the members of the kind's object that its fields do not carry
    /// (`text.tone`, say): `extra` has them under the kind's name.
    unread: Option<String>,
}

/// Message-level `identity` (legacy identity-change check).
#[derive(serde::Deserialize)]
struct Identity<'a> {
    #[serde(borrow, default)]
    hash: LStr<'a>,
}

/// What every event of a message carries, read once for MO and postback alike.
struct Common<'v> {
    sender: Sender<'v>,
    app_id: &'v str,
    ts: &'v str,
    tid: &'v str,
    wamid: &'v str,
    kind: &'v str,
    scope: &'v Scope<'v, 'v>,
    identity_hash: &'v str,
    context: Option<String>,
    referral: Option<String>,
    errors: Option<String>,
    details: String,
    /// The group the message was posted in; `""` for a 1:1 chat.
    group_id: &'v str,
    from_logical_id: &'v str,
    /// Members no other field carries ([`super::extra`]).
    extra: Option<String>,
}

/// An event of a message: the members every message event shares, then the type's own.
macro_rules! message_event {
    ($event:ident { $($own:tt)* } from $c:expr) => {{
        let c = $c;
        $event {
            user_id: Cow::Borrowed(c.sender.user_id),
            channel: Channel::WhatsApp,
            app_id: Cow::Borrowed(c.app_id),
            waid: Cow::Borrowed(c.sender.waid),
            ts: Cow::Borrowed(c.ts),
            tid: Cow::Borrowed(c.tid),
            message_id: Cow::Borrowed(c.wamid),
            message_type: Cow::Borrowed(c.kind),
            phone_number_id: Cow::Borrowed(c.scope.phone_number_id),
            display_phone_number: Cow::Borrowed(c.scope.display_phone_number),
            waba_id: Cow::Borrowed(c.scope.waba_id),
            profile_name: Cow::Borrowed(c.sender.profile_name),
            username: Cow::Borrowed(c.sender.username),
            parent_user_id: Cow::Borrowed(c.sender.parent_user_id),
            identity_hash: Cow::Borrowed(c.identity_hash),
            context: opt(&c.context),
            referral: opt(&c.referral),
            details: Cow::Borrowed(&c.details),
            group_id: Cow::Borrowed(c.group_id),
            from_logical_id: Cow::Borrowed(c.from_logical_id),
            extra: opt(&c.extra),
            $($own)*
        }
    }};
}

impl<'c, 'a> Ctx<'c, 'a> {
    /// Maps one live message; a message that cannot be mapped becomes a dead letter.
    pub(super) fn message(&mut self, scope: &Scope<'a, '_>, k: usize, raw: &'a RawValue) {
        self.message_at(scope, &|| scope.path("messages", k), raw, None);
    }

    /// Maps one message found at `path`, live or (with `copy`) copied from a chat.
    pub(crate) fn message_at(
        &mut self,
        scope: &Scope<'a, '_>,
        path: &dyn Fn() -> String,
        raw: &'a RawValue,
        copy: Option<&CopyOf>,
    ) {
        if self.too_deep(raw.get(), path, scope.phone_number_id) {
            return;
        }
        if let Err(r) = self.try_message(scope, raw, copy) {
            self.dead_letter(
                r.kind,
                &r.detail,
                &path(),
                Fragment::Raw(raw.get()),
                scope.phone_number_id,
            );
        }
    }

    fn try_message(
        &mut self,
        scope: &Scope<'a, '_>,
        raw: &'a RawValue,
        copy: Option<&CopyOf>,
    ) -> Result<(), Reject> {
        let message = parse(raw)?;
        let wamid = required(&message.id, "id")?;
        let kind_name = required(&message.kind, "type")?;
        let mut ts_buf = [0u8; 24];
        let ts = timestamp(&message.timestamp, &mut ts_buf)?;
        let recipient = Recipient::of(&message);
        let copied = copy.map(|copy| Copied::of(copy, &message, &recipient, scope));
        let sender = match &copied {
            Some(copied) if copied.direction == Direction::Outbound => {
                Sender::of(Ids::to(&recipient), scope.contacts)
            }
            _ => Sender::of(Ids::from(&message), scope.contacts),
        };
        let tid = match &copied {
            Some(copied) => IdBuf::tid_of(&[copied.origin.as_str(), wamid, kind_name]),
            None => IdBuf::tid(wamid),
        };
        let context = checked::<MessageContext>(message.context, "context", b'{')?;
        let referral = checked::<Referral>(message.referral, "referral", b'{')?;
        let errors = checked::<Vec<MetaError>>(message.errors, "errors", b'[')?;
        let kind = MessageKind::parse(kind_name);
        let (mut body, flagged) = match self.kind_body(kind, &message, true) {
            Ok(body) => (body, false),
            // Meta flagged the message itself (e.g. 131000, the object left out): the user
            // did send something, so it is an MO event carrying Meta's errors and whatever
            // object came, as for `unsupported`; not a dead letter.
            Err(_) if errors.is_some() => (Body::Mo(Content::default()), true),
            Err(r) => return Err(r),
        };
        let details = match &body {
            Body::Mo(_) if kind.is_seed() && errors.is_none() => String::new(),
            _ => details(kind, raw, &message, errors.as_deref(), flagged),
        };
        let (announced, unread) = match &mut body {
            Body::Mo(content) => (content.identity.take(), content.unread.take()),
            Body::Postback(_) => (None, None),
        };
        let legacy = legacy_identity(&message);
        let legacy_hash = legacy.as_ref().map(|i| i.0.hash.as_str());
        let identity_hash = identity_hash(announced.as_deref(), legacy_hash, sender.contact_hash);
        let group_id = message.group_id.as_str();
        // A group's messages keep their order under the group; a 1:1 chat's under the user.
        let conversation = if group_id.is_empty() {
            sender.key_user()
        } else {
            group_id
        };
        let key = Some((scope.phone_number_id, conversation));
        let common = Common {
            app_id: self.config.app_id(scope.phone_number_id),
            ts,
            tid: tid.as_str(),
            wamid,
            kind: kind_name,
            scope,
            identity_hash,
            context,
            referral,
            errors,
            details,
            group_id,
            from_logical_id: message.from_logical_id.as_str(),
            extra: extra_members(&message, kind, unread, copied.as_ref(), scope),
            sender,
        };
        match &copied {
            Some(copied) => self.push_copy(body, &common, copied, key),
            None => self.push_event(body, &common, key),
        }
        Ok(())
    }

    /// The event of a message: a postback for a tap, else MO; keyed by the conversation.
    fn push_event(&mut self, body: Body<'_>, common: &Common<'_>, key: Option<(&str, &str)>) {
        match body {
            Body::Postback(tap) => {
                let event = message_event!(PostbackEvent {
                    event: PostbackEventName::Postback,
                    button_payload: tap.payload,
                    button_text: tap.text,
                    errors: opt(&common.errors),
                } from common);
                self.out.push(EventType::Postback, key, common.tid, &event);
            }
            Body::Mo(content) => {
                let event = mo_event(content, common);
                self.out.push(EventType::Mo, key, common.tid, &event);
            }
        }
    }

    /// The coexistence event of a copied message: MO-shaped, whatever the kind (a tap's
    /// object is in `details`).
    fn push_copy(
        &mut self,
        body: Body<'_>,
        common: &Common<'_>,
        copied: &Copied<'_>,
        key: Option<(&str, &str)>,
    ) {
        let content = match body {
            Body::Mo(content) => content,
            Body::Postback(_) => Content::default(),
        };
        let event = CoexistenceEvent {
            origin: copied.origin,
            direction: copied.direction,
            history_status: Cow::Borrowed(copied.history_status.as_str()),
            message: mo_event(content, common),
        };
        self.out
            .push(EventType::Coexistence, key, common.tid, &event);
    }

    /// The one dispatch on the kind: what the kind's object contributes to the event.
    /// `top` is false for the nested message of an edit, which only lends its content.
    fn kind_body(
        &self,
        kind: MessageKind<'_>,
        message: &Message<'a>,
        top: bool,
    ) -> Result<Body<'a>, Reject> {
        use MessageKind as K;
        let content = match kind {
            K::Text => text::content(message, top)?,
            K::Image | K::Audio | K::Video | K::Document | K::Sticker => {
                media::content(self.config, kind, message, top)?
            }
            K::Location => location::content(message, top)?,
            K::Order => order::content(message),
            K::Contacts if top => contacts::content(message)?,
            K::System if top => system::content(message)?,
            K::Button | K::Interactive if top => match taps::tap(kind, message)? {
                Some(tap) => return Ok(Body::Postback(tap)),
                None => Content::default(),
            },
            K::Edit if top => edit::content(self, message)?,
            // The fallback: reaction, revoke, unsupported, types Meta adds later, and what
            // an edit's nested message does not lend. Their object is in `details`.
            _ => Content::default(),
        };
        Ok(Body::Mo(content))
    }
}

/// One message object, or why it is not one.
fn parse(raw: &RawValue) -> Result<Message<'_>, Reject> {
    match serde_json::from_str(raw.get()) {
        Ok(Lenient::Ok(Obj(message))) => Ok(message),
        Ok(other) => Err(reject(
            ReasonKind::InvalidField,
            format!(
                "the message is not an object (found {})",
                fields::found(&other)
            ),
        )),
        Err(e) => Err(reject(
            ReasonKind::InvalidField,
            format!("the message does not have the documented shape: {e}"),
        )),
    }
}

/// `timestamp` as ISO-8601 UTC with milliseconds, written into `buf`.
fn timestamp<'b>(field: &LStr<'_>, buf: &'b mut [u8; 24]) -> Result<&'b str, Reject> {
    let seconds = parse_epoch_seconds(required(field, "timestamp")?).ok_or_else(|| {
        reject(
            ReasonKind::InvalidField,
            format!(
                "`timestamp` {:?} is not a number of seconds since 1970",
                field.as_str()
            ),
        )
    })?;
    iso_from_epoch_seconds(seconds, buf).ok_or_else(|| {
        reject(
            ReasonKind::InvalidField,
            format!("`timestamp` {seconds} is outside the years 1970 to 9999"),
        )
    })
}

/// The MO event of a message's content.
fn mo_event<'v>(content: Content<'v>, common: &'v Common<'v>) -> MoEvent<'v> {
    message_event!(MoEvent {
        event: MoEventName::Mo,
        message: content.message,
        attachments: content.attachments.map_or(Cow::Borrowed("[]"), Cow::Owned),
        system: content.system.map_or(Cow::Borrowed(""), Cow::Owned),
        location: content.location.map_or(Cow::Borrowed(""), Cow::Owned),
        contacts: content.contacts.map_or(Cow::Borrowed(""), Cow::Owned),
    } from common)
}

/// The hash a system message announces, else the message's own (legacy `identity`), else
/// the contact's.
fn identity_hash<'x>(
    announced: Option<&'x str>,
    legacy: Option<&'x str>,
    contact: &'x str,
) -> &'x str {
    [announced, legacy]
        .into_iter()
        .flatten()
        .find(|h| !h.is_empty())
        .unwrap_or(contact)
}

/// Message-level `identity` (legacy identity-change check), when it is an object.
fn legacy_identity<'a>(message: &Message<'a>) -> Option<Obj<Identity<'a>>> {
    message
        .identity
        .and_then(|raw| serde_json::from_str::<Lenient<Obj<Identity>>>(raw.get()).ok())
        .and_then(Lenient::into_ok)
}

fn opt(text: &Option<String>) -> Cow<'_, str> {
    Cow::Borrowed(text.as_deref().unwrap_or(""))
}
