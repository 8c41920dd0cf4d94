//! The normalizer core: a pure function from a raw Meta WhatsApp webhook body to the output
//! records of the event contract (see `wa-schemas`).
//!
//! [`Normalizer::map`] takes the raw bytes, the raw record's lineage and the configuration
//! and writes the records into a reusable [`Batch`]; it does no I/O, never panics and never
//! fails: what cannot be mapped becomes a dead letter with its reason, and a bad message
//! never takes its neighbours in the same body down with it. See [`map`] for the count rule.

pub mod config;
pub mod ids;
pub mod input;
pub mod json_out;
pub mod lenient;
pub mod map;
pub mod minify;
pub mod output;

pub use config::{Config, RawMeta, TopicNames};
pub use output::{Batch, EventType, Record, RecordRef};

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
