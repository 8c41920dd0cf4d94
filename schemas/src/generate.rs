//! Generation of the published JSON Schemas (draft 2020-12), one per output topic.

use std::io;
use std::path::Path;

use schemars::generate::SchemaSettings;
use schemars::JsonSchema;
use serde_json::Value;

use crate::{
    AccountEvent, CoexistenceEvent, DeadLetter, DeliveryReceipt, MoEvent, PostbackEvent, Topic,
};

/// The schema a local `$ref` (`#/$defs/...`) points to, or `schema` itself.
pub fn resolve<'v>(root: &'v Value, schema: &'v Value) -> &'v Value {
    match schema.get("$ref").and_then(Value::as_str) {
        Some(reference) => reference
            .strip_prefix('#')
            .and_then(|pointer| root.pointer(pointer))
            .unwrap_or(schema),
        None => schema,
    }
}

/// The `$id` of a topic's schema; it names the contract version.
pub fn schema_id(topic: Topic) -> String {
    format!(
        "urn:wa-pipeline:schema:{}:{}",
        topic.segment(),
        crate::SCHEMA_VERSION
    )
}

fn root_schema<T: JsonSchema>() -> Value {
    let generator = SchemaSettings::draft2020_12().into_generator();
    generator.into_root_schema_for::<T>().to_value()
}

/// The JSON Schema of the records on `topic`.
pub fn schema_for(topic: Topic) -> Value {
    let mut schema = match topic {
        Topic::Mo => root_schema::<MoEvent>(),
        Topic::Postback => root_schema::<PostbackEvent>(),
        Topic::Delivery => root_schema::<DeliveryReceipt>(),
        Topic::AccountEvent => root_schema::<AccountEvent>(),
        Topic::Coexistence => root_schema::<CoexistenceEvent>(),
        Topic::DeadLetter => root_schema::<DeadLetter>(),
    };
    if let Value::Object(map) = &mut schema {
        map.insert("$id".into(), Value::String(schema_id(topic)));
    }
    schema
}

/// The committed text of a topic's schema file: pretty JSON and a final newline.
pub fn schema_text(topic: Topic) -> String {
    let mut text =
        serde_json::to_string_pretty(&schema_for(topic)).expect("a JSON value always serializes");
    text.push('\n');
    text
}

/// Writes every topic's schema into `dir` (created when missing), named as the design says.
///
/// # Errors
/// Fails when the directory cannot be created or a file cannot be written.
pub fn write_all(dir: &Path) -> io::Result<Vec<std::path::PathBuf>> {
    std::fs::create_dir_all(dir)?;
    Topic::ALL
        .iter()
        .map(|&topic| {
            let path = dir.join(topic.schema_file());
            std::fs::write(&path, schema_text(topic))?;
            Ok(path)
        })
        .collect()
}

/// Examples embedded in the schemas: the expected outputs of the fixtures `text.json`,
/// `button.json`, `status-failed.json`, `template-status-update.json` and `edge-invalid-json.txt`
/// (a test in `normalize` checks they stay equal).
pub mod examples {
    use std::borrow::Cow;

    use serde_json::value::RawValue;

    use crate::coexistence::{Direction, Origin};
    use crate::dead_letter::{DeadLetterReason, FragmentEncoding, ReasonKind};
    use crate::delivery::{
        AdditionalInfo, DeliveryChannel, DeliveryInfo, DeliveryInfoNotification, DeliveryStatus,
        DestinationType,
    };
    use crate::mo::{Channel, MoEventName};
    use crate::postback::PostbackEventName;
    use crate::{
        AccountEvent, CoexistenceEvent, DeadLetter, DeliveryReceipt, MoEvent, PostbackEvent,
    };

    const E: Cow<'static, str> = Cow::Borrowed("");

    fn s(v: &'static str) -> Cow<'static, str> {
        Cow::Borrowed(v)
    }

    /// MO example (fixture `text.json`).
    pub fn mo() -> MoEvent<'static> {
        MoEvent {
            user_id: E,
            channel: Channel::WhatsApp,
            app_id: s("1065403500012345"),
            event: MoEventName::Mo,
            waid: s("15551234567"),
            message: s("Hi, is my order on its way?"),
            attachments: s("[]"),
            system: E,
            location: E,
            contacts: E,
            ts: s("2026-01-01T00:00:00.000Z"),
            tid: s("99dcd7e2-4251-5c41-9335-573513aaa854_0"),
            message_id: s("wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQVRFWFQwMTAwMDAwMDAwMDAwMAA="),
            message_type: s("text"),
            phone_number_id: s("1065403500012345"),
            display_phone_number: s("15550101010"),
            waba_id: s("1029384756012345"),
            profile_name: s("Ana Silva"),
            username: E,
            parent_user_id: E,
            identity_hash: E,
            context: E,
            referral: E,
            details: E,
            group_id: E,
            from_logical_id: E,
            extra: E,
        }
    }

    /// Postback example (fixture `button.json`).
    pub fn postback() -> PostbackEvent<'static> {
        PostbackEvent {
            user_id: E,
            channel: Channel::WhatsApp,
            app_id: s("1065403500012345"),
            event: PostbackEventName::Postback,
            waid: s("15551234567"),
            ts: s("2026-01-01T00:00:00.000Z"),
            tid: s("4ac5e559-afb0-5ed9-b48c-86c9b23469bc_0"),
            button_payload: s("STOP_PROMOS"),
            button_text: s("Stop promotions"),
            errors: E,
            message_id: s("wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQUJUTjAxMDAwMDAwMDAwMDAwMAA="),
            message_type: s("button"),
            phone_number_id: s("1065403500012345"),
            display_phone_number: s("15550101010"),
            waba_id: s("1029384756012345"),
            profile_name: s("Ana Silva"),
            username: E,
            parent_user_id: E,
            identity_hash: E,
            context: s(
                r#"{"from":"15550101010","id":"wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQUIwU0lORVNTMFVUMTAwMDAwMAA="}"#,
            ),
            referral: E,
            details: s(
                r#"{"type":"button","button":{"payload":"STOP_PROMOS","text":"Stop promotions"}}"#,
            ),
            group_id: E,
            from_logical_id: E,
            extra: E,
        }
    }

    /// Coexistence example (fixture `smb-message-echo.json`).
    pub fn coexistence() -> CoexistenceEvent<'static> {
        let mut message = mo();
        message.waid = s("15551234567");
        message.user_id = s("US.13491208655302741918");
        message.message = s("Sent from the Business app: your order ships today.");
        message.ts = s("2026-09-01T00:06:40.000Z");
        message.tid = s("9f16da6c-80c8-5d08-b3c4-73658783ba1f_0");
        message.message_id = s("wamid.HBgLMTU1NTAxMDEwMTAVAgASGBQzQUVDSE8wMTAwMDAwMDAwMDAwMAA=");
        CoexistenceEvent {
            origin: Origin::Echo,
            direction: Direction::Outbound,
            history_status: E,
            message,
        }
    }

    /// Delivery receipt example (fixture `status-failed.json`).
    pub fn delivery() -> DeliveryReceipt<'static> {
        DeliveryReceipt {
            delivery_info_notification: DeliveryInfoNotification {
                delivery_info: DeliveryInfo {
                    time_stamp: s("2026-01-01T00:05:00.000Z"),
                    description: s("Unknown Status"),
                    code: s("7200"),
                    additional_info: Some(vec![AdditionalInfo {
                        code: 131049,
                        title: s("This message was not delivered to maintain healthy ecosystem engagement."),
                    }]),
                    delivery_channel: DeliveryChannel::Whatsapp,
                    additional_info_text: E,
                    destination: s("15559876543"),
                    destination_type: DestinationType::Waid,
                    delivery_status: DeliveryStatus::Failed,
                },
                subtid: E,
                transid: s("wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQU9VVEIwVU5EMDIwMDAwMDAwMAA="),
                callback_data: E,
                correlationid: E,
                event_id: s("9352148c-e875-516f-94a6-eb0fd4607914"),
                message_id: s("wamid.HBgLMTU1NTEyMzQ1NjcVAgASGBQzQU9VVEIwVU5EMDIwMDAwMDAwMAA="),
                meta_status: s("failed"),
                phone_number_id: s("1065403500012345"),
                display_phone_number: s("15550101010"),
                waba_id: s("1029384756012345"),
                waid: s("15559876543"),
                user_id: E,
                parent_user_id: E,
                identity_hash: E,
                conversation_id: E,
                conversation_origin: E,
                conversation_expires_at: E,
                pricing_model: E,
                pricing_category: E,
                pricing_type: E,
                billable: None,
                errors: s(r#"[{"code":131049,"title":"This message was not delivered to maintain healthy ecosystem engagement.","message":"This message was not delivered to maintain healthy ecosystem engagement.","error_data":{"details":"In order to maintain a healthy ecosystem engagement, the message failed to be delivered."},"href":"https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]"#),
                participant_waid: E,
                participant_user_id: E,
                participant_parent_user_id: E,
                extra: E,
            },
        }
    }

    /// Account event example (fixture `template-status-update.json`).
    pub fn account_event() -> AccountEvent<'static> {
        AccountEvent {
            field: s("message_template_status_update"),
            waba_id: s("1029384756012345"),
            time: Some(s("2026-01-01T00:00:00.000Z")),
            phone_number_id: E,
            event_id: s("14cbeb36-4b08-57ba-968f-b9d9df0459d4"),
            value: RawValue::from_string(
                r#"{"event":"REJECTED","message_template_id":1689556908000001,"message_template_name":"order_confirmation","message_template_language":"en_US","reason":"INVALID_FORMAT","message_template_category":"UTILITY","rejection_info":{"reason":"Parameters are adjacent without text between them.","recommendation":"Put descriptive text between parameters."}}"#.to_owned(),
            )
            .expect("valid JSON"),
        }
    }

    /// Dead letter example (fixture `edge-invalid-json.txt`).
    pub fn dead_letter() -> DeadLetter<'static> {
        DeadLetter {
            reason: DeadLetterReason {
                kind: ReasonKind::InvalidJson,
                detail: s("the body is not JSON: EOF while parsing an object at line 1 column 37"),
            },
            path: E,
            fragment: s("eyJvYmplY3QiOiJ3aGF0c2FwcF9idXNpbmVzc19hY2NvdW50Ig=="),
            fragment_encoding: FragmentEncoding::Base64,
            raw_topic: s("whatsapp.raw"),
            raw_partition: None,
            raw_offset: None,
            received_at: None,
            phone_number_id: E,
            event_id: s("77ca57d5-268b-5868-a35c-46723f64b952"),
        }
    }
}
