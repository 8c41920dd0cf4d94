//! Signature verification never panics on any header; the body signed with the secret
//! verifies, and a header that differs from the right one in any byte does not.
#![no_main]

use libfuzzer_sys::fuzz_target;
use wa_ingest::signature::{sign, Secrets, SignatureError};

fuzz_target!(|data: &[u8]| {
    // First byte: header length; then the header; the rest is the body.
    let (header, body) = match data.split_first() {
        Some((&n, rest)) if usize::from(n) <= rest.len() => rest.split_at(usize::from(n)),
        _ => (&[][..], data),
    };
    let secrets = Secrets::new(&["fuzz_secret", "second_secret"]).unwrap();
    let right = sign(b"second_secret", body);
    match secrets.verify(Some(header), body) {
        Ok(i) => assert!(header.trim_ascii().eq_ignore_ascii_case(
            sign(if i == 0 { b"fuzz_secret" } else { b"second_secret" }, body).as_bytes()
        )),
        Err(SignatureError::Missing) => unreachable!("a header was given"),
        Err(_) => {}
    }
    assert_eq!(secrets.verify(Some(right.as_bytes()), body), Ok(1));
    assert_eq!(secrets.verify(None, body), Err(SignatureError::Missing));
});
