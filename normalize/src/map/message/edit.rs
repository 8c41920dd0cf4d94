//! `edit` (Coexistence numbers): the new content of an earlier message maps like that
//! message's kind would; the whole object goes to `details`. `revoke` needs no mapping of
//! its own: its object goes to `details` (see the fallback in the dispatch).

use serde::Deserialize;

use super::fields::{parse_payload, Reject};
use super::{Body, Content, Message, MessageKind};
use crate::lenient::{Lenient, Obj};
use crate::map::Ctx;

/// Meta's `edit` object.
#[derive(Deserialize)]
struct Edit<'a> {
    #[serde(borrow, default)]
    message: Lenient<Obj<Message<'a>>>,
}

pub(super) fn content<'a>(ctx: &Ctx<'_, 'a>, message: &Message<'a>) -> Result<Content<'a>, Reject> {
    let Some(raw) = message.payload(MessageKind::Edit) else {
        return Ok(Content::default());
    };
    let edit: Edit<'a> = parse_payload(raw, "edit")?;
    let Lenient::Ok(Obj(inner)) = &edit.message else {
        return Ok(Content::default());
    };
    let kind = MessageKind::parse(inner.kind.as_str());
    match ctx.kind_body(kind, inner, false)? {
        // The nested object's other members are in `details`, with the whole edit.
        Body::Mo(content) => Ok(Content {
            unread: None,
            ..content
        }),
        Body::Postback(_) => Ok(Content::default()),
    }
}
