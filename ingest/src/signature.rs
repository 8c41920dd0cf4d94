//! `X-Hub-Signature-256` verification: HMAC-SHA256 of the raw body, keyed with the app
//! secret, compared in constant time.
//!
//! Several secrets can be configured (several Meta apps on one endpoint, or a secret being
//! rotated): a request verifies when any of them matches. Every secret is tried, so the
//! time taken does not tell which one matched.

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// The header Meta signs requests with.
pub const HEADER: &str = wa_schemas::contract::raw_header::SIGNATURE;

const PREFIX: &[u8] = b"sha256=";

/// Why a request's signature was refused. The messages name the problem, never a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignatureError {
    /// The request has no `X-Hub-Signature-256` header.
    #[error("missing X-Hub-Signature-256 header")]
    Missing,
    /// The header is not `sha256=` followed by 64 hex digits.
    #[error("malformed X-Hub-Signature-256 header: {0}")]
    Malformed(&'static str),
    /// No configured app secret produces this signature for this body.
    #[error("X-Hub-Signature-256 does not match the body for any configured app secret")]
    Mismatch,
}

impl SignatureError {
    /// A short, fixed label for metrics.
    pub fn reason(&self) -> &'static str {
        match self {
            SignatureError::Missing => "missing",
            SignatureError::Malformed(_) => "malformed",
            SignatureError::Mismatch => "mismatch",
        }
    }
}

/// Errors in the configured secrets.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SecretsError {
    /// No secret was configured.
    #[error("no app secret configured: set WHATSAPP_APP_SECRET (comma-separated for several)")]
    Empty,
    /// A secret in the list is empty (e.g. a trailing comma).
    #[error("app secret number {0} in the list is empty")]
    EmptyItem(usize),
}

/// The configured app secrets, ready to verify with. Its `Debug` output hides them.
#[derive(Clone)]
pub struct Secrets {
    keys: Vec<HmacSha256>,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secrets({} redacted)", self.keys.len())
    }
}

impl Secrets {
    /// Secrets from a list; each must be non-empty.
    ///
    /// # Errors
    /// [`SecretsError`] when the list or one of its items is empty.
    pub fn new<S: AsRef<[u8]>>(secrets: &[S]) -> Result<Self, SecretsError> {
        if secrets.is_empty() {
            return Err(SecretsError::Empty);
        }
        let keys = secrets
            .iter()
            .enumerate()
            .map(|(i, s)| {
                let s = s.as_ref();
                if s.is_empty() {
                    Err(SecretsError::EmptyItem(i + 1))
                } else {
                    Ok(HmacSha256::new_from_slice(s).expect("HMAC takes keys of any length"))
                }
            })
            .collect::<Result<_, _>>()?;
        Ok(Secrets { keys })
    }

    /// Secrets from the comma-separated form of `WHATSAPP_APP_SECRET` (spaces around items
    /// are ignored).
    ///
    /// # Errors
    /// [`SecretsError`] when the list or one of its items is empty.
    pub fn parse_list(text: &str) -> Result<Self, SecretsError> {
        let items: Vec<&str> = text.split(',').map(str::trim).collect();
        if items.iter().all(|s| s.is_empty()) {
            return Err(SecretsError::Empty);
        }
        Self::new(&items)
    }

    /// How many secrets are configured.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether none is configured (never true for a constructed value).
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Checks `header` (the `X-Hub-Signature-256` value) against `body`; returns the index
    /// of the secret that matched.
    ///
    /// # Errors
    /// [`SignatureError`] says why the request must be refused.
    pub fn verify(&self, header: Option<&[u8]>, body: &[u8]) -> Result<usize, SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let expected = parse_header(header)?;
        let mut matched = None;
        for (i, key) in self.keys.iter().enumerate() {
            let mut mac = key.clone();
            mac.update(body);
            // `verify_slice` compares in constant time.
            if mac.verify_slice(&expected).is_ok() && matched.is_none() {
                matched = Some(i);
            }
        }
        matched.ok_or(SignatureError::Mismatch)
    }
}

/// The header value `sign` would produce for `body` with `secret`: `sha256=<lower-case hex>`.
pub fn sign(secret: &[u8], body: &[u8]) -> String {
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn parse_header(header: &[u8]) -> Result<[u8; 32], SignatureError> {
    let header = header.trim_ascii();
    if header.len() < PREFIX.len() || !header[..PREFIX.len()].eq_ignore_ascii_case(PREFIX) {
        return Err(SignatureError::Malformed("expected the sha256= prefix"));
    }
    let digits = &header[PREFIX.len()..];
    if digits.len() != 64 {
        return Err(SignatureError::Malformed(
            "expected 64 hex digits after sha256=",
        ));
    }
    let mut out = [0u8; 32];
    hex::decode_to_slice(digits, &mut out)
        .map_err(|_| SignatureError::Malformed("the digest is not hexadecimal"))?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/bodies/");

    fn fixture(name: &str) -> Vec<u8> {
        std::fs::read(format!("{FIXTURES}{name}")).unwrap()
    }

    /// The vectors of `shared/reference/examples/README.md`.
    #[test]
    fn reference_vectors() {
        let unicode = fixture("unicode-escaped.json");
        assert_eq!(unicode.len(), 1081);
        assert_eq!(
            sign(b"test_app_secret", &unicode),
            "sha256=7c81dcfff07221039d928fbfc1e14ae8e2d5c5cacfdb8c709b69e17ea40ef752"
        );
        assert_eq!(
            sign(b"second_app_secret", &unicode),
            "sha256=ad0d03f2eab11ce395d5c9337310d36de81f8a75e08fa51c322bc3ca22e68c67"
        );
        assert_eq!(
            sign(b"test_app_secret", &fixture("text.json")),
            "sha256=b183c5df8c3c714d020c7d06b49106fbce3fd01508179399e9e4a21f3bd71cb6"
        );
        let both = Secrets::parse_list("test_app_secret, second_app_secret").unwrap();
        let second = b"sha256=ad0d03f2eab11ce395d5c9337310d36de81f8a75e08fa51c322bc3ca22e68c67";
        assert_eq!(both.verify(Some(second), &unicode), Ok(1));
    }

    /// Verifying a re-serialized body (UTF-8 instead of `\u` escapes) must fail: the
    /// reference's negative vector.
    #[test]
    fn reserialized_body_is_refused() {
        let secrets = Secrets::new(&["test_app_secret"]).unwrap();
        let header = b"sha256=c5e10b7a008a5fcc62bec83dad0bdbea43c1723674523e76f0f42cab9dfaeca3";
        assert_eq!(
            secrets.verify(Some(header), &fixture("unicode-escaped.json")),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn malformed_headers_are_refused_with_a_reason() {
        let secrets = Secrets::new(&["s"]).unwrap();
        let good = sign(b"s", b"{}");
        assert_eq!(secrets.verify(Some(good.as_bytes()), b"{}"), Ok(0));
        assert_eq!(
            secrets.verify(Some(good.to_uppercase().as_bytes()), b"{}"),
            Ok(0)
        );
        assert_eq!(secrets.verify(None, b"{}"), Err(SignatureError::Missing));
        for bad in [
            &b""[..],
            b"sha256=",
            b"sha1=abc",
            b"sha256=zz",
            &good.as_bytes()[..70],
        ] {
            assert!(matches!(
                secrets.verify(Some(bad), b"{}"),
                Err(SignatureError::Malformed(_))
            ));
        }
        let not_hex = format!("sha256={}", "g".repeat(64));
        assert!(matches!(
            secrets.verify(Some(not_hex.as_bytes()), b"{}"),
            Err(SignatureError::Malformed(_))
        ));
    }

    #[test]
    fn secret_lists() {
        assert_eq!(Secrets::parse_list("").unwrap_err(), SecretsError::Empty);
        assert_eq!(Secrets::parse_list(" , ").unwrap_err(), SecretsError::Empty);
        assert_eq!(
            Secrets::parse_list("a,,b").unwrap_err(),
            SecretsError::EmptyItem(2)
        );
        assert_eq!(Secrets::parse_list("a, b").unwrap().len(), 2);
        assert!(!format!("{:?}", Secrets::parse_list("hunter2").unwrap()).contains("hunter2"));
    }

    proptest! {
        #[test]
        fn any_body_signed_with_any_configured_secret_verifies(
            body in proptest::collection::vec(any::<u8>(), 0..2048),
            secrets in proptest::collection::vec("[ -~]{1,40}", 1..4),
            pick in any::<proptest::sample::Index>(),
        ) {
            let configured = Secrets::new(&secrets).unwrap();
            let i = pick.index(secrets.len());
            let header = sign(secrets[i].as_bytes(), &body);
            let matched = configured.verify(Some(header.as_bytes()), &body).unwrap();
            prop_assert_eq!(&secrets[matched], &secrets[i]);
        }

        #[test]
        fn any_changed_byte_or_secret_fails(
            body in proptest::collection::vec(any::<u8>(), 1..2048),
            secret in "[ -~]{1,40}",
            at in any::<proptest::sample::Index>(),
            flip in 1u8..=255,
        ) {
            let configured = Secrets::new(&[secret.as_bytes()]).unwrap();
            let header = sign(secret.as_bytes(), &body);
            let mut changed = body.clone();
            changed[at.index(body.len())] ^= flip;
            prop_assert_eq!(configured.verify(Some(header.as_bytes()), &changed), Err(SignatureError::Mismatch));
            let other = Secrets::new(&[format!("{secret}x")]).unwrap();
            prop_assert_eq!(other.verify(Some(header.as_bytes()), &body), Err(SignatureError::Mismatch));
        }

        #[test]
        fn arbitrary_headers_never_panic(header in proptest::collection::vec(any::<u8>(), 0..100), body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let configured = Secrets::new(&["s"]).unwrap();
            prop_assert!(configured.verify(Some(&header), &body).is_err());
        }
    }
}
