//! The output topics and the schema each one carries.

/// One output topic of the normalizer, which is also the kind of record it carries (the
/// `event-type` header): the two map one to one, so they are one enum. Names are
/// configurable; these are the roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Topic {
    // Inbound user messages that are not button taps ([`crate::MoEvent`]).
    Mo,
    // Button and list taps, flow replies ([`crate::PostbackEvent`]).
    Postback,
    // Delivery receipts, one per Meta status ([`crate::DeliveryReceipt`]).
    Delivery,
    // Every change whose `field` is not `messages` ([`crate::AccountEvent`]).
    AccountEvent,
    // History-sync messages and Business-app echoes of Coexistence numbers
    // ([`crate::CoexistenceEvent`]).
    Coexistence,
    // What could not be mapped, with the reason ([`crate::DeadLetter`]).
    DeadLetter,
}

/// The same enum, named for what a record is rather than where it goes.
pub type EventType = Topic;

impl Topic {
    /// All output topics, in a stable order.
    pub const ALL: [Topic; 6] = [
        Topic::Mo,
        Topic::Postback,
        Topic::Delivery,
        Topic::AccountEvent,
        Topic::Coexistence,
        Topic::DeadLetter,
    ];

    /// The default Kafka topic name (design: `whatsapp.<segment>`).
    pub const fn default_name(self) -> &'static str {
        match self {
            Topic::Mo => "whatsapp.mo",
            Topic::Postback => "whatsapp.postback",
            Topic::Delivery => "whatsapp.delivery",
            Topic::AccountEvent => "whatsapp.account-events",
            Topic::Coexistence => "whatsapp.coexistence",
            Topic::DeadLetter => "whatsapp.dead-letter",
        }
    }

    /// The last segment of the default name, which also names the schema file.
    pub fn segment(self) -> &'static str {
        match self {
            Topic::Mo => "mo",
            Topic::Postback => "postback",
            Topic::Delivery => "delivery",
            Topic::AccountEvent => "account-events",
            Topic::Coexistence => "coexistence",
            Topic::DeadLetter => "dead-letter",
        }
    }

    /// The `event-type` header value of the records it carries.
    pub fn as_str(self) -> &'static str {
        match self {
            Topic::Mo => "MO",
            Topic::Postback => "postback",
            Topic::Delivery => "delivery",
            Topic::AccountEvent => "account-event",
            Topic::Coexistence => "coexistence",
            Topic::DeadLetter => "dead-letter",
        }
    }

    /// The committed schema file name under `schemas/json/`.
    pub fn schema_file(self) -> String {
        format!("{}.schema.json", self.segment())
    }
}

/// The default name of the raw topic that ingest writes and normalize reads.
pub const DEFAULT_RAW_TOPIC: &str = "whatsapp.raw";
