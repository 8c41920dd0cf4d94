//! Media re-hosting end to end, with real processes: `wa-pipeline run` on its embedded
//! broker, a real S3-compatible server (moto, `scripts/moto.sh`) and the Graph API stand-in.
//! Signed image webhooks come in; their MO events carry a pre-signed URL that serves the
//! customer's bytes, a retried webhook stores nothing new, deleted media gives a documented
//! error with the fallback URL, records keep their order behind a slow copy, and the
//! metric counts each outcome.

mod support;

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use support::{free_port, post_signed, wait_until, IntoOption as _, SECRET};
use wa_media::standin::{sha256_base64, MediaFile, Mode, Moto, StandIn};

const BUCKET: &str = "wa-e2e-media";
const USER: &str = "15551234567";
const TOKEN: &str = "e2e-access-token";

fn image_body(wamid: &str, media_id: &str, sha256: &str) -> Vec<u8> {
    let mut body: Value = serde_json::from_slice(
        &std::fs::read(support::root().join("fixtures/bodies/image.json")).unwrap(),
    )
    .unwrap();
    let message = &mut body["entry"][0]["changes"][0]["value"]["messages"][0];
    message["id"] = wamid.into();
    message["from"] = USER.into();
    let image = message["image"].as_object_mut().unwrap();
    image.insert("id".into(), media_id.into());
    image.insert("sha256".into(), sha256.into());
    image.remove("url");
    serde_json::to_vec(&body).unwrap()
}

fn attachment(record: &Value) -> Value {
    let text = record["value"]["attachments"].as_str().unwrap();
    let list: Vec<Value> = serde_json::from_str(text).unwrap();
    assert_eq!(list.len(), 1, "{text}");
    list.into_iter().next().unwrap()
}

/// `wa-pipeline run --print` on its embedded broker, re-hosting into moto through the
/// stand-in.
struct Pipeline {
    child: std::process::Child,
    printed: mpsc::Receiver<Value>,
    log: Option<std::thread::JoinHandle<String>>,
    url: String,
    admin: String,
    data_dir: std::path::PathBuf,
}

impl Drop for Pipeline {
    /// A failed assertion must not leave the process running.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Pipeline {
    fn start(moto: &Moto, graph: &str) -> Pipeline {
        let (port, admin) = (free_port(), free_port());
        let data_dir = std::env::temp_dir().join(format!("wa-e2e-media-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&data_dir);
        let mut child = Command::new(env!("CARGO_BIN_EXE_wa-pipeline"))
            .args(["run", "--print"])
            .env_remove("KAFKA_BROKERS")
            .env("RUST_LOG", "warn")
            .env("WHATSAPP_APP_SECRET", SECRET)
            .env("LISTEN_ADDR", format!("127.0.0.1:{port}"))
            .env("ADMIN_LISTEN", format!("127.0.0.1:{admin}"))
            .env("WA_DATA_DIR", &data_dir)
            .env("BROKER_LISTEN", "127.0.0.1:0")
            .env("MEDIA_STORE", format!("s3://{BUCKET}/wa/"))
            .env("WHATSAPP_ACCESS_TOKEN", TOKEN)
            .env("GRAPH_API_URL", graph)
            .env("MEDIA_DEADLINE", "5s")
            .envs(moto.env())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (out_tx, printed) = mpsc::channel::<Value>();
        let stdout = child.stdout.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = out_tx.send(serde_json::from_str(&line).unwrap());
            }
        });
        let stderr = child.stderr.take().unwrap();
        let log = std::thread::spawn(move || std::io::read_to_string(stderr).unwrap_or_default());
        let admin = format!("http://127.0.0.1:{admin}");
        wait_until(Duration::from_secs(60), || {
            matches!(support::get(&format!("{admin}/readyz")), Ok(200)).into_option()
        })
        .expect("run is ready");
        Pipeline {
            child,
            printed,
            log: Some(log),
            url: format!("http://127.0.0.1:{port}"),
            admin,
            data_dir,
        }
    }

    /// The next record printed on `whatsapp.mo`.
    fn next_mo(&self) -> Value {
        loop {
            let record = self
                .printed
                .recv_timeout(Duration::from_secs(30))
                .expect("an MO record");
            if record["topic"] == "whatsapp.mo" {
                return record;
            }
        }
    }

    /// The value of `wa_normalize_media_attachments_total` with these labels.
    fn media_count(&self, labels: &str) -> Option<String> {
        let metrics = ureq::get(&format!("{}/metrics", self.admin))
            .call()
            .unwrap()
            .body_mut()
            .read_to_string()
            .unwrap();
        metrics
            .lines()
            .find(|l| l.starts_with("wa_normalize_media_attachments_total{") && l.contains(labels))
            .and_then(|l| l.rsplit(' ').next())
            .map(str::to_owned)
    }

    /// SIGTERM; its log once it exited 0.
    fn stop(mut self) -> String {
        support::sigterm(&self.child);
        assert!(self.child.wait().unwrap().success(), "exits 0 on SIGTERM");
        let _ = std::fs::remove_dir_all(&self.data_dir);
        self.log.take().unwrap().join().unwrap()
    }
}

/// The objects in the bucket but the startup's write check.
fn copies(moto: &Moto) -> Vec<String> {
    let check = format!("wa/{}", wa_media::store::WRITE_CHECK_KEY);
    let keys = moto.keys(BUCKET);
    assert!(
        keys.contains(&check),
        "startup proved the store writable: {keys:?}"
    );
    keys.into_iter().filter(|k| *k != check).collect()
}

/// The stand-in serving `photo` (after two failures: the record behind it must still come
/// second) and a file Meta deleted.
fn standin(photo: &[u8]) -> StandIn {
    let standin = StandIn::start(TOKEN, Duration::from_secs(300));
    let jpeg = |bytes: &[u8], mode| MediaFile {
        bytes: bytes.to_vec(),
        mime_type: "image/jpeg".into(),
        mode,
    };
    standin.add("media-photo", jpeg(photo, Mode::FailTimes(2)));
    standin.add("media-gone", jpeg(&[1, 2, 3], Mode::Deleted));
    standin
}

#[test]
fn attachments_are_rehosted_to_s3_once_in_order_and_failures_are_documented() {
    let _serial = support::serial();
    let moto = Moto::start(BUCKET);
    let photo: Vec<u8> = (0..120_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let standin = standin(&photo);
    let pipeline = Pipeline::start(&moto, &standin.base_url());
    let url = pipeline.url.clone();

    // An image whose copy needs retries, then a text right behind it from the same user.
    let image = image_body("wamid.MEDIA-E2E-1", "media-photo", &sha256_base64(&photo));
    assert_eq!(post_signed(&url, &image).status, 200);
    assert_eq!(
        post_signed(&url, &support::text_body(1, "1065403500012345", USER)).status,
        200
    );
    let first = pipeline.next_mo();
    assert_eq!(
        first["value"]["messageId"], "wamid.MEDIA-E2E-1",
        "order kept behind the copy"
    );
    assert_eq!(pipeline.next_mo()["value"]["messageType"], "text");
    let copied = attachment(&first);
    assert_eq!(copied["id"], "media-photo");
    assert_eq!(copied["fileSize"], photo.len());
    assert!(copied.get("error").is_none(), "{copied}");
    let key = copied["storageKey"].as_str().unwrap().to_owned();
    assert!(key.starts_with("wa/") && key.ends_with(".jpg"), "{key}");
    let mut fetched = ureq::get(copied["url"].as_str().unwrap())
        .call()
        .expect("the event's URL answers");
    assert_eq!(
        fetched.body_mut().read_to_vec().unwrap(),
        photo,
        "the customer's bytes"
    );

    // Meta retries the same webhook: same event, same copy, nothing fetched or stored.
    let calls = (standin.metadata_calls(), standin.downloads());
    assert_eq!(post_signed(&url, &image).status, 200);
    let repeat = pipeline.next_mo();
    assert_eq!(repeat["value"]["tid"], first["value"]["tid"]);
    assert_eq!(attachment(&repeat)["storageKey"], key.as_str());
    assert_eq!((standin.metadata_calls(), standin.downloads()), calls);
    assert_eq!(copies(&moto), vec![key.clone()]);

    // Media Meta deleted: the event still goes out, with the id, the fallback URL and why.
    assert_eq!(
        post_signed(&url, &image_body("wamid.MEDIA-E2E-2", "media-gone", "")).status,
        200
    );
    let gone = attachment(&pipeline.next_mo());
    assert_eq!(gone["id"], "media-gone");
    assert_eq!(gone["url"], "https://graph.facebook.com/media-gone");
    assert_eq!(gone["error"]["kind"], "not_found");
    assert!(gone.get("storageKey").is_none());
    assert_eq!(copies(&moto).len(), 1);

    assert_eq!(
        pipeline.media_count(r#"outcome="stored""#).as_deref(),
        Some("1")
    );
    assert_eq!(
        pipeline
            .media_count(r#"outcome="already_stored""#)
            .as_deref(),
        Some("1")
    );
    assert_eq!(
        pipeline.media_count(r#"error_kind="not_found""#).as_deref(),
        Some("1")
    );
    let log = pipeline.stop();
    assert!(!log.contains(TOKEN), "the token is never logged:\n{log}");
}

/// `run` with these variables exits non-zero; its log.
fn refused_at_startup(moto: &Moto, env: &[(&str, &str)]) -> String {
    let data_dir =
        std::env::temp_dir().join(format!("wa-e2e-media-refused-{}", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_wa-pipeline"))
        .arg("run")
        .env_remove("KAFKA_BROKERS")
        .env("RUST_LOG", "warn")
        .env("WHATSAPP_APP_SECRET", SECRET)
        .env("LISTEN_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("ADMIN_LISTEN", "127.0.0.1:0")
        .env("WA_DATA_DIR", &data_dir)
        .env("BROKER_LISTEN", "127.0.0.1:0")
        .envs(moto.env())
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let _ = std::fs::remove_dir_all(&data_dir);
    assert!(!out.status.success(), "run must refuse {env:?}");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn a_store_it_cannot_write_or_a_missing_token_stops_it_at_startup() {
    let _serial = support::serial();
    let moto = Moto::start("wa-e2e-present");
    let missing = refused_at_startup(
        &moto,
        &[
            ("MEDIA_STORE", "s3://no-such-bucket/"),
            ("WHATSAPP_ACCESS_TOKEN", TOKEN),
        ],
    );
    assert!(
        missing.contains("cannot write to the media store"),
        "{missing}"
    );
    assert!(!missing.contains(TOKEN), "{missing}");
    let no_token = refused_at_startup(&moto, &[("MEDIA_STORE", "s3://wa-e2e-present/")]);
    assert!(no_token.contains("WHATSAPP_ACCESS_TOKEN"), "{no_token}");
}
