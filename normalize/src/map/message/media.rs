//! `image`, `audio`, `video`, `document`, `sticker`: one attachment each.

use std::borrow::Cow;

use serde::Deserialize;
use wa_schemas::inner::Attachment;

use super::fields::{kind_object, text_of, Reject};
use super::{Content, Message, MessageKind};
use crate::config::Config;
use crate::lenient::{LBool, LStr};
use crate::map::extra;
use crate::member::WithUnread;

/// Meta's media object: its fields are what the attachment carries; any other member goes
/// to `extra`.
#[derive(Deserialize)]
struct Media<'a> {
    #[serde(borrow, default)]
    id: LStr<'a>,
    #[serde(borrow, default)]
    mime_type: LStr<'a>,
    #[serde(borrow, default)]
    sha256: LStr<'a>,
    #[serde(borrow, default)]
    caption: LStr<'a>,
    #[serde(borrow, default)]
    filename: LStr<'a>,
    #[serde(borrow, default)]
    url: LStr<'a>,
    #[serde(default)]
    voice: LBool,
    #[serde(default)]
    animated: LBool,
}

pub(super) fn content<'a>(
    config: &Config,
    kind: MessageKind<'_>,
    message: &Message<'a>,
    top: bool,
) -> Result<Content<'a>, Reject> {
    let mut content = Content::default();
    let raw = message.payload(kind);
    if let Some(WithUnread { value, unread }) =
        kind_object::<WithUnread<Media>>(raw, kind.name(), top)?
    {
        content.attachments = Some(attachments(config, kind.name(), &value)?);
        content.unread = extra::sorted(&unread);
    }
    Ok(content)
}

/// The seed's `attachments` JSON string. Meta sends a media id; the URL comes from the
/// configured template unless Meta sent one.
fn attachments(config: &Config, kind: &str, media: &Media<'_>) -> Result<String, Reject> {
    let id = text_of(media.id.clone(), "media id")?;
    let url = match media.url.as_str() {
        "" if id.is_empty() => Cow::Borrowed(""),
        "" => Cow::Owned(config.media_url_template.replace("{media_id}", &id)),
        url => Cow::Borrowed(url),
    };
    fn some<'m>(s: &'m LStr<'_>) -> Option<Cow<'m, str>> {
        match s.as_str() {
            "" => None,
            text => Some(Cow::Borrowed(text)),
        }
    }
    let attachment = Attachment {
        mime_type: text_of(media.mime_type.clone(), "mime_type")?,
        url,
        id: id.clone(),
        sha256: Cow::Borrowed(media.sha256.as_str()),
        kind: Cow::Borrowed(kind),
        caption: some(&media.caption),
        filename: some(&media.filename),
        voice: media.voice.ok().copied(),
        animated: media.animated.ok().copied(),
        storage_key: None,
        file_size: None,
        error: None,
    };
    Ok(serde_json::to_string(&[attachment]).expect("serializes"))
}
