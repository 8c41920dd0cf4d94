//! Golden tests: every fixture body maps to exactly the records in `fixtures/expected/`.
//!
//! Run with `WA_BLESS=1` to rewrite the expected files after an intended change, then review
//! the diff like any other change.

mod common;

use common::{fixture_bodies, records_as_json, repo_root, SchemaCheck};

fn expected_path(name: &str) -> std::path::PathBuf {
    let stem = name.rsplit_once('.').map_or(name, |(stem, _)| stem);
    repo_root()
        .join("fixtures/expected")
        .join(format!("{stem}.json"))
}

#[test]
fn every_fixture_maps_to_its_expected_records() {
    let bless = std::env::var_os("WA_BLESS").is_some();
    let bodies = fixture_bodies();
    assert!(bodies.len() >= 30, "only {} fixture bodies", bodies.len());
    let mut failures = Vec::new();
    for (name, body) in &bodies {
        let actual = records_as_json(body);
        let path = expected_path(name);
        let pretty = serde_json::to_string_pretty(&actual).unwrap() + "\n";
        if bless {
            std::fs::write(&path, &pretty).unwrap();
            continue;
        }
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                let expected: serde_json::Value = serde_json::from_str(&text)
                    .unwrap_or_else(|e| panic!("{} is not JSON: {e}", path.display()));
                if expected != actual {
                    failures.push(format!("{name}: output differs from {}", path.display()));
                }
            }
            Err(_) => failures.push(format!("{name}: no expected file {}", path.display())),
        }
    }
    assert!(
        failures.is_empty(),
        "{}\nrun `WA_BLESS=1 cargo test -p wa-normalize --test golden` and review the diff",
        failures.join("\n")
    );
}

#[test]
fn every_expected_file_has_a_fixture() {
    let bodies: Vec<_> = fixture_bodies()
        .into_iter()
        .map(|(name, _)| expected_path(&name))
        .collect();
    for entry in std::fs::read_dir(repo_root().join("fixtures/expected")).unwrap() {
        let path = entry.unwrap().path();
        assert!(bodies.contains(&path), "{} has no body", path.display());
    }
}

#[test]
fn every_fixture_output_validates_against_the_committed_schemas() {
    let check = SchemaCheck::load();
    let mut checked = 0;
    for (name, body) in fixture_bodies() {
        for record in records_as_json(&body).as_array().unwrap() {
            let topic = record["topic"].as_str().unwrap();
            if let Err(e) = check.check(topic, &record["value"]) {
                panic!("{name}: a {topic} record does not validate: {e}\n{record:#}");
            }
            checked += 1;
        }
    }
    assert!(checked > 1000, "only {checked} records checked");
}

#[test]
fn the_schema_examples_are_fixture_outputs() {
    use wa_schemas::generate::examples;
    let first_value = |fixture: &str| {
        let body = std::fs::read(repo_root().join("fixtures/bodies").join(fixture)).unwrap();
        records_as_json(&body)[0]["value"].clone()
    };
    let pairs = [
        ("text.json", serde_json::to_value(examples::mo()).unwrap()),
        (
            "button.json",
            serde_json::to_value(examples::postback()).unwrap(),
        ),
        (
            "status-failed.json",
            serde_json::to_value(examples::delivery()).unwrap(),
        ),
        (
            "template-status-update.json",
            serde_json::to_value(examples::account_event()).unwrap(),
        ),
        (
            "smb-message-echo.json",
            serde_json::to_value(examples::coexistence()).unwrap(),
        ),
        (
            "edge-invalid-json.txt",
            serde_json::to_value(examples::dead_letter()).unwrap(),
        ),
    ];
    for (fixture, example) in pairs {
        assert_eq!(
            first_value(fixture),
            example,
            "the schema example of {fixture} is stale"
        );
    }
}

/// The output writer produces the bytes serde_json would for the same events.
#[test]
fn record_bytes_are_serde_json_bytes() {
    use wa_normalize::{Batch, EventType, Normalizer, RawMeta};
    use wa_schemas::{
        AccountEvent, CoexistenceEvent, DeadLetter, DeliveryReceipt, MoEvent, PostbackEvent,
    };
    fn same<'a, T: serde::Deserialize<'a> + serde::Serialize>(bytes: &'a [u8]) -> bool {
        let value: T = serde_json::from_slice(bytes).expect("a record parses as its type");
        serde_json::to_vec(&value).unwrap() == bytes
    }
    let mut batch = Batch::new();
    let mut checked = 0;
    for (name, body) in fixture_bodies() {
        Normalizer::default().map(&body, &RawMeta::default(), &mut batch);
        for record in batch.iter() {
            let ok = match record.event_type {
                EventType::Mo => same::<MoEvent>(record.value),
                EventType::Postback => same::<PostbackEvent>(record.value),
                EventType::Delivery => same::<DeliveryReceipt>(record.value),
                EventType::AccountEvent => same::<AccountEvent>(record.value),
                EventType::Coexistence => same::<CoexistenceEvent>(record.value),
                EventType::DeadLetter => same::<DeadLetter>(record.value),
            };
            assert!(ok, "{name}: {}", String::from_utf8_lossy(record.value));
            checked += 1;
        }
    }
    assert!(checked > 1000);
}
