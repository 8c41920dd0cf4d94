//! How clients authenticate and encrypt: TLS (with an optional client certificate) and SASL
//! PLAIN, SCRAM-SHA-256/512 or OAUTHBEARER (OIDC client credentials). These are the
//! first-class options; the same librdkafka keys also pass through `KAFKA_PROPERTIES`.

use std::fmt;
use std::path::PathBuf;

use rdkafka::config::ClientConfig;

/// A secret value: never printed, not even by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret.
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value, to hand to librdkafka.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `security.protocol`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// No TLS, no SASL.
    Plaintext,
    /// TLS.
    Ssl,
    /// SASL without TLS (credentials in clear: test clusters only).
    SaslPlaintext,
    /// SASL over TLS: what managed clusters use.
    SaslSsl,
}

impl Protocol {
    /// librdkafka's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Protocol::Plaintext => "plaintext",
            Protocol::Ssl => "ssl",
            Protocol::SaslPlaintext => "sasl_plaintext",
            Protocol::SaslSsl => "sasl_ssl",
        }
    }

    fn sasl(self) -> bool {
        matches!(self, Protocol::SaslPlaintext | Protocol::SaslSsl)
    }

    fn tls(self) -> bool {
        matches!(self, Protocol::Ssl | Protocol::SaslSsl)
    }
}

/// `sasl.mechanism`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mechanism {
    /// User name and password in the clear (inside TLS): Confluent Cloud, Event Hubs.
    Plain,
    /// SCRAM with SHA-256.
    ScramSha256,
    /// SCRAM with SHA-512.
    ScramSha512,
    /// OAuth bearer tokens from an OIDC token endpoint (client credentials).
    OAuthBearer,
}

impl Mechanism {
    /// librdkafka's name.
    pub fn as_str(self) -> &'static str {
        match self {
            Mechanism::Plain => "PLAIN",
            Mechanism::ScramSha256 => "SCRAM-SHA-256",
            Mechanism::ScramSha512 => "SCRAM-SHA-512",
            Mechanism::OAuthBearer => "OAUTHBEARER",
        }
    }
}

/// The OIDC client-credentials settings of OAUTHBEARER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Oidc {
    /// The token endpoint URL.
    pub token_endpoint: String,
    /// The client id.
    pub client_id: String,
    /// The client secret.
    pub client_secret: Secret,
    /// The scope, when the provider wants one.
    pub scope: Option<String>,
}

/// The security settings of every client.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Security {
    /// `security.protocol`; `None` leaves librdkafka's default (or `KAFKA_PROPERTIES`).
    pub protocol: Option<Protocol>,
    /// `sasl.mechanism`.
    pub mechanism: Option<Mechanism>,
    /// `sasl.username` (PLAIN, SCRAM).
    pub username: Option<String>,
    /// `sasl.password` (PLAIN, SCRAM).
    pub password: Option<Secret>,
    /// OIDC client credentials (OAUTHBEARER).
    pub oidc: Option<Oidc>,
    /// CA certificates to trust (PEM); the system's when absent.
    pub ca_file: Option<PathBuf>,
    /// Client certificate (PEM), for mutual TLS.
    pub cert_file: Option<PathBuf>,
    /// Client private key (PEM), for mutual TLS.
    pub key_file: Option<PathBuf>,
    /// Password of the client key, when it is encrypted.
    pub key_password: Option<Secret>,
    /// Whether the broker's certificate must name the host connected to.
    pub verify_hostname: bool,
}

impl Default for Security {
    fn default() -> Self {
        Security {
            protocol: None,
            mechanism: None,
            username: None,
            password: None,
            oidc: None,
            ca_file: None,
            cert_file: None,
            key_file: None,
            key_password: None,
            verify_hostname: true,
        }
    }
}

/// A contradiction in the security settings, with the option to change.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct SecurityError(pub String);

impl Security {
    /// Checks the settings hang together and sets their librdkafka keys.
    ///
    /// # Errors
    /// [`SecurityError`] naming the option to change.
    pub fn apply(&self, config: &mut ClientConfig) -> Result<(), SecurityError> {
        for (key, value) in self.properties()? {
            config.set(key, value);
        }
        Ok(())
    }

    /// The librdkafka properties these settings stand for.
    ///
    /// # Errors
    /// [`SecurityError`] naming the option to change.
    pub fn properties(&self) -> Result<Vec<(String, String)>, SecurityError> {
        let protocol = self.effective_protocol();
        self.check(protocol)?;
        let mut out: Vec<(&str, String)> = Vec::new();
        if let Some(protocol) = protocol {
            out.push(("security.protocol", protocol.as_str().into()));
        }
        if let Some(mechanism) = self.mechanism {
            out.push(("sasl.mechanism", mechanism.as_str().into()));
        }
        if let Some(username) = &self.username {
            out.push(("sasl.username", username.clone()));
        }
        if let Some(password) = &self.password {
            out.push(("sasl.password", password.expose().into()));
        }
        if let Some(oidc) = &self.oidc {
            out.push(("sasl.oauthbearer.method", "oidc".into()));
            out.push((
                "sasl.oauthbearer.token.endpoint.url",
                oidc.token_endpoint.clone(),
            ));
            out.push(("sasl.oauthbearer.client.id", oidc.client_id.clone()));
            out.push((
                "sasl.oauthbearer.client.secret",
                oidc.client_secret.expose().into(),
            ));
            if let Some(scope) = &oidc.scope {
                out.push(("sasl.oauthbearer.scope", scope.clone()));
            }
        }
        let paths = [
            ("ssl.ca.location", &self.ca_file),
            ("ssl.certificate.location", &self.cert_file),
            ("ssl.key.location", &self.key_file),
        ];
        for (key, path) in paths {
            if let Some(path) = path {
                out.push((key, path.display().to_string()));
            }
        }
        if let Some(password) = &self.key_password {
            out.push(("ssl.key.password", password.expose().into()));
        }
        if protocol.is_some_and(Protocol::tls) {
            let algorithm = if self.verify_hostname {
                "https"
            } else {
                "none"
            };
            out.push(("ssl.endpoint.identification.algorithm", algorithm.into()));
        }
        Ok(out.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())
    }

    /// The protocol, defaulted from what else is set: SASL means SASL_SSL, a CA or client
    /// certificate means SSL.
    fn effective_protocol(&self) -> Option<Protocol> {
        self.protocol.or_else(|| {
            if self.mechanism.is_some() {
                Some(Protocol::SaslSsl)
            } else if self.ca_file.is_some() || self.cert_file.is_some() {
                Some(Protocol::Ssl)
            } else {
                None
            }
        })
    }

    fn check(&self, protocol: Option<Protocol>) -> Result<(), SecurityError> {
        let fail = |text: &str| Err(SecurityError(text.to_owned()));
        let sasl = protocol.is_some_and(Protocol::sasl);
        if self.mechanism.is_some() && !sasl {
            return fail("KAFKA_SASL_MECHANISM is set but KAFKA_SECURITY_PROTOCOL is not sasl_ssl or sasl_plaintext");
        }
        if sasl && self.mechanism.is_none() {
            return fail("KAFKA_SECURITY_PROTOCOL is a SASL protocol: set KAFKA_SASL_MECHANISM (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 or OAUTHBEARER)");
        }
        match self.mechanism {
            Some(Mechanism::Plain | Mechanism::ScramSha256 | Mechanism::ScramSha512)
                if self.username.is_none() || self.password.is_none() =>
            {
                return fail("SASL PLAIN and SCRAM need KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD (or KAFKA_SASL_PASSWORD_FILE)");
            }
            Some(Mechanism::OAuthBearer) if self.oidc.is_none() => {
                return fail("SASL OAUTHBEARER needs KAFKA_OIDC_TOKEN_ENDPOINT, KAFKA_OIDC_CLIENT_ID and KAFKA_OIDC_CLIENT_SECRET");
            }
            _ => {}
        }
        if self.cert_file.is_some() != self.key_file.is_some() {
            return fail("mutual TLS needs both KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE");
        }
        let tls_files = self.ca_file.is_some() || self.cert_file.is_some();
        if tls_files && !protocol.is_some_and(Protocol::tls) {
            return fail("TLS files are set but KAFKA_SECURITY_PROTOCOL is not ssl or sasl_ssl");
        }
        for path in [&self.ca_file, &self.cert_file, &self.key_file]
            .into_iter()
            .flatten()
        {
            if !path.is_file() {
                return Err(SecurityError(format!(
                    "{} does not exist or is not a file: check the KAFKA_SSL_* file options",
                    path.display()
                )));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rdkafka::producer::BaseProducer;

    fn props(security: &Security) -> Vec<(String, String)> {
        security.properties().unwrap()
    }

    fn get<'p>(props: &'p [(String, String)], key: &str) -> Option<&'p str> {
        props
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// librdkafka itself accepts the configuration: the build has TLS, SCRAM and OIDC.
    fn accepted_by_librdkafka(security: &Security) {
        let mut config = ClientConfig::new();
        config.set("bootstrap.servers", "127.0.0.1:1");
        security.apply(&mut config).unwrap();
        config
            .create::<BaseProducer>()
            .unwrap_or_else(|e| panic!("librdkafka refused {security:?}: {e}"));
    }

    fn plain() -> Security {
        Security {
            mechanism: Some(Mechanism::Plain),
            username: Some("key".into()),
            password: Some(Secret::new("s3cret")),
            ..Security::default()
        }
    }

    #[test]
    fn sasl_plain_defaults_to_sasl_ssl_and_verifies_host_names() {
        let p = props(&plain());
        assert_eq!(get(&p, "security.protocol"), Some("sasl_ssl"));
        assert_eq!(get(&p, "sasl.mechanism"), Some("PLAIN"));
        assert_eq!(get(&p, "sasl.username"), Some("key"));
        assert_eq!(get(&p, "sasl.password"), Some("s3cret"));
        assert_eq!(
            get(&p, "ssl.endpoint.identification.algorithm"),
            Some("https")
        );
        accepted_by_librdkafka(&plain());
        let debug = format!("{:?}", plain());
        assert!(
            !debug.contains("s3cret") && debug.contains("[redacted]"),
            "{debug}"
        );
    }

    #[test]
    fn oauthbearer_uses_oidc_client_credentials() {
        let security = Security {
            mechanism: Some(Mechanism::OAuthBearer),
            oidc: Some(Oidc {
                token_endpoint: "https://idp.example/oauth2/token".into(),
                client_id: "wa".into(),
                client_secret: Secret::new("client-s3cret"),
                scope: Some("kafka".into()),
            }),
            ..Security::default()
        };
        let p = props(&security);
        assert_eq!(get(&p, "sasl.mechanism"), Some("OAUTHBEARER"));
        assert_eq!(get(&p, "sasl.oauthbearer.method"), Some("oidc"));
        assert_eq!(
            get(&p, "sasl.oauthbearer.client.secret"),
            Some("client-s3cret")
        );
        assert_eq!(get(&p, "sasl.oauthbearer.scope"), Some("kafka"));
        accepted_by_librdkafka(&security);
        assert!(!format!("{security:?}").contains("client-s3cret"));
    }

    #[test]
    fn mutual_tls_with_a_client_certificate() {
        let dir = std::env::temp_dir().join(format!("wa-mtls-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (cert, key) = (dir.join("client.pem"), dir.join("client.key"));
        let made = std::process::Command::new("openssl")
            .args([
                "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            ])
            .args(["-subj", "/CN=wa-client", "-keyout"])
            .arg(&key)
            .arg("-out")
            .arg(&cert)
            .output()
            .expect("openssl makes the test certificate");
        assert!(made.status.success(), "{made:?}");
        let security = Security {
            ca_file: Some(cert.clone()),
            cert_file: Some(cert.clone()),
            key_file: Some(key.clone()),
            verify_hostname: false,
            ..Security::default()
        };
        let p = props(&security);
        assert_eq!(get(&p, "security.protocol"), Some("ssl"));
        assert_eq!(get(&p, "ssl.certificate.location"), cert.to_str());
        assert_eq!(get(&p, "ssl.key.location"), key.to_str());
        assert_eq!(
            get(&p, "ssl.endpoint.identification.algorithm"),
            Some("none")
        );
        accepted_by_librdkafka(&security);
        let _ = std::fs::remove_dir_all(&dir);
    }

    #[test]
    fn scram_is_built_in() {
        for mechanism in [Mechanism::ScramSha256, Mechanism::ScramSha512] {
            accepted_by_librdkafka(&Security {
                mechanism: Some(mechanism),
                ..plain()
            });
        }
    }

    #[test]
    fn contradictions_name_the_option_to_change() {
        let error = |s: Security| s.properties().unwrap_err().0;
        let no_password = Security {
            password: None,
            ..plain()
        };
        assert!(error(no_password).contains("KAFKA_SASL_PASSWORD"));
        let plaintext_with_mechanism = Security {
            protocol: Some(Protocol::Plaintext),
            ..plain()
        };
        assert!(error(plaintext_with_mechanism).contains("KAFKA_SECURITY_PROTOCOL"));
        let sasl_without_mechanism = Security {
            protocol: Some(Protocol::SaslSsl),
            ..Security::default()
        };
        assert!(error(sasl_without_mechanism).contains("KAFKA_SASL_MECHANISM"));
        let half_mtls = Security {
            cert_file: Some("/etc/hostname".into()),
            ..Security::default()
        };
        assert!(error(half_mtls).contains("KAFKA_SSL_KEY_FILE"));
        let missing_ca = Security {
            ca_file: Some("/nonexistent/ca.pem".into()),
            ..Security::default()
        };
        assert!(error(missing_ca).contains("/nonexistent/ca.pem"));
        let oauth_without_oidc = Security {
            mechanism: Some(Mechanism::OAuthBearer),
            ..Security::default()
        };
        assert!(error(oauth_without_oidc).contains("KAFKA_OIDC_TOKEN_ENDPOINT"));
        assert!(Security::default().properties().unwrap().is_empty());
    }
}
