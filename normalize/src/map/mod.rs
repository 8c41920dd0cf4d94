//! The mapping from a raw webhook body to output records.
//!
//! The count rule: for every raw body, each message, each status, each value-level error and
//! each non-`messages` change yields exactly one record (an event, an account event or a
//! dead letter), in the order of the body (entry, change, then messages, statuses, errors).
//! A body that cannot be read at all yields exactly one dead letter; so does an entry, a
//! change or an array that is not of the documented shape (nothing inside it can be counted).

mod account;
mod message;
mod status;

use std::borrow::Cow;

use base64::Engine as _;
use serde_json::value::RawValue;
use wa_schemas::{DeadLetter, DeadLetterReason, FragmentEncoding, ReasonKind};

use crate::batch::Batch;
use crate::config::{Config, RawMeta};
use crate::ids::IdBuf;
use crate::input::{Contact, Envelope, MessagesValue, Metadata, RawEnvelope};
use crate::lenient::{Lenient, Obj};
use crate::minify::minify;
use wa_schemas::EventType;

/// The Meta `object` of WhatsApp Business Account webhooks.
const WHATSAPP_OBJECT: &str = "whatsapp_business_account";

/// Maps `body` into `out` (cleared first). Never panics, whatever the bytes.
pub fn map_body(config: &Config, meta: &RawMeta<'_>, body: &[u8], out: &mut Batch) {
    out.clear();
    let mut ctx = Ctx {
        config,
        meta,
        body,
        tree: None,
        raw: None,
        out,
    };
    ctx.body();
}

/// Where the offending part of a dead letter comes from.
enum Fragment<'a> {
    /// This JSON text.
    Raw(&'a str),
    /// The part of the body at the dead letter's path (parsed only when needed).
    AtPath,
    /// The whole body, in base64.
    Base64Body,
}

/// The business number and WABA a message or status belongs to.
pub(crate) struct Scope<'a, 'v> {
    pub waba_id: &'v str,
    pub phone_number_id: &'v str,
    pub display_phone_number: &'v str,
    pub contacts: &'v [&'v Contact<'a>],
    /// JSON pointer of the change's `value`.
    pub entry: usize,
    pub change: usize,
}

impl Scope<'_, '_> {
    fn path(&self, array: &str, index: usize) -> String {
        format!(
            "/entry/{}/changes/{}/value/{array}/{index}",
            self.entry, self.change
        )
    }
}

pub(crate) struct Ctx<'c, 'a> {
    pub config: &'c Config,
    meta: &'c RawMeta<'c>,
    body: &'a [u8],
    /// The body as a value tree, built only to cut fragments out of a broken envelope.
    tree: Option<Option<serde_json::Value>>,
    /// The body with raw change values, read only for non-`messages` changes.
    raw: Option<Option<RawEnvelope<'a>>>,
    pub out: &'c mut Batch,
}

impl<'c, 'a> Ctx<'c, 'a> {
    fn body(&mut self) {
        let text = match std::str::from_utf8(self.body) {
            Ok(text) => text,
            Err(e) => {
                return self.dead_letter(
                    ReasonKind::InvalidJson,
                    &format!("the body is not UTF-8 text: {e}"),
                    "",
                    Fragment::Base64Body,
                    "",
                )
            }
        };
        // Validating UTF-8 once up front lets the parser borrow every string without
        // checking it again.
        let envelope: Lenient<Obj<Envelope<'a>>> = match serde_json::from_str(text) {
            Ok(envelope) => envelope,
            Err(e) if e.is_data() => {
                // Only duplicate keys get here: every field is lenient.
                return self.dead_letter(
                    ReasonKind::InvalidField,
                    &e.to_string(),
                    "",
                    Fragment::AtPath,
                    "",
                );
            }
            Err(e) => {
                let detail = if self.body.is_empty() {
                    "the body is empty".to_owned()
                } else {
                    format!("the body is not JSON: {e}")
                };
                return self.dead_letter(
                    ReasonKind::InvalidJson,
                    &detail,
                    "",
                    Fragment::Base64Body,
                    "",
                );
            }
        };
        let envelope = match envelope {
            Lenient::Ok(Obj(envelope)) => envelope,
            Lenient::Missing => {
                return self.dead_letter(
                    ReasonKind::InvalidJson,
                    "the body is JSON null, not an object",
                    "",
                    Fragment::AtPath,
                    "",
                )
            }
            Lenient::Bad(found) => {
                return self.dead_letter(
                    ReasonKind::InvalidJson,
                    &format!("the body is a JSON {found}, not an object"),
                    "",
                    Fragment::AtPath,
                    "",
                )
            }
        };
        match &envelope.object {
            Lenient::Ok(object) if object == WHATSAPP_OBJECT => {}
            other => {
                let detail = match other {
                    Lenient::Ok(object) => format!(
                        "`object` is {object:?}, not \"{WHATSAPP_OBJECT}\": not a WhatsApp Business Account webhook"
                    ),
                    _ => format!("`object` is missing or not a string: expected \"{WHATSAPP_OBJECT}\""),
                };
                return self.dead_letter(
                    ReasonKind::NotWhatsapp,
                    &detail,
                    "",
                    Fragment::AtPath,
                    "",
                );
            }
        }
        let entries = match envelope.entry {
            Lenient::Ok(entries) => entries.0,
            Lenient::Missing => {
                return self.dead_letter(
                    ReasonKind::MissingField,
                    "the body has no `entry` array",
                    "",
                    Fragment::AtPath,
                    "",
                )
            }
            Lenient::Bad(found) => {
                return self.dead_letter(
                    ReasonKind::InvalidField,
                    &format!("`entry` is not an array (found {found})"),
                    "/entry",
                    Fragment::AtPath,
                    "",
                )
            }
        };
        for (i, entry) in entries.into_iter().enumerate() {
            let entry = match entry {
                Lenient::Ok(Obj(entry)) => entry,
                other => {
                    self.not_an_object(&other, &format!("/entry/{i}"), "entry");
                    continue;
                }
            };
            let changes = match entry.changes {
                Lenient::Ok(changes) => changes.0,
                Lenient::Missing => {
                    self.dead_letter(
                        ReasonKind::MissingField,
                        "the entry has no `changes` array",
                        &format!("/entry/{i}"),
                        Fragment::AtPath,
                        "",
                    );
                    continue;
                }
                Lenient::Bad(found) => {
                    self.dead_letter(
                        ReasonKind::InvalidField,
                        &format!("`changes` is not an array (found {found})"),
                        &format!("/entry/{i}/changes"),
                        Fragment::AtPath,
                        "",
                    );
                    continue;
                }
            };
            let waba_id = entry.id.as_str();
            for (j, change) in changes.into_iter().enumerate() {
                let change = match change {
                    Lenient::Ok(Obj(change)) => change,
                    other => {
                        self.not_an_object(&other, &format!("/entry/{i}/changes/{j}"), "change");
                        continue;
                    }
                };
                let (field, value) = match (&change.field, change.value) {
                    (Lenient::Ok(field), Lenient::Ok(Obj(value))) => (field, value),
                    (Lenient::Ok(field), Lenient::Bad(found)) => {
                        self.dead_letter(
                            ReasonKind::InvalidField,
                            &format!("the `value` of the `{field}` change is not an object (found {found})"),
                            &format!("/entry/{i}/changes/{j}/value"),
                            Fragment::AtPath,
                            "",
                        );
                        continue;
                    }
                    (Lenient::Ok(_), Lenient::Missing) => {
                        self.dead_letter(
                            ReasonKind::MissingField,
                            "the change has no `value`",
                            &format!("/entry/{i}/changes/{j}"),
                            Fragment::AtPath,
                            "",
                        );
                        continue;
                    }
                    _ => {
                        self.dead_letter(
                            ReasonKind::MissingField,
                            "the change has no `field` string",
                            &format!("/entry/{i}/changes/{j}"),
                            Fragment::AtPath,
                            "",
                        );
                        continue;
                    }
                };
                if field == "messages" {
                    self.messages_value(waba_id, i, j, &value);
                } else {
                    let phone_number_id = value
                        .metadata
                        .ok()
                        .map_or("", |m| m.0.phone_number_id.as_str());
                    self.account_event(field, waba_id, &entry.time, phone_number_id, i, j);
                }
            }
        }
    }

    /// Maps the `value` of a `messages` change: messages, then statuses, then errors.
    fn messages_value(
        &mut self,
        waba_id: &str,
        entry: usize,
        change: usize,
        value: &MessagesValue<'a>,
    ) {
        let value_path = || format!("/entry/{entry}/changes/{change}/value");
        let metadata = value.metadata.ok().map(|m| &m.0);
        let empty = Metadata::default();
        let metadata = metadata.unwrap_or(&empty);
        let contacts: Vec<&Contact<'a>> = match &value.contacts {
            Lenient::Ok(contacts) => contacts
                .0
                .iter()
                .filter_map(|c| c.ok().map(|c| &c.0))
                .collect(),
            _ => Vec::new(),
        };
        let scope = Scope {
            waba_id,
            phone_number_id: metadata.phone_number_id.as_str(),
            display_phone_number: metadata.display_phone_number.as_str(),
            contacts: &contacts,
            entry,
            change,
        };
        for (name, items) in [
            ("messages", &value.messages),
            ("statuses", &value.statuses),
            ("errors", &value.errors),
        ] {
            let items = match items {
                Lenient::Ok(items) => &items.0,
                Lenient::Missing => continue,
                Lenient::Bad(found) => {
                    self.dead_letter(
                        ReasonKind::InvalidField,
                        &format!("`{name}` is not an array (found {found})"),
                        &format!("{}/{name}", value_path()),
                        Fragment::AtPath,
                        scope.phone_number_id,
                    );
                    continue;
                }
            };
            for (k, item) in items.iter().enumerate() {
                match name {
                    "messages" => self.message(&scope, k, item),
                    "statuses" => self.status(&scope, k, item),
                    _ => self.value_error(&scope, k, item),
                }
            }
        }
    }

    /// A value-level error from Meta: one dead letter each.
    fn value_error(&mut self, scope: &Scope<'a, '_>, k: usize, raw: &RawValue) {
        let detail = describe_meta_error(raw.get());
        self.dead_letter(
            ReasonKind::MetaError,
            &detail,
            &scope.path("errors", k),
            Fragment::Raw(raw.get()),
            scope.phone_number_id,
        );
    }

    fn not_an_object<T>(&mut self, found: &Lenient<T>, path: &str, what: &str) {
        let detail = match found {
            Lenient::Bad(kind) => format!("the {what} is not an object (found {kind})"),
            _ => format!("the {what} is null, not an object"),
        };
        self.dead_letter(
            ReasonKind::InvalidField,
            &detail,
            path,
            Fragment::AtPath,
            "",
        );
    }

    /// Emits a dead letter for the part of the body at `path`.
    fn dead_letter(
        &mut self,
        kind: ReasonKind,
        detail: &str,
        path: &str,
        fragment: Fragment<'_>,
        phone_number_id: &str,
    ) {
        let (fragment, encoding) = match fragment {
            Fragment::Raw(text) => (minify(text), FragmentEncoding::Json),
            Fragment::AtPath => (self.fragment_at(path), FragmentEncoding::Json),
            Fragment::Base64Body => (
                base64::engine::general_purpose::STANDARD.encode(self.body),
                FragmentEncoding::Base64,
            ),
        };
        let event_id = IdBuf::v5(&["dead-letter", path, &fragment]);
        let letter = DeadLetter {
            reason: DeadLetterReason {
                kind,
                detail: Cow::Borrowed(detail),
            },
            path: Cow::Borrowed(path),
            fragment: Cow::Borrowed(&fragment),
            fragment_encoding: encoding,
            raw_topic: Cow::Borrowed(self.meta.topic),
            raw_partition: self.meta.partition,
            raw_offset: self.meta.offset,
            received_at: self.meta.received_at.map(Cow::Borrowed),
            phone_number_id: Cow::Borrowed(phone_number_id),
            event_id: Cow::Borrowed(event_id.as_str()),
        };
        let key = (!phone_number_id.is_empty()).then_some(phone_number_id);
        self.out
            .push_keyed(EventType::DeadLetter, key, event_id.as_str(), &letter);
    }

    /// The raw text of `/entry/{entry}/changes/{change}/value`.
    fn raw_value(&mut self, entry: usize, change: usize) -> Option<&'a RawValue> {
        let body = self.body;
        let raw = self.raw.get_or_insert_with(|| {
            std::str::from_utf8(body)
                .ok()
                .and_then(|text| serde_json::from_str::<RawEnvelope<'a>>(text).ok())
        });
        let entries = raw.as_ref()?.entry.ok()?;
        let changes = entries.0.get(entry)?.ok()?.0.changes.ok()?;
        changes.0.get(change)?.ok()?.0.value
    }

    /// The JSON text at `path` in the body (compact), or the whole body's text.
    fn fragment_at(&mut self, path: &str) -> String {
        let body = self.body;
        let tree = self
            .tree
            .get_or_insert_with(|| serde_json::from_slice::<serde_json::Value>(body).ok());
        match tree.as_ref().and_then(|tree| tree.pointer(path)) {
            Some(part) => serde_json::to_string(part).unwrap_or_default(),
            // Duplicate keys can defeat the tree; fall back to the raw text.
            None => minify(&String::from_utf8_lossy(body)),
        }
    }
}

/// A person-readable summary of one of Meta's `errors[]` items.
fn describe_meta_error(raw: &str) -> String {
    use crate::input::MetaError;
    match serde_json::from_str::<Lenient<Obj<MetaError>>>(raw) {
        Ok(Lenient::Ok(Obj(e))) => {
            let mut text = String::from("Meta error");
            if let Lenient::Ok(code) = e.code {
                text.push_str(&format!(" {code}"));
            }
            let title = match e.title.as_str() {
                "" => e.message.as_str(),
                t => t,
            };
            if !title.is_empty() {
                text.push_str(": ");
                text.push_str(title);
            }
            let details = match e.error_data.ok() {
                Some(data) => data.0.details.as_str(),
                None => e.details.as_str(),
            };
            if !details.is_empty() && details != title {
                text.push_str(" (");
                text.push_str(details);
                text.push(')');
            }
            text
        }
        _ => "Meta reported an error of unknown shape".to_owned(),
    }
}
