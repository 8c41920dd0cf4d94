//! End-to-end harness: a real Tansu broker started by the project's script, the built
//! binary as real processes, an HTTP client and a Kafka reader.
#![allow(dead_code)]

pub mod otlp;
mod records;

#[allow(unused_imports)] // not every test binary reads records
pub use records::*;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

pub const SECRET: &str = "e2e_app_secret";
pub const OUTPUT_TOPICS: [&str; 6] = [
    "whatsapp.mo",
    "whatsapp.postback",
    "whatsapp.delivery",
    "whatsapp.account-events",
    "whatsapp.coexistence",
    "whatsapp.dead-letter",
];

/// The tests share two cores: one pipeline at a time.
pub fn serial() -> MutexGuard<'static, ()> {
    static LOCK: Mutex<()> = Mutex::new(());
    LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn script(args: &[&str]) -> String {
    let out = Command::new("bash")
        .arg(root().join("scripts/tansu.sh"))
        .args(args)
        .stderr(Stdio::inherit())
        .output()
        .expect("cannot run scripts/tansu.sh");
    assert!(out.status.success(), "scripts/tansu.sh {args:?} failed");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A Tansu broker with sqlite storage in a directory of its own.
pub struct Broker {
    pub dir: PathBuf,
    pub bootstrap: String,
}

impl Broker {
    /// Starts a broker and creates the pipeline's topics (`raw_partitions` for the raw one).
    pub fn start(name: &str, raw_partitions: u32) -> Broker {
        let dir = std::env::temp_dir().join(format!("wa-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let dir_text = dir.to_str().unwrap();
        let bootstrap = script(&["start", dir_text]);
        let out = Command::new("bash")
            .arg(root().join("scripts/tansu.sh"))
            .args(["default-topics", dir_text])
            .env("RAW_PARTITIONS", raw_partitions.to_string())
            .status()
            .unwrap();
        assert!(out.success());
        Broker { dir, bootstrap }
    }

    pub fn stop(&self) {
        script(&["stop", self.dir.to_str().unwrap()]);
    }

    /// Kills the broker at once (no clean shutdown).
    pub fn kill(&self) {
        if let Ok(pid) = std::fs::read_to_string(self.dir.join("pid")) {
            let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
            std::thread::sleep(Duration::from_millis(200));
            let _ = std::fs::remove_file(self.dir.join("pid"));
        }
    }

    /// Starts it again on the same port and data.
    pub fn restart(&self) {
        let port = self.bootstrap.rsplit(':').next().unwrap();
        script(&["start", self.dir.to_str().unwrap(), port]);
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("tansu.log")).unwrap_or_default()
    }
}

impl Drop for Broker {
    fn drop(&mut self) {
        self.stop();
        if !std::thread::panicking() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A process of the built binary; killed when dropped.
pub struct Proc {
    pub child: Child,
    pub name: String,
    log: PathBuf,
}

impl Proc {
    pub fn spawn(name: &str, args: &[&str], env: &[(&str, &str)]) -> Proc {
        let log = std::env::temp_dir().join(format!("wa-e2e-{name}-{}.log", std::process::id()));
        let file = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_wa-pipeline"))
            .env("ADMIN_LISTEN", "127.0.0.1:0")
            .args(args)
            .env("RUST_LOG", "info")
            .envs(env.iter().copied())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .unwrap();
        Proc {
            child,
            name: name.into(),
            log,
        }
    }

    pub fn signal(&self, signal: &str) {
        let _ = Command::new("kill")
            .args([&format!("-{signal}"), &self.child.id().to_string()])
            .status();
    }

    /// SIGTERM, then waits for the exit; returns whether it exited 0.
    pub fn terminate(&mut self) -> bool {
        self.signal("TERM");
        let deadline = Instant::now() + Duration::from_secs(60);
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return status.success();
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("{} did not exit after SIGTERM\n{}", self.name, self.log());
    }

    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        self.kill();
    }
}

/// `wa-pipeline ingest` on a free port; returns it with its base URL once it listens.
pub fn start_ingest(broker: &Broker, extra_env: &[(&str, &str)]) -> (Proc, String) {
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let mut env = vec![
        ("KAFKA_BROKERS", broker.bootstrap.as_str()),
        ("WHATSAPP_APP_SECRET", SECRET),
        ("WHATSAPP_VERIFY_TOKEN", "e2e-token"),
        ("LISTEN_ADDR", listen.as_str()),
    ];
    env.extend_from_slice(extra_env);
    let proc = Proc::spawn("ingest", &["ingest"], &env);
    let url = format!("http://{listen}");
    wait_ready(&proc, &url);
    (proc, url)
}

/// Waits up to 30 s for ingest at `url` to answer `/readyz` with 200.
pub fn wait_ready(proc: &Proc, url: &str) {
    wait_until(Duration::from_secs(30), || {
        matches!(get(&format!("{url}/readyz")), Ok(200)).into_option()
    })
    .unwrap_or_else(|| panic!("{} not ready\n{}", proc.name, proc.log()));
}

/// `wa-pipeline normalize` in group `group`.
pub fn start_normalize(broker: &Broker, name: &str, group: &str) -> Proc {
    Proc::spawn(
        name,
        &["normalize"],
        &[
            ("KAFKA_BROKERS", broker.bootstrap.as_str()),
            ("GROUP_ID", group),
            ("SESSION_TIMEOUT", "6s"),
            ("COMMIT_INTERVAL", "200ms"),
        ],
    )
}

pub fn wait_until<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T>
where
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}

// Bool convenience for wait_until.
pub trait IntoOption {
    fn into_option(self) -> Option<()>;
}
impl IntoOption for bool {
    fn into_option(self) -> Option<()> {
        self.then_some(())
    }
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

pub fn get(url: &str) -> Result<u16, String> {
    agent()
        .get(url)
        .call()
        .map(|r| r.status().as_u16())
        .map_err(|e| e.to_string())
}

pub struct Reply {
    pub status: u16,
    pub retry_after: Option<String>,
    pub body: String,
}

/// POSTs `body` to `/webhook` with the given signature header (none when `None`).
pub fn post(url: &str, body: &[u8], signature: Option<&str>) -> Reply {
    let mut request = agent()
        .post(&format!("{url}/webhook"))
        .header("Content-Type", "application/json");
    if let Some(signature) = signature {
        request = request.header("X-Hub-Signature-256", signature);
    }
    let mut response = request.send(body).expect("the request reached ingest");
    let status = response.status().as_u16();
    let retry_after = response
        .headers()
        .get("retry-after")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = response.body_mut().read_to_string().unwrap_or_default();
    Reply {
        status,
        retry_after,
        body,
    }
}

pub fn post_signed(url: &str, body: &[u8]) -> Reply {
    let signature = wa_ingest::signature::sign(SECRET.as_bytes(), body);
    post(url, body, Some(&signature))
}

/// Sends SIGTERM to `child` (a graceful stop).
pub fn sigterm(child: &Child) {
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
}

/// `wa-pipeline run --print` on the embedded broker in `data_dir`, listening on `listen`:
/// records to `out`, logs (at `rust_log`) beside it with the extension `log`; ready.
pub fn run_embedded(data_dir: &Path, out: &Path, listen: &str, rust_log: &str) -> Child {
    let log = out.with_extension("log");
    let child = Command::new(env!("CARGO_BIN_EXE_wa-pipeline"))
        .env("ADMIN_LISTEN", "127.0.0.1:0")
        .args(["run", "--print"])
        .env("WHATSAPP_APP_SECRET", SECRET)
        .env("LISTEN_ADDR", listen)
        .env("WA_DATA_DIR", data_dir)
        .env("BROKER_LISTEN", "127.0.0.1:0")
        .env("RUST_LOG", rust_log)
        .stdout(std::fs::File::create(out).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .stdin(Stdio::null())
        .spawn()
        .unwrap();
    let url = format!("http://{listen}");
    wait_until(Duration::from_secs(60), || {
        matches!(get(&format!("{url}/readyz")), Ok(200)).into_option()
    })
    .unwrap_or_else(|| {
        panic!(
            "run not ready: {}",
            std::fs::read_to_string(&log).unwrap_or_default()
        )
    });
    child
}
