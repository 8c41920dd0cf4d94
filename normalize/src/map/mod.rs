//! The mapping from a raw webhook body to output records.
//!
//! The count rule: for every raw body, each message, each status, each value-level error and
//! each non-`messages` change yields exactly one record (an event, an account event or a
//! dead letter), in the order of the body (entry, change, then messages, statuses, errors).
//! A body that cannot be read at all yields exactly one dead letter; so does an entry, a
//! change or an array that is not of the documented shape (nothing inside it can be counted).
//! `history` and `smb_message_echoes` changes also yield one record per message they copy
//! ([`coexistence`]).

mod account;
mod coexistence;
mod dead_letter;
mod envelope;
mod extra;
mod message;
mod status;

use serde_json::value::RawValue;
use wa_schemas::ReasonKind;

use crate::batch::Batch;
use crate::config::{Config, RawMeta};
use crate::input::{Contact, MessagesValue, Metadata, RawEnvelope};
use crate::lenient::{Arr, Lenient, Obj};
use dead_letter::describe_meta_error;

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

/// The `value.contacts` items that are objects (the others are not read).
pub(crate) fn readable_contacts<'v, 'a>(
    contacts: &'v Lenient<Arr<Lenient<Obj<Contact<'a>>>>>,
) -> Vec<&'v Contact<'a>> {
    match contacts {
        Lenient::Ok(contacts) => contacts
            .0
            .iter()
            .filter_map(|c| c.ok().map(|c| &c.0))
            .collect(),
        _ => Vec::new(),
    }
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
    /// Maps the `value` of a `messages` change: messages, then statuses, then errors.
    pub(super) fn messages_value(
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
        let contacts = readable_contacts(&value.contacts);
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
}
