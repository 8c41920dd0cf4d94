//! The delivery receipt (`whatsapp.delivery`): one per Meta status of a business message.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::inner::{ExtraMembers, MetaError};
use crate::json_string::{json_string_or_empty, timestamp};

/// The seed's `deliveryStatus`, a closed set mapped from Meta's status (Meta's own value is
/// always in `metaStatus`): `Sent` (code `7500`), `Delivered` (`7500`), `Read` (`7502`),
/// `Played` (a voice message was first played, which implies read; `7502`), `Failed` (`7200`,
/// Description `Unknown Status` as in the seed, Meta's errors in `additional_info`),
/// `Deleted` and `Warning` (On-Premises and BSP wrappers; `7500`), `Unknown` (any status Meta
/// adds later; `7200`, Description `Unknown Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "DeliveryStatus")]
pub enum DeliveryStatus {
    // Meta `sent`: code `7500`, Description `Sent`.
    Sent,
    // Meta `delivered`: code `7500`, Description `Delivered`.
    Delivered,
    // Meta `read`: code `7502`, Description `Read`.
    Read,
    // Meta `played` (a voice message was first played, which implies read): code `7502`,
    // Description `Played`.
    Played,
    // Meta `failed`: code `7200`, Description `Unknown Status` (as in the seed); Meta's
    // errors are in `additional_info` and `errors`.
    Failed,
    // Meta `deleted` (On-Premises and BSP wrappers): code `7500`, Description `Deleted`.
    Deleted,
    // Meta `warning` (On-Premises and BSP wrappers): code `7500`, Description `Warning`.
    Warning,
    // Any status Meta adds later: code `7200`, Description `Unknown Status`; see `metaStatus`.
    Unknown,
}

impl DeliveryStatus {
    /// Maps Meta's `statuses[].status`; never fails.
    pub fn from_meta(status: &str) -> Self {
        match status {
            "sent" => Self::Sent,
            "delivered" => Self::Delivered,
            "read" => Self::Read,
            "played" => Self::Played,
            "failed" => Self::Failed,
            "deleted" => Self::Deleted,
            "warning" => Self::Warning,
            _ => Self::Unknown,
        }
    }

    /// The seed's `code`.
    pub fn code(self) -> &'static str {
        match self {
            Self::Sent | Self::Delivered | Self::Deleted | Self::Warning => "7500",
            Self::Read | Self::Played => "7502",
            Self::Failed | Self::Unknown => "7200",
        }
    }

    /// The seed's `Description`.
    pub fn description(self) -> &'static str {
        match self {
            Self::Sent => "Sent",
            Self::Delivered => "Delivered",
            Self::Read => "Read",
            Self::Played => "Played",
            Self::Deleted => "Deleted",
            Self::Warning => "Warning",
            Self::Failed | Self::Unknown => "Unknown Status",
        }
    }
}

/// The kind of address in `destination`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "DestinationType")]
pub enum DestinationType {
    // A WhatsApp id (`recipient_id`), as in the seed.
    #[serde(rename = "waid")]
    Waid,
    // A business-scoped user id (`recipient_user_id`): the message was sent to a username user.
    #[serde(rename = "bsuid")]
    Bsuid,
    // A group id (`recipient_type: group`).
    #[serde(rename = "group")]
    Group,
}

/// The `deliveryChannel` value: always `whatsapp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "DeliveryChannel")]
pub enum DeliveryChannel {
    // WhatsApp.
    #[serde(rename = "whatsapp")]
    Whatsapp,
}

/// One `{code, title}` item of a failure (seed).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "AdditionalInfo")]
pub struct AdditionalInfo<'a> {
    /// Meta's error code, e.g. `131049`.
    #[schemars(extend("x-meta-source" = "derived from `statuses[].status`"))]
    pub code: i64,
    /// Meta's error title.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].errors[].title`"))]
    pub title: Cow<'a, str>,
}

/// The seed's `deliveryInfo` object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "DeliveryInfo")]
pub struct DeliveryInfo<'a> {
    /// When the status happened: Meta's `timestamp` as ISO-8601 UTC with milliseconds.
    #[serde(rename = "timeStamp", borrow)]
    #[schemars(schema_with = "timestamp")]
    #[schemars(extend("x-meta-source" = "`statuses[].timestamp`"))]
    pub time_stamp: Cow<'a, str>,
    /// Human-readable status (see [`DeliveryStatus`] for the table).
    #[serde(rename = "Description", borrow)]
    #[schemars(extend("x-meta-source" = "derived from `statuses[].status`"))]
    pub description: Cow<'a, str>,
    /// Status code: `7500` sent/delivered, `7502` read/played, `7200` failed or unknown.
    #[serde(borrow)]
    #[schemars(extend("enum" = ["7500", "7502", "7200"]))]
    #[schemars(extend("x-meta-source" = "derived from `statuses[].status`"))]
    pub code: Cow<'a, str>,
    /// Meta's errors as `[{code, title}]`; present on `Failed` (empty when Meta sent none)
    /// and on any status that carried errors, absent otherwise (seed).
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    #[schemars(extend("x-meta-source" = "`statuses[].errors[]` (`code`, `title`)"))]
    pub additional_info: Option<Vec<AdditionalInfo<'a>>>,
    /// Always `whatsapp`.
    #[serde(rename = "deliveryChannel")]
    #[schemars(extend("x-meta-source" = "constant"))]
    pub delivery_channel: DeliveryChannel,
    /// Always `""` (seed).
    #[serde(rename = "additionalInfo", borrow)]
    #[schemars(extend("x-meta-source" = "constant"))]
    pub additional_info_text: Cow<'a, str>,
    /// The recipient: `recipient_id` (WhatsApp id or group id), else `recipient_user_id`.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].recipient_id`, else `statuses[].recipient_user_id`"))]
    pub destination: Cow<'a, str>,
    /// What `destination` holds.
    #[serde(rename = "destinationType")]
    #[schemars(extend("x-meta-source" = "derived from `statuses[].recipient_type` and which recipient id is present"))]
    pub destination_type: DestinationType,
    /// The status, mapped from Meta's.
    #[serde(rename = "deliveryStatus")]
    #[schemars(extend("x-meta-source" = "`statuses[].status`"))]
    pub delivery_status: DeliveryStatus,
}

/// The seed's `deliveryInfoNotification` object plus documented additions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "DeliveryInfoNotification")]
pub struct DeliveryInfoNotification<'a> {
    /// The status itself.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[]`"))]
    pub delivery_info: DeliveryInfo<'a>,
    /// Always `""` (seed: no sub-transaction ids on WhatsApp).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "constant"))]
    pub subtid: Cow<'a, str>,
    /// The wamid of the business's message (we have no other transaction id).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].id`"))]
    pub transid: Cow<'a, str>,
    /// Meta's `biz_opaque_callback_data`: the string the business set when sending; `""`.
    #[serde(rename = "callbackData", borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].biz_opaque_callback_data`"))]
    pub callback_data: Cow<'a, str>,
    /// Always `""` (seed).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "constant"))]
    pub correlationid: Cow<'a, str>,
    /// Deterministic id of this receipt: UUID v5 of `<wamid>:<metaStatus>` (plus
    /// `:<recipient_participant_id>` for group members). Meta retries and repeats statuses:
    /// equal `eventId`s are the same receipt.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "derived from `statuses[].id`, `status`, `recipient_participant_id`"))]
    pub event_id: Cow<'a, str>,
    /// The wamid of the business's message (same as `transid`).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].id`"))]
    pub message_id: Cow<'a, str>,
    /// Meta's status verbatim (`sent`, `delivered`, `read`, `failed`, `played`, or newer).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].status`"))]
    pub meta_status: Cow<'a, str>,
    /// The business number's id.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`value.metadata.phone_number_id`"))]
    pub phone_number_id: Cow<'a, str>,
    /// The business number as displayed; `""` when absent.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`value.metadata.display_phone_number`"))]
    pub display_phone_number: Cow<'a, str>,
    /// The WhatsApp Business Account id.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`entry[].id`"))]
    pub waba_id: Cow<'a, str>,
    /// The recipient's WhatsApp id (`recipient_id`); `""` when absent.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].recipient_id`"))]
    pub waid: Cow<'a, str>,
    /// The recipient's business-scoped user id (`recipient_user_id`); `""` when absent.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].recipient_user_id`"))]
    pub user_id: Cow<'a, str>,
    /// The recipient's parent business-scoped user id; `""` when absent.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].parent_recipient_user_id`"))]
    pub parent_user_id: Cow<'a, str>,
    /// The recipient's current identity key hash (`recipient_identity_key_hash`): the seed's
    /// "updated hash arrives with the delivery receipt"; `""` when absent.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].recipient_identity_key_hash`"))]
    pub identity_hash: Cow<'a, str>,
    /// Conversation id (`conversation.id`); `""` when Meta sent none (API v24+ mostly).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].conversation.id`"))]
    pub conversation_id: Cow<'a, str>,
    /// Conversation origin (`conversation.origin.type`, e.g. `utility`); `""` when none.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].conversation.origin.type`"))]
    pub conversation_origin: Cow<'a, str>,
    /// When the conversation window ends (`conversation.expiration_timestamp`), ISO-8601;
    /// `""` when none.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].conversation.expiration_timestamp`"))]
    pub conversation_expires_at: Cow<'a, str>,
    /// Pricing model (`pricing.pricing_model`: `CBP`, `PMP`); `""` when no pricing.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].pricing.pricing_model`"))]
    pub pricing_model: Cow<'a, str>,
    /// Pricing category (`pricing.category`: `marketing`, `utility`, `service`, ...; open set).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].pricing.category`"))]
    pub pricing_category: Cow<'a, str>,
    /// Pricing type (`pricing.type`: `regular`, `free_customer_service`, `free_entry_point`).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[].pricing.type`"))]
    pub pricing_type: Cow<'a, str>,
    /// Meta's deprecated `pricing.billable`; `null` when absent.
    #[schemars(extend("x-meta-source" = "`statuses[].pricing.billable`"))]
    #[schemars(required, extend("type" = ["boolean", "null"]))]
    pub billable: Option<bool>,
    /// JSON array of Meta's `errors[]` ([`MetaError`]), details included; `""` when none.
    #[serde(borrow)]
    #[schemars(schema_with = "json_string_or_empty::<Vec<MetaError>>")]
    #[schemars(extend("x-meta-source" = "`statuses[].errors`"))]
    pub errors: Cow<'a, str>,
    /// For a message sent to a group (`destinationType` `GROUP`, `destination` the group
    /// id): the participant whose phone received or read it; `""` for `sent` and `failed`
    /// (one per message), when Meta withholds the phone, and outside groups. Added in 1.1.0.
    #[serde(borrow, default)]
    #[schemars(extend("x-meta-source" = "`statuses[].recipient_participant_id` (also spelled `participant_recipient_id`)"))]
    pub participant_waid: Cow<'a, str>,
    /// The participant's business-scoped user id, for group statuses; `""` otherwise.
    /// Added in 1.1.0.
    #[serde(borrow, default)]
    #[schemars(extend("x-meta-source" = "`statuses[].recipient_participant_user_id`"))]
    pub participant_user_id: Cow<'a, str>,
    /// The participant's parent business-scoped user id, for group statuses; `""`
    /// otherwise. Added in 1.1.0.
    #[serde(borrow, default)]
    #[schemars(extend("x-meta-source" = "`statuses[].recipient_participant_parent_user_id`"))]
    pub participant_parent_user_id: Cow<'a, str>,
    /// JSON object of the members of Meta's status object that no other field carries
    /// ([`ExtraMembers`]), as they came; `""` when every member has its field. A member
    /// Meta adds tomorrow arrives here without a release. Added in 1.1.0.
    #[serde(borrow, default)]
    #[schemars(schema_with = "json_string_or_empty::<ExtraMembers>")]
    #[schemars(extend("x-meta-source" = "other members of `statuses[]`"))]
    pub extra: Cow<'a, str>,
}

/// A delivery receipt in the seed's shape: `{"deliveryInfoNotification": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "DeliveryReceipt", example = crate::generate::examples::delivery())]
pub struct DeliveryReceipt<'a> {
    /// The receipt.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`statuses[]`"))]
    pub delivery_info_notification: DeliveryInfoNotification<'a>,
}
