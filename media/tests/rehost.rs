//! Re-hosting against the Graph API stand-in and a local-directory store: every outcome the
//! README documents, and that a second delivery stores nothing new.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use wa_media::graph::Graph;
use wa_media::standin::{sha256_base64, MediaFile, Mode, StandIn};
use wa_media::{
    AccessTokens, AttachmentErrorKind, Limits, MediaRequest, MediaStore, Rehoster, UrlStyle,
};

const TOKEN: &str = "EAAG-test-token";

fn jpeg(n: usize) -> Vec<u8> {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0];
    bytes.extend((0..n).map(|i| (i * 31 % 251) as u8));
    bytes
}

struct Setup {
    standin: StandIn,
    dir: PathBuf,
    rehoster: Rehoster,
}

fn setup(name: &str, token: &str, limits: Limits) -> Setup {
    let standin = StandIn::start(TOKEN, Duration::from_secs(300));
    let dir = std::env::temp_dir().join(format!("wa-media-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let store = MediaStore::open(
        dir.to_str().unwrap(),
        UrlStyle::Presigned(Duration::from_secs(60)),
    )
    .unwrap();
    let graph = Graph::new(&standin.base_url(), "v24.0", Duration::from_secs(5)).unwrap();
    let tokens = AccessTokens::parse(None, &format!("1065403500012345={token}")).unwrap();
    Setup {
        standin,
        dir,
        rehoster: Rehoster::new(graph, store, tokens, limits),
    }
}

fn request<'a>(id: &'a str, sha256: &'a str, url: &'a str) -> MediaRequest<'a> {
    MediaRequest {
        media_id: id,
        phone_number_id: "1065403500012345",
        waba_id: "1029384756012345",
        mime_type: "image/jpeg",
        sha256,
        url,
    }
}

/// The error a copy that must fail ends with.
async fn failure(s: &Setup, request: MediaRequest<'_>) -> wa_media::AttachmentError {
    s.rehoster
        .rehost(&request)
        .await
        .expect_err("the copy fails")
}

fn jpeg_file(bytes: Vec<u8>, mode: Mode) -> MediaFile {
    MediaFile {
        bytes,
        mime_type: "image/jpeg".into(),
        mode,
    }
}

fn files_in(dir: &PathBuf) -> usize {
    std::fs::read_dir(dir).map_or(0, |d| d.count())
}

#[tokio::test]
async fn an_attachment_is_copied_once_and_its_url_serves_the_same_bytes() {
    let s = setup("copy", TOKEN, Limits::default());
    let bytes = jpeg(50_000);
    s.standin.add("111", jpeg_file(bytes.clone(), Mode::Ok));
    let sha = sha256_base64(&bytes);

    let hosted = s.rehoster.rehost(&request("111", &sha, "")).await.unwrap();
    assert!(!hosted.already_stored);
    assert_eq!(hosted.file_size, Some(bytes.len() as u64));
    assert!(
        hosted.storage_key.ends_with(".jpg"),
        "{}",
        hosted.storage_key
    );
    let path = url::Url::parse(&hosted.url)
        .unwrap()
        .to_file_path()
        .unwrap();
    assert_eq!(
        std::fs::read(&path).unwrap(),
        bytes,
        "the URL serves the original bytes"
    );
    assert_eq!((s.standin.metadata_calls(), s.standin.downloads()), (1, 1));

    // Meta retries the webhook, or a replay runs: nothing fetched, nothing stored.
    let again = s.rehoster.rehost(&request("111", &sha, "")).await.unwrap();
    assert!(again.already_stored);
    assert_eq!(again.storage_key, hosted.storage_key);
    assert_eq!(again.url, hosted.url);
    assert_eq!((s.standin.metadata_calls(), s.standin.downloads()), (1, 1));
    assert_eq!(files_in(&s.dir), 1);
}

#[tokio::test]
async fn a_webhook_url_skips_the_metadata_call_and_an_expired_one_falls_back() {
    let s = setup("url", TOKEN, Limits::default());
    let bytes = jpeg(1_000);
    s.standin.add("222", jpeg_file(bytes.clone(), Mode::Ok));
    let sha = sha256_base64(&bytes);
    // A URL as Meta puts in newer webhooks, still valid.
    let fresh = format!("{}/dl/222?ext={}", s.standin.base_url(), u64::MAX / 2);
    let hosted = s
        .rehoster
        .rehost(&request("222", &sha, &fresh))
        .await
        .unwrap();
    assert!(!hosted.already_stored);
    assert_eq!((s.standin.metadata_calls(), s.standin.downloads()), (0, 1));

    // The same file under another id, with a URL that expired: one metadata call for a
    // fresh URL. (The content address is already stored, so make the checksum unknown.)
    let other = jpeg(2_000);
    s.standin.add("223", jpeg_file(other.clone(), Mode::Ok));
    let expired = s.standin.expired_url("223", Duration::from_secs(600));
    let hosted = s
        .rehoster
        .rehost(&request("223", &sha256_base64(&other), &expired))
        .await
        .unwrap();
    assert!(!hosted.already_stored);
    assert_eq!((s.standin.metadata_calls(), s.standin.downloads()), (1, 3));
    let path = url::Url::parse(&hosted.url)
        .unwrap()
        .to_file_path()
        .unwrap();
    assert_eq!(std::fs::read(path).unwrap(), other);
}

#[tokio::test]
async fn each_failure_is_its_documented_kind_and_stores_nothing() {
    let limits = Limits {
        concurrency: 4,
        deadline: Duration::from_secs(2),
        max_bytes: 10_000,
    };
    let s = setup("failures", TOKEN, limits);
    let small = jpeg(100);
    let add =
        |id: &str, bytes: &[u8], mode: Mode| s.standin.add(id, jpeg_file(bytes.to_vec(), mode));
    add("deleted", &small, Mode::Deleted);
    add("big", &jpeg(20_000), Mode::Ok);
    add("corrupt", &small, Mode::Corrupt);
    add("down", &small, Mode::Unavailable);
    let kind = |r: Result<wa_media::Hosted, wa_media::AttachmentError>| r.unwrap_err().kind;

    assert_eq!(
        kind(s.rehoster.rehost(&request("deleted", "", "")).await),
        AttachmentErrorKind::NotFound
    );
    assert_eq!(
        kind(s.rehoster.rehost(&request("never-existed", "", "")).await),
        AttachmentErrorKind::NotFound
    );
    assert_eq!(
        kind(s.rehoster.rehost(&request("big", "", "")).await),
        AttachmentErrorKind::TooLarge
    );
    let corrupt = failure(&s, request("corrupt", &sha256_base64(&small), "")).await;
    assert_eq!(corrupt.kind, AttachmentErrorKind::ChecksumMismatch);
    assert!(corrupt.detail.contains("Meta says"), "{}", corrupt.detail);

    let started = Instant::now();
    let down = failure(&s, request("down", "", "")).await;
    assert_eq!(down.kind, AttachmentErrorKind::Unavailable);
    assert!(down.detail.contains("503"), "{}", down.detail);
    // Bounded by the deadline (2 s), with room for a slow machine.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    assert!(
        s.standin.metadata_calls() >= 3,
        "transient failures are retried"
    );

    let mut other = request("deleted", "", "");
    other.phone_number_id = "999";
    other.waba_id = "998";
    assert_eq!(
        kind(s.rehoster.rehost(&other).await),
        AttachmentErrorKind::NoToken
    );
    assert_eq!(files_in(&s.dir), 0, "no failure stores anything");
}

#[tokio::test]
async fn a_wrong_token_is_unauthorized_and_never_logged() {
    let s = setup("token", "EAAG-wrong", Limits::default());
    s.standin.add("333", jpeg_file(jpeg(10), Mode::Ok));
    let error = failure(&s, request("333", "", "")).await;
    assert_eq!(error.kind, AttachmentErrorKind::Unauthorized);
    assert!(error.detail.contains("190"), "{}", error.detail);
    assert!(!error.detail.contains("EAAG-wrong"), "{}", error.detail);
    assert!(!format!("{:?}", s.rehoster).contains("EAAG-wrong"));
}

#[tokio::test]
async fn transient_failures_are_retried_until_the_copy_succeeds() {
    let s = setup("retry", TOKEN, Limits::default());
    let bytes = jpeg(500);
    s.standin
        .add("444", jpeg_file(bytes.clone(), Mode::FailTimes(2)));
    let hosted = s
        .rehoster
        .rehost(&request("444", &sha256_base64(&bytes), ""))
        .await
        .unwrap();
    assert!(!hosted.already_stored);
    assert_eq!(s.standin.metadata_calls(), 3);
}

#[tokio::test]
async fn the_deadline_bounds_a_record_however_many_attachments_wait_for_a_slot() {
    let deadline = Duration::from_secs(3);
    let limits = Limits {
        concurrency: 1,
        deadline,
        max_bytes: 10_000,
    };
    let s = setup("slots", TOKEN, limits);
    s.standin
        .add("down", jpeg_file(jpeg(10), Mode::Unavailable));
    let started = Instant::now();
    let down = request("down", "", "");
    // Polled together, as the media stage polls one record's attachments.
    let r = &s.rehoster;
    let outcomes = tokio::join!(
        r.rehost(&down),
        r.rehost(&down),
        r.rehost(&down),
        r.rehost(&down)
    );
    for outcome in [outcomes.0, outcomes.1, outcomes.2, outcomes.3] {
        assert_eq!(outcome.unwrap_err().kind, AttachmentErrorKind::Unavailable);
    }
    // One slot, four attachments: one after the other would take four deadlines (12 s).
    assert!(started.elapsed() < deadline * 2, "{:?}", started.elapsed());
}
