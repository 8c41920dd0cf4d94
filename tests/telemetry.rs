//! Telemetry from outside: spans of both stages reach an OTLP/HTTP receiver (decoded with
//! the `opentelemetry-proto` types) under the POST's trace id; `/metrics` counts exactly
//! what was sent; the real Prometheus server (Debian's package) scrapes it and answers
//! queries; `promtool check metrics` finds nothing wrong.

mod support;

use std::io::Write as _;
use std::net::TcpListener;
use std::process::{Command, Stdio};
use std::time::Duration;

use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use support::otlp::{receiver, Got};
use support::*;

const TRACE: &str = "5bf92f3577b34da6a3ce929d0e0e4736";

#[test]
fn the_spans_of_one_post_from_both_stages_share_its_trace_id() {
    let _serial = serial();
    let (endpoint, spans) = receiver();
    let broker = Broker::start("otlp", 1);
    let otel = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
        ("OTEL_METRIC_EXPORT_INTERVAL", "1000"),
    ];
    let (ingest, url) = start_ingest(&broker, &otel);
    let mut env = vec![
        ("KAFKA_BROKERS", broker.bootstrap.as_str()),
        ("GROUP_ID", "e2e-otlp"),
        ("OTEL_SERVICE_NAME", "wa-normalize-test"),
    ];
    env.extend_from_slice(&otel);
    let normalize = Proc::spawn("normalize-otlp", &["normalize"], &env);
    let body = text_body(77, "1065403500012345", "15550001111");
    let signature = wa_ingest::signature::sign(SECRET.as_bytes(), &body);
    let status = ureq::post(&format!("{url}/webhook"))
        .header("X-Hub-Signature-256", &signature)
        .header("traceparent", &format!("00-{TRACE}-00f067aa0ba902b7-01"))
        .send(&body[..])
        .map(|r| r.status().as_u16());
    assert_eq!(status.ok(), Some(200));
    let outputs = read_topics(
        &broker.bootstrap,
        &["whatsapp.mo"],
        Duration::from_secs(30),
        Duration::from_secs(60),
        |r| !r.is_empty(),
    );
    assert_eq!(outputs.len(), 1, "{}", normalize.log());
    let traceparent = &outputs[0].headers["traceparent"];
    assert!(traceparent.contains(TRACE), "{traceparent}");

    let want = |got: &[Got]| {
        let of = |service: &str, kind: SpanKind| {
            got.iter()
                .any(|s| s.service == service && s.kind == kind as i32 && s.trace_id == TRACE)
        };
        of("wa-pipeline", SpanKind::Server)
            && of("wa-pipeline", SpanKind::Producer)
            && of("wa-normalize-test", SpanKind::Consumer)
            && of("wa-normalize-test", SpanKind::Producer)
    };
    let got = wait_until(Duration::from_secs(30), || {
        let got = spans.lock().unwrap().clone();
        want(&got).then_some(got)
    })
    .unwrap_or_else(|| {
        panic!(
            "spans missing: {:#?}\n{}\n{}",
            spans.lock().unwrap(),
            ingest.log(),
            normalize.log()
        )
    });
    check_spans(&got, traceparent);
}

/// The first span of `kind` (from `service` when given).
fn span<'a>(got: &'a [Got], service: Option<&str>, kind: SpanKind) -> &'a Got {
    got.iter()
        .find(|s| s.kind == kind as i32 && service.is_none_or(|name| s.service == name))
        .unwrap_or_else(|| panic!("no {kind:?} span in {got:#?}"))
}

/// The value of a span's attribute `key`.
fn attribute(span: &Got, key: &str) -> Option<String> {
    span.attributes
        .iter()
        .find(|(k, _)| k == key)
        .map(|(_, v)| v.clone())
}

/// The spans of one POST: the caller's span continued, HTTP and Kafka attributes set, and
/// the output record's traceparent naming its producer span.
fn check_spans(got: &[Got], traceparent: &str) {
    let server = span(got, None, SpanKind::Server);
    assert_eq!(server.name, "POST /webhook");
    assert_eq!(
        server.parent, "00f067aa0ba902b7",
        "continues the caller's span"
    );
    let expect = [
        (server, "http.response.status_code", "200"),
        (
            span(got, None, SpanKind::Consumer),
            "messaging.system",
            "kafka",
        ),
        (
            span(got, None, SpanKind::Consumer),
            "messaging.kafka.offset",
            "0",
        ),
        (
            span(got, Some("wa-normalize-test"), SpanKind::Producer),
            "messaging.destination.name",
            "whatsapp.mo",
        ),
    ];
    for (span, key, value) in expect {
        assert_eq!(
            attribute(span, key).as_deref(),
            Some(value),
            "{}: {key}",
            span.name
        );
    }
    assert_eq!(
        span(got, None, SpanKind::Consumer).name,
        "whatsapp.raw process"
    );
    // The output record's traceparent names the producer span of that record.
    assert!(traceparent.starts_with(&format!("00-{TRACE}-")));
}

/// `wa-pipeline run` on its embedded broker with its own data directory and admin port.
struct Run {
    proc: Proc,
    url: String,
    admin: String,
    data_dir: std::path::PathBuf,
}

impl Run {
    fn start(name: &str, extra: &[(&str, &str)]) -> Run {
        let data_dir = std::env::temp_dir().join(format!("wa-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        let (listen, admin) = (
            format!("127.0.0.1:{}", free_port()),
            format!("127.0.0.1:{}", free_port()),
        );
        let mut env = vec![
            ("WHATSAPP_APP_SECRET", SECRET),
            ("LISTEN_ADDR", listen.as_str()),
            ("ADMIN_LISTEN", admin.as_str()),
            ("WA_DATA_DIR", data_dir.to_str().unwrap()),
            ("BROKER_LISTEN", "127.0.0.1:0"),
        ];
        env.extend_from_slice(extra);
        let proc = Proc::spawn(&format!("run-{name}"), &["run"], &env);
        wait_until(Duration::from_secs(60), || {
            matches!(get(&format!("http://{admin}/readyz")), Ok(200)).into_option()
        })
        .unwrap_or_else(|| panic!("not ready\n{}", proc.log()));
        Run {
            proc,
            url: format!("http://{listen}"),
            admin,
            data_dir,
        }
    }
}

impl Drop for Run {
    fn drop(&mut self) {
        self.proc.kill();
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// GETs `url`'s body as text.
fn fetch(url: &str) -> String {
    ureq::get(url)
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap()
}

/// The value of the first sample of `name` whose line contains every one of `labels`.
fn sample(text: &str, name: &str, labels: &[&str]) -> Option<f64> {
    text.lines()
        .filter(|l| l.starts_with(name) && labels.iter().all(|x| l.contains(x)))
        .find_map(|l| l.rsplit(' ').next()?.parse().ok())
}

#[test]
fn metrics_count_every_request_and_prometheus_scrapes_them() {
    const N: usize = 25;
    let _serial = serial();
    let run = Run::start("metrics", &[]);
    let (url, admin) = (run.url.clone(), run.admin.clone());
    for i in 0..N {
        let body = text_body(3000 + i, "1065403500012345", "15550002222");
        assert_eq!(post_signed(&url, &body).status, 200);
    }
    assert_eq!(post(&url, b"{}", Some("sha256=00")).status, 401);
    let metrics_url = format!("http://{admin}/metrics");
    let mo = ["messaging_destination_name=\"whatsapp.mo\""];
    let text = wait_until(Duration::from_secs(60), || {
        let text = fetch(&metrics_url);
        (sample(&text, "messaging_client_sent_messages_total", &mo)? >= N as f64).then_some(text)
    })
    .unwrap_or_else(|| panic!("outputs not counted\n{}", fetch(&metrics_url)));
    let ok = [
        "http_response_status_code=\"200\"",
        "http_route=\"/webhook\"",
    ];
    assert_eq!(
        sample(&text, "http_server_request_duration_seconds_count", &ok),
        Some(N as f64),
        "{text}"
    );
    assert_eq!(
        sample(
            &text,
            "wa_ingest_signature_failures_total",
            &["reason=\"malformed\""]
        ),
        Some(1.0)
    );
    let raw = ["messaging_destination_name=\"whatsapp.raw\""];
    assert_eq!(
        sample(&text, "messaging_client_sent_messages_total", &raw),
        Some(N as f64)
    );
    assert_eq!(
        sample(&text, "messaging_client_consumed_messages_total", &raw),
        Some(N as f64)
    );

    promtool_accepts(&text);
    prometheus_scrapes(&admin, N);
}

/// `promtool check metrics` reads the exposition from stdin and prints every problem.
fn promtool_accepts(text: &str) {
    let mut child = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("promtool (Debian's prometheus package; scripts/test.sh installs it)");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success() && said.trim().is_empty(),
        "promtool: {said}"
    );
}

/// A real Prometheus scrapes the admin endpoint; its query API returns the request count.
fn prometheus_scrapes(admin: &str, n: usize) {
    let dir = std::env::temp_dir().join(format!("wa-prometheus-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("prometheus.yml");
    std::fs::write(
        &config,
        format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: wa-pipeline\n    static_configs:\n      - targets: ['{admin}']\n"
        ),
    )
    .unwrap();
    let web = format!("127.0.0.1:{}", free_port());
    let mut prometheus = Command::new("prometheus")
        .arg(format!("--config.file={}", config.display()))
        .arg(format!(
            "--storage.tsdb.path={}",
            dir.join("data").display()
        ))
        .arg(format!("--web.listen-address={web}"))
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(dir.join("log")).unwrap())
        .spawn()
        .expect("prometheus (Debian's package; scripts/test.sh installs it)");
    let query = format!(
        "http://{web}/api/v1/query?query=http_server_request_duration_seconds_count%7Bhttp_response_status_code%3D%22200%22%7D"
    );
    let answer = wait_until(Duration::from_secs(60), || {
        let body = ureq::get(&query)
            .call()
            .ok()?
            .body_mut()
            .read_to_string()
            .ok()?;
        body.contains("\"result\":[{").then_some(body)
    });
    let _ = prometheus.kill();
    let _ = prometheus.wait();
    let log = std::fs::read_to_string(dir.join("log")).unwrap_or_default();
    let _ = std::fs::remove_dir_all(&dir);
    let answer = answer.unwrap_or_else(|| panic!("prometheus never had the series\n{log}"));
    let value: serde_json::Value = serde_json::from_str(&answer).unwrap();
    let result = &value["data"]["result"][0];
    assert_eq!(result["metric"]["job"], "wa-pipeline");
    assert_eq!(result["value"][1], n.to_string(), "{answer}");
}

#[test]
fn a_collector_that_never_answers_costs_spans_not_webhooks() {
    let _serial = serial();
    // Accepts connections and never answers.
    let blackhole = TcpListener::bind("127.0.0.1:0").unwrap();
    let endpoint = format!("http://{}", blackhole.local_addr().unwrap());
    std::thread::spawn(move || {
        let held: Vec<_> = blackhole.incoming().flatten().collect();
        drop(held);
    });
    let run = Run::start(
        "blackhole",
        &[
            ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
            ("OTEL_EXPORTER_OTLP_TIMEOUT", "1000"),
        ],
    );
    let (url, admin) = (run.url.clone(), run.admin.clone());
    for i in 0..50 {
        let body = text_body(6000 + i, "1065403500012345", "15550003333");
        assert_eq!(post_signed(&url, &body).status, 200, "{}", run.proc.log());
    }
    let metrics_url = format!("http://{admin}/metrics");
    let dropped = wait_until(Duration::from_secs(60), || {
        let text = fetch(&metrics_url);
        sample(&text, "wa_telemetry_spans_dropped_total", &[]).filter(|d| *d > 0.0)
    });
    assert!(
        dropped.is_some(),
        "lost spans are counted\n{}",
        fetch(&metrics_url)
    );
    let text = fetch(&metrics_url);
    let mo = ["messaging_destination_name=\"whatsapp.mo\""];
    let out = wait_until(Duration::from_secs(60), || {
        sample(
            &fetch(&metrics_url),
            "messaging_client_sent_messages_total",
            &mo,
        )
        .filter(|n| *n >= 50.0)
    });
    assert_eq!(out, Some(50.0), "{text}");
}
