//! The raw record: the body byte for byte, with the key and headers of the design.

use bytes::Bytes;
use wa_schemas::time::iso_from_epoch_millis;
use wa_schemas::trace::{hex, TraceParent};

/// Header names on the raw topic (their home is the contract in `wa-schemas`).
pub use wa_schemas::contract::raw_header as header;

/// What goes to the raw topic for one verified request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawRecord {
    /// `phone_number_id` of the first change, when it can be read cheaply.
    pub key: Option<String>,
    /// The request body, unchanged.
    pub body: Bytes,
    /// Headers, in the order they are written.
    pub headers: Vec<(&'static str, Vec<u8>)>,
}

/// Per-request context: ids and time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestContext {
    /// UUID v4 of this request.
    pub request_id: String,
    /// `received-at`.
    pub received_at: String,
    /// The `traceparent` of ingest's span for this request.
    pub traceparent: String,
}

impl RequestContext {
    /// A new context; continues the caller's trace when `incoming_traceparent` is valid.
    pub fn new(incoming_traceparent: Option<&[u8]>) -> Self {
        let mut random = [0u8; 40];
        // An OS without randomness is not a state this process can serve in.
        getrandom::fill(&mut random).expect("the OS provides randomness");
        let request_id = uuid_v4(&random[..16]);
        let trace = incoming_traceparent
            .and_then(TraceParent::parse)
            .unwrap_or_else(|| TraceParent::root(random[16..32].try_into().expect("16 bytes")));
        let traceparent = trace.child(random[32..40].try_into().expect("8 bytes"));
        let millis = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX));
        let mut buf = [0u8; 24];
        let received_at = iso_from_epoch_millis(millis, &mut buf)
            .unwrap_or("1970-01-01T00:00:00.000Z")
            .to_owned();
        RequestContext {
            request_id,
            received_at,
            traceparent,
        }
    }
}

fn uuid_v4(random: &[u8]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(random);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let h = hex(&b);
    format!(
        "{}-{}-{}-{}-{}",
        &h[..8],
        &h[8..12],
        &h[12..16],
        &h[16..20],
        &h[20..]
    )
}

impl RawRecord {
    /// The record for a verified body.
    pub fn new(
        body: Bytes,
        signature: &[u8],
        content_type: Option<&[u8]>,
        tracestate: Option<&[u8]>,
        ctx: &RequestContext,
    ) -> Self {
        let key = crate::key::phone_number_id(&body).map(str::to_owned);
        let mut headers = vec![
            (header::SIGNATURE, signature.to_vec()),
            (header::RECEIVED_AT, ctx.received_at.as_bytes().to_vec()),
            (header::REQUEST_ID, ctx.request_id.as_bytes().to_vec()),
            (header::TRACEPARENT, ctx.traceparent.as_bytes().to_vec()),
        ];
        if let Some(content_type) = content_type {
            headers.push((header::CONTENT_TYPE, content_type.to_vec()));
        }
        if let Some(tracestate) = tracestate {
            headers.push((header::TRACESTATE, tracestate.to_vec()));
        }
        RawRecord { key, body, headers }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continues_a_valid_incoming_trace_and_starts_one_otherwise() {
        let incoming = b"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
        let ctx = RequestContext::new(Some(incoming));
        assert!(ctx
            .traceparent
            .starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
        assert!(!ctx.traceparent.contains("00f067aa0ba902b7"));
        for bad in [
            &b"garbage"[..],
            b"00-00000000000000000000000000000000-00f067aa0ba902b7-01",
        ] {
            let ctx = RequestContext::new(Some(bad));
            assert_eq!(ctx.traceparent.len(), 55);
            assert!(!ctx.traceparent.contains("00000000000000000000000000000000"));
        }
    }

    #[test]
    fn ids_and_times_have_their_formats() {
        let ctx = RequestContext::new(None);
        let id = &ctx.request_id;
        assert_eq!(id.len(), 36);
        assert_eq!(id.as_bytes()[14], b'4');
        assert_eq!(ctx.received_at.len(), 24);
        assert!(ctx.received_at.ends_with('Z'));
        assert_ne!(RequestContext::new(None).request_id, ctx.request_id);
    }
}
