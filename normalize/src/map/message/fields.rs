//! Reading the parts of a message, with the reason when a part cannot become an event.

use std::borrow::Cow;

use serde_json::value::RawValue;
use wa_schemas::ReasonKind;

use crate::lenient::{LStr, Lenient, Obj};
use crate::minify::minify;

/// Why a message cannot become an event.
pub(crate) struct Reject {
    pub kind: ReasonKind,
    pub detail: String,
}

pub(crate) fn reject(kind: ReasonKind, detail: impl Into<String>) -> Reject {
    Reject {
        kind,
        detail: detail.into(),
    }
}

/// A member the message cannot do without.
pub(crate) fn required<'v>(field: &'v LStr<'_>, name: &str) -> Result<&'v str, Reject> {
    match field {
        Lenient::Ok(text) if !text.is_empty() => Ok(text),
        Lenient::Bad(found) => Err(reject(
            ReasonKind::InvalidField,
            format!("`{name}` is not a string (found {found})"),
        )),
        _ => Err(reject(
            ReasonKind::MissingField,
            format!("the message has no `{name}`"),
        )),
    }
}

/// A text field of a payload: absent is `""`, another shape is unsupported.
pub(crate) fn text_of<'a>(field: LStr<'a>, name: &str) -> Result<Cow<'a, str>, Reject> {
    match field {
        Lenient::Ok(text) => Ok(text),
        Lenient::Missing => Ok(Cow::Borrowed("")),
        Lenient::Bad(found) => Err(reject(
            ReasonKind::UnsupportedField,
            format!("`{name}` is not a string (found {found})"),
        )),
    }
}

/// The JSON type named by a rejected or absent lenient value.
pub(crate) fn found<T>(value: &Lenient<T>) -> &'static str {
    match value {
        Lenient::Bad(found) => found,
        _ => "null",
    }
}

/// A payload object that must be there and of its documented shape.
pub(crate) fn parse_payload<'a, T: serde::Deserialize<'a>>(
    raw: &'a RawValue,
    name: &str,
) -> Result<T, Reject> {
    match serde_json::from_str(raw.get()) {
        Ok(Lenient::Ok(Obj(value))) => Ok(value),
        Ok(other) => Err(reject(
            ReasonKind::UnsupportedField,
            format!("`{name}` is not an object (found {})", found(&other)),
        )),
        Err(e) => Err(reject(
            ReasonKind::UnsupportedField,
            format!("`{name}` does not have the documented shape: {e}"),
        )),
    }
}

/// The object a kind names (`text`, `image`, ...). Required at the top level; the nested
/// message of an edit may lack it (`top` false), which is not ours to reject.
pub(crate) fn kind_object<'m, T: serde::Deserialize<'m>>(
    raw: Option<&'m RawValue>,
    what: &str,
    top: bool,
) -> Result<Option<T>, Reject> {
    let field = match raw {
        None => Lenient::Missing,
        Some(raw) => serde_json::from_str::<Lenient<Obj<T>>>(raw.get()).map_err(|e| {
            reject(
                ReasonKind::UnsupportedField,
                format!("`{what}` does not have the documented shape: {e}"),
            )
        })?,
    };
    match field {
        Lenient::Ok(Obj(value)) => Ok(Some(value)),
        Lenient::Missing if !top => Ok(None),
        Lenient::Missing => Err(reject(
            ReasonKind::MissingField,
            format!("a message of type `{what}` without its `{what}` object"),
        )),
        Lenient::Bad(found) => Err(reject(
            ReasonKind::UnsupportedField,
            format!("`{what}` is not an object (found {found})"),
        )),
    }
}

/// A Meta object passed on verbatim, checked against the type its `contentSchema`
/// documents, so consumers' generated types can always read it. `None` when absent.
pub(crate) fn checked<'de, T: serde::Deserialize<'de>>(
    raw: Option<&'de RawValue>,
    name: &str,
    open: u8,
) -> Result<Option<String>, Reject> {
    let Some(raw) = raw else { return Ok(None) };
    if raw.get() == "null" {
        return Ok(None);
    }
    let what = if open == b'{' {
        "an object"
    } else {
        "an array"
    };
    if raw.get().as_bytes().first() != Some(&open) {
        return Err(reject(
            ReasonKind::UnsupportedField,
            format!("`{name}` is not {what}"),
        ));
    }
    serde_json::from_str::<T>(raw.get()).map_err(|e| {
        reject(
            ReasonKind::UnsupportedField,
            format!("`{name}` does not have the documented shape: {e}"),
        )
    })?;
    Ok(Some(minify(raw.get())))
}

/// Like [`checked`], for the payload a message type requires.
pub(crate) fn required_payload<'de, T: serde::Deserialize<'de>>(
    raw: Option<&'de RawValue>,
    name: &str,
    open: u8,
) -> Result<String, Reject> {
    checked::<T>(raw, name, open)?.ok_or_else(|| {
        reject(
            ReasonKind::MissingField,
            format!("a message of type `{name}` without its `{name}`"),
        )
    })
}
