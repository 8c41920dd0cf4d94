//! Changes whose `field` is not `messages` → account events, Meta's `value` as it came.

use std::borrow::Cow;

use serde_json::value::RawValue;
use wa_schemas::{AccountEvent, ReasonKind};

use super::{Ctx, Fragment};
use crate::ids::IdBuf;
use crate::lenient::{LInt, Lenient};
use crate::minify::minify;
use wa_schemas::time::iso_from_epoch_seconds;
use wa_schemas::EventType;

impl<'c, 'a> Ctx<'c, 'a> {
    pub(super) fn account_event(
        &mut self,
        field: &str,
        waba_id: &str,
        time: &LInt,
        phone_number_id: &str,
        entry: usize,
        change: usize,
    ) {
        let Some(raw) = self.raw_value(entry, change) else {
            // The typed read saw an object here, so the raw read finds it too.
            return self.dead_letter(
                ReasonKind::InvalidField,
                &format!("the `value` of the `{field}` change cannot be read"),
                &format!("/entry/{entry}/changes/{change}/value"),
                Fragment::AtPath,
                "",
            );
        };
        let path = || format!("/entry/{entry}/changes/{change}/value");
        if self.too_deep(raw.get(), path, phone_number_id) {
            return;
        }
        self.account_event_of(field, waba_id, time, phone_number_id, minify(raw.get()));
    }

    /// The account event of a change whose `value` is `value` (minified JSON).
    pub(super) fn account_event_of(
        &mut self,
        field: &str,
        waba_id: &str,
        time: &LInt,
        phone_number_id: &str,
        value: String,
    ) {
        let mut time_buf = [0u8; 24];
        let (time, time_text) = match time {
            Lenient::Ok(seconds) => (
                iso_from_epoch_seconds(*seconds, &mut time_buf),
                seconds.to_string(),
            ),
            _ => (None, String::new()),
        };
        let event_id = IdBuf::v5(&[waba_id, field, &time_text, &value]);
        let event = AccountEvent {
            field: Cow::Borrowed(field),
            waba_id: Cow::Borrowed(waba_id),
            time: time.map(Cow::Borrowed),
            phone_number_id: Cow::Borrowed(phone_number_id),
            event_id: Cow::Borrowed(event_id.as_str()),
            value: RawValue::from_string(value).expect("minified JSON stays JSON"),
        };
        let key = (!waba_id.is_empty()).then_some(waba_id);
        self.out
            .push_keyed(EventType::AccountEvent, key, event_id.as_str(), &event);
    }
}
