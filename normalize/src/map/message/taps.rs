//! Taps: a template quick-reply `button`, an interactive `button_reply` or `list_reply`,
//! a completed flow (`nfm_reply`). Each is a postback; other interactive kinds (call
//! permission replies, future ones) are MO events with the object in `details`.

use std::borrow::Cow;

use serde::Deserialize;
use wa_schemas::ReasonKind;

use super::fields::{parse_payload, reject, text_of, Reject};
use super::{Message, MessageKind};
use crate::lenient::LStr;

/// The button or reply a postback carries.
pub(super) struct Tap<'a> {
    pub payload: Cow<'a, str>,
    pub text: Cow<'a, str>,
}

/// Meta's `button` (template quick reply).
#[derive(Deserialize)]
struct Button<'a> {
    #[serde(borrow, default)]
    payload: LStr<'a>,
    #[serde(borrow, default)]
    text: LStr<'a>,
}

/// Meta's `interactive`: the reply kind and its object.
#[derive(Deserialize)]
struct Interactive<'a> {
    #[serde(borrow, default, rename = "type")]
    kind: LStr<'a>,
    #[serde(borrow, default)]
    button_reply: Option<Reply<'a>>,
    #[serde(borrow, default)]
    list_reply: Option<Reply<'a>>,
    #[serde(borrow, default)]
    nfm_reply: Option<FlowReply<'a>>,
}

/// `button_reply` / `list_reply`.
#[derive(Deserialize)]
struct Reply<'a> {
    #[serde(borrow, default)]
    id: LStr<'a>,
    #[serde(borrow, default)]
    title: LStr<'a>,
}

/// `nfm_reply` (a completed flow).
#[derive(Deserialize)]
struct FlowReply<'a> {
    #[serde(borrow, default)]
    body: LStr<'a>,
    #[serde(borrow, default)]
    response_json: LStr<'a>,
}

/// The tap of a `button` or `interactive` message; `None` when it is not a tap.
pub(super) fn tap<'a>(
    kind: MessageKind<'_>,
    message: &Message<'a>,
) -> Result<Option<Tap<'a>>, Reject> {
    let name = kind.name();
    let raw = message.payload(kind).ok_or_else(|| {
        reject(
            ReasonKind::MissingField,
            format!("a message of type `{name}` without its `{name}` object"),
        )
    })?;
    if kind == MessageKind::Button {
        let button: Button<'a> = parse_payload(raw, "button")?;
        return Ok(Some(Tap {
            payload: text_of(button.payload, "button.payload")?,
            text: text_of(button.text, "button.text")?,
        }));
    }
    let interactive: Interactive<'a> = parse_payload(raw, "interactive")?;
    let missing = |what: &str| {
        reject(
            ReasonKind::MissingField,
            format!("an `interactive` message of type `{what}` without its `{what}` object"),
        )
    };
    let what = interactive.kind.as_str();
    let (reply, payload_name, text_name) = match what {
        "button_reply" => (interactive.button_reply, "reply id", "reply title"),
        "list_reply" => (interactive.list_reply, "reply id", "reply title"),
        "nfm_reply" => {
            let reply = interactive.nfm_reply.ok_or_else(|| missing(what))?;
            return Ok(Some(Tap {
                payload: text_of(reply.response_json, "nfm_reply.response_json")?,
                text: text_of(reply.body, "nfm_reply.body")?,
            }));
        }
        _ => return Ok(None),
    };
    let reply = reply.ok_or_else(|| missing(what))?;
    Ok(Some(Tap {
        payload: text_of(reply.id, payload_name)?,
        text: text_of(reply.title, text_name)?,
    }))
}
