//! Media re-hosting throughput, without Kafka: ATTACHMENTS distinct files of SIZE bytes
//! copied from the Graph API stand-in (loopback HTTP) to a local directory, at each
//! concurrency of CONCURRENCY (comma-separated), each with Meta's SHA-256 as webhooks carry
//! it. Prints attachments/s and MB/s; a second pass over the same ids (Meta retrying the
//! webhooks) measures the already-stored path: one store lookup, no Graph call.
//!
//!   cargo run --release -p wa-media --features standin --example rehost_bench
//!   ATTACHMENTS=2000 SIZE=200000 CONCURRENCY=1,4,16 ...

use std::sync::Arc;
use std::time::{Duration, Instant};

use wa_media::graph::Graph;
use wa_media::standin::{generated_bytes, sha256_base64, StandIn};
use wa_media::{AccessTokens, Limits, MediaRequest, MediaStore, Rehoster, UrlStyle};

fn knob(name: &str, default: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| default.to_owned())
}

/// Copies every id once, all requested at once (as one record's attachments are), and
/// returns the seconds it took.
async fn pass(rehoster: &Arc<Rehoster>, ids: &[(String, String)]) -> f64 {
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for (id, sha256) in ids {
        let (rehoster, id, sha256) = (rehoster.clone(), id.clone(), sha256.clone());
        tasks.spawn(async move {
            let request = MediaRequest {
                media_id: &id,
                phone_number_id: "1065403500012345",
                waba_id: "1029384756012345",
                mime_type: "image/jpeg",
                sha256: &sha256,
                url: "",
            };
            rehoster.rehost(&request).await.expect("copied")
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("the task ran");
    }
    started.elapsed().as_secs_f64()
}

#[tokio::main]
async fn main() {
    let count: usize = knob("ATTACHMENTS", "1000").parse().expect("ATTACHMENTS");
    let size: usize = knob("SIZE", "100000").parse().expect("SIZE");
    let standin = StandIn::start("bench", Duration::from_secs(300));
    standin.generate_unknown(size);
    println!("{count} attachments of {size} bytes, stand-in on loopback, local-directory store");
    for concurrency in knob("CONCURRENCY", "1,4,16").split(',') {
        let concurrency: usize = concurrency.trim().parse().expect("CONCURRENCY");
        let dir = std::env::temp_dir().join(format!(
            "wa-rehost-bench-{}-{concurrency}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let store = MediaStore::open(
            dir.to_str().expect("UTF-8"),
            UrlStyle::Presigned(Duration::from_secs(60)),
        )
        .expect("a directory");
        let graph =
            Graph::new(&standin.base_url(), "v24.0", Duration::from_secs(30)).expect("a client");
        let limits = Limits {
            concurrency,
            ..Limits::default()
        };
        let tokens = AccessTokens::parse(Some("bench"), "").expect("a token");
        let rehoster = Arc::new(Rehoster::new(graph, store, tokens, limits));
        let ids: Vec<(String, String)> = (0..count)
            .map(|i| format!("c{concurrency}-{i}"))
            .map(|id| {
                let sha256 = sha256_base64(&generated_bytes(&id, size));
                (id, sha256)
            })
            .collect();
        let copy = pass(&rehoster, &ids).await;
        let again = pass(&rehoster, &ids).await;
        println!(
            "concurrency {concurrency:>3}: {:>7.0} attachments/s, {:>6.1} MB/s; a second delivery (found stored) {:>7.0}/s",
            count as f64 / copy,
            (count * size) as f64 / copy / 1e6,
            count as f64 / again,
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
