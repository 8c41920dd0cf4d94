//! `location`: the seed's location JSON string, coordinates as strings.

use std::borrow::Cow;

use serde::Deserialize;
use wa_schemas::inner::Location as LocationOut;
use wa_schemas::ReasonKind;

use super::fields::{kind_object, reject, text_of, Reject};
use super::{Content, Message, MessageKind};
use crate::lenient::{LStr, Lenient};
use crate::map::extra;
use crate::member::WithUnread;

/// Meta's `location`: coordinates arrive as numbers (Meta) or strings (some senders). Its
/// fields are what the event carries; any other member goes to `extra`.
#[derive(Deserialize)]
struct Location<'a> {
    #[serde(borrow, default)]
    latitude: LStr<'a>,
    #[serde(borrow, default)]
    longitude: LStr<'a>,
    #[serde(borrow, default)]
    name: LStr<'a>,
    #[serde(borrow, default)]
    address: LStr<'a>,
    #[serde(borrow, default)]
    url: LStr<'a>,
}

pub(super) fn content<'a>(message: &Message<'a>, top: bool) -> Result<Content<'a>, Reject> {
    let mut content = Content::default();
    let raw = message.payload(MessageKind::Location);
    if let Some(WithUnread {
        value: location,
        unread,
    }) = kind_object::<WithUnread<Location>>(raw, "location", top)?
    {
        content.unread = extra::sorted(&unread);
        let out = LocationOut {
            address: text_of(location.address, "location.address")?,
            latitude: coordinate(&location.latitude, "latitude")?,
            longitude: coordinate(&location.longitude, "longitude")?,
            name: text_of(location.name, "location.name")?,
            url: text_of(location.url, "location.url")?,
        };
        content.location = Some(serde_json::to_string(&out).expect("serializes"));
    }
    Ok(content)
}

/// A coordinate as the seed's string: numbers keep their shortest decimal form.
fn coordinate<'a>(field: &LStr<'a>, name: &str) -> Result<Cow<'a, str>, Reject> {
    match field {
        Lenient::Ok(text) if text.trim().parse::<f64>().is_ok_and(f64::is_finite) => {
            Ok(text.clone())
        }
        Lenient::Missing => Err(reject(
            ReasonKind::MissingField,
            format!("a `location` without `{name}`"),
        )),
        _ => Err(reject(
            ReasonKind::UnsupportedField,
            format!("`location.{name}` is not a number"),
        )),
    }
}
