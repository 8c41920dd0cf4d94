//! The raw record: the body byte for byte, with the key and headers of the design.

use bytes::Bytes;
use wa_schemas::time::iso_from_epoch_millis;
use wa_schemas::trace::{push_hex, TraceParent};

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
    pub headers: RawHeaders,
}

/// Most headers a raw record carries: signature, received-at, request id, traceparent,
/// content type, tracestate.
const MAX_HEADERS: usize = 6;

/// A raw record's headers, their values in one buffer. Six values of their own were six
/// allocations per webhook, and glibc's arena locks under that churn were the largest
/// item separating ingest from the minimal receiver (`bench/RESULTS.md`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHeaders {
    values: Vec<u8>,
    /// Name and end offset in `values` of each header, in order.
    entries: [(&'static str, usize); MAX_HEADERS],
    len: usize,
}

impl RawHeaders {
    fn with_capacity(bytes: usize) -> Self {
        RawHeaders {
            values: Vec::with_capacity(bytes),
            entries: [("", 0); MAX_HEADERS],
            len: 0,
        }
    }

    fn push(&mut self, name: &'static str, value: &[u8]) {
        assert!(
            self.len < MAX_HEADERS,
            "a raw record has at most {MAX_HEADERS} headers"
        );
        self.values.extend_from_slice(value);
        self.entries[self.len] = (name, self.values.len());
        self.len += 1;
    }

    /// How many headers there are.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The headers in the order they are written: name and value.
    pub fn iter(&self) -> impl Iterator<Item = (&'static str, &[u8])> + '_ {
        let mut start = 0;
        self.entries[..self.len].iter().map(move |&(name, end)| {
            let value = &self.values[start..end];
            start = end;
            (name, value)
        })
    }
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
        let random = random_bytes();
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

/// Random bytes a request's ids take (request id, trace id, span id).
const ID_BYTES: usize = 40;

/// OS random bytes for one request's ids, drawn from the kernel a hundred requests at a
/// time: one `getrandom` call per request was 1 % of ingest's CPU at 128 connections.
fn random_bytes() -> [u8; ID_BYTES] {
    const POOL: usize = ID_BYTES * 100;
    thread_local! {
        static BYTES: std::cell::RefCell<([u8; POOL], usize)> =
            const { std::cell::RefCell::new(([0; POOL], POOL)) };
    }
    BYTES.with_borrow_mut(|(pool, used)| {
        if *used == POOL {
            // An OS without randomness is not a state this process can serve in.
            getrandom::fill(pool).expect("the OS provides randomness");
            *used = 0;
        }
        let mut out = [0u8; ID_BYTES];
        out.copy_from_slice(&pool[*used..*used + ID_BYTES]);
        // Each byte serves once.
        pool[*used..*used + ID_BYTES].fill(0);
        *used += ID_BYTES;
        out
    })
}

fn uuid_v4(random: &[u8]) -> String {
    let mut b = [0u8; 16];
    b.copy_from_slice(random);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let mut id = String::with_capacity(36);
    for (i, group) in [&b[..4], &b[4..6], &b[6..8], &b[8..10], &b[10..]]
        .into_iter()
        .enumerate()
    {
        if i > 0 {
            id.push('-');
        }
        push_hex(&mut id, group);
    }
    id
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
        let values = [
            Some((header::SIGNATURE, signature)),
            Some((header::RECEIVED_AT, ctx.received_at.as_bytes())),
            Some((header::REQUEST_ID, ctx.request_id.as_bytes())),
            Some((header::TRACEPARENT, ctx.traceparent.as_bytes())),
            content_type.map(|v| (header::CONTENT_TYPE, v)),
            tracestate.map(|v| (header::TRACESTATE, v)),
        ];
        let bytes = values.iter().flatten().map(|(_, v)| v.len()).sum();
        let mut headers = RawHeaders::with_capacity(bytes);
        for (name, value) in values.into_iter().flatten() {
            headers.push(name, value);
        }
        RawRecord { key, body, headers }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn headers_keep_their_order_and_values_and_skip_the_absent() {
        let ctx = RequestContext::new(None);
        let record = RawRecord::new(
            Bytes::from_static(b"{}"),
            b"sha256=ab",
            None,
            Some(b"k=v"),
            &ctx,
        );
        let headers: Vec<_> = record.headers.iter().collect();
        assert_eq!(
            headers,
            [
                (header::SIGNATURE, &b"sha256=ab"[..]),
                (header::RECEIVED_AT, ctx.received_at.as_bytes()),
                (header::REQUEST_ID, ctx.request_id.as_bytes()),
                (header::TRACEPARENT, ctx.traceparent.as_bytes()),
                (header::TRACESTATE, &b"k=v"[..]),
            ]
        );
        assert_eq!(record.headers.len(), 5);
        let empty = RawRecord::new(Bytes::new(), b"", Some(b""), None, &ctx);
        assert_eq!(
            empty.headers.iter().nth(4),
            Some((header::CONTENT_TYPE, &b""[..]))
        );
    }

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
        assert!(b"89ab".contains(&id.as_bytes()[19]), "{id}");
        for (i, c) in id.char_indices() {
            let hyphen = [8, 13, 18, 23].contains(&i);
            assert_eq!(c == '-', hyphen, "{id}");
            assert!(
                hyphen || c.is_ascii_hexdigit() && !c.is_ascii_uppercase(),
                "{id}"
            );
        }
        assert_eq!(ctx.received_at.len(), 24);
        assert!(ctx.received_at.ends_with('Z'));
        assert_ne!(RequestContext::new(None).request_id, ctx.request_id);
    }

    #[test]
    fn ids_stay_unique_across_refills_of_the_random_pool() {
        let ids: std::collections::HashSet<String> = (0..1_000)
            .map(|_| RequestContext::new(None).request_id)
            .collect();
        assert_eq!(ids.len(), 1_000);
        let traces: std::collections::HashSet<String> = (0..1_000)
            .map(|_| RequestContext::new(None).traceparent[3..35].to_owned())
            .collect();
        assert_eq!(traces.len(), 1_000);
    }
}
