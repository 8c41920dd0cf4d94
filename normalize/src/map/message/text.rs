//! `text`: the body becomes the MO `message`.

use serde::Deserialize;

use super::fields::{kind_object, text_of, Reject};
use super::{Content, Message, MessageKind};
use crate::lenient::LStr;

/// The members of `text` the event carries; any other goes to `extra`.
pub(super) const READ: &[&str] = &["body"];

/// Meta's `text` object.
#[derive(Deserialize)]
struct Text<'a> {
    #[serde(borrow, default)]
    body: LStr<'a>,
}

pub(super) fn content<'a>(message: &Message<'a>, top: bool) -> Result<Content<'a>, Reject> {
    let mut content = Content::default();
    if let Some(text) = kind_object::<Text>(message.payload(MessageKind::Text), "text", top)? {
        content.message = text_of(text.body, "text.body")?;
    }
    Ok(content)
}
