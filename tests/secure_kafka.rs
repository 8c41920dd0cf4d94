//! Secured Kafka end to end: Tansu requiring SASL SCRAM behind a TLS terminator (stunnel4),
//! both started by `scripts/secure-broker.sh`, with a throwaway CA made for the run. A
//! signed webhook goes in over SASL_SSL and its record comes out; an outside client with
//! the same credentials reads the raw topic; and each usual mistake stops the process at
//! startup with one line naming the option to change.

mod support;

use std::process::Command;
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::Message;
use rdkafka::{Offset, TopicPartitionList};
use support::*;

/// The secured broker: its TLS (SASL_SSL) and plain (SASL_PLAINTEXT, behind stunnel)
/// addresses and the CA to trust.
struct SecureBroker {
    dir: std::path::PathBuf,
    tls: String,
    plain: String,
    ca: String,
}

impl SecureBroker {
    fn start() -> SecureBroker {
        let dir = std::env::temp_dir().join(format!("wa-secure-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let out = Command::new("bash")
            .arg(root().join("scripts/secure-broker.sh"))
            .args(["start", dir.to_str().unwrap()])
            .output()
            .expect("cannot run scripts/secure-broker.sh");
        let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(
            out.status.success(),
            "secure-broker.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let mut addresses = stdout.split_whitespace();
        let tls = addresses.next().expect("TLS bootstrap").to_owned();
        let plain = addresses.next().expect("plain bootstrap").to_owned();
        let ca = dir.join("ca.pem").display().to_string();
        SecureBroker {
            dir,
            tls,
            plain,
            ca,
        }
    }
}

impl Drop for SecureBroker {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(root().join("scripts/secure-broker.sh"))
            .args(["stop", self.dir.to_str().unwrap()])
            .status();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

/// SASL_SSL environment for `user` with `mechanism`.
fn sasl_ssl<'a>(
    broker: &'a SecureBroker,
    mechanism: &'a str,
    user: &'a str,
    password: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("KAFKA_BROKERS", broker.tls.as_str()),
        ("KAFKA_SECURITY_PROTOCOL", "sasl_ssl"),
        ("KAFKA_SASL_MECHANISM", mechanism),
        ("KAFKA_SASL_USERNAME", user),
        ("KAFKA_SASL_PASSWORD", password),
        ("KAFKA_SSL_CA_FILE", broker.ca.as_str()),
    ]
}

fn text_body(wamid: &str) -> Vec<u8> {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1029384756012345","changes":[{{"value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550101010","phone_number_id":"1065403500012345"}},"contacts":[{{"profile":{{"name":"Ana"}},"wa_id":"15551234567"}}],"messages":[{{"from":"15551234567","id":"{wamid}","timestamp":"1767225600","type":"text","text":{{"body":"over TLS"}}}}]}},"field":"messages"}}]}}]}}"#
    )
    .into_bytes()
}

/// Reads `topic` from the beginning with an outside client using `env`'s credentials until
/// a record contains `needle`.
fn find_record(env: &[(&str, &str)], topic: &str, needle: &str) -> Option<Vec<u8>> {
    let get = |k: &str| env.iter().find(|(n, _)| *n == k).map(|(_, v)| *v).unwrap();
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", get("KAFKA_BROKERS"))
        .set("security.protocol", "sasl_ssl")
        .set("sasl.mechanism", get("KAFKA_SASL_MECHANISM"))
        .set("sasl.username", get("KAFKA_SASL_USERNAME"))
        .set("sasl.password", get("KAFKA_SASL_PASSWORD"))
        .set("ssl.ca.location", get("KAFKA_SSL_CA_FILE"))
        .set("group.id", "secure-reader")
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .unwrap();
    let mut tpl = TopicPartitionList::new();
    for p in metadata.topics()[0].partitions() {
        tpl.add_partition_offset(topic, p.id(), Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&tpl).unwrap();
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if let Some(Ok(m)) = consumer.poll(Duration::from_millis(200)) {
            let value = m.payload().unwrap_or_default();
            if String::from_utf8_lossy(value).contains(needle) {
                return Some(value.to_vec());
            }
        }
    }
    None
}

/// Starts ingest and normalize with `env`, posts one signed webhook and checks its record
/// on `whatsapp.mo` and its body on the raw topic, both read with the same credentials.
fn webhook_round_trip(env: &[(&str, &str)], wamid: &str) {
    let (ingest, url) = start_ingest_with(env);
    let mut normalize_env = env.to_vec();
    normalize_env.extend([("GROUP_ID", "secure"), ("COMMIT_INTERVAL", "200ms")]);
    let mut normalize = Proc::spawn("secure-normalize", &["normalize"], &normalize_env);
    let body = text_body(wamid);
    let reply = post_signed(&url, &body);
    assert_eq!(reply.status, 200, "{}\n{}", reply.body, ingest.log());
    let raw = find_record(env, "whatsapp.raw", wamid);
    assert_eq!(raw.as_deref(), Some(&body[..]), "raw body not read back");
    let record = find_record(env, "whatsapp.mo", wamid)
        .unwrap_or_else(|| panic!("no MO record\n{}", normalize.log()));
    let value: serde_json::Value = serde_json::from_slice(&record).unwrap();
    assert_eq!(value["messageId"], wamid);
    assert_eq!(value["message"], "over TLS");
    assert!(normalize.terminate(), "normalize did not exit cleanly");
    for log in [ingest.log(), normalize.log()] {
        for secret in ["secret-512", "secret-256"] {
            assert!(!log.contains(secret), "a password reached the log:\n{log}");
        }
    }
}

fn start_ingest_with(env: &[(&str, &str)]) -> (Proc, String) {
    let listen = format!("127.0.0.1:{}", free_port());
    let mut all = env.to_vec();
    all.extend([
        ("WHATSAPP_APP_SECRET", SECRET),
        ("LISTEN_ADDR", listen.as_str()),
        ("RUST_LOG", "trace"),
    ]);
    let proc = Proc::spawn("secure-ingest", &["ingest"], &all);
    let url = format!("http://{listen}");
    wait_ready(&proc, &url);
    (proc, url)
}

/// Runs `wa-pipeline ingest` with `env`; it must exit non-zero within 20 s with a message
/// containing each of `expected`.
fn refused_at_startup(env: &[(&str, &str)], expected: &[&str]) {
    let listen = format!("127.0.0.1:{}", free_port());
    let mut all = env.to_vec();
    all.extend([
        ("WHATSAPP_APP_SECRET", SECRET),
        ("LISTEN_ADDR", listen.as_str()),
    ]);
    let started = Instant::now();
    let mut proc = Proc::spawn("secure-refused", &["ingest"], &all);
    let status = wait_until(Duration::from_secs(20), || proc.child.try_wait().unwrap())
        .unwrap_or_else(|| panic!("ingest did not stop on a bad configuration\n{}", proc.log()));
    assert!(!status.success());
    let log = proc.log();
    let line = log
        .lines()
        .find(|l| l.starts_with("error: "))
        .unwrap_or_else(|| panic!("no error line:\n{log}"));
    for word in expected {
        assert!(line.contains(word), "{word:?} not in {line:?}");
    }
    eprintln!("refused in {:?}: {line}", started.elapsed());
}

#[test]
fn sasl_ssl_with_scram_end_to_end_and_clear_startup_errors() {
    let _serial = serial();
    let broker = SecureBroker::start();
    webhook_round_trip(
        &sasl_ssl(&broker, "SCRAM-SHA-512", "wa512", "secret-512"),
        "wamid.SECURE512",
    );
    webhook_round_trip(
        &sasl_ssl(&broker, "SCRAM-SHA-256", "wa256", "secret-256"),
        "wamid.SECURE256",
    );

    // Wrong password.
    refused_at_startup(
        &sasl_ssl(&broker, "SCRAM-SHA-512", "wa512", "not-the-password"),
        &["refused the credentials", "KAFKA_SASL_PASSWORD"],
    );
    // The broker's CA not given: the system's CAs do not know it.
    let mut untrusted = sasl_ssl(&broker, "SCRAM-SHA-512", "wa512", "secret-512");
    untrusted.retain(|(k, _)| *k != "KAFKA_SSL_CA_FILE");
    refused_at_startup(&untrusted, &["not trusted", "KAFKA_SSL_CA_FILE"]);
    // A plaintext client against the TLS listener.
    let mut plaintext = sasl_ssl(&broker, "SCRAM-SHA-512", "wa512", "secret-512");
    plaintext.retain(|(k, _)| *k != "KAFKA_SSL_CA_FILE");
    plaintext[1] = ("KAFKA_SECURITY_PROTOCOL", "sasl_plaintext");
    refused_at_startup(&plaintext, &["speaks TLS", "KAFKA_SECURITY_PROTOCOL"]);
    // A TLS client against the plaintext listener.
    let mut tls_to_plain = sasl_ssl(&broker, "SCRAM-SHA-512", "wa512", "secret-512");
    tls_to_plain[0] = ("KAFKA_BROKERS", broker.plain.as_str());
    refused_at_startup(
        &tls_to_plain,
        &["does not speak TLS", "KAFKA_SECURITY_PROTOCOL"],
    );
    // A guarded property through the passthrough.
    let mut guarded = sasl_ssl(&broker, "SCRAM-SHA-512", "wa512", "secret-512");
    guarded.push(("KAFKA_PROPERTIES", "client.id=wa,acks=1"));
    refused_at_startup(&guarded, &["`acks`", "KAFKA_PROPERTIES"]);
}

#[test]
fn the_passthrough_takes_the_standard_librdkafka_security_keys() {
    let _serial = serial();
    let broker = SecureBroker::start();
    let properties = format!(
        "security.protocol=sasl_ssl,sasl.mechanism=SCRAM-SHA-512,sasl.username=wa512,sasl.password=secret-512,ssl.ca.location={}",
        broker.ca
    );
    let env = [
        ("KAFKA_BROKERS", broker.tls.as_str()),
        ("KAFKA_PROPERTIES", properties.as_str()),
    ];
    let (ingest, url) = start_ingest_with(&env);
    let reply = post_signed(&url, &text_body("wamid.PASSTHROUGH"));
    assert_eq!(reply.status, 200, "{}\n{}", reply.body, ingest.log());
    let reader = sasl_ssl(&broker, "SCRAM-SHA-512", "wa512", "secret-512");
    assert!(find_record(&reader, "whatsapp.raw", "wamid.PASSTHROUGH").is_some());
    assert!(!ingest.log().contains("secret-512"), "{}", ingest.log());
}
