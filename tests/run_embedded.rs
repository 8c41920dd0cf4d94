//! `wa-pipeline` with no configuration at all: the quick start of the README. It starts the
//! embedded broker, generates a secret, prints a ready request; the request gets 200, the
//! event is echoed with `--print`, and an outside Kafka client reads it from the printed
//! bootstrap address.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::Message;

#[test]
fn the_quick_start_works_with_no_configuration() {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let data_dir = std::env::temp_dir().join(format!("wa-quick-start-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let mut child = Command::new(env!("CARGO_BIN_EXE_wa-pipeline"))
        .env("ADMIN_LISTEN", "127.0.0.1:0")
        .args(["--print", "--listen", &format!("127.0.0.1:{port}")])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("KAFKA_BROKERS")
        .env_remove("WHATSAPP_APP_SECRET")
        .env("RUST_LOG", "warn")
        .env("WA_DATA_DIR", &data_dir)
        .env("BROKER_LISTEN", "127.0.0.1:0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let lines_rx = lines_of(child.stderr.take().unwrap());
    let out_rx = lines_of(child.stdout.take().unwrap());

    let (bootstrap, curl) = banner(&lines_rx);
    assert!(curl.contains("X-Hub-Signature-256: sha256="), "{curl}");
    assert_eq!(paste(&curl), "200", "the printed request is accepted");

    let echoed = out_rx
        .recv_timeout(Duration::from_secs(30))
        .expect("--print echoes the event");
    let record: serde_json::Value = serde_json::from_str(&echoed).unwrap();
    assert_eq!(record["topic"], "whatsapp.mo");
    assert_eq!(record["value"]["message"], "Hi, is my order on its way?");
    assert_eq!(read_from_outside(&bootstrap), record["value"]);

    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "exits 0 on SIGTERM");
}

/// The lines of a child's output, as they come.
fn lines_of(output: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(output).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    rx
}

/// The embedded broker's bootstrap address and the ready `curl` command, from the banner.
fn banner(lines: &mpsc::Receiver<String>) -> (String, String) {
    let (mut bootstrap, mut curl) = (None, None);
    while bootstrap.is_none() || curl.is_none() {
        let line = lines
            .recv_timeout(Duration::from_secs(30))
            .expect("the banner is printed");
        if let Some(rest) = line.split("started the embedded broker at ").nth(1) {
            bootstrap = Some(rest.trim().to_owned());
        }
        if line.trim_start().starts_with("curl ") {
            curl = Some(line.trim().to_owned());
        }
    }
    (bootstrap.unwrap(), curl.unwrap())
}

/// The printed command, as a user would paste it (retried until ingest is ready): the
/// HTTP status it got.
fn paste(curl: &str) -> String {
    let mut status = String::new();
    for _ in 0..50 {
        let out = Command::new("bash")
            .args(["-c", &format!("{curl} -o /dev/null -w '%{{http_code}}'")])
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .output()
            .unwrap();
        status = String::from_utf8_lossy(&out.stdout).into_owned();
        if status == "200" {
            break;
        }
        std::thread::sleep(Duration::from_millis(200));
    }
    status
}

/// Any Kafka client can read the embedded broker's topics: the first MO record, read by
/// one. (The consumer is closed before the broker stops: a consumer closing against a
/// vanished broker waits for its timeouts.)
fn read_from_outside(bootstrap: &str) -> serde_json::Value {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", bootstrap)
        .set("group.id", "outside-reader")
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    let mut partitions = rdkafka::TopicPartitionList::new();
    for p in 0..3 {
        partitions
            .add_partition_offset("whatsapp.mo", p, rdkafka::Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&partitions).unwrap();
    let mut read = None;
    for _ in 0..100 {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            read = Some(m.payload().unwrap().to_vec());
            break;
        }
    }
    serde_json::from_slice(&read.expect("read from outside")).unwrap()
}
