//! Meta's message `type`s: the one list of the kinds the mapping knows.

/// Declares the known kinds once: the enum, their names and the payload slot each one
/// owns in [`Message`](super::Message).
macro_rules! kinds {
    ($($variant:ident => $name:literal, seed = $seed:literal;)*) => {
        /// A message's `type`, parsed once. [`MessageKind::Other`] keeps types Meta adds
        /// later: they still become events, with their object in `details`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum MessageKind<'a> {
            $(
                #[doc = concat!("`", $name, "`")]
                $variant,
            )*
            /// A type this release does not know.
            Other(&'a str),
        }

        /// The payload slots of the known kinds, in declaration order.
        #[derive(Clone, Copy)]
        enum Slot { $($variant,)* }

        /// Names of the known kinds, by slot.
        const NAMES: [&str; KNOWN] = [$($name,)*];
        /// Whether the seed's MO shape describes the kind (no `details` then).
        const SEED: [bool; KNOWN] = [$($seed,)*];

        /// How many kinds are known.
        pub const KNOWN: usize = [$($name,)*].len();

        impl<'a> MessageKind<'a> {
            /// The kind a `type` names.
            pub fn parse(name: &'a str) -> Self {
                match name {
                    $($name => MessageKind::$variant,)*
                    other => MessageKind::Other(other),
                }
            }

            /// The payload slot of a known kind.
            pub fn slot(self) -> Option<usize> {
                match self {
                    $(MessageKind::$variant => Some(Slot::$variant as usize),)*
                    MessageKind::Other(_) => None,
                }
            }
        }
    };
}

kinds! {
    Text => "text", seed = true;
    Image => "image", seed = true;
    Audio => "audio", seed = true;
    Video => "video", seed = true;
    Document => "document", seed = true;
    Sticker => "sticker", seed = true;
    Location => "location", seed = true;
    Contacts => "contacts", seed = true;
    System => "system", seed = true;
    Button => "button", seed = false;
    Interactive => "interactive", seed = false;
    Order => "order", seed = false;
    Edit => "edit", seed = false;
    Reaction => "reaction", seed = false;
    Revoke => "revoke", seed = false;
    Unsupported => "unsupported", seed = false;
}

impl<'a> MessageKind<'a> {
    /// Meta's name of the kind.
    pub fn name(self) -> &'a str {
        match (self, self.slot()) {
            (MessageKind::Other(name), _) => name,
            (_, Some(slot)) => NAMES[slot],
            (_, None) => unreachable!("every known kind has a slot"),
        }
    }

    /// Whether the seed's MO shape describes this kind: its events carry no `details`
    /// unless Meta sent errors.
    pub fn is_seed(self) -> bool {
        self.slot().is_some_and(|slot| SEED[slot])
    }

    /// The slot of the known kind named `name` (a message's member), if any.
    pub fn slot_of(name: &str) -> Option<usize> {
        MessageKind::parse(name).slot()
    }

    /// The name of the kind in `slot`.
    pub fn slot_name(slot: usize) -> &'static str {
        NAMES[slot]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_unknown_types_are_kept() {
        for slot in 0..KNOWN {
            let name = MessageKind::slot_name(slot);
            let kind = MessageKind::parse(name);
            assert_eq!(kind.slot(), Some(slot));
            assert_eq!(kind.name(), name);
        }
        let future = MessageKind::parse("hologram");
        assert_eq!(future, MessageKind::Other("hologram"));
        assert_eq!(future.name(), "hologram");
        assert!(!future.is_seed());
        assert!(MessageKind::Text.is_seed() && !MessageKind::Reaction.is_seed());
    }
}
