//! Configuration: raw TOML becomes a validated `Config` once, at start-up. The
//! committed `config/jpki-mock.toml` is the default and is compiled in, so the two
//! cannot drift apart.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use der::asn1::ObjectIdentifier;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::rules::locality::DesignatedCityWards;
use crate::rules::publication::Schedule;
use crate::rules::{
    Cause, CrlLayout, CrlReason, Feb29Rule, KeyAlg, PhoneValidity, ReasonMap, ValidityRules,
};

/// The default configuration file, as committed.
pub const DEFAULT_TOML: &str = include_str!("../config/jpki-mock.toml");

/// How the OCSP responderID names the responder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ResponderIdKind {
    /// SHA-1 of the responder's public key (default).
    ByKey,
    /// The responder certificate's subject DN.
    ByName,
}

/// Certificate-profile settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileConfig {
    /// `O=` of the CA DNs.
    pub org: String,
    /// Policy OID of signing certificates.
    pub sign_policy: ObjectIdentifier,
    /// Policy OID of auth certificates.
    pub auth_policy: ObjectIdentifier,
    /// CPS URI.
    pub cps_uri: String,
    /// AIA OCSP URL in signing certificates.
    pub sign_ocsp_url: bool,
    /// Whether end-entity CRL distribution points carry the CRL URL.
    pub crl_dp_uri: bool,
    /// Default key algorithm.
    pub key_alg: KeyAlg,
    /// Responder certificate validity in days.
    pub responder_validity_days: u32,
}

/// CA generation settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaConfig {
    /// A generation is valid from this many years before its creation ...
    pub backdate_years: u32,
    /// ... to this many years after it.
    pub validity_years: u32,
}

/// When revocations become visible.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct PublicationConfig {
    /// The CRL's schedule.
    pub crl: Schedule,
    /// The OCSP data's schedule.
    pub ocsp: Schedule,
}

/// HTTP server settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServerConfig {
    /// Listen address.
    pub listen: SocketAddr,
    /// Base URL for `init` when none is recorded.
    pub base_url: Option<String>,
    /// Token the admin API requires; `None`: open on loopback only.
    pub admin_token: Option<String>,
    /// How long a client may take to send a request's headers.
    pub header_read_timeout: Duration,
    /// Most tenants a server holds at once (`POST /api/v1/tenants` past it: 409).
    pub max_tenants: usize,
}

/// CRL timing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CrlConfig {
    /// How far thisUpdate is backdated.
    pub backdate: Duration,
    /// thisUpdate to nextUpdate.
    pub next_update: Duration,
    /// One CRL per CA generation, or one per distribution point.
    pub layout: CrlLayout,
}

/// OCSP settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OcspConfig {
    /// thisUpdate to nextUpdate.
    pub validity: Duration,
    /// responderID form.
    pub responder_id: ResponderIdKind,
}

/// How localities are derived (the signing certificate's `L` RDNs and CRL DP).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocalityConfig {
    /// How an address in a ward of a designated city is named.
    pub designated_city_wards: DesignatedCityWards,
}

/// Phone certificates (スマホ用電子証明書): their profile is not published, so each
/// fact is a setting whose default is the card's.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PhonesConfig {
    /// How long they run.
    pub validity: PhoneValidity,
    /// Policy OID of phone signing certificates (`None`: the card's).
    pub sign_policy: Option<ObjectIdentifier>,
    /// Policy OID of phone auth certificates (`None`: the card's).
    pub auth_policy: Option<ObjectIdentifier>,
}

/// The validated configuration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Config {
    /// Certificate profile.
    pub profile: ProfileConfig,
    /// CA generations.
    pub ca: CaConfig,
    /// Publication schedules.
    pub publication: PublicationConfig,
    /// Validity rules (domain.md §2).
    pub validity: ValidityRules,
    /// HTTP server.
    pub server: ServerConfig,
    /// CRLs.
    pub crl: CrlConfig,
    /// OCSP.
    pub ocsp: OcspConfig,
    /// CRLReason of each cause.
    pub reasons: ReasonMap,
    /// Localities.
    pub locality: LocalityConfig,
    /// Phone certificates.
    pub phones: PhonesConfig,
    /// Faults in force from start-up (fault injection; none by default).
    pub faults: Vec<crate::faults::Fault>,
    /// The preset applied to `profile`, if any.
    pub preset: Option<String>,
    /// What that preset set beyond the profile's DN and policies (recorded with it).
    pub preset_settings: PresetSettings,
    /// The presets that `preset` (or `init --preset`) may name.
    presets: BTreeMap<String, ProfilePreset>,
}

/// Profile keys a preset sets at once.
#[derive(Clone, Debug, PartialEq, Eq)]
struct ProfilePreset {
    org: Option<String>,
    sign_policy: Option<ObjectIdentifier>,
    auth_policy: Option<ObjectIdentifier>,
    settings: PresetSettings,
}

/// What a preset sets besides the DN and policies: the key algorithm, the CA
/// generations' validity and `[validity]` keys. `init` records them with the preset, so
/// that the state keeps them whatever the configuration of later commands says.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PresetSettings {
    /// `profile.key_alg` (CA, responder and default card keys).
    pub key_alg: Option<KeyAlg>,
    /// `ca.validity_years` (a CA generation must outlive the certificates it issues).
    pub ca_validity_years: Option<u32>,
    /// `[validity]` keys.
    pub validity: ValidityOverrides,
}

/// The `[validity]` keys a preset sets; `None`: the configuration's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ValidityOverrides {
    /// `validity.card_birthdays_adult`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_birthdays_adult: Option<u32>,
    /// `validity.card_birthdays_minor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card_birthdays_minor: Option<u32>,
    /// `validity.cert_birthdays`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cert_birthdays: Option<u32>,
    /// `validity.renewal_birthdays`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_birthdays: Option<u32>,
    /// `validity.renewal_window_months`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub renewal_window_months: Option<u32>,
}

impl ValidityOverrides {
    /// Whether it sets nothing.
    pub fn is_empty(&self) -> bool {
        *self == ValidityOverrides::default()
    }

    /// Lays these keys over `rules`, checking them as the `[validity]` section's
    /// (`what` names them in errors).
    pub fn apply(&self, rules: &mut ValidityRules, what: &str) -> Result<()> {
        let key = |field: &str| format!("{what}.{field}");
        let set = |field: &str, value: Option<u32>, target: &mut u32| -> Result<()> {
            if let Some(value) = value {
                *target = positive(&key(field), value)?;
            }
            Ok(())
        };
        set(
            "card_birthdays_adult",
            self.card_birthdays_adult,
            &mut rules.card_birthdays_adult,
        )?;
        set(
            "card_birthdays_minor",
            self.card_birthdays_minor,
            &mut rules.card_birthdays_minor,
        )?;
        set(
            "cert_birthdays",
            self.cert_birthdays,
            &mut rules.cert_birthdays,
        )?;
        set(
            "renewal_birthdays",
            self.renewal_birthdays,
            &mut rules.renewal_birthdays,
        )?;
        if let Some(months) = self.renewal_window_months {
            rules.renewal_window_months = window_months(&key("renewal_window_months"), months)?;
        }
        Ok(())
    }
}

/// The settings as the TOML says them, after the user's file is laid over the
/// compiled-in defaults: every key is present, so none has a default here.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    preset: String,
    presets: BTreeMap<String, RawPreset>,
    profile: RawProfile,
    ca: RawCa,
    publication: RawPublication,
    validity: RawValidity,
    server: RawServer,
    crl: RawCrl,
    ocsp: RawOcsp,
    reasons: std::collections::BTreeMap<String, String>,
    locality: RawLocality,
    phones: RawPhones,
    // The one section the default file leaves empty: no faults unless listed.
    #[serde(default)]
    faults: Vec<crate::faults::Fault>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawProfile {
    org: String,
    sign_policy_oid: String,
    auth_policy_oid: String,
    cps_uri: String,
    sign_ocsp_url: bool,
    crl_dp_uri: bool,
    key_alg: String,
    responder_validity_days: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhones {
    validity: String,
    sign_policy_oid: String,
    auth_policy_oid: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPreset {
    org: Option<String>,
    sign_policy_oid: Option<String>,
    auth_policy_oid: Option<String>,
    key_alg: Option<String>,
    ca_validity_years: Option<u32>,
    #[serde(default)]
    validity: ValidityOverrides,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValidity {
    card_birthdays_adult: u32,
    card_birthdays_minor: u32,
    cert_birthdays: u32,
    renewal_birthdays: u32,
    adult_age: u32,
    min_sign_age: u32,
    feb29: String,
    renewal_window_months: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawServer {
    listen: String,
    base_url: String,
    admin_token: String,
    header_read_timeout_seconds: u64,
    max_tenants: usize,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCrl {
    backdate_seconds: u64,
    next_update_seconds: u64,
    layout: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCa {
    backdate_years: u32,
    validity_years: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPublication {
    crl: String,
    ocsp_refresh_minutes: u32,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOcsp {
    validity_seconds: u64,
    responder_id: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLocality {
    designated_city_wards: String,
}

/// Lays `user` over `defaults`: tables merge key by key, any other value (arrays
/// included) replaces the default.
fn overlay(defaults: &mut toml::Table, user: toml::Table) {
    for (key, value) in user {
        match (defaults.get_mut(&key), value) {
            (Some(toml::Value::Table(default)), toml::Value::Table(table)) => {
                overlay(default, table)
            }
            (_, value) => {
                defaults.insert(key, value);
            }
        }
    }
}

/// toml's report spans several lines (with the offending line); keep one.
fn one_line(error: impl std::fmt::Display) -> Error {
    let report = error
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    Error::BadInput(format!("config: {report}"))
}

fn bad(key: &str, message: impl std::fmt::Display) -> Error {
    Error::BadInput(format!("config: {key}: {message}"))
}

fn oid(key: &str, text: &str) -> Result<ObjectIdentifier> {
    let not_an_oid = || bad(key, format!("{text:?} is not an OID"));
    // Check the arcs before const-oid sees them: its parser overflows (a panic in
    // debug builds, a wrong OID in release) on arcs that do not fit (found by fuzzing).
    let arcs: Vec<u32> = text
        .split('.')
        .map(|arc| {
            (!arc.is_empty() && arc.bytes().all(|b| b.is_ascii_digit()))
                .then(|| arc.parse::<u32>().ok())
                .flatten()
                .filter(|value| *value < 1 << 28)
        })
        .collect::<Option<_>>()
        .ok_or_else(not_an_oid)?;
    match arcs.as_slice() {
        [first, second, ..] if *first <= 2 && (*first == 2 || *second < 40) => {}
        _ => return Err(not_an_oid()),
    }
    ObjectIdentifier::new(text).map_err(|_| not_an_oid())
}

fn positive(key: &str, value: u32) -> Result<u32> {
    match value {
        0 => Err(bad(key, "must be at least 1")),
        n => Ok(n),
    }
}

fn window_months(key: &str, value: u32) -> Result<u32> {
    let max = crate::rules::renewal::MAX_RENEWAL_WINDOW_MONTHS;
    if !(1..=max).contains(&value) {
        return Err(bad(
            key,
            format!("{value} is out of range (1 to {max} months)"),
        ));
    }
    Ok(value)
}

fn seconds(key: &str, value: u64, min: u64) -> Result<Duration> {
    if value < min || value > 10 * 365 * 86_400 {
        return Err(bad(
            key,
            format!("{value} is out of range ({min} to 315360000 seconds)"),
        ));
    }
    Ok(Duration::from_secs(value))
}

impl Default for Config {
    fn default() -> Self {
        // The compiled-in default file is checked by a unit test.
        Config::from_toml(DEFAULT_TOML).expect("the default config is valid")
    }
}

impl Config {
    /// Parses and validates a TOML text laid over the compiled-in defaults
    /// (`config/jpki-mock.toml`, the one place defaults are written).
    pub fn from_toml(text: &str) -> Result<Config> {
        let mut merged: toml::Table = DEFAULT_TOML
            .parse()
            .expect("the compiled-in config is valid TOML (checked by a unit test)");
        overlay(&mut merged, text.parse().map_err(one_line)?);
        let raw: RawConfig = merged.try_into().map_err(one_line)?;

        let p = raw.profile;
        if p.org.trim().is_empty() {
            return Err(bad("profile.org", "must not be empty"));
        }
        if !p.cps_uri.is_ascii() || p.cps_uri.is_empty() {
            return Err(bad("profile.cps_uri", "must be a non-empty ASCII URI"));
        }
        let profile = ProfileConfig {
            sign_policy: oid("profile.sign_policy_oid", &p.sign_policy_oid)?,
            auth_policy: oid("profile.auth_policy_oid", &p.auth_policy_oid)?,
            org: p.org,
            cps_uri: p.cps_uri,
            sign_ocsp_url: p.sign_ocsp_url,
            crl_dp_uri: p.crl_dp_uri,
            key_alg: p.key_alg.parse().map_err(|e| bad("profile.key_alg", e))?,
            responder_validity_days: positive(
                "profile.responder_validity_days",
                p.responder_validity_days,
            )?,
        };

        let v = raw.validity;
        let validity = ValidityRules {
            card_birthdays_adult: positive(
                "validity.card_birthdays_adult",
                v.card_birthdays_adult,
            )?,
            card_birthdays_minor: positive(
                "validity.card_birthdays_minor",
                v.card_birthdays_minor,
            )?,
            cert_birthdays: positive("validity.cert_birthdays", v.cert_birthdays)?,
            renewal_birthdays: positive("validity.renewal_birthdays", v.renewal_birthdays)?,
            adult_age: v.adult_age,
            min_sign_age: v.min_sign_age,
            feb29: v
                .feb29
                .parse::<Feb29Rule>()
                .map_err(|e| bad("validity.feb29", e))?,
            renewal_window_months: window_months(
                "validity.renewal_window_months",
                v.renewal_window_months,
            )?,
        };

        let listen = &raw.server.listen;
        let server = ServerConfig {
            listen: listen.parse().map_err(|_| {
                bad(
                    "server.listen",
                    format!("{listen:?} is not an address like 127.0.0.1:8080"),
                )
            })?,
            base_url: Some(raw.server.base_url)
                .filter(|s| !s.is_empty())
                .map(|s| normalize_base_url(&s).map_err(|e| bad("server.base_url", e)))
                .transpose()?,
            admin_token: Some(raw.server.admin_token).filter(|s| !s.is_empty()),
            header_read_timeout: seconds(
                "server.header_read_timeout_seconds",
                raw.server.header_read_timeout_seconds,
                1,
            )?,
            max_tenants: raw.server.max_tenants,
        };

        let crl = CrlConfig {
            backdate: seconds("crl.backdate_seconds", raw.crl.backdate_seconds, 0)?,
            next_update: seconds("crl.next_update_seconds", raw.crl.next_update_seconds, 60)?,
            layout: raw.crl.layout.parse().map_err(|e| bad("crl.layout", e))?,
        };
        let ca = CaConfig {
            backdate_years: raw.ca.backdate_years,
            validity_years: positive("ca.validity_years", raw.ca.validity_years)?,
        };
        let publication = PublicationConfig {
            crl: raw
                .publication
                .crl
                .parse()
                .map_err(|e| bad("publication.crl", e))?,
            ocsp: Schedule::every_minutes(raw.publication.ocsp_refresh_minutes),
        };
        let ocsp = OcspConfig {
            validity: seconds("ocsp.validity_seconds", raw.ocsp.validity_seconds, 60)?,
            responder_id: match raw.ocsp.responder_id.as_str() {
                "by_key" => ResponderIdKind::ByKey,
                "by_name" => ResponderIdKind::ByName,
                other => {
                    return Err(bad(
                        "ocsp.responder_id",
                        format!("{other:?}: expected by_key or by_name"),
                    ))
                }
            },
        };

        let mut reasons = Vec::new();
        for (cause, reason) in raw.reasons {
            let cause_value = if cause == "superseded" {
                Cause::Superseded
            } else {
                cause
                    .parse::<Cause>()
                    .map_err(|e| bad(&format!("reasons.{cause}"), e))?
            };
            let reason_value = reason
                .parse::<CrlReason>()
                .map_err(|e| bad(&format!("reasons.{cause}"), e))?;
            reasons.push((cause_value, reason_value));
        }
        let reasons = ReasonMap::from_entries(&reasons)
            .map_err(|missing| bad("reasons", format!("no reason for {missing}")))?;

        let locality = LocalityConfig {
            designated_city_wards: raw
                .locality
                .designated_city_wards
                .parse()
                .map_err(|e| bad("locality.designated_city_wards", e))?,
        };

        let phone_policy = |key: &str, text: &str| {
            Some(text)
                .filter(|t| !t.is_empty())
                .map(|t| oid(key, t))
                .transpose()
        };
        let phones = PhonesConfig {
            validity: raw
                .phones
                .validity
                .parse()
                .map_err(|e| bad("phones.validity", e))?,
            sign_policy: phone_policy("phones.sign_policy_oid", &raw.phones.sign_policy_oid)?,
            auth_policy: phone_policy("phones.auth_policy_oid", &raw.phones.auth_policy_oid)?,
        };

        let mut presets = BTreeMap::new();
        for (name, preset) in raw.presets {
            let key = |field: &str| format!("presets.{name}.{field}");
            let oid_of =
                |field: &str, text: Option<String>| text.map(|t| oid(&key(field), &t)).transpose();
            if preset.org.as_ref().is_some_and(|org| org.trim().is_empty()) {
                return Err(bad(&key("org"), "must not be empty"));
            }
            // Checked now, so that applying a preset later cannot fail.
            preset
                .validity
                .apply(&mut validity.clone(), &key("validity"))?;
            let preset = ProfilePreset {
                sign_policy: oid_of("sign_policy_oid", preset.sign_policy_oid)?,
                auth_policy: oid_of("auth_policy_oid", preset.auth_policy_oid)?,
                org: preset.org,
                settings: PresetSettings {
                    key_alg: preset
                        .key_alg
                        .map(|alg| alg.parse().map_err(|e| bad(&key("key_alg"), e)))
                        .transpose()?,
                    ca_validity_years: preset
                        .ca_validity_years
                        .map(|years| positive(&key("ca_validity_years"), years))
                        .transpose()?,
                    validity: preset.validity,
                },
            };
            presets.insert(name, preset);
        }
        let mut config = Config {
            profile,
            ca,
            publication,
            validity,
            server,
            crl,
            ocsp,
            reasons,
            locality,
            phones,
            faults: raw.faults,
            preset: None,
            preset_settings: PresetSettings::default(),
            presets,
        };
        if !raw.preset.is_empty() {
            config
                .apply_preset(&raw.preset)
                .map_err(|e| bad("preset", e))?;
        }
        Ok(config)
    }

    /// Applies a preset: its keys replace the profile's (and the `[validity]` keys it
    /// names).
    pub fn apply_preset(&mut self, name: &str) -> std::result::Result<(), String> {
        let preset = self.presets.get(name).ok_or_else(|| {
            let known: Vec<&str> = self.presets.keys().map(String::as_str).collect();
            format!(
                "unknown preset {name:?}: expected one of {}",
                known.join(", ")
            )
        })?;
        if let Some(org) = &preset.org {
            self.profile.org = org.clone();
        }
        if let Some(oid) = preset.sign_policy {
            self.profile.sign_policy = oid;
        }
        if let Some(oid) = preset.auth_policy {
            self.profile.auth_policy = oid;
        }
        let settings = preset.settings.clone();
        self.apply_preset_settings(settings)
            .map_err(|e| e.to_string())?;
        self.preset = Some(name.to_string());
        Ok(())
    }

    /// Puts a preset's key algorithm, CA validity and `[validity]` keys in force (those recorded
    /// with a state, or a preset's own).
    pub fn apply_preset_settings(&mut self, settings: PresetSettings) -> Result<()> {
        if let Some(alg) = settings.key_alg {
            self.profile.key_alg = alg;
        }
        if let Some(years) = settings.ca_validity_years {
            self.ca.validity_years = positive("preset ca_validity_years", years)?;
        }
        settings
            .validity
            .apply(&mut self.validity, "preset validity")?;
        self.preset_settings = settings;
        Ok(())
    }

    /// Reads and validates a config file.
    pub fn load(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| Error::io(format!("cannot read config {}", path.display()), e))?;
        Config::from_toml(&text)
    }
}

/// Checks a base URL (`http://` or `https://`, ASCII, no query) and drops a trailing
/// slash.
pub fn normalize_base_url(text: &str) -> std::result::Result<String, String> {
    let trimmed = text.trim().trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"))
        .ok_or_else(|| format!("{text:?} must start with http:// or https://"))?;
    if rest.is_empty()
        || !trimmed.is_ascii()
        || trimmed.contains(|c: char| c.is_ascii_whitespace() || c == '?' || c == '#')
    {
        return Err(format!("{text:?} is not a usable base URL"));
    }
    Ok(trimmed.to_string())
}

#[cfg(test)]
mod tests;
