//! Phone certificates (スマホ用電子証明書, domain.md §4): the platforms that carry them,
//! and which certificates of a holder a cause reaches.

use std::fmt;
use std::str::FromStr;

/// A phone platform that carries a holder's certificates: one sign + auth set each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Platform {
    /// Android (since May 2023).
    Android,
    /// iPhone (since June 2025).
    Ios,
}

impl Platform {
    /// Both platforms.
    pub const ALL: [Platform; 2] = [Platform::Android, Platform::Ios];

    /// The API spelling: `"android"` or `"ios"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Platform::Android => "android",
            Platform::Ios => "ios",
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A platform name that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown platform {given:?}: expected android or ios")]
pub struct UnknownPlatform {
    /// The text given.
    pub given: String,
}

impl FromStr for Platform {
    type Err = UnknownPlatform;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Platform::ALL
            .into_iter()
            .find(|p| s.eq_ignore_ascii_case(p.as_str()))
            .ok_or_else(|| UnknownPlatform {
                given: s.to_owned(),
            })
    }
}

/// What carries a certificate: the card, or a phone of a platform.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Carrier {
    /// The My Number card.
    Card,
    /// A phone.
    Phone(Platform),
}

/// How long a phone certificate runs (the real rule is not published).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum PhoneValidity {
    /// Until the card's certificate of the same kind expires (the default assumption).
    #[default]
    Card,
    /// The card's rules, counted from the phone certificate's own issue date.
    Own,
}

impl PhoneValidity {
    /// Every rule.
    pub const ALL: [PhoneValidity; 2] = [PhoneValidity::Card, PhoneValidity::Own];

    /// The config spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneValidity::Card => "card",
            PhoneValidity::Own => "own",
        }
    }
}

impl FromStr for PhoneValidity {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PhoneValidity::ALL
            .into_iter()
            .find(|v| s == v.as_str())
            .ok_or_else(|| format!("{s:?}: expected \"card\" or \"own\""))
    }
}
