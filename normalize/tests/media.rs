//! The media stage over mapped records: each attachment of a body's MO events is re-hosted
//! or carries its documented error, every other record and member is unchanged byte for
//! byte, and the rewritten events validate against the committed schema.

mod common;

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;
use wa_media::graph::Graph;
use wa_media::standin::{sha256_base64, MediaFile, Mode, StandIn};
use wa_media::{AccessTokens, Limits, MediaStore, Rehoster, UrlStyle};
use wa_normalize::service::MediaStage;
use wa_normalize::{Batch, Config, Normalizer, RawMeta};

fn image(id: &str, wamid: &str, sha256: &str) -> String {
    format!(
        r#"{{"from":"15551234567","id":"{wamid}","timestamp":"1767225600","type":"image","image":{{"mime_type":"image/jpeg","sha256":"{sha256}","id":"{id}","caption":"c"}}}}"#
    )
}

fn body(messages: &[String]) -> Vec<u8> {
    format!(
        r#"{{"object":"whatsapp_business_account","entry":[{{"id":"1029384756012345","changes":[{{"field":"messages","value":{{"messaging_product":"whatsapp","metadata":{{"display_phone_number":"15550101010","phone_number_id":"1065403500012345"}},"contacts":[{{"profile":{{"name":"Ana"}},"wa_id":"15551234567"}}],"messages":[{}],"statuses":[{{"id":"wamid.S","status":"read","timestamp":"1767225600","recipient_id":"15551234567"}}]}}}}]}}]}}"#,
        messages.join(",")
    )
    .into_bytes()
}

fn attachments(value: &Value) -> Vec<Value> {
    serde_json::from_str(value["attachments"].as_str().unwrap()).unwrap()
}

/// A media stage over the stand-in and a local directory, files at most 10,000 bytes.
fn stage(standin: &StandIn, dir: &std::path::Path, token: &str) -> MediaStage {
    let _ = std::fs::remove_dir_all(dir);
    let store = MediaStore::open(
        dir.to_str().unwrap(),
        UrlStyle::Public("https://cdn.example.com/wa/".into()),
    )
    .unwrap();
    let graph = Graph::new(&standin.base_url(), "v24.0", Duration::from_secs(5)).unwrap();
    let limits = Limits {
        max_bytes: 10_000,
        ..Limits::default()
    };
    let rehoster = Rehoster::new(
        graph,
        store,
        AccessTokens::parse(Some(token), "").unwrap(),
        limits,
    );
    MediaStage {
        rehoster: Arc::new(rehoster),
        url_template: Config::default().media_url_template,
    }
}

/// Checks one rewritten image event against the one mapped; returns its outcome.
fn outcome(
    check: &common::SchemaCheck,
    old: &Value,
    new: &Value,
    dir: &std::path::Path,
    photo: &[u8],
) -> String {
    check
        .check("whatsapp.mo", new)
        .unwrap_or_else(|e| panic!("{e}\n{new}"));
    let (mut old_rest, mut new_rest) = (old.clone(), new.clone());
    old_rest["attachments"] = Value::Null;
    new_rest["attachments"] = Value::Null;
    assert_eq!(old_rest, new_rest, "only attachments change");
    let (was, is) = (&attachments(old)[0], &attachments(new)[0]);
    for member in ["id", "mime_type", "sha256", "kind", "caption"] {
        assert_eq!(was[member], is[member], "{member} kept");
    }
    let Some(error) = is.get("error") else {
        let key = is["storageKey"].as_str().unwrap();
        assert_eq!(is["url"], format!("https://cdn.example.com/wa/{key}"));
        assert_eq!(std::fs::read(dir.join(key)).unwrap(), photo);
        assert_eq!(is["fileSize"], photo.len());
        return "stored".into();
    };
    assert_eq!(is["url"], was["url"], "the fallback URL stays");
    assert!(is.get("storageKey").is_none());
    assert!(!error["detail"].as_str().unwrap().is_empty());
    error["kind"].as_str().unwrap().to_owned()
}

#[tokio::test]
async fn attachments_are_rewritten_and_nothing_else_changes() {
    let standin = StandIn::start("tok", Duration::from_secs(300));
    let photo = vec![7u8; 4_000];
    let add = |id: &str, bytes: Vec<u8>, mode| {
        standin.add(
            id,
            MediaFile {
                bytes,
                mime_type: "image/jpeg".into(),
                mode,
            },
        )
    };
    add("ok", photo.clone(), Mode::Ok);
    add("corrupt", photo.clone(), Mode::Corrupt);
    add("gone", photo.clone(), Mode::Deleted);
    add("big", vec![1u8; 50_000], Mode::Ok);
    let dir = std::env::temp_dir().join(format!("wa-normalize-media-{}", std::process::id()));
    let stage = stage(&standin, &dir, "tok");

    let sha = sha256_base64(&photo);
    let text = r#"{"from":"15551234567","id":"wamid.T","timestamp":"1767225600","type":"text","text":{"body":"hi"}}"#;
    let raw = body(&[
        image("ok", "wamid.A", &sha),
        text.to_owned(),
        image("corrupt", "wamid.B", &sha),
        image("gone", "wamid.C", &sha256_base64(b"other")),
        image("big", "wamid.D", ""),
    ]);
    let mut mapped = Batch::new();
    Normalizer::new(Config::default()).map(&raw, &RawMeta::default(), &mut mapped);
    let rewritten = stage.rehost(mapped.clone()).await;

    assert_eq!(rewritten.len(), mapped.len());
    let check = common::SchemaCheck::load();
    let mut kinds = Vec::new();
    for (before, after) in mapped.iter().zip(rewritten.iter()) {
        assert_eq!(
            (before.event_type, before.key, before.event_id),
            (after.event_type, after.key, after.event_id)
        );
        let (old, new): (Value, Value) = (
            serde_json::from_slice(before.value).unwrap(),
            serde_json::from_slice(after.value).unwrap(),
        );
        if old["messageType"] == "image" {
            kinds.push(outcome(&check, &old, &new, &dir, &photo));
        } else {
            assert_eq!(
                before.value, after.value,
                "records without media are untouched"
            );
        }
    }
    assert_eq!(
        kinds,
        ["stored", "checksum_mismatch", "not_found", "too_large"]
    );
    assert_eq!(
        std::fs::read_dir(&dir).unwrap().count(),
        1,
        "only the good copy is stored"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// History-sync media (`whatsapp.coexistence`) is re-hosted like live media; the fixture's
/// made-up `sha256` (29 bytes, not a SHA-256) is not trusted, the metadata's is.
#[tokio::test]
async fn history_media_on_the_coexistence_topic_is_rehosted_too() {
    let standin = StandIn::start("tok", Duration::from_secs(300));
    let photo = vec![9u8; 2_000];
    standin.add(
        "1790000000000001",
        MediaFile {
            bytes: photo.clone(),
            mime_type: "image/jpeg".into(),
            mode: Mode::Ok,
        },
    );
    let dir =
        std::env::temp_dir().join(format!("wa-normalize-history-media-{}", std::process::id()));
    let stage = stage(&standin, &dir, "tok");
    let body =
        std::fs::read(common::repo_root().join("fixtures/bodies/history-media.json")).unwrap();
    let mut mapped = Batch::new();
    Normalizer::new(Config::default()).map(&body, &RawMeta::default(), &mut mapped);
    let rewritten = stage.rehost(mapped).await;
    let copies: Vec<Value> = rewritten
        .iter()
        .filter(|r| r.topic() == wa_schemas::Topic::Coexistence)
        .map(|r| serde_json::from_slice(r.value).unwrap())
        .collect();
    assert_eq!(copies.len(), 1);
    common::SchemaCheck::load()
        .check("whatsapp.coexistence", &copies[0])
        .unwrap();
    let attachment = &attachments(&copies[0])[0];
    let key = attachment["storageKey"]
        .as_str()
        .unwrap_or_else(|| panic!("{attachment}"));
    assert_eq!(std::fs::read(dir.join(key)).unwrap(), photo);
    assert_eq!((standin.metadata_calls(), standin.downloads()), (1, 1));
    let _ = std::fs::remove_dir_all(&dir);
}

/// A token Meta refuses: the event goes out, its attachment `unauthorized`, the token in no
/// record.
#[tokio::test]
async fn a_refused_token_marks_the_attachment_unauthorized() {
    let standin = StandIn::start("tok", Duration::from_secs(300));
    standin.add(
        "ok",
        MediaFile {
            bytes: vec![7u8; 100],
            mime_type: "image/jpeg".into(),
            mode: Mode::Ok,
        },
    );
    let dir = std::env::temp_dir().join(format!("wa-normalize-media-token-{}", std::process::id()));
    let stage = stage(&standin, &dir, "EAAG-revoked");
    let mut mapped = Batch::new();
    let raw = body(&[image("ok", "wamid.A", &sha256_base64(&[7u8; 100]))]);
    Normalizer::new(Config::default()).map(&raw, &RawMeta::default(), &mut mapped);
    let rewritten = stage.rehost(mapped).await;
    let event: Value = serde_json::from_slice(rewritten.get(0).unwrap().value).unwrap();
    let attachment = &attachments(&event)[0];
    assert_eq!(attachment["error"]["kind"], "unauthorized", "{attachment}");
    assert_eq!(attachment["id"], "ok");
    assert!(!String::from_utf8_lossy(rewritten.get(0).unwrap().value).contains("EAAG-revoked"));
    let _ = std::fs::remove_dir_all(&dir);
}
