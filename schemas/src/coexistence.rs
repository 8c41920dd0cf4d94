//! The coexistence event (`whatsapp.coexistence`): one message of a Coexistence number that
//! is not live inbound traffic: a message of a history sync, or an echo of what the business
//! sent from the WhatsApp Business app.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::MoEvent;

/// Where a coexistence event comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(title = "CoexistenceOrigin")]
pub enum Origin {
    // A message of a history sync (`field: history`): a copy of a past chat, up to 180
    // days before onboarding.
    History,
    // What the business sent, edited or deleted in the WhatsApp Business app or a linked
    // device (`field: smb_message_echoes`).
    Echo,
}

impl Origin {
    /// The JSON value, which also prefixes the event's `tid`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Origin::History => "history",
            Origin::Echo => "echo",
        }
    }
}

/// Who wrote the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
#[schemars(title = "CoexistenceDirection")]
pub enum Direction {
    // The user wrote it to the business.
    Inbound,
    // The business wrote it to the user.
    Outbound,
}

/// A message copied from a Coexistence number's chats: each message of a history sync
/// (`value.history[].threads[].messages[]`, and the media content Meta sends later under
/// `value.messages[]` / `value.message_echoes[]` of a `history` change) and each echo
/// (`value.message_echoes[]` of `smb_message_echoes`). Never live traffic: do not reply to
/// it, do not count it as a new inbound message. The change's own metadata (history phase,
/// chunk, progress, errors) stays an account event.
///
/// The fields are the MO event's, mapped the same way (a tapped button or list reply is MO
/// shaped too: its object is in `details`), with these differences: the user fields
/// (`waid`, `userId`, `parentUserId`, `profileName`, `username`) always name the user of
/// the chat, whichever `direction`; `event` is always `MO` (the shape, not the direction);
/// `tid` is UUID v5 of `<origin>:<wamid>:<messageType>` followed by `_0`, so a copy never
/// collides with the live event of the same wamid, and a history media placeholder and the
/// media that replaces it later differ. Records are keyed `<phoneNumberId>:<user>` like MO
/// events. Added in 1.2.0.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
#[schemars(title = "CoexistenceEvent", example = crate::generate::examples::coexistence())]
pub struct CoexistenceEvent<'a> {
    /// `history` or `echo`.
    #[schemars(extend("x-meta-source" = "`changes[].field`"))]
    pub origin: Origin,
    /// `inbound` (the user wrote it) or `outbound` (the business did). Echoes are
    /// outbound; a history message is outbound when its `from` is not the chat's user.
    #[schemars(extend("x-meta-source" = "`from` against the chat's user, `to`"))]
    pub direction: Direction,
    /// The message's status at sync time (`history_context.status`: `DELIVERED`, `ERROR`,
    /// `PENDING`, `PLAYED`, `READ`, `SENT`, as Meta writes it); `""` for echoes.
    #[serde(borrow)]
    #[schemars(extend("x-meta-source" = "`messages[].history_context.status`"))]
    pub history_status: Cow<'a, str>,
    /// The MO event's fields.
    #[serde(borrow, flatten)]
    pub message: MoEvent<'a>,
}
