//! SIGTERM under load in `wa-pipeline run`: ingest stops accepting, normalize works off
//! what ingest stored before it exits, so every request answered 200 has its record.

mod support;

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use support::*;

fn body(wamid: &str) -> Vec<u8> {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1029384756012345","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550101010","phone_number_id":"1065403500012345"}},"messages":[{{"from":"1555{n}","id":"{wamid}","timestamp":"1767225600","type":"text","text":{{"body":"under load"}}}}]}},"field":"messages"}}]}}]}}"#,
        n = wamid.len()
    )
    .into_bytes()
}

/// The status of a signed POST, `None` when the connection fails.
fn try_post_signed(agent: &ureq::Agent, url: &str, body: &[u8]) -> Option<u16> {
    let signature = wa_ingest::signature::sign(SECRET.as_bytes(), body);
    agent
        .post(&format!("{url}/webhook"))
        .header("Content-Type", "application/json")
        .header("X-Hub-Signature-256", &signature)
        .send(body)
        .ok()
        .map(|r| r.status().as_u16())
}

#[test]
fn sigterm_under_load_loses_no_accepted_webhook() {
    let _serial = serial();
    let listen = format!("127.0.0.1:{}", free_port());
    let out = std::env::temp_dir().join(format!("wa-drain-{}.jsonl", std::process::id()));
    let log = out.with_extension("log");
    let data_dir = std::env::temp_dir().join(format!("wa-drain-data-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let mut child = run_embedded(&data_dir, &out, &listen, "info");
    let url = format!("http://{listen}");

    let stop = Arc::new(AtomicBool::new(false));
    let sent = Arc::new(AtomicUsize::new(0));
    let senders: Vec<_> = (0..4)
        .map(|t| {
            let (url, stop, sent) = (url.clone(), stop.clone(), sent.clone());
            std::thread::spawn(move || {
                let mut accepted = Vec::new();
                let agent: ureq::Agent = ureq::Agent::config_builder()
                    .http_status_as_error(false)
                    .timeout_global(Some(Duration::from_secs(60)))
                    .build()
                    .into();
                let mut i = 0;
                while !stop.load(Ordering::Relaxed) {
                    let wamid = format!("wamid.DRAIN{t}x{i:06}");
                    i += 1;
                    sent.fetch_add(1, Ordering::Relaxed);
                    // After SIGTERM the listener closes: a refused connection is no 200.
                    if try_post_signed(&agent, &url, &body(&wamid)) == Some(200) {
                        accepted.push(wamid);
                    }
                }
                accepted
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1500));
    let signalled = Instant::now();
    sigterm(&child);
    std::thread::sleep(Duration::from_millis(500));
    stop.store(true, Ordering::Relaxed);
    let accepted: BTreeSet<String> = senders
        .into_iter()
        .flat_map(|h| h.join().unwrap())
        .collect();
    let status = wait_until(Duration::from_secs(60), || child.try_wait().unwrap())
        .expect("run did not exit after SIGTERM");
    assert!(
        status.success(),
        "{}",
        std::fs::read_to_string(&log).unwrap()
    );
    let printed: BTreeSet<String> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter_map(|l| l["value"]["messageId"].as_str().map(str::to_owned))
        .collect();
    let missing: Vec<&String> = accepted.difference(&printed).collect();
    eprintln!(
        "{} requests sent, {} answered 200, {} records out; exit {:?} after SIGTERM",
        sent.load(Ordering::Relaxed),
        accepted.len(),
        printed.len(),
        signalled.elapsed()
    );
    assert!(accepted.len() > 50, "too little load to prove anything");
    assert!(
        missing.is_empty(),
        "{} of {} accepted webhooks have no record: {:?}",
        missing.len(),
        accepted.len(),
        missing.iter().take(5).collect::<Vec<_>>()
    );
    let _ = std::fs::remove_file(&out);
    let _ = std::fs::remove_file(&log);
    let _ = std::fs::remove_dir_all(&data_dir);
}
