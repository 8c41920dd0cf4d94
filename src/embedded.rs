//! The embedded broker of `run` (with no `KAFKA_BROKERS`) and of `wa-pipeline broker`:
//! Tansu 0.6.0 in-process, keeping every record in sqlite in a data directory, so a 200
//! means what it means on a single-broker cluster: the body is committed and survives a
//! restart (the README says what sqlite's `synchronous = normal` leaves to a power loss).
//! librdkafka's mock cluster cannot (it keeps about 5 MB per partition, then deletes the
//! oldest records, and dies with the process); it stays for fast in-process tests only.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use clap::Args;
use tansu_broker::broker::Broker;
use tansu_broker::coordinator::group::administrator::Controller;
use tansu_storage::StorageContainer;
use tokio::task::JoinHandle;
use url::Url;
use wa_kafka::ClientSettings;
use wa_normalize::TopicNames;
use wa_schemas::contract::{output_record_bytes, raw_record_bytes};
use wa_schemas::Topic;

/// Where the embedded broker keeps its data and listens.
#[derive(Debug, Clone, Args)]
pub struct BrokerArgs {
    /// Directory of the embedded broker's data (created when missing); a restart on the same
    /// directory finds every record again.
    #[arg(long, env = "WA_DATA_DIR", default_value = "wa-data")]
    pub data_dir: PathBuf,
    /// Address the embedded broker listens on; port 0 picks a free one (printed).
    #[arg(long, env = "BROKER_LISTEN", default_value = "127.0.0.1:9092")]
    pub broker_listen: SocketAddr,
    /// Partitions of the topics the embedded broker creates.
    #[arg(long, env = "BROKER_PARTITIONS", default_value_t = 3)]
    pub broker_partitions: i32,
}

/// A running embedded broker.
pub struct Embedded {
    bootstrap: String,
    task: JoinHandle<()>,
}

impl Embedded {
    /// Starts the broker and creates the raw topic and `outputs` when missing.
    pub async fn start(
        args: &BrokerArgs,
        raw_topic: &str,
        outputs: &TopicNames,
        max_body_bytes: usize,
    ) -> anyhow::Result<Embedded> {
        let listen = with_free_port(args.broker_listen)?;
        let url = Url::parse(&format!("tcp://{listen}")).context("invalid --broker-listen")?;
        let task = spawn(&args.data_dir, url).await?;
        wait_listening(listen).await?;
        let embedded = Embedded {
            bootstrap: listen.to_string(),
            task,
        };
        let settings = ClientSettings::new(embedded.bootstrap(), Vec::new())?;
        let mut topics = vec![(raw_topic, Some(raw_record_bytes(max_body_bytes)))];
        let output_bytes = Some(output_record_bytes(max_body_bytes));
        topics.extend(Topic::ALL.map(|t| (outputs.name(t), output_bytes)));
        wa_kafka::topics::ensure(&settings, &topics, args.broker_partitions, 1)
            .await
            .context("cannot create the topics on the embedded broker")?;
        Ok(embedded)
    }

    /// The address Kafka clients bootstrap from.
    pub fn bootstrap(&self) -> &str {
        &self.bootstrap
    }

    /// Stops the broker; what it stored stays in the data directory.
    pub async fn stop(self) {
        self.task.abort();
        let _ = self.task.await;
    }
}

/// Builds the broker on sqlite storage in `data_dir` and serves it in a task. Tansu resolves
/// a `sqlite://` path against the working directory, so the directory is entered for the
/// build only (early at startup, before anything else reads a relative path).
async fn spawn(data_dir: &Path, url: Url) -> anyhow::Result<JoinHandle<()>> {
    // The working directory is the process's: two brokers starting at once (tests) take
    // turns.
    static WORKING_DIRECTORY: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _entered = WORKING_DIRECTORY.lock().await;
    std::fs::create_dir_all(data_dir)
        .with_context(|| format!("cannot create the data directory {}", data_dir.display()))?;
    let previous = std::env::current_dir().context("cannot read the working directory")?;
    std::env::set_current_dir(data_dir)
        .with_context(|| format!("cannot enter the data directory {}", data_dir.display()))?;
    let mut incarnation = [0u8; 16];
    getrandom::fill(&mut incarnation).expect("the OS provides randomness");
    let built = Broker::<Controller<StorageContainer>, StorageContainer>::builder()
        .node_id(1)
        .cluster_id("wa-pipeline")
        .incarnation_id(uuid::Uuid::from_bytes(incarnation))
        .advertised_listener(url.clone())
        .storage(Url::parse(&format!("sqlite://{DATABASE}")).expect("a valid URL"))
        .listener(url)
        .silent(true)
        .build()
        .await;
    std::env::set_current_dir(&previous).context("cannot return to the working directory")?;
    let mut broker =
        built.map_err(|e| anyhow::anyhow!("cannot start the embedded broker: {e:?}"))?;
    index_headers(&data_dir.join(DATABASE)).await?;
    Ok(tokio::spawn(async move {
        if let Err(e) = broker.serve(tokio::time::Instant::now()).await {
            tracing::error!(error = ?e, "the embedded broker stopped");
        }
    }))
}

/// normalize's fetch wait on the embedded broker. Tansu sleeps out the fetch wait after every
/// fetch (see [`wa_kafka::client::FETCH_WAIT`]), so a record waited up to twice the default
/// 25 ms before normalize saw it: end-to-end p50 and p99 were both 50–75 ms at 500 webhooks
/// a second (measured). In-process, the 200 idle fetches a second this allows are cheap.
pub const FETCH_WAIT: std::time::Duration = std::time::Duration::from_millis(5);

/// The sqlite file Tansu keeps in the data directory.
const DATABASE: &str = "tansu.db";

/// Tansu 0.6.0 reads a fetched record's headers by `(topition, offset_id)` from a table with
/// no index on them, so every record fetched scans every header stored: at 500 webhooks a
/// second the consumer fell seconds behind within a minute, and most of the broker's CPU
/// was that scan (perf). The index makes it a lookup; `if not exists` keeps restarts cheap
/// (the first start on an old data directory builds it once).
async fn index_headers(database: &Path) -> anyhow::Result<()> {
    let cannot = || {
        format!(
            "cannot index the embedded broker's database {}",
            database.display()
        )
    };
    let db = libsql::Builder::new_local(database)
        .build()
        .await
        .with_context(cannot)?;
    let connection = db.connect().with_context(cannot)?;
    connection
        .execute(HEADER_INDEX, ())
        .await
        .with_context(cannot)?;
    Ok(())
}

/// `scripts/tansu.sh` adds the same index to a standalone Tansu's database.
const HEADER_INDEX: &str =
    "create index if not exists wa_header_record on header (topition, offset_id)";

/// `addr`, with a free port when its port is 0.
fn with_free_port(addr: SocketAddr) -> anyhow::Result<SocketAddr> {
    if addr.port() != 0 {
        return Ok(addr);
    }
    let probe = TcpListener::bind(addr).context("cannot find a free port")?;
    Ok(probe.local_addr()?)
}

async fn wait_listening(addr: SocketAddr) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if tokio::net::TcpStream::connect(addr).await.is_ok() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    anyhow::bail!("the embedded broker does not listen on {addr} (is the port taken?)")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whatever reaches the WAL is copied into the database file within moments by the
    /// patched storage's checkpointer thread (vendor/tansu-storage/PATCHED.md), not left for
    /// a commit to checkpoint once the WAL is full. The writer here never checkpoints itself,
    /// and the broker's own connections are idle.
    #[tokio::test(flavor = "multi_thread")]
    async fn the_storages_checkpointer_copies_the_wal_into_the_database_file() {
        let dir = std::env::temp_dir().join(format!("wa-embedded-ckpt-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let listen = with_free_port("127.0.0.1:0".parse().unwrap()).unwrap();
        let task = spawn(&dir, Url::parse(&format!("tcp://{listen}")).unwrap())
            .await
            .unwrap();
        let db = libsql::Builder::new_local(dir.join(DATABASE))
            .build()
            .await
            .unwrap();
        let writer = db.connect().unwrap();
        // The broker may still be writing its startup rows: wait for its lock, not fail.
        writer.busy_timeout(Duration::from_secs(10)).unwrap();
        for sql in [
            "pragma wal_autocheckpoint = 0",
            "create table wa_ckpt (b blob)",
            "with recursive n(i) as (select 1 union all select i + 1 from n where i < 50) \
             insert into wa_ckpt select randomblob(4000) from n",
        ] {
            let mut rows = writer.query(sql, ()).await.unwrap();
            while rows.next().await.unwrap().is_some() {}
        }
        let copied = |attempt: u32| {
            let copy = dir.join(format!("copy-{attempt}.db"));
            std::fs::copy(dir.join(DATABASE), &copy).unwrap();
            async move {
                let db = libsql::Builder::new_local(&copy).build().await.ok()?;
                let connection = db.connect().ok()?;
                let mut rows = connection
                    .query("select count(*) from wa_ckpt", ())
                    .await
                    .ok()?;
                rows.next().await.ok()??.get::<i64>(0).ok()
            }
        };
        // A copy taken mid-checkpoint may hold part of the rows, or none: try again.
        let mut found = None;
        for attempt in 0..50 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            found = copied(attempt).await;
            if found == Some(50) {
                break;
            }
        }
        task.abort();
        drop(writer);
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(
            found,
            Some(50),
            "the rows did not all reach the database file within 5 s"
        );
    }

    /// The query Tansu runs per fetched record (`header_fetch.sql`, parameters inlined)
    /// finds a record's headers through the index instead of scanning the table.
    #[tokio::test(flavor = "multi_thread")]
    async fn a_fetched_records_headers_are_looked_up_not_scanned() {
        let dir = std::env::temp_dir().join(format!("wa-embedded-index-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let listen = with_free_port("127.0.0.1:0".parse().unwrap()).unwrap();
        let url = Url::parse(&format!("tcp://{listen}")).unwrap();
        let task = spawn(&dir, url).await.unwrap();
        let db = libsql::Builder::new_local(dir.join(DATABASE))
            .build()
            .await
            .unwrap();
        let connection = db.connect().unwrap();
        let mut rows = connection
            .query(
                "explain query plan select h.k, h.v from header h \
                 join record r on h.topition = r.topition and h.offset_id = r.offset_id \
                 join topition tp on tp.id = r.topition join topic t on tp.topic = t.id \
                 join cluster c on t.cluster = c.id \
                 where c.name = 'x' and t.name = 'y' and tp.partition = 0 and r.offset_id = 7",
                (),
            )
            .await
            .unwrap();
        let mut plan = Vec::new();
        while let Some(row) = rows.next().await.unwrap() {
            plan.push(row.get::<String>(3).unwrap());
        }
        task.abort();
        let _ = std::fs::remove_dir_all(&dir);
        let header = plan
            .iter()
            .find(|step| step.contains(" h"))
            .expect("a step on header");
        assert!(
            header.contains("USING INDEX wa_header_record"),
            "header is scanned: {plan:?}"
        );
    }
}
