//! A local stand-in of Meta's two media endpoints, for tests and local trials (Meta's Graph
//! API cannot be reached from here). It follows Meta's documented answers:
//!
//! - `GET /{version}/{media-id}[?phone_number_id=]` with `Authorization: Bearer <token>`:
//!   `{"messaging_product":"whatsapp","url","mime_type","sha256" (hex),"file_size" (a
//!   string),"id"}`; an unknown id is HTTP 400 with Graph error 100 (subcode 33), a deleted
//!   one 404, a wrong token 401 with Graph error 190 (`OAuthException`);
//! - `GET <url>` with the same bearer token: the bytes; the URL expires (404) after the
//!   configured lifetime, as Meta's do after 5 minutes.
//!
//! Each file can fail on demand ([`Mode`]); the calls are counted. [`Moto`] runs the real
//! S3-compatible server the tests store into (`scripts/moto.sh`).

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};
use sha2::{Digest, Sha256};

/// How a file answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    /// As documented.
    Ok,
    /// Deleted by Meta (30 days): 404 on both endpoints.
    Deleted,
    /// HTTP 500 for the first `n` calls of the metadata endpoint, then as documented.
    FailTimes(usize),
    /// HTTP 503 on every call.
    Unavailable,
    /// The download serves other bytes than the checksum says.
    Corrupt,
}

/// One file the stand-in serves.
#[derive(Debug, Clone)]
pub struct MediaFile {
    /// Its bytes.
    pub bytes: Vec<u8>,
    /// Its MIME type.
    pub mime_type: String,
    /// How it answers.
    pub mode: Mode,
}

#[derive(Debug, Default)]
struct State {
    token: String,
    url_ttl: Duration,
    files: Mutex<HashMap<String, (MediaFile, usize)>>,
    metadata_calls: AtomicUsize,
    downloads: AtomicUsize,
    /// When not 0: an unknown id is a JPEG of this many bytes made from its id.
    generated: AtomicUsize,
}

/// The running stand-in; it stops with the process.
#[derive(Debug, Clone)]
pub struct StandIn {
    addr: SocketAddr,
    state: Arc<State>,
}

impl StandIn {
    /// Starts on a free loopback port, in a thread of its own, accepting `token`; download
    /// URLs expire after `url_ttl`.
    pub fn start(token: &str, url_ttl: Duration) -> StandIn {
        let state = Arc::new(State {
            token: token.to_owned(),
            url_ttl,
            ..State::default()
        });
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
        listener.set_nonblocking(true).expect("non-blocking");
        let addr = listener.local_addr().expect("an address");
        let served = state.clone();
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            runtime.block_on(serve(listener, served));
        });
        StandIn { addr, state }
    }

    /// `http://127.0.0.1:<port>`: the Graph API base URL to configure.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves `file` under `media_id`.
    pub fn add(&self, media_id: &str, file: MediaFile) {
        let mut files = self.state.files.lock().expect("not poisoned");
        files.insert(media_id.to_owned(), (file, 0));
    }

    /// From now on an unknown id is served as a file of `size` bytes made from the id (each
    /// id its own bytes): load for benchmarks.
    pub fn generate_unknown(&self, size: usize) {
        self.state.generated.store(size, Ordering::SeqCst);
    }

    /// A download URL for `media_id` that expired `ago` (a webhook `url` Meta sent long ago).
    pub fn expired_url(&self, media_id: &str, ago: Duration) -> String {
        let at = now_ms().saturating_sub(ago.as_millis() as u64);
        format!("{}/dl/{media_id}?ext={at}", self.base_url())
    }

    /// Calls of the metadata endpoint so far.
    pub fn metadata_calls(&self) -> usize {
        self.state.metadata_calls.load(Ordering::SeqCst)
    }

    /// Downloads served or refused so far.
    pub fn downloads(&self) -> usize {
        self.state.downloads.load(Ordering::SeqCst)
    }
}

/// The bytes [`StandIn::generate_unknown`] serves for `id`.
pub fn generated_bytes(id: &str, size: usize) -> Vec<u8> {
    let seed = Sha256::digest(id.as_bytes());
    seed.iter().copied().cycle().take(size).collect()
}

/// Hex SHA-256 (as the metadata endpoint gives it).
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Base64 SHA-256 (as webhooks give it).
pub fn sha256_base64(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(Sha256::digest(bytes))
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

async fn serve(listener: std::net::TcpListener, state: Arc<State>) {
    let listener = tokio::net::TcpListener::from_std(listener).expect("a tokio listener");
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = state.clone();
                async move { Ok::<_, Infallible>(answer(&state, &request)) }
            });
            let io = hyper_util::rt::TokioIo::new(stream);
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(io, service)
                .await;
        });
    }
}

type Answer = Response<Full<Bytes>>;

fn graph_error(status: StatusCode, code: u32, kind: &str, message: &str) -> Answer {
    let body = serde_json::json!({"error": {"message": message, "type": kind, "code": code, "fbtrace_id": "AStandInTrace"}});
    Response::builder()
        .status(status)
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a response")
}

fn answer(state: &State, request: &Request<Incoming>) -> Answer {
    let path = request.uri().path().trim_start_matches('/').to_owned();
    let query = request.uri().query().unwrap_or("").to_owned();
    let download = path.starts_with("dl/");
    if download {
        state.downloads.fetch_add(1, Ordering::SeqCst);
    } else {
        state.metadata_calls.fetch_add(1, Ordering::SeqCst);
    }
    let bearer = request
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    if bearer != Some(state.token.as_str()) {
        return graph_error(
            StatusCode::UNAUTHORIZED,
            190,
            "OAuthException",
            "Invalid OAuth access token - Cannot parse access token",
        );
    }
    let id = path.rsplit('/').next().unwrap_or("").to_owned();
    let mut files = state.files.lock().expect("not poisoned");
    let generated = state.generated.load(Ordering::SeqCst);
    if generated > 0 && !files.contains_key(&id) {
        let bytes = generated_bytes(&id, generated);
        let file = MediaFile {
            bytes,
            mime_type: "image/jpeg".into(),
            mode: Mode::Ok,
        };
        files.insert(id.clone(), (file, 0));
    }
    let Some((file, calls)) = files.get_mut(&id) else {
        return graph_error(StatusCode::BAD_REQUEST, 100, "GraphMethodException", &format!("Unsupported get request. Object with ID '{id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation."));
    };
    match file.mode {
        Mode::Deleted => {
            return graph_error(
                StatusCode::NOT_FOUND,
                100,
                "GraphMethodException",
                "Media not found",
            )
        }
        Mode::Unavailable => {
            return graph_error(
                StatusCode::SERVICE_UNAVAILABLE,
                2,
                "OAuthException",
                "Service temporarily unavailable",
            )
        }
        Mode::FailTimes(n) if !download && *calls < n => {
            *calls += 1;
            return graph_error(
                StatusCode::INTERNAL_SERVER_ERROR,
                1,
                "OAuthException",
                "An unknown error occurred",
            );
        }
        _ => {}
    }
    if download {
        serve_bytes(file, &query)
    } else {
        metadata(state, file, &id, request)
    }
}

/// A moto S3 server started by `scripts/moto.sh`; stopped when dropped.
#[derive(Debug)]
pub struct Moto {
    dir: std::path::PathBuf,
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
}

fn moto_script() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/moto.sh")
}

impl Moto {
    /// Starts one (installing moto from PyPI when missing) and creates `bucket`.
    ///
    /// # Panics
    /// When it cannot start: the test cannot run without it.
    pub fn start(bucket: &str) -> Moto {
        let dir = std::env::temp_dir().join(format!("wa-moto-{}-{bucket}", std::process::id()));
        let out = std::process::Command::new("bash")
            .arg(moto_script())
            .args(["start", dir.to_str().expect("a UTF-8 temp dir")])
            .output()
            .expect("bash runs scripts/moto.sh");
        assert!(
            out.status.success(),
            "scripts/moto.sh start failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let endpoint = String::from_utf8_lossy(&out.stdout).trim().to_owned();
        // moto takes an unsigned bucket creation.
        let (host, port) = endpoint
            .trim_start_matches("http://")
            .split_once(':')
            .expect("host:port");
        let mut stream = std::net::TcpStream::connect((host, port.parse::<u16>().expect("a port")))
            .expect("moto listens");
        use std::io::{Read, Write};
        write!(stream, "PUT /{bucket} HTTP/1.1\r\nHost: {host}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n").expect("a request");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        assert!(
            answer.starts_with("HTTP/1.1 200"),
            "creating bucket {bucket}: {answer}"
        );
        Moto { dir, endpoint }
    }

    /// The standard variables an S3 client needs to reach it.
    pub fn env(&self) -> Vec<(&'static str, String)> {
        vec![
            ("AWS_ENDPOINT", self.endpoint.clone()),
            ("AWS_ALLOW_HTTP", "true".into()),
            ("AWS_ACCESS_KEY_ID", "test".into()),
            ("AWS_SECRET_ACCESS_KEY", "test".into()),
            ("AWS_REGION", "us-east-1".into()),
        ]
    }

    /// The keys stored in `bucket` (moto's ListObjectsV2, unsigned).
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        let (host, port) = self
            .endpoint
            .trim_start_matches("http://")
            .split_once(':')
            .expect("host:port");
        let mut stream = std::net::TcpStream::connect((host, port.parse::<u16>().expect("a port")))
            .expect("moto listens");
        use std::io::{Read, Write};
        write!(
            stream,
            "GET /{bucket}?list-type=2 HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
        )
        .expect("a request");
        let mut answer = String::new();
        let _ = stream.read_to_string(&mut answer);
        answer
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split("</Key>").next())
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = std::process::Command::new("bash")
            .arg(moto_script())
            .args(["stop", self.dir.to_str().unwrap_or("")])
            .status();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The download endpoint: the bytes while the URL is valid.
fn serve_bytes(file: &MediaFile, query: &str) -> Answer {
    let expires = query
        .split('&')
        .find_map(|p| p.strip_prefix("ext="))
        .and_then(|t| t.parse::<u64>().ok())
        .unwrap_or(0);
    if expires < now_ms() {
        return graph_error(
            StatusCode::NOT_FOUND,
            100,
            "GraphMethodException",
            "URL signature expired",
        );
    }
    let mut bytes = file.bytes.clone();
    if file.mode == Mode::Corrupt {
        bytes.push(b'!');
    }
    Response::builder()
        .header("content-type", file.mime_type.as_str())
        .body(Full::new(Bytes::from(bytes)))
        .expect("a response")
}

/// The metadata endpoint: Meta's documented object, with a download URL that expires.
fn metadata(state: &State, file: &MediaFile, id: &str, request: &Request<Incoming>) -> Answer {
    let expires = now_ms() + state.url_ttl.as_millis() as u64;
    let host = request
        .headers()
        .get("host")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("127.0.0.1");
    let body = serde_json::json!({
        "messaging_product": "whatsapp",
        "url": format!("http://{host}/dl/{id}?ext={expires}"),
        "mime_type": file.mime_type,
        "sha256": sha256_hex(&file.bytes),
        "file_size": file.bytes.len().to_string(),
        "id": id,
    });
    Response::builder()
        .header("content-type", "application/json")
        .body(Full::new(Bytes::from(body.to_string())))
        .expect("a response")
}
