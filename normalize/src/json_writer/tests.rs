//! The writer against serde_json, byte for byte: every fixture's records, every shape of the
//! serde data model, arbitrary strings and words.

use std::collections::BTreeMap;

use proptest::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use wa_schemas::{
    AccountEvent, CoexistenceEvent, DeadLetter, DeliveryReceipt, EventType, MoEvent, PostbackEvent,
};

use super::{needs_escape, push_str, write, Writer};
use crate::{Batch, Normalizer, RawMeta};

fn both<T: Serialize>(value: &T) -> (String, String) {
    let mut ours = b"prefix".to_vec();
    write(&mut ours, value);
    let ours = String::from_utf8(ours).expect("UTF-8");
    let theirs = format!(
        "prefix{}",
        serde_json::to_string(value).expect("serializes")
    );
    (ours, theirs)
}

fn same_as_serde_json<T: Serialize>(value: &T) {
    let (ours, theirs) = both(value);
    assert_eq!(ours, theirs);
}

/// What the writer itself writes, without the fallback to serde_json.
fn fast<T: Serialize>(value: &T) -> Option<String> {
    let mut out = Vec::new();
    value.serialize(Writer { out: &mut out }).ok()?;
    Some(String::from_utf8(out).expect("UTF-8"))
}

/// Reads a record's value back into its event type and writes it with both writers; and
/// whether the writer wrote it itself.
fn rewrite<'a, T: Serialize + Deserialize<'a>>(value: &'a str) -> (String, String, bool) {
    let event: T = serde_json::from_str(value).expect("a record reads back into its type");
    let (ours, theirs) = both(&event);
    (ours, theirs, fast(&event).is_some())
}

#[test]
fn every_fixture_record_is_written_as_serde_json_writes_it() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/bodies");
    let normalizer = Normalizer::default();
    let mut batch = Batch::new();
    let mut checked = 0;
    for entry in std::fs::read_dir(dir).expect("fixtures/bodies") {
        let path = entry.expect("a directory entry").path();
        let body = std::fs::read(&path).expect("a fixture body");
        normalizer.map(&body, &RawMeta::default(), &mut batch);
        for record in batch.iter() {
            let value = std::str::from_utf8(record.value).expect("UTF-8");
            let (ours, theirs, fast) = match record.event_type {
                EventType::Mo => rewrite::<MoEvent>(value),
                EventType::Postback => rewrite::<PostbackEvent>(value),
                EventType::Delivery => rewrite::<DeliveryReceipt>(value),
                EventType::AccountEvent => rewrite::<AccountEvent>(value),
                EventType::Coexistence => rewrite::<CoexistenceEvent>(value),
                EventType::DeadLetter => rewrite::<DeadLetter>(value),
            };
            assert_eq!(ours, theirs, "{}", path.display());
            // Account events carry Meta's value as a `RawValue`: serde_json writes those.
            let raw_inside = record.event_type == EventType::AccountEvent;
            assert_eq!(fast, !raw_inside, "{}", path.display());
            assert_eq!(&ours["prefix".len()..], value, "{}", path.display());
            checked += 1;
        }
    }
    assert!(checked > 100, "only {checked} records checked");
}

#[derive(Serialize)]
enum Shapes {
    Unit,
    Newtype(i32),
    Tuple(u8, bool),
    Struct { a: Option<String>, b: () },
}

#[derive(Serialize)]
struct Id(u64);

#[derive(Serialize)]
struct Pair(i8, char);

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Everything<'a> {
    text: &'a str,
    nothing: Option<u32>,
    small: i8,
    big: u128,
    negative: i128,
    floats: [f64; 5],
    float32: f32,
    truth: bool,
    letter: char,
    bytes: &'a serde_bytes_like::Bytes,
    unit: (),
    id: Id,
    pair: Pair,
    shapes: Vec<Shapes>,
    by_name: BTreeMap<String, serde_json::Value>,
    #[serde(flatten)]
    flattened: BTreeMap<String, u8>,
}

#[derive(Serialize)]
struct WithRaw<'a> {
    before: &'a str,
    raw: &'a RawValue,
    nested_raw: Vec<Box<RawValue>>,
}

/// `serialize_bytes` without another dependency.
mod serde_bytes_like {
    pub struct Bytes(pub [u8; 3]);
    impl serde::Serialize for Bytes {
        fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
            s.serialize_bytes(&self.0)
        }
    }
}

#[test]
fn every_shape_of_the_data_model_is_written_as_serde_json_writes_it() {
    let value = Everything {
        text: "line\nbreak \"quoted\" back\\slash \u{1} tab\t é 👍",
        nothing: None,
        small: -8,
        big: u128::MAX,
        negative: i128::MIN,
        floats: [0.1, -2.5e-300, 1e21, f64::NAN, f64::INFINITY],
        float32: 3.25,
        truth: true,
        letter: '"',
        bytes: &serde_bytes_like::Bytes([0, 127, 255]),
        unit: (),
        id: Id(7),
        pair: Pair(-1, 'x'),
        shapes: vec![
            Shapes::Unit,
            Shapes::Newtype(-3),
            Shapes::Tuple(1, false),
            Shapes::Struct {
                a: Some("\u{7f}".into()),
                b: (),
            },
        ],
        by_name: serde_json::from_str(r#"{"a\"b": {"x": [1.5, null, "s"]}, "": true}"#).unwrap(),
        flattened: [("z".to_owned(), 1), ("ü".to_owned(), 2)].into(),
    };
    let expected = serde_json::to_string(&value).unwrap();
    assert_eq!(fast(&value).as_deref(), Some(expected.as_str()));
    same_as_serde_json(&value);
    assert_eq!(fast(&Vec::<u8>::new()).as_deref(), Some("[]"));
    assert_eq!(fast(&BTreeMap::<String, u8>::new()).as_deref(), Some("{}"));
}

#[test]
fn raw_values_go_to_serde_json() {
    let raw = RawValue::from_string(r#"{"kept" : [1, 2]}"#.into()).unwrap();
    let value = WithRaw {
        before: "x",
        raw: &raw,
        nested_raw: vec![raw.clone(), raw.clone()],
    };
    assert_eq!(fast(&value), None);
    same_as_serde_json(&value);
    let (ours, _) = both(&value);
    assert!(
        ours.ends_with(
            r#""raw":{"kept" : [1, 2]},"nested_raw":[{"kept" : [1, 2]},{"kept" : [1, 2]}]}"#
        ),
        "{ours}"
    );
}

#[test]
fn keys_that_are_not_strings_go_to_serde_json() {
    let ints: BTreeMap<i64, &str> = [(-1, "a"), (2, "b")].into();
    assert_eq!(fast(&ints), None);
    same_as_serde_json(&ints);
    let (ours, _) = both(&ints);
    assert_eq!(ours, r#"prefix{"-1":"a","2":"b"}"#);
}

#[test]
fn every_byte_in_every_position_of_a_word_is_classified() {
    for byte in 0..=255u8 {
        for at in 0..8 {
            let mut word = *b"abcdefgh";
            word[at] = byte;
            let expected = byte < 0x20 || byte == b'"' || byte == b'\\';
            assert_eq!(
                needs_escape(u64::from_le_bytes(word)),
                expected,
                "{byte:#x} at {at}"
            );
        }
    }
}

proptest! {
    #[test]
    fn strings_are_escaped_as_serde_json_escapes_them(text in any::<String>(), ascii in "[\\x00-\\x7f]{0,40}") {
        for text in [text, ascii] {
            let mut ours = Vec::new();
            push_str(&mut ours, &text);
            prop_assert_eq!(String::from_utf8(ours).unwrap(), serde_json::to_string(&text).unwrap());
        }
    }

    #[test]
    fn a_word_needs_escaping_when_one_of_its_bytes_does(word in any::<u64>()) {
        let expected = word.to_le_bytes().iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\');
        prop_assert_eq!(needs_escape(word), expected);
    }
}
