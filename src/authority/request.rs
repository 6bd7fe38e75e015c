//! Raw requests as the CLI and the admin API take them (text fields), and the typed
//! requests the authority works on. The conversion happens once, here, for both.

use serde::Deserialize;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use crate::clock;
use crate::error::{Error, Result};
use crate::rules::locality::ResolvedLocality;
use crate::rules::{Cause, CertKind, Gender, HolderName, KeyAlg, Pin, Platform};

/// The fields of a card issuance, as text, exactly as the CLI and the admin API take
/// them (`POST /api/v1/cards`). [`CardRequest::try_from`] parses them once.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IssueRequest {
    /// "surname given".
    pub name: String,
    /// YYYY-MM-DD.
    pub birth: String,
    /// male | female | unknown.
    pub gender: String,
    /// Japanese address from the prefecture on.
    pub address: String,
    /// The locality, overriding the address: PREF/MUNI in romaji, a 6-digit code or a
    /// Japanese name.
    #[serde(default)]
    pub locality: Option<String>,
    /// Card issue date (default: today).
    #[serde(default)]
    pub issued_on: Option<String>,
    /// Card expiry (default: computed).
    #[serde(default)]
    pub card_expiry: Option<String>,
    /// Signing PIN.
    #[serde(default)]
    pub sign_pin: Option<String>,
    /// Auth PIN.
    #[serde(default)]
    pub auth_pin: Option<String>,
    /// Issue only this kind.
    #[serde(default)]
    pub only: Option<String>,
    /// Issue a signing certificate even under the minimum age.
    #[serde(default)]
    pub force_sign: bool,
    /// rsa2048 | p256 | p384.
    #[serde(default)]
    pub key_alg: Option<String>,
    /// The holder consents to platform operators receiving their latest basic four
    /// facts (`GET /certs/{serial}/latest-facts`); default false.
    #[serde(default)]
    pub latest_facts_consent: bool,
}

/// A card issuance with every field parsed. The rules that depend on the day of issue
/// (a birth date in the future, the minimum age) are checked when it is issued.
#[derive(Clone, Debug)]
pub struct CardRequest {
    /// The name as entered, trimmed (kept for display).
    pub name_as_entered: String,
    /// The name, split into surname and given name.
    pub name: HolderName,
    /// Date of birth.
    pub birth: Date,
    /// Sex.
    pub gender: Gender,
    /// Japanese address from the prefecture on, trimmed.
    pub address: String,
    /// Prefecture and municipality (from `locality`, else from the address), before
    /// the `[locality] designated_city_wards` setting names a designated city's ward
    /// (applied when the card is issued).
    pub locality: ResolvedLocality,
    /// Card issue date (`None`: today).
    pub issued_on: Option<Date>,
    /// Card expiry (`None`: computed from the birthday).
    pub card_expiry: Option<Date>,
    /// Signing PIN.
    pub sign_pin: Option<Pin>,
    /// Auth PIN.
    pub auth_pin: Option<Pin>,
    /// Issue only this kind.
    pub only: Option<CertKind>,
    /// Issue a signing certificate even under the minimum age.
    pub force_sign: bool,
    /// Key algorithm (`None`: the configured one).
    pub key_alg: Option<KeyAlg>,
    /// Consent to the latest-facts service.
    pub latest_facts_consent: bool,
}

fn bad(field: &str, message: impl std::fmt::Display) -> Error {
    Error::BadInput(format!("{field}: {message}"))
}

fn optional<T>(
    field: &str,
    text: Option<&str>,
    parse: impl Fn(&str) -> std::result::Result<T, String>,
) -> Result<Option<T>> {
    text.map(|t| parse(t).map_err(|e| bad(field, e)))
        .transpose()
}

fn date(text: &str) -> std::result::Result<Date, String> {
    clock::parse_date(text).map_err(|e| e.to_string())
}

impl TryFrom<&IssueRequest> for CardRequest {
    type Error = Error;

    fn try_from(raw: &IssueRequest) -> Result<Self> {
        let name = HolderName::parse(&raw.name).map_err(|e| bad("name", e))?;
        let birth = date(&raw.birth).map_err(|e| bad("birth", e))?;
        let gender: Gender = raw.gender.parse().map_err(|e| bad("gender", e))?;
        let address = raw.address.trim();
        if address.is_empty() {
            return Err(bad("address", "must not be empty"));
        }
        let locality = match &raw.locality {
            Some(text) => ResolvedLocality::parse_override(text).map_err(|e| bad("locality", e))?,
            None => ResolvedLocality::from_address(address).map_err(|e| bad("address", e))?,
        };
        let pin = |kind: CertKind, text: &Option<String>| {
            optional(&format!("{kind}_pin"), text.as_deref(), |t| {
                Pin::parse(kind, t).map_err(|e| e.to_string())
            })
        };
        Ok(CardRequest {
            name_as_entered: raw.name.trim().to_string(),
            name,
            birth,
            gender,
            address: address.to_string(),
            locality,
            issued_on: optional("issued_on", raw.issued_on.as_deref(), date)?,
            card_expiry: optional("card_expiry", raw.card_expiry.as_deref(), date)?,
            sign_pin: pin(CertKind::Sign, &raw.sign_pin)?,
            auth_pin: pin(CertKind::Auth, &raw.auth_pin)?,
            only: optional("only", raw.only.as_deref(), |t| {
                t.parse()
                    .map_err(|e: crate::rules::CauseError| e.to_string())
            })?,
            force_sign: raw.force_sign,
            key_alg: optional("key_alg", raw.key_alg.as_deref(), str::parse)?,
            latest_facts_consent: raw.latest_facts_consent,
        })
    }
}

/// A revocation cause as the CLI and the admin API take it (`POST
/// /api/v1/cards/{id}/events`): text fields.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawRevokeRequest {
    /// The cause (domain.md §4).
    pub cause: String,
    /// Which certificates, for the causes that take a choice.
    #[serde(default)]
    pub certs: Option<Vec<String>>,
    /// When (RFC 3339 or a date; default: now).
    #[serde(default)]
    pub at: Option<String>,
    /// The phone's platform (android | ios), for the phone causes.
    #[serde(default)]
    pub platform: Option<String>,
}

/// A revocation cause with its fields parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RevokeRequest {
    /// The cause.
    pub cause: Cause,
    /// The chosen certificates (`None`: what the cause targets).
    pub certs: Option<Vec<CertKind>>,
    /// When (`None`: now).
    pub at: Option<OffsetDateTime>,
    /// The phone's platform: given exactly for the phone causes.
    pub platform: Option<Platform>,
}

impl TryFrom<&RawRevokeRequest> for RevokeRequest {
    type Error = Error;

    fn try_from(raw: &RawRevokeRequest) -> Result<Self> {
        let cause: Cause = raw.cause.parse().map_err(|e| bad("cause", e))?;
        let platform = optional("platform", raw.platform.as_deref(), |t| {
            t.parse()
                .map_err(|e: crate::rules::phones::UnknownPlatform| e.to_string())
        })?;
        match (cause.is_phone(), platform) {
            (true, None) => {
                return Err(bad(
                    "platform",
                    format!("{cause} is about a phone: name its platform, android or ios"),
                ))
            }
            (false, Some(_)) => {
                return Err(bad(
                    "platform",
                    format!(
                        "only the phone causes (phone_lost, phone_stolen, device_change, \
                         device_disposed) take a platform, not {cause}"
                    ),
                ))
            }
            _ => {}
        }
        Ok(RevokeRequest {
            cause,
            certs: cert_kinds(raw.certs.as_deref())?,
            at: optional("at", raw.at.as_deref(), |t| {
                clock::parse_instant(t).map_err(|e| e.to_string())
            })?,
            platform,
        })
    }
}

/// A phone's certificates to issue (`POST /api/v1/cards/{id}/phones`), as text.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawPhoneRequest {
    /// android | ios.
    pub platform: String,
    /// The device's id (default: made up from the platform and the signing serial).
    #[serde(default)]
    pub device_id: Option<String>,
}

/// A phone's certificates to issue, parsed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhoneRequest {
    /// The platform.
    pub platform: Platform,
    /// The device's id (`None`: made up).
    pub device_id: Option<String>,
}

/// The longest device id taken.
const DEVICE_ID_MAX: usize = 128;

impl TryFrom<&RawPhoneRequest> for PhoneRequest {
    type Error = Error;

    fn try_from(raw: &RawPhoneRequest) -> Result<Self> {
        let platform = raw
            .platform
            .parse()
            .map_err(|e: crate::rules::phones::UnknownPlatform| bad("platform", e))?;
        let device_id = optional("device_id", raw.device_id.as_deref(), |t| {
            let fits = !t.is_empty()
                && t.len() <= DEVICE_ID_MAX
                && t.bytes().all(|b| b.is_ascii_graphic());
            if fits {
                Ok(t.to_string())
            } else {
                Err(format!(
                    "{t:?}: 1 to {DEVICE_ID_MAX} printable ASCII characters without spaces"
                ))
            }
        })?;
        Ok(PhoneRequest {
            platform,
            device_id,
        })
    }
}

/// A new signing certificate on a card whose signing certificate was revoked or has
/// expired (`POST /api/v1/cards/{id}/certs/sign`), with the holder's new facts, as text.
#[derive(Clone, Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RawSignRequest {
    /// A new name, "surname given" (default: the card's).
    #[serde(default)]
    pub name: Option<String>,
    /// A new address (default: the card's). Free text: an address abroad needs `locality`.
    #[serde(default)]
    pub address: Option<String>,
    /// The locality of the new address (PREF/MUNI, a code or a Japanese name).
    #[serde(default)]
    pub locality: Option<String>,
    /// A new signing PIN (default: the card's stays).
    #[serde(default)]
    pub sign_pin: Option<String>,
}

/// A new signing certificate's facts, parsed.
#[derive(Clone, Debug)]
pub struct SignRequest {
    /// The new name as entered and split (`None`: the card's).
    pub name: Option<(String, HolderName)>,
    /// The new address and its locality (`None`: the card's).
    pub address: Option<(String, ResolvedLocality)>,
    /// A new signing PIN.
    pub sign_pin: Option<Pin>,
}

impl TryFrom<&RawSignRequest> for SignRequest {
    type Error = Error;

    fn try_from(raw: &RawSignRequest) -> Result<Self> {
        let name = raw
            .name
            .as_deref()
            .map(|text| {
                HolderName::parse(text)
                    .map(|name| (text.trim().to_string(), name))
                    .map_err(|e| bad("name", e))
            })
            .transpose()?;
        let address = match (raw.address.as_deref().map(str::trim), &raw.locality) {
            (None, None) => None,
            (None, Some(_)) => return Err(bad("locality", "give it with the new address")),
            (Some(""), _) => return Err(bad("address", "must not be empty")),
            (Some(address), Some(text)) => Some((
                address.to_string(),
                ResolvedLocality::parse_override(text).map_err(|e| bad("locality", e))?,
            )),
            (Some(address), None) => Some((
                address.to_string(),
                ResolvedLocality::from_address(address).map_err(|e| bad("address", e))?,
            )),
        };
        Ok(SignRequest {
            name,
            address,
            sign_pin: optional("sign_pin", raw.sign_pin.as_deref(), |t| {
                Pin::parse(CertKind::Sign, t).map_err(|e| e.to_string())
            })?,
        })
    }
}

/// A list of certificate kinds (`sign`, `auth`) as the CLI's `--certs` and the JSON
/// `certs` field give it.
pub fn cert_kinds(list: Option<&[String]>) -> Result<Option<Vec<CertKind>>> {
    list.map(|items| {
        items
            .iter()
            .map(|s| s.trim().parse().map_err(|e| bad("certs", e)))
            .collect()
    })
    .transpose()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn holder() -> IssueRequest {
        IssueRequest {
            name: " 山田 太郎 ".into(),
            birth: "1990-10-01".into(),
            gender: "male".into(),
            address: "東京都品川区広町2-1-36".into(),
            ..IssueRequest::default()
        }
    }

    #[test]
    fn a_raw_issuance_becomes_typed_values() {
        let raw = IssueRequest {
            sign_pin: Some("ABC123".into()),
            only: Some("auth".into()),
            key_alg: Some("p256".into()),
            ..holder()
        };
        let typed = CardRequest::try_from(&raw).unwrap();
        assert_eq!(typed.name_as_entered, "山田 太郎");
        assert_eq!(typed.name.surname, "山田");
        assert_eq!(typed.birth.to_string(), "1990-10-01");
        assert_eq!(typed.gender, Gender::Male);
        assert_eq!(
            typed.locality.with(Default::default()).to_string(),
            "Tokyo-to/Shinagawa-ku"
        );
        assert_eq!(typed.only, Some(CertKind::Auth));
        assert_eq!(typed.key_alg, Some(KeyAlg::P256));
        assert!(typed.sign_pin.is_some() && typed.auth_pin.is_none());
    }

    #[test]
    fn each_bad_field_is_named() {
        for (raw, field) in [
            (
                IssueRequest {
                    name: "山田".into(),
                    ..holder()
                },
                "name",
            ),
            (
                IssueRequest {
                    birth: "1990-13-01".into(),
                    ..holder()
                },
                "birth",
            ),
            (
                IssueRequest {
                    gender: "x".into(),
                    ..holder()
                },
                "gender",
            ),
            (
                IssueRequest {
                    address: " ".into(),
                    ..holder()
                },
                "address",
            ),
            (
                IssueRequest {
                    locality: Some("Nowhere".into()),
                    ..holder()
                },
                "locality",
            ),
            (
                IssueRequest {
                    issued_on: Some("soon".into()),
                    ..holder()
                },
                "issued_on",
            ),
            (
                IssueRequest {
                    sign_pin: Some("abc".into()),
                    ..holder()
                },
                "sign_pin",
            ),
            (
                IssueRequest {
                    auth_pin: Some("12345".into()),
                    ..holder()
                },
                "auth_pin",
            ),
            (
                IssueRequest {
                    only: Some("both".into()),
                    ..holder()
                },
                "only",
            ),
            (
                IssueRequest {
                    key_alg: Some("rsa1024".into()),
                    ..holder()
                },
                "key_alg",
            ),
        ] {
            let message = CardRequest::try_from(&raw).unwrap_err().to_string();
            assert!(message.starts_with(&format!("{field}: ")), "{message}");
        }
    }

    #[test]
    fn a_raw_revocation_becomes_typed_values() {
        let raw = RawRevokeRequest {
            cause: "leak".into(),
            certs: Some(vec!["sign".into(), " auth".into()]),
            at: Some("2025-01-01".into()),
            platform: None,
        };
        let typed = RevokeRequest::try_from(&raw).unwrap();
        assert_eq!(typed.cause, Cause::Leak);
        assert_eq!(typed.certs, Some(vec![CertKind::Sign, CertKind::Auth]));
        // 2025-01-01T00:00+09:00
        assert_eq!(typed.at.unwrap().unix_timestamp(), 1_735_657_200);
        for (raw, field) in [
            (
                RawRevokeRequest {
                    cause: "misplaced".into(),
                    ..raw.clone()
                },
                "cause",
            ),
            (
                RawRevokeRequest {
                    certs: Some(vec!["card".into()]),
                    ..raw.clone()
                },
                "certs",
            ),
            (
                RawRevokeRequest {
                    at: Some("yesterday".into()),
                    ..raw.clone()
                },
                "at",
            ),
        ] {
            let message = RevokeRequest::try_from(&raw).unwrap_err().to_string();
            assert!(message.starts_with(&format!("{field}: ")), "{message}");
        }
    }
}
