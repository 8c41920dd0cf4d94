//! The MO event (`whatsapp.mo`): a user's inbound message that is not a button tap.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::inner::{
    Attachment, ExtraMembers, Location, MessageContext, MessageDetails, Referral, SharedContact,
    SystemChange,
};
use crate::json_string::{json_string, json_string_or_empty, timestamp};

/// The `event` value of MO events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "MoEventName")]
pub enum MoEventName {
    // A mobile-originated message.
    #[serde(rename = "MO")]
    Mo,
}

/// The `channel` value: always `WhatsApp`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Channel")]
pub enum Channel {
    // WhatsApp.
    WhatsApp,
}

/// An inbound WhatsApp message (text, media, location, contacts, system messages, reactions,
/// orders and every other type that is not a button tap), in the seed's Webex Connect MO
/// shape plus documented additions. One event per Meta message; an unknown future type is
/// an event too, with `messageType` and `details`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "MoEvent", example = crate::generate::examples::mo())]
pub struct MoEvent<'a> {
    /// Business-scoped user id (BSUID, e.g. `US.13491208655302741918`) when Meta sends one
    /// (`from_user_id` / `contacts[].user_id`), else `""`.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`messages[].from_user_id`, else `contacts[].user_id`"))]
    pub user_id: Cow<'a, str>,
    /// Always `WhatsApp`.
    #[schemars(extend("x-meta-source" = "constant"))]
    pub channel: Channel,
    /// The app id configured for the business number (`phone_number_id`); by default the
    /// `phone_number_id` itself.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "configuration (`--app-ids`) by `metadata.phone_number_id`"))]
    pub app_id: Cow<'a, str>,
    /// Always `MO`.
    #[schemars(extend("x-meta-source" = "constant"))]
    pub event: MoEventName,
    /// The sender's WhatsApp id (`from`, else `contacts[].wa_id`), usually the phone number
    /// in digits without `+`; `""` when Meta withholds it (username users).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`messages[].from`, else `contacts[].wa_id`"))]
    pub waid: Cow<'a, str>,
    /// Text the user typed: `text.body`, an order's note, the new text of an edited text
    /// message; `""` for other types (captions are in `attachments`).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`text.body`, `order.text`, `edit.message.text.body`"))]
    pub message: Cow<'a, str>,
    /// JSON array of the message's media ([`Attachment`]); `"[]"` when none.
    #[serde(borrow)]
    #[schemars(schema_with = "json_string::<Vec<Attachment>>")]
    #[schemars(extend("x-meta-source" = "the `image`, `audio`, `video`, `document` or `sticker` object"))]
    pub attachments: Cow<'a, str>,
    /// JSON of Meta's `system` object ([`SystemChange`]) for system messages (number change,
    /// identity change, user-id change); `""` otherwise.
    #[serde(borrow)]
    #[schemars(schema_with = "json_string_or_empty::<SystemChange>")]
    #[schemars(extend("x-meta-source" = "`messages[].system`"))]
    pub system: Cow<'a, str>,
    /// JSON of the shared location ([`Location`], coordinates as strings); `""` when none.
    #[serde(borrow)]
    #[schemars(schema_with = "json_string_or_empty::<Location>")]
    #[schemars(extend("x-meta-source" = "`messages[].location`"))]
    pub location: Cow<'a, str>,
    /// JSON array of shared contact cards, Meta's cards unchanged; `""` when none. (The seed
    /// also shows an empty `contact` key once; we emit `contacts` only.)
    #[serde(borrow)]
    #[schemars(schema_with = "json_string_or_empty::<Vec<SharedContact>>")]
    #[schemars(extend("x-meta-source" = "`messages[].contacts`"))]
    pub contacts: Cow<'a, str>,
    /// When the user sent the message: Meta's `timestamp` as ISO-8601 UTC with milliseconds.
    #[serde(borrow)]
    #[schemars(schema_with = "timestamp")]
    #[schemars(extend("x-meta-source" = "`messages[].timestamp`"))]
    pub ts: Cow<'a, str>,
    /// Deterministic transaction id: UUID v5 of the wamid (namespace in the README) followed by
    /// `_0`. A webhook retried by Meta yields the same `tid`: use it to drop duplicates.
    #[serde(borrow)]
    #[schemars(regex(
        pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}_0$"
    ))]
    #[schemars(extend("x-meta-source" = "derived from `messages[].id`"))]
    pub tid: Cow<'a, str>,
    /// Meta's message id (`wamid.…`).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`messages[].id`"))]
    pub message_id: Cow<'a, str>,
    /// Meta's message type (`text`, `image`, `system`, `reaction`, ...; open set).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`messages[].type`"))]
    pub message_type: Cow<'a, str>,
    /// The business number's id (`metadata.phone_number_id`).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`value.metadata.phone_number_id`"))]
    pub phone_number_id: Cow<'a, str>,
    /// The business number as displayed (`metadata.display_phone_number`); `""` when absent.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`value.metadata.display_phone_number`"))]
    pub display_phone_number: Cow<'a, str>,
    /// The WhatsApp Business Account id (`entry[].id`).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`entry[].id`"))]
    pub waba_id: Cow<'a, str>,
    /// The sender's profile name (`contacts[].profile.name`); `""` when absent.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`contacts[].profile.name`"))]
    pub profile_name: Cow<'a, str>,
    /// The sender's username (`contacts[].profile.username`); `""` when absent.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`contacts[].profile.username`"))]
    pub username: Cow<'a, str>,
    /// Parent business-scoped user id (`from_parent_user_id` / `contacts[].parent_user_id`);
    /// `""` when absent.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`messages[].from_parent_user_id`, else `contacts[].parent_user_id`"))]
    pub parent_user_id: Cow<'a, str>,
    /// The sender's identity key hash (`contacts[].identity_key_hash`, the `identity` of a
    /// `customer_identity_changed` system message, or the message's `identity.hash`); `""`
    /// when absent. A change means the user's device or number changed.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`system.identity`, `messages[].identity.hash`, `contacts[].identity_key_hash`"))]
    pub identity_hash: Cow<'a, str>,
    /// JSON of Meta's `context` ([`MessageContext`]: replied-to message, forwarded flags,
    /// referred product); `""` when none.
    #[serde(borrow)]
    #[schemars(schema_with = "json_string_or_empty::<MessageContext>")]
    #[schemars(extend("x-meta-source" = "`messages[].context`"))]
    pub context: Cow<'a, str>,
    /// JSON of Meta's `referral` ([`Referral`], Click-to-WhatsApp ads); `""` when none.
    #[serde(borrow)]
    #[schemars(schema_with = "json_string_or_empty::<Referral>")]
    #[schemars(extend("x-meta-source" = "`messages[].referral`"))]
    pub referral: Cow<'a, str>,
    /// JSON `{"type": messageType, "<type>": <Meta's object>, "errors": [...]}`
    /// ([`MessageDetails`]) for types the seed does not describe; `""` for text, media,
    /// location, contacts and system messages.
    #[serde(borrow)]
    #[schemars(schema_with = "json_string_or_empty::<MessageDetails>")]
    #[schemars(extend("x-meta-source" = "`messages[].<type>` and `messages[].errors`"))]
    pub details: Cow<'a, str>,
    /// The WhatsApp group the message was posted in (`group_id`, opaque); `""` for a 1:1
    /// chat. When set, the sender fields name the participant who wrote, the record is
    /// keyed by the group, and a reply goes to the group (`recipient_type: group`,
    /// `to: groupId`), not to `waid`. Added in 1.1.0.
    #[serde(borrow, default)]
    #[schemars(extend("x-meta-source" = "`messages[].group_id`"))]
    pub group_id: Cow<'a, str>,
    /// Meta's `from_logical_id` (authentication templates' "I didn't request a code"
    /// button, One-Click Payments replies): an opaque digit string, not a user key; `""`
    /// when absent. Added in 1.1.0.
    #[serde(borrow, default)]
    #[schemars(extend("x-meta-source" = "`messages[].from_logical_id`"))]
    pub from_logical_id: Cow<'a, str>,
    /// JSON object of the members of Meta's message object that no other field carries
    /// ([`ExtraMembers`]), as they came; `""` when every member has its field. A member
    /// Meta adds tomorrow arrives here without a release. Added in 1.1.0.
    #[serde(borrow, default)]
    #[schemars(schema_with = "json_string_or_empty::<ExtraMembers>")]
    #[schemars(extend("x-meta-source" = "other members of `messages[]`"))]
    pub extra: Cow<'a, str>,
}
