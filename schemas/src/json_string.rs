//! Schemas for the seed's JSON-in-string fields.
//!
//! The seed encodes nested objects as JSON text inside a string (`attachments`, `location`,
//! ...). Consumers built on the seed expect strings, so we keep them; `contentMediaType` and
//! `contentSchema` tell code generators and validators what the string holds.

use schemars::{json_schema, JsonSchema, Schema, SchemaGenerator};

/// A string holding JSON text of `T`, or `""` when there is nothing to carry.
pub fn json_string_or_empty<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    let inner = generator.subschema_for::<T>();
    json_schema!({
        "type": "string",
        "contentMediaType": "application/json",
        "contentSchema": inner,
    })
}

/// A string that always holds JSON text of `T` (never empty).
pub fn json_string<T: JsonSchema>(generator: &mut SchemaGenerator) -> Schema {
    let inner = generator.subschema_for::<T>();
    json_schema!({
        "type": "string",
        "minLength": 2,
        "contentMediaType": "application/json",
        "contentSchema": inner,
    })
}

/// An ISO-8601 UTC timestamp with milliseconds, e.g. `2026-01-01T00:00:00.000Z`.
pub fn timestamp(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": "string",
        "format": "date-time",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
        "examples": ["2026-01-01T00:00:00.000Z"],
    })
}

/// Like [`timestamp`], or `null` when Meta sent no time.
pub fn timestamp_or_null(_: &mut SchemaGenerator) -> Schema {
    json_schema!({
        "type": ["string", "null"],
        "format": "date-time",
        "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\\.[0-9]{3}Z$",
        "examples": ["2026-01-01T00:00:00.000Z"],
    })
}

/// A JSON object passed through as Meta sent it.
pub fn any_object(_: &mut SchemaGenerator) -> Schema {
    json_schema!({ "type": "object" })
}
