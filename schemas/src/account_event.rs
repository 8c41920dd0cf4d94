//! The account event (`whatsapp.account-events`): every change whose `field` is not `messages`.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::json_string::{any_object, timestamp_or_null};

/// One non-`messages` change of a webhook (template status and category updates, account
/// updates and alerts, phone number quality, user preferences, calls, history, message
/// echoes, and any field Meta adds later), passed on with Meta's `value` as it came (less
/// the messages of history and echoes, which are coexistence events). A new field needs no
/// release to flow.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "AccountEvent", example = crate::generate::examples::account_event())]
pub struct AccountEvent<'a> {
    /// Meta's subscription field (`changes[].field`), e.g. `message_template_status_update`.
    /// Fields of 2025–2026 (their shapes: the reference's sections 15–19), passed on whole
    /// unless said: `group_lifecycle_update`, `group_participants_update`,
    /// `group_settings_update`, `group_status_update` (group management, never messages);
    /// `history` (coexistence history sync) and `smb_message_echoes` (what the business
    /// sent from the WhatsApp Business app), whose messages are coexistence events on their
    /// own topic and left out of this `value` (history phase, chunk, progress, thread ids
    /// and errors stay); `smb_app_state_sync` (address-book sync); `calls` (call events and call
    /// statuses, `wacid.` ids, not message receipts); `standby` (copies of messages of
    /// threads another responder owns: observe only) and `messaging_handovers` (thread
    /// ownership passed to or taken from us; `phoneNumberId` from `value.recipient`);
    /// `account_settings_update`, `business_username_updates`, `user_id_update`.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`changes[].field`"))]
    pub field: Cow<'a, str>,
    /// The WhatsApp Business Account id (`entry[].id`).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`entry[].id`"))]
    pub waba_id: Cow<'a, str>,
    /// When Meta says the change happened (`entry[].time`), ISO-8601 UTC with milliseconds;
    /// `null` when the entry has no `time`.
    #[serde(borrow)]
    #[schemars(schema_with = "timestamp_or_null")]
    #[schemars(extend("x-meta-source" = "`entry[].time`"))]
    #[schemars(required)]
    pub time: Option<Cow<'a, str>>,
    /// The business number's id (`value.metadata.phone_number_id`); `""` when the change
    /// has none (most management fields).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`value.metadata.phone_number_id`"))]
    pub phone_number_id: Cow<'a, str>,
    /// Deterministic id: UUID v5 of `<wabaId>:<field>:<entry time>:<value>`; a retried
    /// webhook yields the same `eventId`.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "derived from the other fields"))]
    pub event_id: Cow<'a, str>,
    /// Meta's `value` object, unchanged apart from insignificant whitespace; for `history`
    /// and `smb_message_echoes`, less the arrays whose every message became a coexistence
    /// event (`messages`, `message_echoes`, each history thread's `messages`).
    #[schemars(schema_with = "any_object")]
    #[schemars(extend("x-meta-source" = "`changes[].value`"))]
    pub value: Box<RawValue>,
}

impl PartialEq for AccountEvent<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.field == other.field
            && self.waba_id == other.waba_id
            && self.time == other.time
            && self.phone_number_id == other.phone_number_id
            && self.event_id == other.event_id
            && self.value.get() == other.value.get()
    }
}
