//! Objects carried as JSON text inside the string fields of MO and postback events.
//!
//! The normalizer builds [`Attachment`] and [`Location`] itself; the other objects are Meta's
//! own, passed through unchanged (only insignificant whitespace removed), so every property
//! is optional and unknown properties are allowed: Meta adds fields over time.

use std::borrow::Cow;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// One media item of a message (`attachments` holds an array of these).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Attachment")]
pub struct Attachment<'a> {
    /// MIME type as Meta reports it, e.g. `image/jpeg` or `audio/ogg; codecs=opus`.
    #[serde(borrow)]
    pub mime_type: Cow<'a, str>,
    /// Where to fetch the media. With media re-hosting (see the README), our copy: the
    /// public base URL plus `storageKey`, or a pre-signed GET URL that expires after the
    /// configured lifetime. Otherwise, or when re-hosting failed (`error`), Meta's `url` when
    /// the webhook carries one, else the configured media URL template filled with the
    /// media id (by default the Graph API media endpoint, which needs the business's access
    /// token). Meta's URLs expire, and Meta deletes the media after 30 days.
    #[serde(borrow)]
    pub url: Cow<'a, str>,
    /// Meta's media id (fetch with Graph `GET /{media-id}`).
    #[serde(borrow)]
    pub id: Cow<'a, str>,
    /// Base64 SHA-256 of the media file, as Meta reports it; `""` when absent.
    #[serde(borrow)]
    pub sha256: Cow<'a, str>,
    /// The media kind: Meta's message type (`image`, `audio`, `video`, `document`, `sticker`).
    #[serde(borrow)]
    pub kind: Cow<'a, str>,
    /// Caption typed by the user (image, video, document); absent when none.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub caption: Option<Cow<'a, str>>,
    /// Original file name (document); absent when none.
    #[serde(borrow, default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<Cow<'a, str>>,
    /// `true` for a recorded voice note, `false` for an audio file (audio only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub voice: Option<bool>,
    /// `true` for an animated sticker (sticker only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub animated: Option<bool>,
    /// With media re-hosting: the object's key in our media store
    /// (`<prefix><hex sha256>.<ext>`, content-addressed), so a consumer with access to the
    /// store can fetch or re-sign it after `url` expired; absent when the media is not in
    /// our store. Added in 1.3.0.
    #[serde(
        rename = "storageKey",
        borrow,
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub storage_key: Option<Cow<'a, str>>,
    /// With media re-hosting: the file's size in bytes; absent when unknown. Added in 1.3.0.
    #[serde(rename = "fileSize", default, skip_serializing_if = "Option::is_none")]
    pub file_size: Option<u64>,
    /// With media re-hosting: why the media is not in our store ([`AttachmentError`]); `url`
    /// is then the fallback (Meta's url or the template) and `id` is Meta's media id.
    /// Absent when re-hosting is off or succeeded. Added in 1.3.0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<AttachmentError>,
}

/// Why an attachment could not be copied to our media store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "AttachmentError")]
pub struct AttachmentError {
    /// What went wrong (closed set).
    pub kind: AttachmentErrorKind,
    /// What the Graph API or the store said, for people; never a secret.
    pub detail: String,
}

/// The closed set of re-hosting failures. A new value is a minor schema version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[schemars(title = "AttachmentErrorKind")]
pub enum AttachmentErrorKind {
    /// Meta no longer has the media (404, or Graph error 100: deleted after 30 days, or an
    /// unknown id).
    NotFound,
    /// The access token was refused (401/403, Graph error 190 or 10): fix the token.
    Unauthorized,
    /// No access token is configured for the business number or its WABA.
    NoToken,
    /// The file is larger than the configured size limit.
    TooLarge,
    /// The downloaded bytes do not match Meta's SHA-256: nothing was stored.
    ChecksumMismatch,
    /// The Graph API kept failing (5xx, 429, timeouts, connection errors) until the
    /// per-attachment deadline.
    Unavailable,
    /// The media store kept refusing or failing until the per-attachment deadline.
    StoreFailed,
}

impl AttachmentErrorKind {
    /// The value as written in records and metric labels.
    pub fn as_str(self) -> &'static str {
        match self {
            AttachmentErrorKind::NotFound => "not_found",
            AttachmentErrorKind::Unauthorized => "unauthorized",
            AttachmentErrorKind::NoToken => "no_token",
            AttachmentErrorKind::TooLarge => "too_large",
            AttachmentErrorKind::ChecksumMismatch => "checksum_mismatch",
            AttachmentErrorKind::Unavailable => "unavailable",
            AttachmentErrorKind::StoreFailed => "store_failed",
        }
    }
}

/// A shared location, in the seed's shape: coordinates as strings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Location")]
pub struct Location<'a> {
    /// Street address of a pinned place; `""` for a bare current location.
    #[serde(borrow)]
    pub address: Cow<'a, str>,
    /// Latitude in decimal degrees, as a string (seed), e.g. `"37.4843541"`.
    #[serde(borrow)]
    pub latitude: Cow<'a, str>,
    /// Longitude in decimal degrees, as a string (seed), e.g. `"-122.1483934"`.
    #[serde(borrow)]
    pub longitude: Cow<'a, str>,
    /// Name of a pinned place; `""` when none.
    #[serde(borrow)]
    pub name: Cow<'a, str>,
    /// URL of a pinned place; `""` when none.
    #[serde(borrow)]
    pub url: Cow<'a, str>,
}

/// Name of a shared contact card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "ContactName")]
pub struct ContactName {
    /// Full name as displayed.
    pub formatted_name: Option<String>,
    /// First name.
    pub first_name: Option<String>,
    /// Last name.
    pub last_name: Option<String>,
    /// Middle name.
    pub middle_name: Option<String>,
    /// Name suffix.
    pub suffix: Option<String>,
    /// Name prefix.
    pub prefix: Option<String>,
}

/// A phone number on a shared contact card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "ContactPhone")]
pub struct ContactPhone {
    /// The number in free format, e.g. `+1 (415) 555-0829`.
    pub phone: Option<String>,
    /// WhatsApp id, only when the number is on WhatsApp.
    pub wa_id: Option<String>,
    /// `CELL`, `MOBILE`, `HOME`, `WORK`, `MAIN`, `IPHONE`, ...
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// An e-mail address on a shared contact card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "ContactEmail")]
pub struct ContactEmail {
    /// The address.
    pub email: Option<String>,
    /// `HOME`, `WORK`, ...
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// A postal address on a shared contact card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "ContactAddress")]
pub struct ContactAddress {
    /// Street and number.
    pub street: Option<String>,
    /// City.
    pub city: Option<String>,
    /// State or region.
    pub state: Option<String>,
    /// Postal code.
    pub zip: Option<String>,
    /// Country name.
    pub country: Option<String>,
    /// ISO country code.
    pub country_code: Option<String>,
    /// `HOME`, `WORK`, ...
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// Organization on a shared contact card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "ContactOrg")]
pub struct ContactOrg {
    /// Company name.
    pub company: Option<String>,
    /// Department.
    pub department: Option<String>,
    /// Job title.
    pub title: Option<String>,
}

/// A URL on a shared contact card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "ContactUrl")]
pub struct ContactUrl {
    /// The URL.
    pub url: Option<String>,
    /// `HOME`, `WORK`, ...
    #[serde(rename = "type")]
    pub kind: Option<String>,
}

/// One shared contact card (`contacts` holds an array of these): Meta's card, unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "SharedContact")]
pub struct SharedContact {
    /// The contact's name.
    pub name: Option<ContactName>,
    /// Phone numbers.
    pub phones: Option<Vec<ContactPhone>>,
    /// E-mail addresses.
    pub emails: Option<Vec<ContactEmail>>,
    /// Postal addresses.
    pub addresses: Option<Vec<ContactAddress>>,
    /// Organization.
    pub org: Option<ContactOrg>,
    /// URLs.
    pub urls: Option<Vec<ContactUrl>>,
    /// Birthday, `YYYY-MM-DD`.
    pub birthday: Option<String>,
}

/// A system message (`system`): number change, identity change, user-id change. Meta's object,
/// unchanged; unknown `type` values pass through.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "SystemChange")]
pub struct SystemChange {
    /// `user_changed_number`, `user_changed_user_id`, `customer_changed_number` (legacy),
    /// `customer_identity_changed` (legacy), or a value Meta adds later.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Human-readable text from Meta, in English.
    pub body: Option<String>,
    /// New WhatsApp id after a number change.
    pub wa_id: Option<String>,
    /// New WhatsApp id (legacy name, API v11 and older).
    pub new_wa_id: Option<String>,
    /// The user's previous WhatsApp id (legacy shapes).
    pub customer: Option<String>,
    /// New identity hash (`customer_identity_changed`).
    pub identity: Option<String>,
    /// New business-scoped user id.
    pub user_id: Option<String>,
    /// Previous business-scoped user id.
    pub previous_user_id: Option<String>,
    /// New parent business-scoped user id.
    pub parent_user_id: Option<String>,
    /// Previous parent business-scoped user id.
    pub previous_parent_user_id: Option<String>,
}

/// A product referred to by the message (`context.referred_product`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "ReferredProduct")]
pub struct ReferredProduct {
    /// Catalog id.
    pub catalog_id: Option<String>,
    /// The product's retailer id (SKU).
    pub product_retailer_id: Option<String>,
}

/// Meta's message `context`, unchanged: what the message replies to or was forwarded as.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "MessageContext")]
pub struct MessageContext {
    /// Who sent the quoted message (normally the business number).
    pub from: Option<String>,
    /// wamid of the quoted or tapped message: the join key to the business's outbound message.
    pub id: Option<String>,
    /// `true` when the user forwarded the message.
    pub forwarded: Option<bool>,
    /// `true` when the message was forwarded many times.
    pub frequently_forwarded: Option<bool>,
    /// Product the user asked about.
    pub referred_product: Option<ReferredProduct>,
}

/// Welcome message of a Click-to-WhatsApp ad.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "WelcomeMessage")]
pub struct WelcomeMessage {
    /// The prefilled text.
    pub text: Option<String>,
}

/// Meta's `referral` object, unchanged: the ad or post the user came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "Referral")]
pub struct Referral {
    /// URL of the ad or post.
    pub source_url: Option<String>,
    /// Id of the ad or post.
    pub source_id: Option<String>,
    /// `ad` or `post`.
    pub source_type: Option<String>,
    /// Headline of the ad.
    pub headline: Option<String>,
    /// Body text of the ad.
    pub body: Option<String>,
    /// `image` or `video`.
    pub media_type: Option<String>,
    /// Image of the ad.
    pub image_url: Option<String>,
    /// Video of the ad.
    pub video_url: Option<String>,
    /// Thumbnail of the ad's video.
    pub thumbnail_url: Option<String>,
    /// Click id of a Click-to-WhatsApp ad.
    pub ctwa_clid: Option<String>,
    /// Welcome message shown to the user.
    pub welcome_message: Option<WelcomeMessage>,
}

/// Details Meta gives about an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "MetaErrorData")]
pub struct MetaErrorData {
    /// Explanation of the error.
    pub details: Option<String>,
}

/// One of Meta's `errors[]` items, unchanged.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "MetaError")]
pub struct MetaError {
    /// Meta's error code, e.g. `131051`.
    pub code: Option<i64>,
    /// Short error title.
    pub title: Option<String>,
    /// Error message (usually equal to the title).
    pub message: Option<String>,
    /// Legacy explanation (`unknown` messages).
    pub details: Option<String>,
    /// Further details.
    pub error_data: Option<MetaErrorData>,
    /// Link to Meta's error code reference.
    pub href: Option<String>,
}

/// The members of Meta's message or status object that no documented field carries,
/// exactly as they came: members Meta adds later, the legacy `identity` object, a payload
/// object of another type than the message's. Nothing Meta sends is dropped.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "ExtraMembers")]
pub struct ExtraMembers(pub std::collections::BTreeMap<String, serde_json::Value>);

/// The message type's own object for types the seed does not describe (reaction, order,
/// request_welcome, edit, revoke, interactive replies, unsupported/unknown with Meta's
/// `errors`, and any type Meta adds later): `{"type": <messageType>, "<type>": {...}}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "MessageDetails")]
pub struct MessageDetails {
    /// Meta's message type (same as `messageType`).
    #[serde(rename = "type")]
    pub kind: String,
    /// Meta's `errors[]` of the message, when it carried any (unsupported/unknown types).
    pub errors: Option<Vec<MetaError>>,
}
