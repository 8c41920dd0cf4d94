//! The embedded broker keeps the promise of a real cluster: Meta's largest batches go
//! through whole, and a 200 survives the process being killed.

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use support::*;

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The MO `messageId`s printed in `out`, and how many MO lines there were.
fn printed(out: &Path) -> (BTreeSet<String>, usize) {
    let ids: Vec<String> = read(out)
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|l| l["topic"] == "whatsapp.mo")
        .filter_map(|l| l["value"]["messageId"].as_str().map(str::to_owned))
        .collect();
    let lines = ids.len();
    (ids.into_iter().collect(), lines)
}

/// A batch of `n` text messages from one business number, padded to about `bytes`.
fn batch(tag: &str, n: usize, bytes: usize) -> Vec<u8> {
    let pad = "x".repeat(bytes / n - 101);
    let messages: Vec<String> = (0..n)
        .map(|i| {
            format!(
                r#"{{"from":"1555{:07}","id":"wamid.{tag}{i:05}","timestamp":"1767225600","type":"text","text":{{"body":"{pad}"}}}}"#,
                i
            )
        })
        .collect();
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1029384756012345","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550101010","phone_number_id":"1065403500012345"}},"messages":[{}]}},"field":"messages"}}]}}]}}"#,
        messages.join(",")
    )
    .into_bytes()
}

fn temp(name: &str) -> PathBuf {
    let path = std::env::temp_dir().join(format!("wa-embedded-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&path);
    path
}

fn wait_for_mo(out: &Path, ids: usize) -> (BTreeSet<String>, usize) {
    wait_until(Duration::from_secs(120), || {
        let seen = printed(out);
        (seen.0.len() >= ids).then_some(seen)
    })
    .unwrap_or_else(|| printed(out))
}

#[test]
fn two_batches_of_5000_messages_back_to_back_give_10000_records() {
    let _serial = serial();
    let data_dir = temp("batches");
    let out = data_dir.with_extension("jsonl");
    let listen = format!("127.0.0.1:{}", free_port());
    let mut run = run_embedded(&data_dir, &out, &listen, "warn");
    let url = format!("http://{listen}");
    for tag in ["A", "B"] {
        let body = batch(tag, 5000, 3_900_000);
        assert!(
            body.len() > 3_800_000 && body.len() < 4_000_000,
            "{}",
            body.len()
        );
        let reply = post_signed(&url, &body);
        assert_eq!(reply.status, 200, "{}", reply.body);
    }
    let (ids, lines) = wait_for_mo(&out, 10_000);
    eprintln!(
        "2 batches of 3.9 MB answered 200: {} MO records, {lines} lines",
        ids.len()
    );
    assert_eq!(ids.len(), 10_000, "{}", read(&out.with_extension("log")));
    sigterm(&run);
    assert!(run.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(&data_dir);
    let _ = std::fs::remove_file(&out);
}

#[test]
fn accepted_webhooks_survive_sigkill_and_come_out_after_the_restart() {
    let _serial = serial();
    let data_dir = temp("restart");
    let (first, second) = (
        data_dir.with_extension("1.jsonl"),
        data_dir.with_extension("2.jsonl"),
    );
    let listen = format!("127.0.0.1:{}", free_port());
    let url = format!("http://{listen}");
    let mut run = run_embedded(&data_dir, &first, &listen, "warn");
    let mut accepted = BTreeSet::new();
    for i in 0..300 {
        let wamid = format!("wamid.KILL{i:04}");
        let body = format!(
            r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"value":{{"metadata":{{"phone_number_id":"1065403500012345"}},"messages":[{{"from":"1555{i:07}","id":"{wamid}","timestamp":"1767225600","type":"text","text":{{"body":"hi"}}}}]}},"field":"messages"}}]}}]}}"#
        );
        if post_signed(&url, body.as_bytes()).status == 200 {
            accepted.insert(wamid);
        }
    }
    // No drain, no commit: the process dies at once.
    run.kill().unwrap();
    run.wait().unwrap();
    let (before, _) = printed(&first);
    let mut run = run_embedded(&data_dir, &second, &listen, "warn");
    let missing = |after: &BTreeSet<String>| -> Vec<String> {
        accepted
            .iter()
            .filter(|id| !before.contains(*id) && !after.contains(*id))
            .cloned()
            .collect()
    };
    let after = wait_until(Duration::from_secs(120), || {
        let (after, _) = printed(&second);
        missing(&after).is_empty().then_some(after)
    })
    .unwrap_or_else(|| printed(&second).0);
    eprintln!(
        "{} answered 200; {} records out before SIGKILL, {} after the restart (repeats carry the same ids)",
        accepted.len(),
        before.len(),
        after.len()
    );
    assert_eq!(accepted.len(), 300);
    assert!(missing(&after).is_empty(), "lost: {:?}", missing(&after));
    sigterm(&run);
    assert!(run.wait().unwrap().success());
    let _ = std::fs::remove_dir_all(&data_dir);
}
