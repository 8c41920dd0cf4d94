//! Normalize far behind ingest on the embedded broker: a sustained load is accepted while no
//! normalize runs at all, then normalize starts and works the whole backlog off. Every
//! request answered 200 has its record; a 503 is allowed (the broker could not keep up),
//! a 200 without a record is not.

mod support;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use support::*;

const SENDERS: usize = 4;
const PER_SENDER: usize = 500;

/// `wa-pipeline broker` in `data_dir`, ready; with a handle to reach it by.
fn start_embedded_broker(data_dir: &std::path::Path) -> (Proc, Broker) {
    let bootstrap = format!("127.0.0.1:{}", free_port());
    let broker = Proc::spawn(
        "backlog-broker",
        &["broker"],
        &[
            ("WA_DATA_DIR", data_dir.to_str().unwrap()),
            ("BROKER_LISTEN", bootstrap.as_str()),
        ],
    );
    wait_until(Duration::from_secs(60), || {
        broker.log().contains("embedded broker ready").into_option()
    })
    .unwrap_or_else(|| panic!("broker not ready\n{}", broker.log()));
    let handle = Broker {
        dir: data_dir.to_owned(),
        bootstrap,
    };
    (broker, handle)
}

/// `SENDERS` threads posting `PER_SENDER` text bodies each; the ids of those answered 200.
fn send_load(url: &str) -> BTreeSet<String> {
    let senders: Vec<_> = (0..SENDERS)
        .map(|t| {
            let url = url.to_owned();
            std::thread::spawn(move || {
                let bodies = text_bodies(
                    900_000 + t * PER_SENDER,
                    PER_SENDER,
                    ("40654035000", 13),
                    ("1558", 97),
                );
                let mut accepted = Vec::new();
                for body in &bodies {
                    if post_signed(&url, body).status == 200 {
                        accepted.extend(expected_ids(body));
                    }
                }
                accepted
            })
        })
        .collect();
    senders
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect()
}

#[test]
fn a_backlog_built_before_normalize_starts_is_worked_off_completely() {
    let _serial = serial();
    let data_dir = std::env::temp_dir().join(format!("wa-backlog-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let (broker, broker_ref) = start_embedded_broker(&data_dir);
    let (_ingest, url) = start_ingest(&broker_ref, &[]);

    let started = Instant::now();
    let accepted = send_load(&url);
    let load = started.elapsed();

    let started = Instant::now();
    let normalize = start_normalize(&broker_ref, "backlog-normalize", "e2e-backlog");
    let (_, got) = read_until_all(
        &broker_ref.bootstrap,
        "whatsapp.mo",
        &accepted,
        Duration::from_secs(60),
        Duration::from_secs(240),
    );
    eprintln!(
        "{} requests in {load:?} with no normalize running, {} answered 200; {} records out {:?} after normalize started",
        SENDERS * PER_SENDER,
        accepted.len(),
        got.len(),
        started.elapsed()
    );
    assert!(
        accepted.len() > SENDERS * PER_SENDER / 2,
        "too little accepted to prove anything"
    );
    let missing: Vec<&String> = accepted.difference(&got).collect();
    assert!(
        missing.is_empty(),
        "{} of {} accepted webhooks have no record\n{}",
        missing.len(),
        accepted.len(),
        normalize.log()
    );
    drop(normalize);
    drop(broker);
    let _ = std::fs::remove_dir_all(&data_dir);
}
