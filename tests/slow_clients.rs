//! Hostile clients against a real `wa-pipeline run` process: a thousand unauthenticated
//! connections dribbling bodies one byte a second must not take the storage slots that
//! signed requests need, and a flood of bad signatures must not flood the log.

mod support;

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::time::{Duration, Instant};

use support::*;

/// `wa-pipeline run` on the embedded broker, with few storage slots and a short body timeout.
fn start_run() -> (Proc, String) {
    let listen = format!("127.0.0.1:{}", free_port());
    let data_dir =
        std::env::temp_dir().join(format!("wa-slow-{}-{}", std::process::id(), free_port()));
    let data_dir = data_dir.to_str().unwrap().to_owned();
    let proc = Proc::spawn(
        "slow-run",
        &["run"],
        &[
            ("WHATSAPP_APP_SECRET", SECRET),
            ("WHATSAPP_VERIFY_TOKEN", "slow-token"),
            ("LISTEN_ADDR", listen.as_str()),
            ("MAX_IN_FLIGHT", "8"),
            ("BODY_READ_TIMEOUT", "8s"),
            ("WA_DATA_DIR", data_dir.as_str()),
            ("BROKER_LISTEN", "127.0.0.1:0"),
        ],
    );
    let url = format!("http://{listen}");
    wait_until(Duration::from_secs(60), || {
        matches!(get(&format!("{url}/readyz")), Ok(200)).into_option()
    })
    .unwrap_or_else(|| panic!("run not ready\n{}", proc.log()));
    (proc, url)
}

fn rss_kib(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

#[test]
fn signed_requests_get_200_while_a_thousand_slow_clients_hold_connections() {
    let _serial = serial();
    let (run, url) = start_run();
    let addr = url.trim_start_matches("http://").to_owned();
    let pid = run.child.id();
    let rss_before = rss_kib(pid);
    let mut slow: Vec<TcpStream> = (0..1000)
        .map(|_| {
            let mut s = TcpStream::connect(&addr).unwrap();
            s.write_all(b"POST /webhook HTTP/1.1\r\nHost: wa\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{")
                .unwrap();
            s
        })
        .collect();
    let body = std::fs::read(root().join("fixtures/bodies/text.json")).unwrap();
    let started = Instant::now();
    let mut statuses = Vec::new();
    for second in 0..5 {
        for stream in &mut slow {
            let _ = stream.write_all(b" ");
        }
        for _ in 0..4 {
            statuses.push(post_signed(&url, &body).status);
        }
        std::thread::sleep(
            Duration::from_secs(1).saturating_sub(started.elapsed() - Duration::from_secs(second)),
        );
    }
    let rss_during = rss_kib(pid);
    assert!(
        statuses.iter().all(|s| *s == 200),
        "signed probes while 1000 slow clients were connected: {statuses:?}\n{}",
        run.log()
    );
    // The slow bodies are cut by the body timeout.
    let mut answer = String::new();
    slow[0]
        .set_read_timeout(Some(Duration::from_secs(15)))
        .unwrap();
    let _ = slow[0].read_to_string(&mut answer);
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
    drop(slow);
    std::thread::sleep(Duration::from_secs(1));
    let rss_after = rss_kib(pid);
    eprintln!(
        "RSS KiB: before {rss_before}, with 1000 slow clients {rss_during}, after {rss_after}"
    );
    assert!(
        rss_during < 256 * 1024,
        "RSS {rss_during} KiB with 1000 slow clients"
    );
    assert_eq!(post_signed(&url, &body).status, 200);
}

#[test]
fn a_flood_of_bad_signatures_writes_a_bounded_log() {
    let _serial = serial();
    let (run, url) = start_run();
    let body = br#"{"object":"whatsapp_business_account","entry":[]}"#;
    let started = Instant::now();
    let bad = "sha256=".to_owned() + &"0".repeat(64);
    for _ in 0..2000 {
        assert_eq!(post(&url, body, Some(&bad)).status, 401);
    }
    let seconds = started.elapsed().as_secs() + 1;
    std::thread::sleep(Duration::from_millis(1100));
    // One more line after the window: it reports how many were suppressed.
    assert_eq!(post(&url, body, Some(&bad)).status, 401);
    let log = run.log();
    let refused = log.lines().filter(|l| l.contains("refused")).count() as u64;
    assert!(
        refused <= 20 * (seconds + 2),
        "{refused} refusal lines for 2001 requests in {seconds} s"
    );
    assert!(
        !log.contains('\u{1b}'),
        "a log written to a pipe has no terminal colour codes"
    );
    let suppressed: u64 = log
        .split("suppressed=")
        .skip(1)
        .filter_map(|rest| {
            rest.split(|c: char| !c.is_ascii_digit())
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum();
    assert!(
        refused + suppressed >= 2001,
        "{refused} logged + {suppressed} suppressed"
    );
    eprintln!(
        "2001 bad signatures in {seconds} s wrote {refused} refusal lines, {suppressed} suppressed"
    );
}
