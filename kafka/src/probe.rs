//! A startup check of the connection. Wrong credentials, an untrusted broker certificate
//! or a security protocol that does not match the listener become one line that says what
//! to change, instead of a client that retries forever in silence.

use std::sync::Mutex;
use std::time::Duration;

use rdkafka::client::ClientContext;
use rdkafka::config::RDKafkaLogLevel;
use rdkafka::error::KafkaError;
use rdkafka::producer::{BaseProducer, DeliveryResult, Producer, ProducerContext};

use crate::client::{ClientSettings, Role};

/// What the probe found wrong.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ProbeError {
    /// The brokers refused the credentials.
    #[error("Kafka refused the credentials: check KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD and KAFKA_SASL_MECHANISM ({0})")]
    Credentials(String),
    /// The broker's certificate is not trusted.
    #[error("the Kafka broker's TLS certificate is not trusted: set KAFKA_SSL_CA_FILE to the CA that signed it, or check KAFKA_SSL_VERIFY_HOSTNAME ({0})")]
    Untrusted(String),
    /// A plaintext client reached a TLS listener.
    #[error("the Kafka listener speaks TLS but the client does not: set KAFKA_SECURITY_PROTOCOL to ssl or sasl_ssl ({0})")]
    ExpectsTls(String),
    /// A TLS client reached a plaintext listener.
    #[error("the Kafka listener does not speak TLS: set KAFKA_SECURITY_PROTOCOL to plaintext or sasl_plaintext, or use the TLS port ({0})")]
    NoTls(String),
    /// The brokers could not be reached (they may come later: not fatal).
    #[error("the Kafka brokers did not answer: {0}")]
    Unreachable(String),
}

impl ProbeError {
    /// Whether waiting can help: only an unreachable cluster may come up later.
    pub fn is_configuration(&self) -> bool {
        !matches!(self, ProbeError::Unreachable(_))
    }

    /// Whether the sign also shows without a configuration mistake: a broker that is still
    /// starting resets connections during the version handshake too (seen with Tansu), so
    /// the probe first waits [`SETTLE`] to see the reset persist.
    fn is_ambiguous(&self) -> bool {
        matches!(self, ProbeError::ExpectsTls(_))
    }
}

/// How long an ambiguous sign must persist before it counts as a configuration mistake.
pub const SETTLE: Duration = Duration::from_secs(3);

/// Collects what librdkafka reports while probing.
#[derive(Default)]
struct Reports(Mutex<Vec<String>>);

impl ClientContext for Reports {
    fn log(&self, level: RDKafkaLogLevel, _fac: &str, message: &str) {
        use RDKafkaLogLevel::{Alert, Critical, Emerg, Error, Info, Notice, Warning};
        if matches!(
            level,
            Emerg | Alert | Critical | Error | Warning | Notice | Info
        ) {
            self.push(message);
        }
    }

    fn error(&self, error: KafkaError, reason: &str) {
        self.push(&format!("{error}: {reason}"));
    }
}

impl ProducerContext for Reports {
    type DeliveryOpaque = ();
    fn delivery(&self, _: &DeliveryResult<'_>, _: ()) {}
}

impl Reports {
    fn push(&self, message: &str) {
        let mut reports = self.0.lock().unwrap_or_else(|e| e.into_inner());
        if reports.len() < 32 {
            reports.push(message.to_owned());
        }
    }
}

/// Asks the brokers for metadata within `timeout` and explains a failure. Blocks: call it
/// off the async runtime's workers.
///
/// # Errors
/// [`ProbeError`]; see [`ProbeError::is_configuration`].
pub fn probe(settings: &ClientSettings, timeout: Duration) -> Result<(), ProbeError> {
    let mut config = settings.config(Role::Admin);
    // librdkafka says why a connection failed in its log, not in the error it returns.
    config.set_log_level(RDKafkaLogLevel::Info);
    // A TLS handshake with a plaintext listener hangs rather than fails: bound it.
    config.set("socket.connection.setup.timeout.ms", "4000");
    let tls = config
        .get("security.protocol")
        .is_some_and(|p| p.to_ascii_lowercase().ends_with("ssl"));
    let producer: BaseProducer<Reports> = config
        .create_with_context(Reports::default())
        .map_err(|e| ProbeError::Unreachable(e.to_string()))?;
    let started = std::time::Instant::now();
    let deadline = started + timeout;
    loop {
        let attempt = producer
            .client()
            .fetch_metadata(None, Duration::from_millis(500));
        // Error reports arrive through the client's queue: serve it before reading them.
        producer.poll(Duration::from_millis(50));
        let reports = producer
            .context()
            .0
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        let error = match attempt {
            Ok(_) => return Ok(()),
            Err(e) => classify(&reports, tls, &e.to_string()),
        };
        // A configuration mistake shows in the first reports: no need to wait it out.
        let now = std::time::Instant::now();
        let settled = !error.is_ambiguous() || now >= started + SETTLE;
        if (error.is_configuration() && settled) || now >= deadline {
            return Err(error);
        }
    }
}

/// Names the cause from librdkafka's reports; `tls` tells whether the client used TLS.
fn classify(reports: &[String], tls: bool, fallback: &str) -> ProbeError {
    let find = |needles: &[&str]| {
        reports
            .iter()
            .find(|r| {
                let lower = r.to_ascii_lowercase();
                needles.iter().any(|n| lower.contains(n))
            })
            .cloned()
    };
    if let Some(r) = find(&["certificate verify failed", "could not be verified"]) {
        return ProbeError::Untrusted(r);
    }
    if let Some(r) = find(&[
        "sasl authentication error",
        "authentication failed",
        "invalid credentials",
        "invalid-proof",
    ]) {
        return ProbeError::Credentials(r);
    }
    if tls {
        let no_tls = [
            "wrong version number",
            "packet length too long",
            "timed out in state ssl_handshake",
            "in state ssl_handshake",
        ];
        if let Some(r) = find(&no_tls) {
            return ProbeError::NoTls(r);
        }
    } else if let Some(r) = find(&["ssl listener", "in state apiversion_query"]) {
        // A TLS listener resets a connection whose first bytes are not a TLS hello.
        return ProbeError::ExpectsTls(r);
    }
    ProbeError::Unreachable(
        reports
            .last()
            .cloned()
            .unwrap_or_else(|| fallback.to_owned()),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn librdkafka_reports_are_named() {
        let r = |s: &str| vec!["ignored".to_owned(), s.to_owned()];
        let untrusted = r("sasl_ssl://b/bootstrap: SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified");
        assert!(matches!(
            classify(&untrusted, true, ""),
            ProbeError::Untrusted(_)
        ));
        let refused = r("sasl_ssl://b/bootstrap: SASL authentication error: SASL SCRAM authentication failed: broker responded with invalid-proof");
        assert!(matches!(
            classify(&refused, true, ""),
            ProbeError::Credentials(_)
        ));
        let reset = r("sasl_plaintext://b/bootstrap: Disconnected: connection reset by peer (after 0ms in state APIVERSION_QUERY)");
        assert!(matches!(
            classify(&reset, false, ""),
            ProbeError::ExpectsTls(_)
        ));
        assert!(matches!(
            classify(&reset, true, ""),
            ProbeError::Unreachable(_)
        ));
        let hang = r("ssl://b/bootstrap: Connection setup timed out in state SSL_HANDSHAKE (after 4000ms in state SSL_HANDSHAKE)");
        assert!(matches!(classify(&hang, true, ""), ProbeError::NoTls(_)));
        let unreachable = classify(&[], false, "timed out");
        assert_eq!(unreachable, ProbeError::Unreachable("timed out".into()));
        assert!(!unreachable.is_configuration());
    }
}
