//! Meta's GET verification handshake (`hub.mode`, `hub.verify_token`, `hub.challenge`).

/// What to answer a handshake request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Handshake {
    /// 200 with exactly this challenge as `text/plain`.
    Accept(String),
    /// 400: a parameter is missing.
    MissingParameter(&'static str),
    /// 403: wrong mode or token, or no token configured.
    Refuse(&'static str),
}

/// Answers a handshake given the raw query string and the configured verify token.
pub fn answer(query: Option<&str>, verify_token: Option<&str>) -> Handshake {
    let (mut mode, mut token, mut challenge) = (None, None, None);
    for pair in query.unwrap_or("").split('&').filter(|p| !p.is_empty()) {
        let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match percent_decode(name).as_deref() {
            Some("hub.mode") => &mut mode,
            Some("hub.verify_token") => &mut token,
            Some("hub.challenge") => &mut challenge,
            _ => continue,
        };
        if slot.is_none() {
            *slot = percent_decode(value);
        }
    }
    let Some(mode) = mode else {
        return Handshake::MissingParameter("hub.mode");
    };
    let Some(token) = token else {
        return Handshake::MissingParameter("hub.verify_token");
    };
    let Some(challenge) = challenge else {
        return Handshake::MissingParameter("hub.challenge");
    };
    if mode != "subscribe" {
        return Handshake::Refuse("hub.mode is not subscribe");
    }
    let Some(expected) = verify_token else {
        return Handshake::Refuse("no verify token is configured (WHATSAPP_VERIFY_TOKEN)");
    };
    if !constant_time_eq(token.as_bytes(), expected.as_bytes()) {
        return Handshake::Refuse("hub.verify_token does not match");
    }
    Handshake::Accept(challenge)
}

/// Compares without an early exit on the first differing byte.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Decodes `application/x-www-form-urlencoded` text; `None` when it is not UTF-8 or has a
/// broken escape.
fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn accepts_the_right_token_and_echoes_the_challenge() {
        let q = "hub.mode=subscribe&hub.verify_token=s3cret&hub.challenge=1158201444";
        assert_eq!(
            answer(Some(q), Some("s3cret")),
            Handshake::Accept("1158201444".into())
        );
        let encoded = "hub.challenge=a%2Bb+c&hub.mode=subscribe&hub.verify_token=to%20ken";
        assert_eq!(
            answer(Some(encoded), Some("to ken")),
            Handshake::Accept("a+b c".into())
        );
    }

    #[test]
    fn refuses_wrong_token_mode_or_missing_configuration() {
        let q = "hub.mode=subscribe&hub.verify_token=nope&hub.challenge=1";
        assert!(matches!(
            answer(Some(q), Some("s3cret")),
            Handshake::Refuse(_)
        ));
        let q = "hub.mode=unsubscribe&hub.verify_token=s3cret&hub.challenge=1";
        assert!(matches!(
            answer(Some(q), Some("s3cret")),
            Handshake::Refuse(_)
        ));
        let q = "hub.mode=subscribe&hub.verify_token=&hub.challenge=1";
        assert!(matches!(
            answer(Some(q), Some("s3cret")),
            Handshake::Refuse(_)
        ));
        let q = "hub.mode=subscribe&hub.verify_token=s3cret&hub.challenge=1";
        assert!(matches!(answer(Some(q), None), Handshake::Refuse(_)));
    }

    #[test]
    fn missing_parameters_are_named() {
        assert_eq!(
            answer(None, Some("t")),
            Handshake::MissingParameter("hub.mode")
        );
        assert_eq!(
            answer(Some("hub.mode=subscribe&hub.challenge=1"), Some("t")),
            Handshake::MissingParameter("hub.verify_token")
        );
        assert_eq!(
            answer(Some("hub.mode=subscribe&hub.verify_token=t"), Some("t")),
            Handshake::MissingParameter("hub.challenge")
        );
        assert_eq!(
            answer(
                Some("hub.mode=subscribe&hub.verify_token=%zz&hub.challenge=1"),
                Some("t")
            ),
            Handshake::MissingParameter("hub.verify_token")
        );
    }

    proptest! {
        #[test]
        fn any_challenge_round_trips(challenge in "[ -~]{1,64}", token in "[a-zA-Z0-9]{1,32}") {
            let enc = |s: &str| s.bytes().map(|b| format!("%{b:02X}")).collect::<String>();
            let q = format!("hub.mode=subscribe&hub.verify_token={}&hub.challenge={}", enc(&token), enc(&challenge));
            prop_assert_eq!(answer(Some(&q), Some(&token)), Handshake::Accept(challenge));
        }

        #[test]
        fn arbitrary_queries_never_panic(q in any::<String>()) {
            let _ = answer(Some(&q), Some("t"));
        }
    }
}
