//! Re-hosting into a real S3-compatible server (moto in server mode, started by
//! `scripts/moto.sh`): the pre-signed URL serves the original bytes, the object keeps its
//! MIME type, and a second delivery stores nothing new.

use std::time::Duration;

use wa_media::graph::Graph;
use wa_media::standin::{sha256_base64, MediaFile, Mode, Moto, StandIn};
use wa_media::{AccessTokens, Limits, MediaRequest, MediaStore, Rehoster, UrlStyle};

#[tokio::test]
async fn media_lands_in_s3_and_its_presigned_url_serves_it() {
    let moto = Moto::start("wa-media");
    // The standard variables object_store reads (the only test in this process: no race).
    for (key, value) in moto.env() {
        std::env::set_var(key, value);
    }
    let standin = StandIn::start("tok", Duration::from_secs(300));
    let bytes: Vec<u8> = (0..300_000u32).map(|i| (i % 253) as u8).collect();
    standin.add(
        "555",
        MediaFile {
            bytes: bytes.clone(),
            mime_type: "video/mp4".into(),
            mode: Mode::Ok,
        },
    );
    let store = MediaStore::open(
        "s3://wa-media/inbound/",
        UrlStyle::Presigned(Duration::from_secs(600)),
    )
    .unwrap();
    let graph = Graph::new(&standin.base_url(), "v24.0", Duration::from_secs(5)).unwrap();
    let rehoster = Rehoster::new(
        graph,
        store,
        AccessTokens::parse(Some("tok"), "").unwrap(),
        Limits::default(),
    );
    let sha = sha256_base64(&bytes);
    let request = MediaRequest {
        media_id: "555",
        phone_number_id: "1065403500012345",
        waba_id: "1029384756012345",
        mime_type: "video/mp4",
        sha256: &sha,
        url: "",
    };

    let hosted = rehoster.rehost(&request).await.unwrap();
    assert!(hosted.storage_key.starts_with("inbound/") && hosted.storage_key.ends_with(".mp4"));
    assert!(hosted.url.contains("X-Amz-Signature"), "{}", hosted.url);
    let fetched = reqwest::get(&hosted.url).await.unwrap();
    assert!(
        fetched.status().is_success(),
        "GET the pre-signed URL: {}",
        fetched.status()
    );
    assert_eq!(fetched.headers()["content-type"], "video/mp4");
    assert_eq!(fetched.bytes().await.unwrap().to_vec(), bytes);

    let again = rehoster.rehost(&request).await.unwrap();
    assert!(again.already_stored);
    assert_eq!((standin.metadata_calls(), standin.downloads()), (1, 1));
    assert_eq!(moto.keys("wa-media"), vec![hosted.storage_key]);
}
