//! A card's `max_concurrency` (and `--concurrency`): a fixed number of requests in flight,
//! or `"auto"`, where the scheduler finds the number itself (additive increase,
//! multiplicative decrease on 429, 503 and rising latency; see `schedule::adaptive`),
//! between 1 and the card's `max_concurrency_limit`.
//!
//! The manifest stores it as the card wrote it: a number, or the string `"auto"`.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The ceiling of `max_concurrency = "auto"` when the card sets no
/// `max_concurrency_limit`.
pub const DEFAULT_AUTO_LIMIT: usize = 256;

/// The most requests in flight a card or the command line may ask for.
pub const MAX_REQUESTS_IN_FLIGHT: usize = 4096;

/// Requests in flight at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MaxConcurrency {
    /// Exactly this many (the card's number).
    Fixed(usize),
    /// Found by the scheduler while the run goes (`"auto"`).
    Auto,
}

impl Default for MaxConcurrency {
    fn default() -> Self {
        MaxConcurrency::Fixed(8)
    }
}

impl MaxConcurrency {
    pub fn is_auto(self) -> bool {
        self == MaxConcurrency::Auto
    }
}

impl fmt::Display for MaxConcurrency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MaxConcurrency::Fixed(n) => write!(f, "{n}"),
            MaxConcurrency::Auto => f.write_str("auto"),
        }
    }
}

impl FromStr for MaxConcurrency {
    type Err = String;

    /// `auto`, or a number of requests between 1 and 4096 (`--concurrency 32`).
    fn from_str(text: &str) -> Result<Self, String> {
        let text = text.trim();
        if text.eq_ignore_ascii_case("auto") {
            return Ok(MaxConcurrency::Auto);
        }
        match text.parse::<usize>() {
            Ok(n) if (1..=MAX_REQUESTS_IN_FLIGHT).contains(&n) => Ok(MaxConcurrency::Fixed(n)),
            _ => Err(format!(
                "expected a number of requests between 1 and {MAX_REQUESTS_IN_FLIGHT}, or \
                 `auto`; got {text:?}"
            )),
        }
    }
}

impl Serialize for MaxConcurrency {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            MaxConcurrency::Fixed(n) => serializer.serialize_u64(*n as u64),
            MaxConcurrency::Auto => serializer.serialize_str("auto"),
        }
    }
}

impl<'de> Deserialize<'de> for MaxConcurrency {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = MaxConcurrency;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a number of requests in flight, or \"auto\"")
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<MaxConcurrency, E> {
                // Out-of-range numbers are left to the card's range check, which names
                // the field; only what no usize can hold is refused here.
                usize::try_from(n)
                    .map(MaxConcurrency::Fixed)
                    .map_err(|_| E::custom(format!("{n} requests is too many")))
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<MaxConcurrency, E> {
                match u64::try_from(n) {
                    Ok(n) => self.visit_u64(n),
                    Err(_) => Err(E::custom(format!(
                        "expected a positive number of requests or \"auto\", got {n}"
                    ))),
                }
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<MaxConcurrency, E> {
                if text == "auto" {
                    Ok(MaxConcurrency::Auto)
                } else {
                    Err(E::custom(format!(
                        "expected a number of requests in flight or \"auto\", got {text:?}"
                    )))
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_numbers_and_auto_and_writes_them_back() {
        let json = |v: MaxConcurrency| serde_json::to_value(v).unwrap();
        assert_eq!(json(MaxConcurrency::Fixed(8)), serde_json::json!(8));
        assert_eq!(json(MaxConcurrency::Auto), serde_json::json!("auto"));
        for v in [MaxConcurrency::Fixed(3), MaxConcurrency::Auto] {
            let back: MaxConcurrency = serde_json::from_value(json(v)).unwrap();
            assert_eq!(back, v);
        }
        assert!(serde_json::from_value::<MaxConcurrency>(serde_json::json!("lots")).is_err());
        assert!(serde_json::from_value::<MaxConcurrency>(serde_json::json!(-3)).is_err());
        assert!(serde_json::from_value::<MaxConcurrency>(serde_json::json!(1.5)).is_err());
    }

    #[test]
    fn parses_the_command_line() {
        assert_eq!("auto".parse(), Ok(MaxConcurrency::Auto));
        assert_eq!("AUTO".parse(), Ok(MaxConcurrency::Auto));
        assert_eq!("32".parse(), Ok(MaxConcurrency::Fixed(32)));
        for bad in ["0", "-1", "4097", "many", ""] {
            let err = bad.parse::<MaxConcurrency>().unwrap_err();
            assert!(err.contains("auto"), "{err}");
        }
    }
}
