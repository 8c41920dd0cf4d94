//! Deserializers that never reject a well-formed JSON value.
//!
//! A webhook body is parsed in one pass. A field of the wrong shape must not take the rest of
//! the body down with it, so the envelope is built from these wrappers: each one accepts the
//! shape it expects and records anything else as [`Lenient::Bad`] after skipping over it. Only
//! a JSON syntax error can fail the parse.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::MapAccessDeserializer;
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A field as found in the body.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Lenient<T> {
    /// Absent or `null`.
    #[default]
    Missing,
    /// Present with the expected shape.
    Ok(T),
    /// Present with another shape; names the JSON type found.
    Bad(&'static str),
}

impl<T> Lenient<T> {
    /// The value when it has the expected shape.
    pub fn ok(&self) -> Option<&T> {
        match self {
            Lenient::Ok(v) => Some(v),
            _ => None,
        }
    }

    /// The value when it has the expected shape, by value.
    pub fn into_ok(self) -> Option<T> {
        match self {
            Lenient::Ok(v) => Some(v),
            _ => None,
        }
    }
}

/// Skips the rest of a map, so a rejected value is consumed whole.
fn drain_map<'de, A: MapAccess<'de>>(mut map: A) -> Result<(), A::Error> {
    while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
    Ok(())
}

fn drain_seq<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<(), A::Error> {
    while seq.next_element::<IgnoredAny>()?.is_some() {}
    Ok(())
}

/// The visitor methods every wrapper shares: `null` is missing, and each JSON type listed
/// after `reject` is recorded as found (and skipped, for objects and arrays).
macro_rules! lenient_visitor {
    (reject $($kind:ident)*) => {
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(Lenient::Missing)
        }
        $(lenient_visitor!(@ $kind);)*
    };
    (@ bool) => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(Lenient::Bad("boolean"))
        }
    };
    (@ number) => {
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(Lenient::Bad("number"))
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(Lenient::Bad("number"))
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(Lenient::Bad("number"))
        }
    };
    (@ string) => {
        fn visit_str<E: de::Error>(self, _: &str) -> Result<Self::Value, E> {
            Ok(Lenient::Bad("string"))
        }
    };
    (@ object) => {
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            drain_map(map)?;
            Ok(Lenient::Bad("object"))
        }
    };
    (@ array) => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            drain_seq(seq)?;
            Ok(Lenient::Bad("array"))
        }
    };
}

/// A string; numbers are accepted and kept as their decimal text (ids and timestamps arrive
/// as numbers from some senders).
pub type LStr<'a> = Lenient<Cow<'a, str>>;

impl<'de: 'a, 'a> Deserialize<'de> for Lenient<Cow<'a, str>> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Lenient<Cow<'a, str>>;
            lenient_visitor!(reject bool object array);
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Lenient::Ok(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Lenient::Ok(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
                Ok(Lenient::Ok(Cow::Owned(v)))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(Lenient::Ok(Cow::Owned(v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Lenient::Ok(Cow::Owned(v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                Ok(Lenient::Ok(Cow::Owned(v.to_string())))
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

/// An integer; integral numeric strings are accepted (`entry.time` arrives both ways).
pub type LInt = Lenient<i64>;

impl<'de> Deserialize<'de> for Lenient<i64> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lenient<i64>;
            lenient_visitor!(reject bool object array);
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(i64::try_from(v).map_or(Lenient::Bad("number"), Lenient::Ok))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(Lenient::Ok(v))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                if v.fract() == 0.0 && v.abs() < 9.0e15 {
                    Ok(Lenient::Ok(v as i64))
                } else {
                    Ok(Lenient::Bad("number"))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(v.trim().parse().map_or(Lenient::Bad("string"), Lenient::Ok))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// A boolean.
pub type LBool = Lenient<bool>;

impl<'de> Deserialize<'de> for Lenient<bool> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Lenient<bool>;
            lenient_visitor!(reject number string object array);
            fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
                Ok(Lenient::Ok(v))
            }
        }
        deserializer.deserialize_any(V)
    }
}

/// An object deserialized as `T`. `T`'s own fields must be lenient too, so that only the
/// object's shape decides.
#[derive(Debug, Clone, PartialEq)]
pub struct Obj<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<Obj<T>> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Lenient<Obj<T>>;
            lenient_visitor!(reject bool number string array);
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(MapAccessDeserializer::new(map)).map(|v| Lenient::Ok(Obj(v)))
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

/// An array whose items are deserialized as `T` (itself lenient, so items are judged one
/// by one).
#[derive(Debug, Clone, PartialEq)]
pub struct Arr<T>(pub Vec<T>);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Lenient<Arr<T>> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = Lenient<Arr<T>>;
            lenient_visitor!(reject bool number string object);
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Lenient::Ok(Arr(items)))
            }
        }
        deserializer.deserialize_any(V(PhantomData))
    }
}

impl<'a> LStr<'a> {
    /// The text, or `""` when absent or of another shape.
    pub fn as_str(&self) -> &str {
        match self {
            Lenient::Ok(s) => s,
            _ => "",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Deserialize, Debug)]
    struct Probe<'a> {
        #[serde(borrow, default)]
        s: LStr<'a>,
        #[serde(default)]
        i: LInt,
        #[serde(default)]
        b: LBool,
        #[serde(default)]
        o: Lenient<Obj<Inner<'a>>>,
        #[serde(default)]
        a: Lenient<Arr<LStr<'a>>>,
    }

    #[derive(Deserialize, Debug, PartialEq)]
    struct Inner<'a> {
        #[serde(borrow, default)]
        x: LStr<'a>,
    }

    #[test]
    fn right_shapes_are_kept_and_strings_borrowed() {
        let p: Probe = serde_json::from_str(
            r#"{"s":"abc","i":"42","b":true,"o":{"x":7},"a":["q",1,null,{}]}"#,
        )
        .unwrap();
        assert!(matches!(p.s, Lenient::Ok(Cow::Borrowed("abc"))));
        assert_eq!(p.i, Lenient::Ok(42));
        assert_eq!(p.b, Lenient::Ok(true));
        assert_eq!(p.o.ok().unwrap().0.x.as_str(), "7");
        let a = p.a.into_ok().unwrap().0;
        assert_eq!(a[0].as_str(), "q");
        assert_eq!(a[1].as_str(), "1");
        assert_eq!(a[2], Lenient::Missing);
        assert_eq!(a[3], Lenient::Bad("object"));
    }

    #[test]
    fn wrong_shapes_are_skipped_not_fatal() {
        let p: Probe = serde_json::from_str(
            r#"{"s":{"deep":[1,{"x":2}]},"i":true,"b":"yes","o":[1,2],"a":{"k":"v"}}"#,
        )
        .unwrap();
        assert_eq!(p.s, Lenient::Bad("object"));
        assert_eq!(p.i, Lenient::Bad("boolean"));
        assert_eq!(p.b, Lenient::Bad("string"));
        assert_eq!(p.o, Lenient::Bad("array"));
        assert_eq!(p.a, Lenient::Bad("object"));
    }

    #[test]
    fn escaped_strings_are_decoded() {
        let p: Probe = serde_json::from_str(r#"{"s":"Jos\u00e9 \ud83d\ude00"}"#).unwrap();
        assert_eq!(p.s.as_str(), "José 😀");
    }
}
