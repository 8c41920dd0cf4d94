//! `statuses[]` → delivery receipts.

use std::borrow::Cow;

use serde_json::value::RawValue;
use wa_schemas::delivery::{AdditionalInfo, DeliveryChannel, DestinationType};
use wa_schemas::{
    DeliveryInfo, DeliveryInfoNotification, DeliveryReceipt, DeliveryStatus, ReasonKind,
};

use super::{Ctx, Fragment, Scope};
use crate::ids::IdBuf;
use crate::input::{Conversation, MetaError, Status};
use crate::lenient::{Arr, LStr, Lenient, Obj};
use crate::minify::minify;
use wa_schemas::time::{iso_from_epoch_seconds, parse_epoch_seconds};
use wa_schemas::EventType;

impl<'c, 'a> Ctx<'c, 'a> {
    /// Maps one status; a status that cannot be mapped becomes a dead letter.
    pub(super) fn status(&mut self, scope: &Scope<'a, '_>, k: usize, raw: &'a RawValue) {
        let path = || scope.path("statuses", k);
        if self.too_deep(raw.get(), path, scope.phone_number_id) {
            return;
        }
        if let Err((kind, detail)) = self.try_status(scope, raw) {
            self.dead_letter(
                kind,
                &detail,
                &scope.path("statuses", k),
                Fragment::Raw(raw.get()),
                scope.phone_number_id,
            );
        }
    }

    fn try_status(
        &mut self,
        scope: &Scope<'a, '_>,
        raw: &'a RawValue,
    ) -> Result<(), (ReasonKind, String)> {
        let status = parse(raw)?;
        let wamid = required(&status.id, "id")?;
        let meta_status = required(&status.status, "status")?;
        let timestamp = required(&status.timestamp, "timestamp")?;
        let mut ts_buf = [0u8; 24];
        let ts = iso_timestamp(timestamp, &mut ts_buf)?;
        let delivery_status = DeliveryStatus::from_meta(meta_status);
        let recipient_id = status.recipient_id.as_str();
        let recipient_user_id = status.recipient_user_id.as_str();
        let (destination, destination_type) = destination(&status);
        let errors = checked_errors(status.errors)?;
        let infos = additional_info(status.errors);
        let additional_info =
            (delivery_status == DeliveryStatus::Failed || !infos.is_empty()).then_some(infos);
        let event_id = receipt_id(&status, wamid, meta_status);
        let conversation = status.conversation.ok().map(|c| &c.0);
        let mut expires_buf = [0u8; 24];
        let conversation_expires_at = expires_at(conversation, &mut expires_buf);
        let pricing = status.pricing.ok().map(|p| &p.0);
        let extra = super::extra::of_status(raw, &status);
        let receipt = DeliveryReceipt {
            delivery_info_notification: DeliveryInfoNotification {
                delivery_info: DeliveryInfo {
                    time_stamp: Cow::Borrowed(ts),
                    description: Cow::Borrowed(delivery_status.description()),
                    code: Cow::Borrowed(delivery_status.code()),
                    additional_info,
                    delivery_channel: DeliveryChannel::Whatsapp,
                    additional_info_text: Cow::Borrowed(""),
                    destination: Cow::Borrowed(destination),
                    destination_type,
                    delivery_status,
                },
                subtid: Cow::Borrowed(""),
                transid: Cow::Borrowed(wamid),
                callback_data: Cow::Borrowed(status.biz_opaque_callback_data.as_str()),
                correlationid: Cow::Borrowed(""),
                event_id: Cow::Borrowed(event_id.as_str()),
                message_id: Cow::Borrowed(wamid),
                meta_status: Cow::Borrowed(meta_status),
                phone_number_id: Cow::Borrowed(scope.phone_number_id),
                display_phone_number: Cow::Borrowed(scope.display_phone_number),
                waba_id: Cow::Borrowed(scope.waba_id),
                waid: Cow::Borrowed(recipient_id),
                user_id: Cow::Borrowed(recipient_user_id),
                parent_user_id: Cow::Borrowed(status.parent_recipient_user_id.as_str()),
                identity_hash: Cow::Borrowed(status.recipient_identity_key_hash.as_str()),
                conversation_id: Cow::Borrowed(conversation.map_or("", |c| c.id.as_str())),
                conversation_origin: Cow::Borrowed(
                    conversation
                        .and_then(|c| c.origin.ok())
                        .map_or("", |o| o.0.kind.as_str()),
                ),
                conversation_expires_at: Cow::Borrowed(conversation_expires_at),
                pricing_model: Cow::Borrowed(pricing.map_or("", |p| p.pricing_model.as_str())),
                pricing_category: Cow::Borrowed(pricing.map_or("", |p| p.category.as_str())),
                pricing_type: Cow::Borrowed(pricing.map_or("", |p| p.kind.as_str())),
                billable: pricing.and_then(|p| p.billable.ok().copied()),
                errors: Cow::Borrowed(errors.as_deref().unwrap_or("")),
                participant_waid: Cow::Borrowed(status.recipient_participant_id.as_str()),
                participant_user_id: Cow::Borrowed(status.recipient_participant_user_id.as_str()),
                participant_parent_user_id: Cow::Borrowed(
                    status.recipient_participant_parent_user_id.as_str(),
                ),
                extra: Cow::Borrowed(extra.as_deref().unwrap_or("")),
            },
        };
        let key = Some((
            scope.phone_number_id,
            key_user(recipient_id, recipient_user_id),
        ));
        self.out
            .push(EventType::Delivery, key, event_id.as_str(), &receipt);
        Ok(())
    }
}

/// One status, or why it is not one.
fn parse<'a>(raw: &'a RawValue) -> Result<Status<'a>, (ReasonKind, String)> {
    match serde_json::from_str(raw.get()) {
        Ok(Lenient::Ok(Obj(status))) => Ok(status),
        Ok(Lenient::Bad(found)) => Err((
            ReasonKind::InvalidField,
            format!("the status is not an object (found {found})"),
        )),
        Ok(Lenient::Missing) => Err((
            ReasonKind::InvalidField,
            "the status is not an object (found null)".to_owned(),
        )),
        Err(e) => Err((
            ReasonKind::InvalidField,
            format!("the status does not have the documented shape: {e}"),
        )),
    }
}

/// Meta's epoch seconds as ISO-8601 UTC with milliseconds, written into `buf`.
fn iso_timestamp<'b>(
    timestamp: &str,
    buf: &'b mut [u8; 24],
) -> Result<&'b str, (ReasonKind, String)> {
    parse_epoch_seconds(timestamp)
        .and_then(|s| iso_from_epoch_seconds(s, buf))
        .ok_or_else(|| {
            (
                ReasonKind::InvalidField,
                format!("`timestamp` {timestamp:?} is not a number of seconds since 1970"),
            )
        })
}

/// The receipt's deterministic id: one per message, status and (in groups) participant.
/// One receipt per status, and per group participant: the phone, else the BSUID when Meta
/// withholds it.
fn receipt_id(status: &Status<'_>, wamid: &str, meta_status: &str) -> IdBuf {
    let participant = Some(status.recipient_participant_id.as_str())
        .filter(|p| !p.is_empty())
        .unwrap_or(status.recipient_participant_user_id.as_str());
    if participant.is_empty() {
        IdBuf::v5(&[wamid, meta_status])
    } else {
        IdBuf::v5(&[wamid, meta_status, participant])
    }
}

/// The user part of the record key: the WhatsApp id, else the BSUID.
fn key_user<'s>(recipient_id: &'s str, recipient_user_id: &'s str) -> &'s str {
    if recipient_id.is_empty() {
        recipient_user_id
    } else {
        recipient_id
    }
}

/// When the conversation window expires, ISO-8601 in `buf`; `""` when unknown.
fn expires_at<'b>(conversation: Option<&Conversation<'_>>, buf: &'b mut [u8; 24]) -> &'b str {
    conversation
        .and_then(|c| parse_epoch_seconds(c.expiration_timestamp.as_str()))
        .and_then(|s| iso_from_epoch_seconds(s, buf))
        .unwrap_or("")
}

/// Who the receipt is for: a group, a BSUID-only user, or a WhatsApp id.
fn destination<'s>(status: &'s Status<'_>) -> (&'s str, DestinationType) {
    let recipient_id = status.recipient_id.as_str();
    let recipient_user_id = status.recipient_user_id.as_str();
    if status.recipient_type.as_str() == "group" {
        (recipient_id, DestinationType::Group)
    } else if recipient_id.is_empty() && !recipient_user_id.is_empty() {
        (recipient_user_id, DestinationType::Bsuid)
    } else {
        (recipient_id, DestinationType::Waid)
    }
}

/// Meta's `errors`, checked against their documented shape and passed on compact.
fn checked_errors(raw: Option<&RawValue>) -> Result<Option<String>, (ReasonKind, String)> {
    match raw {
        Some(raw) if raw.get() != "null" => {
            if !raw.get().starts_with('[')
                || serde_json::from_str::<Vec<wa_schemas::inner::MetaError>>(raw.get()).is_err()
            {
                return Err((
                    ReasonKind::UnsupportedField,
                    "`errors` is not an array of Meta errors".to_owned(),
                ));
            }
            Ok(Some(minify(raw.get())))
        }
        _ => Ok(None),
    }
}

/// The seed's `additional_info`: `{code, title}` of each of Meta's errors.
fn additional_info(raw: Option<&RawValue>) -> Vec<AdditionalInfo<'_>> {
    raw.and_then(|e| serde_json::from_str::<Lenient<Arr<Lenient<Obj<MetaError>>>>>(e.get()).ok())
        .and_then(Lenient::into_ok)
        .map(|items| {
            items
                .0
                .into_iter()
                .filter_map(Lenient::into_ok)
                .map(|Obj(e)| AdditionalInfo {
                    code: e.code.ok().copied().unwrap_or(0),
                    title: match e.title {
                        Lenient::Ok(title) => title,
                        _ => Cow::Owned(e.message.as_str().to_owned()),
                    },
                })
                .collect()
        })
        .unwrap_or_default()
}

fn required<'s>(field: &'s LStr<'_>, name: &str) -> Result<&'s str, (ReasonKind, String)> {
    match field {
        Lenient::Ok(text) if !text.is_empty() => Ok(text),
        Lenient::Bad(found) => Err((
            ReasonKind::InvalidField,
            format!("`{name}` is not a string (found {found})"),
        )),
        _ => Err((
            ReasonKind::MissingField,
            format!("the status has no `{name}`"),
        )),
    }
}
