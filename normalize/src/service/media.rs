//! Media re-hosting of one raw record's outputs: each attachment of its MO and coexistence
//! events is copied to our store ([`wa_media::Rehoster`]) and its `url` rewritten, before
//! the records go out. Every other record, and every other member of a rewritten one, is
//! passed on byte for byte.

use std::sync::Arc;

use futures_util::future::join_all;
use serde::de::{Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;
use wa_media::{MediaRequest, Rehoster};
use wa_schemas::inner::Attachment;
use wa_schemas::Topic;

use crate::{Batch, RecordRef};

/// What the media stage needs.
#[derive(Debug, Clone)]
pub struct MediaStage {
    /// The shared re-hoster (its concurrency bound spans every record in flight).
    pub rehoster: Arc<Rehoster>,
    /// The mapping's media URL template: an attachment whose `url` is not the template's is
    /// Meta's own (newer webhooks), which spares the metadata call.
    pub url_template: String,
}

/// Whether any record of `batch` has an attachment to copy.
pub(super) fn has_media(batch: &Batch) -> bool {
    batch.iter().any(|r| may_have_media(&r))
}

/// An MO or coexistence event whose `attachments` is not `"[]"` (cheap: no parse).
fn may_have_media(record: &RecordRef<'_>) -> bool {
    matches!(record.topic(), Topic::Mo | Topic::Coexistence)
        && memchr::memmem::find(record.value, br#""attachments":"[]""#).is_none()
}

impl MediaStage {
    /// `batch` with every attachment re-hosted, or marked with why not; the same records in
    /// the same order, every other member byte for byte.
    pub async fn rehost(&self, batch: Batch) -> Batch {
        rehost_batch(self, batch).await
    }
}

/// See [`MediaStage::rehost`].
pub(super) async fn rehost_batch(stage: &MediaStage, batch: Batch) -> Batch {
    let rewritten = join_all(batch.iter().map(|record| async move {
        if !may_have_media(&record) {
            return None;
        }
        rewrite(stage, record.value).await
    }))
    .await;
    if rewritten.iter().all(Option::is_none) {
        return batch;
    }
    let mut out = Batch::new();
    for (record, value) in batch.iter().zip(&rewritten) {
        out.push_raw(
            record.event_type,
            record.key,
            record.event_id,
            value.as_deref().unwrap_or(record.value),
        );
    }
    out
}

/// The value with its attachments re-hosted; `None` when it has none (or is not an event
/// object, which the mapping never writes).
async fn rewrite(stage: &MediaStage, value: &[u8]) -> Option<Vec<u8>> {
    let members = serde_json::from_slice::<Members<'_>>(value).ok()?.0;
    let text = |name: &str| {
        members
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| serde_json::from_str::<String>(v.get()).ok())
    };
    let attachments_text = text("attachments")?;
    let mut attachments: Vec<Attachment<'_>> = serde_json::from_str(&attachments_text).ok()?;
    if attachments.iter().all(|a| a.id.is_empty()) {
        return None;
    }
    let (phone_number_id, waba_id) = (
        text("phoneNumberId").unwrap_or_default(),
        text("wabaId").unwrap_or_default(),
    );
    let hosted = join_all(attachments.iter().map(|a| {
        let fallback = stage.url_template.replace("{media_id}", &a.id);
        let request = MediaRequest {
            media_id: &a.id,
            phone_number_id: &phone_number_id,
            waba_id: &waba_id,
            mime_type: &a.mime_type,
            sha256: &a.sha256,
            url: if a.url == fallback.as_str() {
                ""
            } else {
                &a.url
            },
        };
        async move {
            if request.media_id.is_empty() {
                return None;
            }
            Some(stage.rehoster.rehost(&request).await)
        }
    }))
    .await;
    for (attachment, outcome) in attachments.iter_mut().zip(hosted) {
        match outcome {
            Some(Ok(hosted)) => {
                attachment.url = hosted.url.into();
                attachment.storage_key = Some(hosted.storage_key.into());
                attachment.file_size = hosted.file_size;
            }
            Some(Err(error)) => attachment.error = Some(error),
            None => {}
        }
    }
    let attachments = serde_json::to_string(&attachments).expect("attachments serialize");
    Some(write_members(&members, "attachments", &attachments))
}

/// An object's members in their order, values as they were written.
struct Members<'a>(Vec<(String, &'a RawValue)>);

impl<'de: 'a, 'a> serde::Deserialize<'de> for Members<'a> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Ordered;
        impl<'de> Visitor<'de> for Ordered {
            type Value = Members<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut members = Vec::with_capacity(map.size_hint().unwrap_or(32));
                while let Some(member) = map.next_entry::<String, &'de RawValue>()? {
                    members.push(member);
                }
                Ok(Members(members))
            }
        }
        deserializer.deserialize_map(Ordered)
    }
}

/// The object again, with `name`'s value replaced by the JSON string of `text`.
fn write_members(members: &[(String, &RawValue)], name: &str, text: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(
        members
            .iter()
            .map(|(k, v)| k.len() + v.get().len() + 4)
            .sum::<usize>()
            + text.len(),
    );
    out.push(b'{');
    for (i, (key, value)) in members.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        serde_json::to_writer(&mut out, key).expect("a key serializes");
        out.push(b':');
        if key == name {
            serde_json::to_writer(&mut out, text).expect("a string serializes");
        } else {
            out.extend_from_slice(value.get().as_bytes());
        }
    }
    out.push(b'}');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_are_written_back_in_order_and_byte_for_byte() {
        let value = br#"{"b":"x\u00e9","a":{"n":[1,2.50]},"attachments":"[]","z":null}"#;
        let members = serde_json::from_slice::<Members<'_>>(value).unwrap().0;
        let same = write_members(&members, "none", "");
        assert_eq!(same, value.to_vec());
        let changed = write_members(&members, "attachments", r#"[{"u":"v"}]"#);
        assert_eq!(
            String::from_utf8(changed).unwrap(),
            r#"{"b":"x\u00e9","a":{"n":[1,2.50]},"attachments":"[{\"u\":\"v\"}]","z":null}"#
        );
    }
}
