//! `text`: the body becomes the MO `message`.

use serde::Deserialize;

use super::fields::{kind_object, text_of, Reject};
use super::{Content, Message, MessageKind};
use crate::lenient::LStr;
use crate::map::extra;
use crate::member::WithUnread;

/// Meta's `text` object: its fields are what the event carries; any other member goes to
/// `extra`.
#[derive(Deserialize)]
struct Text<'a> {
    #[serde(borrow, default)]
    body: LStr<'a>,
}

pub(super) fn content<'a>(message: &Message<'a>, top: bool) -> Result<Content<'a>, Reject> {
    let mut content = Content::default();
    let raw = message.payload(MessageKind::Text);
    if let Some(WithUnread { value, unread }) = kind_object::<WithUnread<Text>>(raw, "text", top)? {
        content.message = text_of(value.body, "text.body")?;
        content.unread = extra::sorted(&unread);
    }
    Ok(content)
}
