//! `order`: the note the user wrote becomes the MO `message`; the order goes to `details`.

use std::borrow::Cow;

use serde::Deserialize;

use super::{Content, Message, MessageKind};
use crate::lenient::LStr;

/// The parts of Meta's `order` object the mapping reads.
#[derive(Deserialize)]
struct Order<'a> {
    #[serde(borrow, default)]
    text: LStr<'a>,
}

/// A malformed order still maps: its object is passed on in `details` as it came.
pub(super) fn content<'a>(message: &Message<'a>) -> Content<'a> {
    let mut content = Content::default();
    if let Some(order) = message.payload(MessageKind::Order) {
        if let Ok(order) = serde_json::from_str::<Order<'a>>(order.get()) {
            content.message = Cow::Owned(order.text.as_str().to_owned());
        }
    }
    content
}
