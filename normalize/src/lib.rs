//! The normalizer: a pure function from a raw Meta WhatsApp webhook body to the output
//! records of the event contract (see `wa-schemas`), and the service around it.
//!
//! Where things live:
//! - [`map`]: the mapping, one module per Meta message kind under `map/message/`, statuses
//!   in `map/status.rs`, other changes in `map/account.rs`; [`input`] and [`lenient`] read
//!   Meta's envelope without failing on a wrong-shaped field;
//! - [`batch`]: the records of one body in one reusable buffer; [`ids`]: deterministic ids;
//! - [`sink`]: the one seam records leave through (Kafka, JSON lines, `--print`);
//! - `service/` (feature `kafka`): the consumer group on the raw topic.
//!
//! [`Normalizer::map`] takes the raw bytes, the raw record's lineage and the configuration
//! and writes the records into a reusable [`Batch`]; it does no I/O, never panics and never
//! fails: what cannot be mapped becomes a dead letter with its reason, and a bad message
//! never takes its neighbours in the same body down with it. See [`map`] for the count rule.

pub mod batch;
pub mod config;
pub mod dedup;
pub(crate) mod ids;
pub(crate) mod input;
pub(crate) mod json_writer;
pub(crate) mod lenient;
pub(crate) mod map;
pub(crate) mod member;
pub(crate) mod minify;
pub mod sink;

pub use batch::{Batch, Record, RecordRef};
pub use config::{Config, RawMeta, TopicNames};
pub use wa_schemas::EventType;

/// Maps webhook bodies with one configuration.
#[derive(Debug, Clone, Default)]
pub struct Normalizer {
    config: Config,
}

impl Normalizer {
    /// A normalizer with this configuration.
    pub fn new(config: Config) -> Self {
        Normalizer { config }
    }

    /// Its configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Maps `body` into `out`, replacing what `out` held.
    pub fn map(&self, body: &[u8], meta: &RawMeta<'_>, out: &mut Batch) {
        map::map_body(&self.config, meta, body, out);
    }

    /// Maps `body` into owned records with topic names and headers: the convenient form of
    /// [`Normalizer::map`].
    pub fn records(&self, body: &[u8], meta: &RawMeta<'_>) -> Vec<Record> {
        let mut batch = Batch::new();
        self.map(body, meta, &mut batch);
        batch
            .iter()
            .map(|r| Record {
                topic: self.config.topics.name(r.topic()).to_owned(),
                key: r.key.map(str::to_owned),
                headers: r
                    .headers(meta)
                    .into_iter()
                    .map(|(k, v)| (k.to_owned(), v))
                    .collect(),
                value: r.value.to_vec(),
            })
            .collect()
    }
}

#[cfg(feature = "kafka")]
pub mod service;
