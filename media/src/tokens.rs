//! Access tokens for the Graph API, by business number (`phone_number_id`) or WhatsApp
//! Business Account id, with an optional default for every other number.

use std::collections::HashMap;
use std::fmt;

use crate::ConfigError;

/// The tokens; `Debug` names the ids, never a token.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct AccessTokens {
    default: Option<String>,
    by_id: HashMap<String, String>,
}

impl fmt::Debug for AccessTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut ids: Vec<_> = self.by_id.keys().collect();
        ids.sort();
        f.debug_struct("AccessTokens")
            .field("default", &self.default.as_ref().map(|_| "[redacted]"))
            .field("ids", &ids)
            .finish()
    }
}

impl AccessTokens {
    /// `default` for every number, and `pairs`: `id=token` separated by commas or new lines
    /// (an id is a `phone_number_id` or a WABA id).
    ///
    /// # Errors
    /// An entry that is not `id=token`, or an id listed twice.
    pub fn parse(default: Option<&str>, pairs: &str) -> Result<Self, ConfigError> {
        let mut by_id = HashMap::new();
        for pair in pairs
            .split([',', '\n'])
            .map(str::trim)
            .filter(|p| !p.is_empty())
        {
            let (id, token) = pair.split_once('=').ok_or_else(|| {
                // Never echo the entry: it may be a token pasted without its id.
                ConfigError::Tokens(format!("an entry of {} characters has no `=`", pair.len()))
            })?;
            let (id, token) = (id.trim(), token.trim());
            if id.is_empty() || token.is_empty() {
                return Err(ConfigError::Tokens(format!(
                    "the entry for {id:?} has an empty id or token"
                )));
            }
            if by_id.insert(id.to_owned(), token.to_owned()).is_some() {
                return Err(ConfigError::Tokens(format!("{id} is listed twice")));
            }
        }
        let default = default
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_owned);
        Ok(AccessTokens { default, by_id })
    }

    /// Whether no token at all is configured.
    pub fn is_empty(&self) -> bool {
        self.default.is_none() && self.by_id.is_empty()
    }

    /// The token for a business number: its own, else its WABA's, else the default.
    pub fn for_business(&self, phone_number_id: &str, waba_id: &str) -> Option<&str> {
        self.by_id
            .get(phone_number_id)
            .or_else(|| self.by_id.get(waba_id))
            .or(self.default.as_ref())
            .map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_by_number_then_waba_then_default() {
        let tokens = AccessTokens::parse(Some("d"), "111=a, 999=w\n222=b").unwrap();
        assert_eq!(tokens.for_business("111", "999"), Some("a"));
        assert_eq!(tokens.for_business("333", "999"), Some("w"));
        assert_eq!(tokens.for_business("333", "888"), Some("d"));
        let none = AccessTokens::parse(None, "111=a").unwrap();
        assert_eq!(none.for_business("333", "888"), None);
    }

    #[test]
    fn mistakes_are_refused_without_echoing_a_token() {
        let error = AccessTokens::parse(None, "EAAGsecret")
            .unwrap_err()
            .to_string();
        assert!(!error.contains("EAAGsecret"), "{error}");
        assert!(AccessTokens::parse(None, "1=a,1=b").is_err());
        assert!(AccessTokens::parse(None, "1=").is_err());
        let debug = format!("{:?}", AccessTokens::parse(Some("tok"), "1=sec").unwrap());
        assert!(!debug.contains("tok") && !debug.contains("sec"), "{debug}");
    }
}
