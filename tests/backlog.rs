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

#[test]
fn a_backlog_built_before_normalize_starts_is_worked_off_completely() {
    let _serial = serial();
    let data_dir = std::env::temp_dir().join(format!("wa-backlog-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
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
    let broker_ref = Broker {
        dir: data_dir.clone(),
        bootstrap: bootstrap.clone(),
    };
    let (_ingest, url) = start_ingest(&broker_ref, &[]);

    let started = Instant::now();
    let senders: Vec<_> = (0..SENDERS)
        .map(|t| {
            let url = url.clone();
            std::thread::spawn(move || {
                let mut accepted = Vec::new();
                for i in 0..PER_SENDER {
                    let n = t * PER_SENDER + i;
                    let body = text_body(
                        900_000 + n,
                        &format!("40654035000{:05}", n % 13),
                        &format!("1558{:07}", n % 97),
                    );
                    if post_signed(&url, &body).status == 200 {
                        accepted.extend(expected_ids(&body));
                    }
                }
                accepted
            })
        })
        .collect();
    let accepted: BTreeSet<String> = senders
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let load = started.elapsed();

    let started = Instant::now();
    let normalize = start_normalize(&broker_ref, "backlog-normalize", "e2e-backlog");
    let outputs = read_topics(
        &bootstrap,
        &["whatsapp.mo"],
        Duration::from_secs(60),
        Duration::from_secs(240),
        |r| ids_of(r).is_superset(&accepted),
    );
    let got = ids_of(&outputs);
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
