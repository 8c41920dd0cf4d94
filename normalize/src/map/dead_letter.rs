//! Dead letters: the reason, the path into the body and the offending part.

use std::borrow::Cow;

use base64::Engine as _;
use serde_json::value::RawValue;
use wa_schemas::{DeadLetter, DeadLetterReason, EventType, FragmentEncoding, ReasonKind};

use super::{Ctx, Fragment};
use crate::ids::IdBuf;
use crate::input::RawEnvelope;
use crate::lenient::{Lenient, Obj};
use crate::minify::minify;

impl<'c, 'a> Ctx<'c, 'a> {
    /// The one dead letter of a body that cannot be read as text or JSON: the whole body,
    /// in base64.
    pub(super) fn unreadable(&mut self, detail: &str) {
        self.dead_letter(
            ReasonKind::InvalidJson,
            detail,
            "",
            Fragment::Base64Body,
            "",
        );
    }

    /// Whether `raw` (a message, status or change value at `path`) nests deeper than the
    /// configured limit; if so it becomes a dead letter, whole, as a JSON string.
    pub(super) fn too_deep(
        &mut self,
        raw: &str,
        path: impl FnOnce() -> String,
        phone_number_id: &str,
    ) -> bool {
        let Some(found) = crate::minify::deeper_than(raw, self.config.max_depth) else {
            return false;
        };
        let detail = format!(
            "nested {found} levels deep, deeper than the limit of {} (--max-depth): not passed on, so that consumers' JSON parsers can read every record",
            self.config.max_depth
        );
        let path = path();
        self.dead_letter(
            ReasonKind::UnsupportedField,
            &detail,
            &path,
            Fragment::Raw(raw),
            phone_number_id,
        );
        true
    }

    /// A dead letter for the part of the envelope at `path`.
    pub(super) fn reject_at(&mut self, kind: ReasonKind, detail: &str, path: &str) {
        self.dead_letter(kind, detail, path, Fragment::AtPath, "");
    }

    pub(super) fn not_an_object<T>(&mut self, found: &Lenient<T>, path: &str, what: &str) {
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
    pub(super) fn dead_letter(
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
    pub(super) fn raw_value(&mut self, entry: usize, change: usize) -> Option<&'a RawValue> {
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
pub(super) fn describe_meta_error(raw: &str) -> String {
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
