//! The postback event (`whatsapp.postback`): a tap on a button or list, or a flow reply.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::inner::{ExtraMembers, MessageContext, MessageDetails, MetaError, Referral};
use crate::json_string::{json_string_or_empty, timestamp};
use crate::mo::Channel;

/// The `event` value of postback events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "PostbackEventName")]
pub enum PostbackEventName {
    // A button, list or flow reply.
    #[serde(rename = "postback")]
    Postback,
}

/// A user's tap on a template quick-reply `button`, an interactive `button_reply` or
/// `list_reply`, or a completed flow (`nfm_reply`), in the seed's postback shape plus the MO
/// additions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "PostbackEvent", example = crate::generate::examples::postback())]
pub struct PostbackEvent<'a> {
    /// Business-scoped user id when Meta sends one, else `""` (as on MO).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`messages[].from_user_id`, else `contacts[].user_id`"))]
    pub user_id: Cow<'a, str>,
    /// Always `WhatsApp`.
    #[schemars(extend("x-meta-source" = "constant"))]
    pub channel: Channel,
    /// The app id configured for the business number; by default the `phone_number_id`.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "configuration (`--app-ids`) by `metadata.phone_number_id`"))]
    pub app_id: Cow<'a, str>,
    /// Always `postback`.
    #[schemars(extend("x-meta-source" = "constant"))]
    pub event: PostbackEventName,
    /// The sender's WhatsApp id; `""` when Meta withholds it.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`messages[].from`, else `contacts[].wa_id`"))]
    pub waid: Cow<'a, str>,
    /// When the user tapped: Meta's `timestamp` as ISO-8601 UTC with milliseconds.
    #[serde(borrow)]
    #[schemars(schema_with = "timestamp")]
    #[schemars(extend("x-meta-source" = "`messages[].timestamp`"))]
    pub ts: Cow<'a, str>,
    /// Deterministic transaction id: UUID v5 of the wamid followed by `_0` (as on MO).
    #[serde(borrow)]
    #[schemars(regex(
        pattern = r"^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}_0$"
    ))]
    #[schemars(extend("x-meta-source" = "derived from `messages[].id`"))]
    pub tid: Cow<'a, str>,
    /// What the tap means to the business: `button.payload` (template quick reply), the
    /// reply `id` (`button_reply`, `list_reply`), or the flow's `response_json` text
    /// (`nfm_reply`).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`button.payload`, `interactive.button_reply.id`, `interactive.list_reply.id`, `interactive.nfm_reply.response_json`"))]
    pub button_payload: Cow<'a, str>,
    /// What the user saw: `button.text`, the reply `title`, or the flow reply's `body`.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`button.text`, `interactive.button_reply.title`, `interactive.list_reply.title`, `interactive.nfm_reply.body`"))]
    pub button_text: Cow<'a, str>,
    /// JSON array of Meta's `errors[]` on the message ([`MetaError`]); `""` when none.
    #[serde(borrow)]
    #[schemars(schema_with = "json_string_or_empty::<Vec<MetaError>>")]
    #[schemars(extend("x-meta-source" = "`messages[].errors`"))]
    pub errors: Cow<'a, str>,
    /// Meta's message id (`wamid.…`).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`messages[].id`"))]
    pub message_id: Cow<'a, str>,
    /// Meta's message type: `button` or `interactive`.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`messages[].type`"))]
    pub message_type: Cow<'a, str>,
    /// The business number's id (`metadata.phone_number_id`).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`value.metadata.phone_number_id`"))]
    pub phone_number_id: Cow<'a, str>,
    /// The business number as displayed; `""` when absent.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`value.metadata.display_phone_number`"))]
    pub display_phone_number: Cow<'a, str>,
    /// The WhatsApp Business Account id (`entry[].id`).
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`entry[].id`"))]
    pub waba_id: Cow<'a, str>,
    /// The sender's profile name; `""` when absent.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`contacts[].profile.name`"))]
    pub profile_name: Cow<'a, str>,
    /// The sender's username; `""` when absent.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`contacts[].profile.username`"))]
    pub username: Cow<'a, str>,
    /// Parent business-scoped user id; `""` when absent.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`messages[].from_parent_user_id`, else `contacts[].parent_user_id`"))]
    pub parent_user_id: Cow<'a, str>,
    /// The sender's identity key hash; `""` when absent.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`messages[].identity.hash`, `contacts[].identity_key_hash`"))]
    pub identity_hash: Cow<'a, str>,
    /// JSON of Meta's `context` ([`MessageContext`]): `context.id` is the wamid of the
    /// business message whose button was tapped; `""` when none.
    #[serde(borrow)]
    #[schemars(schema_with = "json_string_or_empty::<MessageContext>")]
    #[schemars(extend("x-meta-source" = "`messages[].context`"))]
    pub context: Cow<'a, str>,
    /// JSON of Meta's `referral` ([`Referral`]); `""` when none.
    #[serde(borrow)]
    #[schemars(schema_with = "json_string_or_empty::<Referral>")]
    #[schemars(extend("x-meta-source" = "`messages[].referral`"))]
    pub referral: Cow<'a, str>,
    /// JSON `{"type": messageType, "<type>": <Meta's object>}` ([`MessageDetails`]): the
    /// whole `button` or `interactive` object (list reply `description`, flow `name`).
    #[serde(borrow)]
    #[schemars(schema_with = "json_string_or_empty::<MessageDetails>")]
    #[schemars(extend("x-meta-source" = "`messages[].button` or `messages[].interactive`"))]
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
