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

#[test]
fn attachments_are_rehosted_to_s3_once_in_order_and_failures_are_documented() {
    let _serial = support::serial();
    let moto = Moto::start(BUCKET);
    let standin = StandIn::start("e2e-access-token", Duration::from_secs(300));
    let photo: Vec<u8> = (0..120_000u32).map(|i| (i * 7 % 251) as u8).collect();
    // Two failures before the copy succeeds: the record behind it must still come second.
    standin.add(
        "media-photo",
        MediaFile {
            bytes: photo.clone(),
            mime_type: "image/jpeg".into(),
            mode: Mode::FailTimes(2),
        },
    );
    standin.add(
        "media-gone",
        MediaFile {
            bytes: vec![1, 2, 3],
            mime_type: "image/jpeg".into(),
            mode: Mode::Deleted,
        },
    );

    let (port, admin) = (free_port(), free_port());
    let data_dir = std::env::temp_dir().join(format!("wa-e2e-media-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data_dir);
    let graph = standin.base_url();
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
        .env("WHATSAPP_ACCESS_TOKEN", "e2e-access-token")
        .env("GRAPH_API_URL", &graph)
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
    let url = format!("http://127.0.0.1:{port}");
    wait_until(Duration::from_secs(60), || {
        matches!(
            support::get(&format!("http://127.0.0.1:{admin}/readyz")),
            Ok(200)
        )
        .into_option()
    })
    .expect("run is ready");
    let next_mo = || loop {
        let record = printed
            .recv_timeout(Duration::from_secs(30))
            .expect("an MO record");
        if record["topic"] == "whatsapp.mo" {
            return record;
        }
    };

    // An image whose copy needs retries, then a text right behind it from the same user.
    let image = image_body("wamid.MEDIA-E2E-1", "media-photo", &sha256_base64(&photo));
    assert_eq!(post_signed(&url, &image).status, 200);
    assert_eq!(
        post_signed(&url, &support::text_body(1, "1065403500012345", USER)).status,
        200
    );
    let first = next_mo();
    assert_eq!(
        first["value"]["messageId"], "wamid.MEDIA-E2E-1",
        "order kept behind the copy"
    );
    assert_eq!(next_mo()["value"]["messageType"], "text");
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
    let repeat = next_mo();
    assert_eq!(repeat["value"]["tid"], first["value"]["tid"]);
    assert_eq!(attachment(&repeat)["storageKey"], key.as_str());
    assert_eq!((standin.metadata_calls(), standin.downloads()), calls);
    assert_eq!(moto.keys(BUCKET), vec![key.clone()]);

    // Media Meta deleted: the event still goes out, with the id, the fallback URL and why.
    assert_eq!(
        post_signed(&url, &image_body("wamid.MEDIA-E2E-2", "media-gone", "")).status,
        200
    );
    let gone = attachment(&next_mo());
    assert_eq!(gone["id"], "media-gone");
    assert_eq!(gone["url"], "https://graph.facebook.com/media-gone");
    assert_eq!(gone["error"]["kind"], "not_found");
    assert!(gone.get("storageKey").is_none());
    assert_eq!(moto.keys(BUCKET).len(), 1);

    let metrics = ureq::get(&format!("http://127.0.0.1:{admin}/metrics"))
        .call()
        .unwrap()
        .body_mut()
        .read_to_string()
        .unwrap();
    let count = |labels: &str| {
        metrics
            .lines()
            .find(|l| l.starts_with("wa_normalize_media_attachments_total{") && l.contains(labels))
            .and_then(|l| l.rsplit(' ').next())
            .map(str::to_owned)
    };
    assert_eq!(
        count(r#"outcome="stored""#).as_deref(),
        Some("1"),
        "{metrics}"
    );
    assert_eq!(
        count(r#"outcome="already_stored""#).as_deref(),
        Some("1"),
        "{metrics}"
    );
    assert_eq!(
        count(r#"error_kind="not_found""#).as_deref(),
        Some("1"),
        "{metrics}"
    );

    support::sigterm(&child);
    assert!(child.wait().unwrap().success(), "exits 0 on SIGTERM");
    let log = log.join().unwrap();
    assert!(
        !log.contains("e2e-access-token"),
        "the token is never logged:\n{log}"
    );
    let _ = std::fs::remove_dir_all(&data_dir);
}
