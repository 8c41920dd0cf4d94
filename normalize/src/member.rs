//! Reading an object member by member, for the hand-written deserializers of the objects
//! whose unknown members go to `extra`: one pass both reads the known members and collects
//! the others, where serde's derive would drop them and a second pass would have to find
//! them again.

use std::borrow::Cow;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{BorrowedStrDeserializer, StringDeserializer};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

/// A member name, borrowed unless it had escapes.
pub(crate) struct Key<'a>(pub Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Key<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<'a>(PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = Key<'a>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
        }
        deserializer.deserialize_identifier(V(PhantomData))
    }
}

/// The value of a member that may occur once; a second occurrence is an error, as serde's
/// derive has it.
pub(crate) fn once<'de, A: MapAccess<'de>, T: Deserialize<'de>>(
    map: &mut A,
    seen: &mut bool,
    name: &'static str,
) -> Result<T, A::Error> {
    if std::mem::replace(seen, true) {
        return Err(de::Error::duplicate_field(name));
    }
    map.next_value()
}

/// `T` read from an object in one pass, with the members no field of `T` reads (in their
/// order), for `extra`. `T` is a struct with serde's derive: its field names decide.
pub(crate) struct WithUnread<'a, T> {
    pub value: T,
    pub unread: Vec<(Cow<'a, str>, &'a RawValue)>,
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for WithUnread<'de, T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = WithUnread<'de, T>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let mut unread = Vec::new();
                let value = T::deserialize(Collecting {
                    map,
                    unread: &mut unread,
                })?;
                Ok(WithUnread { value, unread })
            }
        }
        deserializer.deserialize_map(V(PhantomData))
    }
}

/// Hands `T` the object, keeping back the members `T` names no field for.
struct Collecting<'u, 'de, A> {
    map: A,
    unread: &'u mut Vec<(Cow<'de, str>, &'de RawValue)>,
}

impl<'de, A: MapAccess<'de>> Deserializer<'de> for Collecting<'_, 'de, A> {
    type Error = A::Error;

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(Filter {
            map: self.map,
            unread: self.unread,
            fields,
        })
    }

    /// Not a struct: every member is its own.
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, A::Error> {
        visitor.visit_map(self.map)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map enum identifier
        ignored_any
    }
}

struct Filter<'u, 'de, A> {
    map: A,
    unread: &'u mut Vec<(Cow<'de, str>, &'de RawValue)>,
    fields: &'static [&'static str],
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Filter<'_, 'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        while let Some(Key(key)) = self.map.next_key()? {
            if self.fields.contains(&key.as_ref()) {
                return match key {
                    Cow::Borrowed(k) => seed.deserialize(BorrowedStrDeserializer::new(k)),
                    Cow::Owned(k) => seed.deserialize(StringDeserializer::new(k)),
                }
                .map(Some);
            }
            let value = self.map.next_value()?;
            self.unread.push((key, value));
        }
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.map.next_value_seed(seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::lenient::{LStr, Lenient, Obj};

    #[derive(serde::Deserialize)]
    struct Two<'a> {
        #[serde(borrow, default)]
        a: LStr<'a>,
        #[serde(borrow, default)]
        b: LStr<'a>,
    }

    fn read(body: &str) -> Result<WithUnread<'_, Two<'_>>, serde_json::Error> {
        match serde_json::from_str::<Lenient<Obj<WithUnread<Two>>>>(body)? {
            Lenient::Ok(Obj(read)) => Ok(read),
            _ => panic!("{body} is an object"),
        }
    }

    #[test]
    fn fields_are_read_and_the_other_members_kept_in_their_order() {
        let read = read(r#"{"z":[1, {"x":2}],"a":"A","\u0062":"B","y":null,"c\u0064":3}"#).unwrap();
        assert_eq!((read.value.a.as_str(), read.value.b.as_str()), ("A", "B"));
        let unread: Vec<(&str, &str)> = read
            .unread
            .iter()
            .map(|(k, v)| (k.as_ref(), v.get()))
            .collect();
        assert_eq!(
            unread,
            [("z", r#"[1, {"x":2}]"#), ("y", "null"), ("cd", "3")]
        );
    }

    #[test]
    fn a_repeated_field_is_still_an_error_and_a_repeated_other_member_is_kept_twice() {
        let err = read(r#"{"a":"1","a":"2"}"#)
            .err()
            .expect("a repeated field");
        assert!(err.to_string().contains("duplicate field `a`"), "{err}");
        assert_eq!(read(r#"{"q":1,"q":2}"#).unwrap().unread.len(), 2);
    }
}
