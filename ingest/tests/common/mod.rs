//! A running receiver on port 0 and a minimal HTTP/1.1 client for the tests.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use wa_ingest::signature::{sign, Secrets};
use wa_ingest::{Ingest, IngestConfig, RawSink};

pub const SECRET: &str = "test_app_secret";
pub const TOKEN: &str = "verify-me";

pub fn config() -> IngestConfig {
    let mut config = IngestConfig::new(
        "127.0.0.1:0".parse().unwrap(),
        Secrets::parse_list(&format!("{SECRET},second_app_secret")).unwrap(),
    );
    config.verify_token = Some(TOKEN.into());
    config
}

pub struct Server<S: RawSink> {
    pub addr: SocketAddr,
    pub ingest: Arc<Ingest<S>>,
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl<S: RawSink> Server<S> {
    pub async fn start(config: IngestConfig, sink: S) -> Self {
        let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let ingest = Arc::new(Ingest::new(config, sink));
        let (stop, stopped) = oneshot::channel::<()>();
        let task = tokio::spawn(wa_ingest::server::serve(listener, ingest.clone(), async {
            let _ = stopped.await;
        }));
        Server {
            addr,
            ingest,
            stop: Some(stop),
            task,
        }
    }

    /// Triggers the graceful shutdown and waits for the server to stop.
    pub async fn shutdown(mut self) {
        let _ = self.stop.take().unwrap().send(());
        self.task.await.unwrap();
    }
}

#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Sends one request on a new connection and reads the whole response.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = TcpStream::connect(addr).await.unwrap();
    let mut head = format!("{method} {target} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if method == "POST" {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    // The server may answer (413) before reading the whole body.
    let _ = stream.write_all(body).await;
    let mut raw = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut raw)).await;
    parse_reply(&raw)
}

pub fn parse_reply(raw: &[u8]) -> Reply {
    let end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no complete response: {:?}", String::from_utf8_lossy(raw)));
    let head = std::str::from_utf8(&raw[..end]).unwrap();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: raw[end + 4..].to_vec(),
    }
}

/// POSTs `body` signed with `secret` to `/webhook`.
pub async fn post_signed(addr: SocketAddr, body: &[u8], secret: &str) -> Reply {
    let signature = sign(secret.as_bytes(), body);
    request(
        addr,
        "POST",
        "/webhook",
        &[
            ("X-Hub-Signature-256", &signature),
            ("Content-Type", "application/json"),
        ],
        body,
    )
    .await
}

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!(
        "{}/../fixtures/bodies/{name}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

/// A ~3 MB batch, as large as Meta's biggest deliveries.
pub fn big_batch() -> Vec<u8> {
    let message = |i: usize| {
        format!(
            r#"{{"from":"15551234567","id":"wamid.BIG{i:08}","timestamp":"1767225600","type":"text","text":{{"body":"{}"}}}}"#,
            "x".repeat(2900)
        )
    };
    let messages: Vec<String> = (0..1000).map(message).collect();
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1","changes":[{{"field":"messages","value":{{"metadata":{{"phone_number_id":"1065403500012345"}},"messages":[{}]}}}}]}}]}}"#,
        messages.join(",")
    )
    .into_bytes()
}
