//! Replay, redrive and diff over a real broker (Tansu, started by `scripts/tansu.sh`), with
//! the live pipeline as real processes.

mod support;

use std::collections::BTreeMap;
use std::process::{Command, Output};
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use support::*;

/// Records of `topics` as (topic without `prefix`, event id) → (key, value).
fn by_id(reads: &[Read], prefix: &str) -> BTreeMap<(String, String), (Option<String>, Vec<u8>)> {
    reads
        .iter()
        .map(|r| {
            let topic = r.topic.strip_prefix(prefix).unwrap_or(&r.topic).to_owned();
            let id = r.headers["event-id"].clone();
            ((topic, id), (r.key.clone(), r.value.clone()))
        })
        .collect()
}

fn prefixed(prefix: &str) -> Vec<String> {
    OUTPUT_TOPICS
        .iter()
        .map(|t| format!("{prefix}{t}"))
        .collect()
}

/// Runs a subcommand of the binary to completion.
fn wa(args: &[&str], env: &[(&str, &str)]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_wa-pipeline"))
        .env("ADMIN_LISTEN", "127.0.0.1:0")
        .args(args)
        .envs(env.iter().copied())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "wa-pipeline {args:?} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn read_all(broker: &Broker, topics: &[&str], at_least: usize) -> Vec<Read> {
    read_topics(
        &broker.bootstrap,
        topics,
        Duration::from_secs(3),
        Duration::from_secs(60),
        |r| r.len() >= at_least,
    )
}

/// A text body whose `context` nests `depth` levels below the message.
fn nested_body(wamid: &str, depth: usize) -> Vec<u8> {
    let mut context = r#"{"id":"wamid.PARENT"}"#.to_owned();
    for _ in 0..depth {
        context = format!(r#"{{"nested":{context}}}"#);
    }
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1029384756012345","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550101010","phone_number_id":"1065403500012345"}},"messages":[{{"from":"15551234567","id":"{wamid}","timestamp":"1767225600","type":"text","text":{{"body":"deep"}},"context":{context}}}]}},"field":"messages"}}]}}]}}"#
    )
    .into_bytes()
}

#[test]
fn replay_redrive_and_diff_over_the_live_pipeline() {
    let _serial = serial();
    let broker = Broker::start("replay", 2);
    let live = Live::start(&broker);
    replay_gives_the_live_records(&broker, &live);
    verify_refuses_a_tampered_record(&broker, &live);
    redrive_turns_the_dead_letter_into_its_event(&broker);
    diff_reports_what_a_replay_changed(&broker);
}

/// The live pipeline, with a low depth limit so that one body becomes a dead letter, after
/// its outputs arrived.
struct Live {
    _ingest: Proc,
    _normalize: Proc,
    /// How many fixture bodies were posted (the deep one aside).
    bodies: usize,
    /// Its output records.
    records: Vec<Read>,
}

impl Live {
    fn start(broker: &Broker) -> Live {
        let (ingest, url) = start_ingest(broker, &[]);
        let normalize = Proc::spawn(
            "replay-normalize",
            &["normalize"],
            &[
                ("KAFKA_BROKERS", broker.bootstrap.as_str()),
                ("GROUP_ID", "live"),
                ("COMMIT_INTERVAL", "200ms"),
                ("MAX_DEPTH", "12"),
            ],
        );
        let bodies: Vec<(String, Vec<u8>)> = fixture_bodies()
            .into_iter()
            .filter(|(name, _)| !name.starts_with("edge-batch"))
            .take(20)
            .collect();
        for (name, body) in &bodies {
            let status = post_signed(&url, body).status;
            assert_eq!(status, 200, "{name}\n{}", ingest.log());
        }
        let deep = nested_body("wamid.DEEP", 20);
        assert_eq!(post_signed(&url, &deep).status, 200);
        // Counted by the mapping itself: what the live pipeline must have produced.
        let expected: usize = bodies
            .iter()
            .map(|(_, b)| {
                wa_normalize::Normalizer::default()
                    .records(b, &Default::default())
                    .len()
            })
            .sum::<usize>()
            + 1;
        let records = read_all(broker, &OUTPUT_TOPICS, expected);
        assert_eq!(records.len(), expected, "live outputs\n{}", normalize.log());
        Live {
            _ingest: ingest,
            _normalize: normalize,
            bodies: bodies.len(),
            records,
        }
    }
}

/// Replay everything side by side: exactly the live records (ids, keys, values).
fn replay_gives_the_live_records(broker: &Broker, live: &Live) {
    let env = [
        ("KAFKA_BROKERS", broker.bootstrap.as_str()),
        ("CREATE_TOPICS", "true"),
        ("MAX_DEPTH", "12"),
    ];
    let out = wa(&["replay", "--topic-prefix", "replay."], &env);
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains(&format!("raw records read: {}", live.bodies + 1)),
        "{summary}"
    );
    let names = prefixed("replay.");
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let replayed = read_all(broker, &names, live.records.len());
    assert_eq!(by_id(&replayed, "replay."), by_id(&live.records, ""));
}

/// A raw record whose body was changed after it was signed is refused by --verify.
fn verify_refuses_a_tampered_record(broker: &Broker, live: &Live) {
    let bootstrap = broker.bootstrap.as_str();
    let tampered = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    let signature = wa_ingest::signature::sign(SECRET.as_bytes(), b"the original body");
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .create()
        .unwrap();
    let headers = OwnedHeaders::new().insert(Header {
        key: "x-hub-signature-256",
        value: Some(signature.as_bytes()),
    });
    let record = FutureRecord::<(), _>::to("whatsapp.raw")
        .payload(&tampered[..])
        .headers(headers);
    futures_wait(producer.send(record, Duration::from_secs(10)));
    let env = [
        ("KAFKA_BROKERS", bootstrap),
        ("CREATE_TOPICS", "true"),
        ("WHATSAPP_APP_SECRET", SECRET),
        ("MAX_DEPTH", "12"),
    ];
    let out = wa(&["replay", "--verify", "--topic-prefix", "verified."], &env);
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(
        summary.contains(&format!("raw records read: {}", live.bodies + 2)),
        "{summary}"
    );
    assert!(
        summary.contains("raw records refused by --verify: 1"),
        "{summary}"
    );
}

/// Redrive the dead letter with today's (default) depth limit: it becomes an MO event; a
/// dead letter of another kind is reported as still failing, not dead-lettered again.
fn redrive_turns_the_dead_letter_into_its_event(broker: &Broker) {
    let dead_before = read_all(broker, &["whatsapp.dead-letter"], usize::MAX).len();
    let out = wa(
        &["redrive"],
        &[("KAFKA_BROKERS", broker.bootstrap.as_str())],
    );
    let summary = String::from_utf8_lossy(&out.stdout);
    assert!(summary.contains("records out to whatsapp.mo"), "{summary}");
    let mo = read_all(broker, &["whatsapp.mo"], usize::MAX);
    assert!(
        mo.iter()
            .any(|r| String::from_utf8_lossy(&r.value).contains("wamid.DEEP")),
        "the redriven event is not on whatsapp.mo\n{summary}"
    );
    let dead_after = read_all(broker, &["whatsapp.dead-letter"], usize::MAX).len();
    assert_eq!(
        dead_after, dead_before,
        "redrive dead-lettered again\n{summary}"
    );
    if dead_before > 1 {
        assert!(summary.contains("still failing"), "{summary}");
    }
}

/// Diff a replay with another app id against the live records: appId changes on every
/// event that has one, and the one event redrive added to the live topic is "removed" (the
/// replay keeps the live depth limit, so it dead-letters that body again).
fn diff_reports_what_a_replay_changed(broker: &Broker) {
    let bootstrap = broker.bootstrap.as_str();
    let pnid = "1065403500012345";
    let app_ids = format!("{pnid}=app-x");
    let env = [
        ("KAFKA_BROKERS", bootstrap),
        ("CREATE_TOPICS", "true"),
        ("APP_IDS", app_ids.as_str()),
        ("MAX_DEPTH", "12"),
    ];
    let to = "0:100000,1:100000";
    wa(&["replay", "--topic-prefix", "diff.", "--to", to], &env);
    let out = wa(
        &["diff", "--topic-prefix", "diff."],
        &[("KAFKA_BROKERS", bootstrap), ("MAX_DEPTH", "12")],
    );
    let report = String::from_utf8_lossy(&out.stdout);
    let changed: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("changed "))
        .collect();
    assert!(!changed.is_empty(), "{report}");
    for line in &changed {
        assert!(
            line.contains(&format!(": appId \"{pnid}\" -> \"app-x\"")),
            "{line}"
        );
    }
    let redriven = wa_normalize::Normalizer::default()
        .records(&nested_body("wamid.DEEP", 20), &Default::default())
        .remove(0);
    let event_id = &redriven
        .headers
        .iter()
        .find(|(k, _)| k == "event-id")
        .unwrap()
        .1;
    let others: Vec<&str> = report
        .lines()
        .filter(|l| l.starts_with("added ") || l.starts_with("removed "))
        .collect();
    assert_eq!(
        others,
        [format!("removed whatsapp.mo {event_id}")],
        "{report}"
    );
}

/// Waits for a delivery future on a small runtime of its own.
fn futures_wait<T, E: std::fmt::Debug>(delivery: impl std::future::Future<Output = Result<T, E>>) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime
        .block_on(delivery)
        .expect("the tampered record is stored");
}
