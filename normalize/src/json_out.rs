//! A JSON serializer writing straight into the output buffer.
//!
//! It produces exactly the bytes `serde_json::to_writer` would (a property test compares
//! them on arbitrary values and on every fixture's records), without the per-write
//! `io::Write` overhead: the delivery receipts spent a third of their time there. Struct
//! field names are written without escaping: they are the event types' own identifiers.

use std::fmt;

use serde::ser::{self, Serialize};

/// serde_json's marker for `RawValue`, whose text is written as it is.
const RAW_VALUE_TOKEN: &str = "$serde_json::private::RawValue";

/// Appends the JSON of `value` to `out`.
///
/// # Errors
/// Only for values JSON cannot represent the way our event types never are (map keys that
/// are not strings, `RawValue`s that are not text).
pub fn to_vec<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> Result<(), Error> {
    value.serialize(&mut Writer { out })
}

/// Why a value could not be written.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Error(String);

impl ser::Error for Error {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Error(msg.to_string())
    }
}

struct Writer<'b> {
    out: &'b mut Vec<u8>,
}

const HEX: &[u8; 16] = b"0123456789abcdef";
const UU: u8 = b'u';
const __: u8 = 0;
/// For each byte: 0 when it needs no escape, else the escape letter (`u` for `\u00XX`).
static ESCAPE: [u8; 256] = {
    let mut table = [__; 256];
    let mut i = 0;
    while i < 0x20 {
        table[i] = UU;
        i += 1;
    }
    table[0x08] = b'b';
    table[0x09] = b't';
    table[0x0a] = b'n';
    table[0x0c] = b'f';
    table[0x0d] = b'r';
    table[b'"' as usize] = b'"';
    table[b'\\' as usize] = b'\\';
    table
};

fn write_str(out: &mut Vec<u8>, s: &str) {
    let bytes = s.as_bytes();
    out.reserve(bytes.len() + 2);
    out.push(b'"');
    let mut start = 0;
    for (i, &b) in bytes.iter().enumerate() {
        let escape = ESCAPE[usize::from(b)];
        if escape == 0 {
            continue;
        }
        out.extend_from_slice(&bytes[start..i]);
        if escape == UU {
            out.extend_from_slice(b"\\u00");
            out.push(HEX[usize::from(b >> 4)]);
            out.push(HEX[usize::from(b & 0xf)]);
        } else {
            out.push(b'\\');
            out.push(escape);
        }
        start = i + 1;
    }
    out.extend_from_slice(&bytes[start..]);
    out.push(b'"');
}

enum Kind {
    Seq,
    Map,
    /// A struct; `variant` closes the extra object of a struct or tuple variant.
    Struct {
        variant: bool,
    },
    TupleVariant,
    Raw,
}

struct Compound<'a, 'b> {
    writer: &'a mut Writer<'b>,
    first: bool,
    kind: Kind,
}

impl Compound<'_, '_> {
    fn comma(&mut self) {
        if self.first {
            self.first = false;
        } else {
            self.writer.out.push(b',');
        }
    }
}

impl<'a, 'b> ser::Serializer for &'a mut Writer<'b> {
    type Ok = ();
    type Error = Error;
    type SerializeSeq = Compound<'a, 'b>;
    type SerializeTuple = Compound<'a, 'b>;
    type SerializeTupleStruct = Compound<'a, 'b>;
    type SerializeTupleVariant = Compound<'a, 'b>;
    type SerializeMap = Compound<'a, 'b>;
    type SerializeStruct = Compound<'a, 'b>;
    type SerializeStructVariant = Compound<'a, 'b>;

    fn serialize_bool(self, v: bool) -> Result<(), Error> {
        self.out
            .extend_from_slice(if v { b"true" } else { b"false" });
        Ok(())
    }
    fn serialize_i8(self, v: i8) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i16(self, v: i16) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i32(self, v: i32) -> Result<(), Error> {
        self.serialize_i64(i64::from(v))
    }
    fn serialize_i64(self, v: i64) -> Result<(), Error> {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        Ok(())
    }
    fn serialize_i128(self, v: i128) -> Result<(), Error> {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        Ok(())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u16(self, v: u16) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u32(self, v: u32) -> Result<(), Error> {
        self.serialize_u64(u64::from(v))
    }
    fn serialize_u64(self, v: u64) -> Result<(), Error> {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        Ok(())
    }
    fn serialize_u128(self, v: u128) -> Result<(), Error> {
        self.out
            .extend_from_slice(itoa::Buffer::new().format(v).as_bytes());
        Ok(())
    }
    // Floats are rare here (our events have none): serde_json's own spelling, exactly.
    fn serialize_f32(self, v: f32) -> Result<(), Error> {
        serde_json::to_writer(&mut *self.out, &v).map_err(ser::Error::custom)
    }
    fn serialize_f64(self, v: f64) -> Result<(), Error> {
        serde_json::to_writer(&mut *self.out, &v).map_err(ser::Error::custom)
    }
    fn serialize_char(self, v: char) -> Result<(), Error> {
        self.serialize_str(v.encode_utf8(&mut [0u8; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Error> {
        write_str(self.out, v);
        Ok(())
    }
    fn serialize_bytes(self, v: &[u8]) -> Result<(), Error> {
        use ser::SerializeSeq;
        let mut seq = self.serialize_seq(Some(v.len()))?;
        for b in v {
            seq.serialize_element(b)?;
        }
        seq.end()
    }
    fn serialize_none(self) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Error> {
        self.out.extend_from_slice(b"null");
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
        self.serialize_unit()
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Error> {
        self.serialize_str(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<(), Error> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.push(b':');
        value.serialize(&mut *self)?;
        self.out.push(b'}');
        Ok(())
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        self.out.push(b'[');
        Ok(Compound {
            writer: self,
            first: true,
            kind: Kind::Seq,
        })
    }
    fn serialize_tuple(self, len: usize) -> Result<Compound<'a, 'b>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.serialize_seq(Some(len))
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.extend_from_slice(b":[");
        Ok(Compound {
            writer: self,
            first: true,
            kind: Kind::TupleVariant,
        })
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Compound<'a, 'b>, Error> {
        self.out.push(b'{');
        Ok(Compound {
            writer: self,
            first: true,
            kind: Kind::Map,
        })
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Compound<'a, 'b>, Error> {
        if name == RAW_VALUE_TOKEN {
            return Ok(Compound {
                writer: self,
                first: true,
                kind: Kind::Raw,
            });
        }
        self.out.push(b'{');
        Ok(Compound {
            writer: self,
            first: true,
            kind: Kind::Struct { variant: false },
        })
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Compound<'a, 'b>, Error> {
        self.out.push(b'{');
        write_str(self.out, variant);
        self.out.extend_from_slice(b":{");
        Ok(Compound {
            writer: self,
            first: true,
            kind: Kind::Struct { variant: true },
        })
    }
}

impl Compound<'_, '_> {
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.comma();
        value.serialize(&mut *self.writer)
    }

    fn close(self) -> Result<(), Error> {
        match self.kind {
            Kind::Seq => self.writer.out.push(b']'),
            Kind::TupleVariant => self.writer.out.extend_from_slice(b"]}"),
            Kind::Map | Kind::Struct { variant: false } => self.writer.out.push(b'}'),
            Kind::Struct { variant: true } => self.writer.out.extend_from_slice(b"}}"),
            Kind::Raw => {}
        }
        Ok(())
    }

    fn field<T: Serialize + ?Sized>(&mut self, key: &'static str, value: &T) -> Result<(), Error> {
        if let Kind::Raw = self.kind {
            // RawValue's only field is its JSON text.
            return value.serialize(RawText(self.writer.out));
        }
        self.comma();
        let out = &mut *self.writer.out;
        out.push(b'"');
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        value.serialize(&mut *self.writer)
    }
}

/// The sequence-like compounds differ only in the name of their element method.
macro_rules! elements {
    ($($trait:ident :: $method:ident),*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn $method<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
                self.element(value)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

elements!(
    SerializeSeq::serialize_element,
    SerializeTuple::serialize_element,
    SerializeTupleStruct::serialize_field,
    SerializeTupleVariant::serialize_field
);

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = Error;
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Error> {
        self.comma();
        key.serialize(MapKey(self.writer.out))
    }
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Error> {
        self.writer.out.push(b':');
        value.serialize(&mut *self.writer)
    }
    fn end(self) -> Result<(), Error> {
        self.close()
    }
}

/// Structs and struct variants write their fields the same way.
macro_rules! fields {
    ($($trait:ident),*) => {$(
        impl ser::$trait for Compound<'_, '_> {
            type Ok = ();
            type Error = Error;
            fn serialize_field<T: Serialize + ?Sized>(
                &mut self,
                key: &'static str,
                value: &T,
            ) -> Result<(), Error> {
                self.field(key, value)
            }
            fn end(self) -> Result<(), Error> {
                self.close()
            }
        }
    )*};
}

fields!(SerializeStruct, SerializeStructVariant);

/// Accepts only a string and writes it unescaped: a `RawValue`'s JSON text.
struct RawText<'o>(&'o mut Vec<u8>);

/// Accepts only a string and writes it as a JSON string: a map key.
struct MapKey<'o>(&'o mut Vec<u8>);

macro_rules! only_str {
    ($ty:ident, $what:literal, |$out:ident, $v:ident| $write:expr) => {
        impl ser::Serializer for $ty<'_> {
            type Ok = ();
            type Error = Error;
            type SerializeSeq = ser::Impossible<(), Error>;
            type SerializeTuple = ser::Impossible<(), Error>;
            type SerializeTupleStruct = ser::Impossible<(), Error>;
            type SerializeTupleVariant = ser::Impossible<(), Error>;
            type SerializeMap = ser::Impossible<(), Error>;
            type SerializeStruct = ser::Impossible<(), Error>;
            type SerializeStructVariant = ser::Impossible<(), Error>;

            fn serialize_str(self, $v: &str) -> Result<(), Error> {
                let $out = self.0;
                $write;
                Ok(())
            }
            fn serialize_bool(self, _: bool) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_i64(self, _: i64) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_u64(self, _: u64) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_f64(self, _: f64) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_i8(self, _: i8) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_i16(self, _: i16) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_i32(self, _: i32) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_u8(self, _: u8) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_u16(self, _: u16) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_u32(self, _: u32) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_f32(self, _: f32) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_char(self, _: char) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_bytes(self, _: &[u8]) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_none(self) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_unit(self) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_unit_struct(self, _: &'static str) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_unit_variant(
                self,
                _: &'static str,
                _: u32,
                _: &'static str,
            ) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_newtype_struct<T: Serialize + ?Sized>(
                self,
                _: &'static str,
                _: &T,
            ) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_newtype_variant<T: Serialize + ?Sized>(
                self,
                _: &'static str,
                _: u32,
                _: &'static str,
                _: &T,
            ) -> Result<(), Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_tuple_struct(
                self,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeTupleStruct, Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_tuple_variant(
                self,
                _: &'static str,
                _: u32,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeTupleVariant, Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_struct(
                self,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeStruct, Error> {
                Err(ser::Error::custom($what))
            }
            fn serialize_struct_variant(
                self,
                _: &'static str,
                _: u32,
                _: &'static str,
                _: usize,
            ) -> Result<Self::SerializeStructVariant, Error> {
                Err(ser::Error::custom($what))
            }
        }
    };
}

only_str!(RawText, "a RawValue holds text", |out, v| out
    .extend_from_slice(v.as_bytes()));
only_str!(MapKey, "map keys must be strings", |out, v| write_str(
    out, v
));

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    fn ours<T: Serialize>(value: &T) -> Vec<u8> {
        let mut out = Vec::new();
        to_vec(&mut out, value).unwrap();
        out
    }

    #[test]
    fn escapes_like_serde_json() {
        let text = "q\" b\\ c\u{1} \u{1f} \u{7f} \n\r\t\u{8}\u{c} / é 😀";
        assert_eq!(ours(&text), serde_json::to_vec(&text).unwrap());
    }

    #[test]
    fn raw_values_and_enums() {
        #[derive(serde::Serialize)]
        enum E {
            Unit,
            New(u8),
            Tuple(u8, bool),
            Struct { a: f64 },
        }
        let raw = serde_json::value::RawValue::from_string("{\"k\": [1, 2]}".into()).unwrap();
        let value = (
            raw,
            vec![E::Unit, E::New(1), E::Tuple(2, true), E::Struct { a: 0.1 }],
            f64::NAN,
            'x',
            (),
        );
        assert_eq!(ours(&value), serde_json::to_vec(&value).unwrap());
    }

    fn any_json() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            any::<i64>().prop_map(Value::from),
            any::<u64>().prop_map(Value::from),
            any::<f64>().prop_map(Value::from),
            any::<String>().prop_map(Value::String),
        ];
        leaf.prop_recursive(4, 48, 8, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..8).prop_map(Value::Array),
                prop::collection::btree_map(any::<String>(), inner, 0..8)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        #[test]
        fn the_same_bytes_as_serde_json(value in any_json()) {
            prop_assert_eq!(ours(&value), serde_json::to_vec(&value).unwrap());
        }
    }
}
