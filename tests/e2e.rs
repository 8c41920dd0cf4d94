//! End-to-end over a real Kafka-protocol broker (Tansu, sqlite storage, started by
//! `scripts/tansu.sh`), with ingest and normalize as processes of the built binary.

mod support;

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::time::{Duration, Instant};

use serde_json::Value;
use support::*;

fn trace_id(traceparent: &str) -> &str {
    traceparent.split('-').nth(1).unwrap_or("")
}

/// (a) Every fixture, POSTed signed: the raw topic holds the exact bytes, the output topics
/// exactly the expected records, with keys, headers and lineage.
#[test]
fn every_fixture_flows_through_the_pipeline() {
    let _serial = serial();
    let broker = Broker::start("fixtures", 3);
    let (mut ingest, url) = start_ingest(&broker, &[]);
    let mut normalize = start_normalize(&broker, "normalize", "e2e-fixtures");
    let bodies = fixture_bodies();
    for (name, body) in &bodies {
        let reply = post_signed(&url, body);
        assert_eq!(reply.status, 200, "{name}: {}", reply.body);
    }

    let raw = read_topics(
        &broker.bootstrap,
        &["whatsapp.raw"],
        Duration::from_secs(5),
        Duration::from_secs(60),
        |r| r.len() >= bodies.len(),
    );
    assert_eq!(raw.len(), bodies.len(), "one raw record per request");
    let raw_of = raw_records_of(&raw, &bodies);

    let expected: BTreeMap<&str, Vec<Value>> = bodies
        .iter()
        .map(|(n, _)| (n.as_str(), expected_for(n)))
        .collect();
    let total: usize = expected.values().map(Vec::len).sum();
    let outputs = read_topics(
        &broker.bootstrap,
        &OUTPUT_TOPICS,
        Duration::from_secs(8),
        Duration::from_secs(240),
        |_| false,
    );
    assert_eq!(
        outputs.len(),
        total,
        "exactly the expected records, no more\n{}",
        normalize.log()
    );

    let mut by_lineage: HashMap<(i32, i64), Vec<&Read>> = HashMap::new();
    for output in &outputs {
        by_lineage.entry(output.lineage()).or_default().push(output);
    }
    for (name, _) in &bodies {
        let raw = raw_of[name.as_str()];
        let lineage = (raw.partition, raw.offset);
        let actual = by_lineage.get(&lineage).cloned().unwrap_or_default();
        check_outputs(name, raw, &actual, &expected[name.as_str()]);
    }
    assert!(
        ingest.terminate(),
        "ingest exits 0 on SIGTERM\n{}",
        ingest.log()
    );
    assert!(
        normalize.terminate(),
        "normalize exits 0 on SIGTERM\n{}",
        normalize.log()
    );
}

/// Each body's raw record by fixture name, checked: the exact bytes once, the signature,
/// key and headers ingest adds.
fn raw_records_of<'r>(
    raw: &'r [Read],
    bodies: &'r [(String, Vec<u8>)],
) -> HashMap<&'r str, &'r Read> {
    let mut raw_of = HashMap::new();
    for (name, body) in bodies {
        let matching: Vec<&Read> = raw.iter().filter(|r| r.value == *body).collect();
        assert_eq!(
            matching.len(),
            1,
            "{name}: the raw topic holds the exact bytes once"
        );
        let record = matching[0];
        let signature = wa_ingest::signature::sign(SECRET.as_bytes(), body);
        assert_eq!(record.headers["x-hub-signature-256"], signature, "{name}");
        assert_eq!(record.headers["content-type"], "application/json");
        assert_eq!(record.headers["received-at"].len(), 24);
        assert_eq!(record.headers["request-id"].len(), 36);
        assert_eq!(
            record.key.as_deref(),
            wa_ingest::key::phone_number_id(body),
            "{name}"
        );
        raw_of.insert(name.as_str(), record);
    }
    raw_of
}

/// The output records of one raw record (`actual`) against the golden file's (`want`):
/// the count rule, topics, keys and values, and the headers that carry lineage and trace.
fn check_outputs(name: &str, raw: &Read, actual: &[&Read], want: &[Value]) {
    assert_eq!(actual.len(), want.len(), "{name}: count rule");
    let render = |topic: &str, key: &Value, value: &Value| format!("{topic} {key} {value}");
    let mut want_lines: Vec<String> = want
        .iter()
        .map(|w| {
            let mut value = w["value"].clone();
            if w["topic"] == "whatsapp.dead-letter" {
                value["rawPartition"] = raw.partition.into();
                value["rawOffset"] = raw.offset.into();
                value["receivedAt"] = raw.headers["received-at"].clone().into();
            }
            render(w["topic"].as_str().unwrap(), &w["key"], &value)
        })
        .collect();
    let mut got_lines: Vec<String> = actual
        .iter()
        .map(|r| {
            render(
                &r.topic,
                &r.key.clone().map_or(Value::Null, Value::from),
                &r.json(),
            )
        })
        .collect();
    want_lines.sort();
    got_lines.sort();
    assert_eq!(
        got_lines, want_lines,
        "{name}: records differ from the golden file"
    );
    for record in actual {
        assert_eq!(record.headers["schema-version"], wa_schemas::SCHEMA_VERSION);
        assert_eq!(record.headers["raw-topic"], "whatsapp.raw");
        assert_eq!(record.headers["received-at"], raw.headers["received-at"]);
        assert_eq!(
            trace_id(&record.headers["traceparent"]),
            trace_id(&raw.headers["traceparent"]),
            "{name}: the trace continues"
        );
        assert!(
            want.iter().any(
                |w| w["headers"]["event-id"] == record.headers["event-id"].as_str()
                    && w["headers"]["event-type"] == record.headers["event-type"].as_str()
            ),
            "{name}: event headers"
        );
    }
}

/// (b) Wrong or missing signatures: 401, and nothing on any topic.
#[test]
fn unsigned_requests_reach_no_topic() {
    let _serial = serial();
    let broker = Broker::start("unsigned", 1);
    let (_ingest, url) = start_ingest(&broker, &[]);
    let _normalize = start_normalize(&broker, "normalize-unsigned", "e2e-unsigned");
    let body = std::fs::read(root().join("fixtures/bodies/text.json")).unwrap();
    let wrong = wa_ingest::signature::sign(b"another secret", &body);
    for signature in [Some(wrong.as_str()), None, Some("sha256=nothex"), Some("")] {
        let reply = post(&url, &body, signature);
        assert_eq!(reply.status, 401, "{signature:?}: {}", reply.body);
    }
    let mut all = vec!["whatsapp.raw"];
    all.extend(OUTPUT_TOPICS);
    let seen = read_topics(
        &broker.bootstrap,
        &all,
        Duration::from_secs(4),
        Duration::from_secs(20),
        |_| false,
    );
    assert!(seen.is_empty(), "nothing may reach a topic: {seen:?}");
    // The same pipeline does carry a signed request.
    assert_eq!(post_signed(&url, &body).status, 200);
    let seen = read_topics(
        &broker.bootstrap,
        &all,
        Duration::from_secs(5),
        Duration::from_secs(30),
        |r| r.len() >= 2,
    );
    assert_eq!(seen.len(), 2, "the raw record and its MO event");
}

/// (c) Broker down: 503 within the bound; broker back: the same request gets 200; nothing
/// lost.
#[test]
fn a_broker_outage_is_503_then_200_and_nothing_is_lost() {
    let _serial = serial();
    let broker = Broker::start("outage", 1);
    let (_ingest, url) = start_ingest(&broker, &[("PRODUCE_TIMEOUT", "2s")]);
    let normalize = start_normalize(&broker, "normalize-outage", "e2e-outage");
    let before = text_body(1, "1065403500012345", "15551234567");
    let during = text_body(2, "1065403500012345", "15551234567");
    assert_eq!(post_signed(&url, &before).status, 200);

    broker.kill();
    let started = Instant::now();
    let reply = post_signed(&url, &during);
    let took = started.elapsed();
    assert_eq!(reply.status, 503, "{}", reply.body);
    assert!(reply.retry_after.is_some());
    assert!(
        took < Duration::from_secs(8),
        "503 took {took:?} with a 2 s bound"
    );

    std::thread::sleep(Duration::from_secs(2));
    broker.restart();
    let ok = wait_until(Duration::from_secs(90), || {
        (post_signed(&url, &during).status == 200).into_option()
    });
    assert!(
        ok.is_some(),
        "the same request gets 200 once the broker is back\n{}",
        broker.log()
    );

    let want: BTreeSet<String> = [&before, &during]
        .iter()
        .flat_map(|b| expected_ids(b))
        .collect();
    let outputs = read_topics(
        &broker.bootstrap,
        &["whatsapp.mo"],
        Duration::from_secs(20),
        Duration::from_secs(120),
        |r| ids_of(r).is_superset(&want),
    );
    assert!(
        ids_of(&outputs).is_superset(&want),
        "both events arrive\n{}",
        normalize.log()
    );
}

/// (d) normalize killed with SIGKILL mid-stream and restarted: every raw record's outputs
/// are there, at least once, with identical ids.
#[test]
fn normalize_killed_mid_stream_loses_nothing() {
    let _serial = serial();
    let broker = Broker::start("sigkill", 3);
    let (_ingest, url) = start_ingest(&broker, &[]);
    let bodies = text_bodies(0, 300, ("10654035000", 7), ("1555", 40));
    for body in &bodies {
        assert_eq!(post_signed(&url, body).status, 200);
    }
    let want = expected_ids_of(&bodies);
    assert_eq!(want.len(), 300);

    let mut first = start_normalize(&broker, "normalize-first", "e2e-sigkill");
    let partial = read_at_least(
        &broker.bootstrap,
        "whatsapp.mo",
        40,
        Duration::from_secs(30),
        Duration::from_secs(60),
    );
    assert!(
        partial.len() >= 40,
        "normalize made progress\n{}",
        first.log()
    );
    first.signal("KILL");
    first.kill();

    let second = start_normalize(&broker, "normalize-second", "e2e-sigkill");
    let (outputs, got) = read_until_all(
        &broker.bootstrap,
        "whatsapp.mo",
        &want,
        Duration::from_secs(30),
        Duration::from_secs(180),
    );
    assert_all_arrived(&got, &want, &second.log());
    assert_duplicates_identical(&outputs);
    assert_eq!(got.len(), 300, "no record beyond the expected ones");
}

/// (e) A garbage body, correctly signed: 200 at ingest, exactly one dead letter downstream
/// with its reason and lineage.
#[test]
fn a_signed_garbage_body_becomes_one_dead_letter() {
    let _serial = serial();
    let broker = Broker::start("garbage", 1);
    let (_ingest, url) = start_ingest(&broker, &[]);
    let _normalize = start_normalize(&broker, "normalize-garbage", "e2e-garbage");
    let garbage = b"this is \x00 not {json";
    assert_eq!(post_signed(&url, garbage).status, 200);
    let raw = read_topics(
        &broker.bootstrap,
        &["whatsapp.raw"],
        Duration::from_secs(5),
        Duration::from_secs(30),
        |r| !r.is_empty(),
    );
    assert_eq!(raw.len(), 1);
    let mut all = OUTPUT_TOPICS.to_vec();
    all.push("whatsapp.raw");
    let outputs: Vec<Read> = read_topics(
        &broker.bootstrap,
        &OUTPUT_TOPICS,
        Duration::from_secs(6),
        Duration::from_secs(60),
        |_| false,
    );
    assert_eq!(outputs.len(), 1, "{outputs:?}");
    let letter = &outputs[0];
    assert_eq!(letter.topic, "whatsapp.dead-letter");
    let value = letter.json();
    assert_eq!(value["reason"]["kind"], "invalid_json");
    assert!(value["reason"]["detail"]
        .as_str()
        .unwrap()
        .contains("not JSON"));
    assert_eq!(value["fragmentEncoding"], "base64");
    use base64::Engine as _;
    let fragment = base64::engine::general_purpose::STANDARD
        .decode(value["fragment"].as_str().unwrap())
        .unwrap();
    assert_eq!(fragment, garbage);
    assert_eq!(value["rawTopic"], "whatsapp.raw");
    assert_eq!(value["rawPartition"], raw[0].partition);
    assert_eq!(value["rawOffset"], raw[0].offset);
    assert_eq!(value["receivedAt"], raw[0].headers["received-at"].as_str());
    assert_eq!(letter.lineage(), (raw[0].partition, raw[0].offset));
    assert_eq!(letter.headers["event-type"], "dead-letter");
}

/// (f) Scale-out: two normalize processes in one group over a 3-partition raw topic; one
/// stopped mid-stream (SIGTERM: it finishes what is in flight, commits and leaves the
/// group); the other takes its partitions over and the count rule holds.
///
/// With Tansu 0.6.0 a member killed with SIGKILL is not replaced: the survivor was never
/// asked to rejoin within 180 s (seen here), while Kafka reassigns after the session timeout.
#[test]
fn a_second_instance_takes_over_when_one_stops() {
    let _serial = serial();
    let broker = Broker::start("scale", 3);
    let (_ingest, url) = start_ingest(&broker, &[]);
    let mut one = start_normalize(&broker, "normalize-one", "e2e-scale");
    let mut two = start_normalize(&broker, "normalize-two", "e2e-scale");
    // Both members get partitions before the traffic starts.
    let both = wait_until(Duration::from_secs(60), || {
        (one.log().contains("partitions assigned") && two.log().contains("partitions assigned"))
            .into_option()
    });
    assert!(
        both.is_some(),
        "both instances joined the group\n{}\n{}",
        one.log(),
        two.log()
    );

    let bodies = text_bodies(1000, 240, ("20654035000", 9), ("1556", 30));
    let want = expected_ids_of(&bodies);
    for body in &bodies[..120] {
        assert_eq!(post_signed(&url, body).status, 200);
    }
    let partial = read_at_least(
        &broker.bootstrap,
        "whatsapp.mo",
        30,
        Duration::from_secs(30),
        Duration::from_secs(60),
    );
    assert!(partial.len() >= 30);
    assert!(two.terminate(), "a stopped instance exits 0\n{}", two.log());
    for body in &bodies[120..] {
        assert_eq!(post_signed(&url, body).status, 200);
    }
    let (outputs, got) = read_until_all(
        &broker.bootstrap,
        "whatsapp.mo",
        &want,
        Duration::from_secs(40),
        Duration::from_secs(180),
    );
    assert_all_arrived(&got, &want, &one.log());
    assert_eq!(got.len(), 240);
    // Count rule per raw record: one message each, so exactly one distinct id per lineage.
    let mut per_raw: HashMap<(i32, i64), BTreeSet<&str>> = HashMap::new();
    for record in &outputs {
        per_raw
            .entry(record.lineage())
            .or_default()
            .insert(&record.headers["event-id"]);
    }
    assert_eq!(per_raw.len(), 240);
    assert!(per_raw.values().all(|ids| ids.len() == 1));
    assert!(
        one.log().matches("partitions assigned").count() >= 2,
        "the survivor was reassigned\n{}",
        one.log()
    );
    assert!(one.terminate());
}
