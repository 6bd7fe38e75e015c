//! The certificate profile and CRL layout fixed at `init` and recorded in the state,
//! like the base URL: later commands and `serve` use it whatever their own configuration says, so
//! that every certificate of a state matches its CAs (the organisation in the CA's DN,
//! the policies a relying party pins).

use serde::{Deserialize, Serialize};

use crate::config::{Config, PresetSettings, ValidityOverrides};
use crate::error::{Error, Result};
use crate::rules::CrlLayout;
use crate::store::Store;

/// Setting key: the recorded profile.
const PROFILE_SETTING: &str = "profile";

/// The profile keys recorded at `init`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedProfile {
    /// The preset in force, if any.
    pub preset: Option<String>,
    /// `O=` of the CA DNs.
    pub org: String,
    /// Policy OID of signing certificates.
    pub sign_policy_oid: String,
    /// Policy OID of auth certificates.
    pub auth_policy_oid: String,
    /// CPS URI.
    pub cps_uri: String,
    /// Whether signing certificates carry an OCSP URL.
    pub sign_ocsp_url: bool,
    /// Whether CRL distribution points carry the CRL URL.
    pub crl_dp_uri: bool,
    /// `crl.layout`: single | municipality (the URL certificates carry depends on it;
    /// states recorded before it existed are single).
    #[serde(default = "single")]
    pub crl_layout: String,
    /// The key algorithm the preset sets (CA, responder and default card keys), if it
    /// sets one; otherwise the configuration's `profile.key_alg` applies.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_alg: Option<String>,
    /// The CA generations' validity the preset sets (`ca.validity_years`), if it sets
    /// one: later generations (`ca rollover`) keep it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ca_validity_years: Option<u32>,
    /// The `[validity]` keys the preset sets (e.g. next-gen's 10-year certificates and
    /// 12-month renewal window); the others are the configuration's.
    #[serde(default, skip_serializing_if = "ValidityOverrides::is_empty")]
    pub validity: ValidityOverrides,
}

fn single() -> String {
    CrlLayout::Single.as_str().to_string()
}

impl RecordedProfile {
    /// The profile a configuration asks for.
    pub fn of(config: &Config) -> Self {
        let p = &config.profile;
        RecordedProfile {
            preset: config.preset.clone(),
            org: p.org.clone(),
            sign_policy_oid: p.sign_policy.to_string(),
            auth_policy_oid: p.auth_policy.to_string(),
            cps_uri: p.cps_uri.clone(),
            sign_ocsp_url: p.sign_ocsp_url,
            crl_dp_uri: p.crl_dp_uri,
            crl_layout: config.crl.layout.as_str().to_string(),
            key_alg: config
                .preset_settings
                .key_alg
                .map(|alg| alg.as_str().to_string()),
            ca_validity_years: config.preset_settings.ca_validity_years,
            validity: config.preset_settings.validity,
        }
    }

    /// The recorded profile, if `init` recorded one (states made before it did have
    /// none, and follow their configuration).
    pub fn load(store: &dyn Store) -> Result<Option<Self>> {
        store
            .setting(PROFILE_SETTING)?
            .map(|json| {
                serde_json::from_str(&json)
                    .map_err(|e| Error::State(format!("the recorded profile is corrupt: {e}")))
            })
            .transpose()
    }

    /// Records this profile.
    pub fn save(&self, store: &mut dyn Store) -> Result<()> {
        let json = serde_json::to_string(self)
            .map_err(|e| Error::Internal(format!("profile encoding: {e}")))?;
        store.put_setting(PROFILE_SETTING, &json)
    }

    /// `config` with this profile in force.
    pub fn apply(&self, mut config: Config) -> Result<Config> {
        let oid = |text: &str| {
            text.parse()
                .map_err(|_| Error::State(format!("the recorded policy OID {text:?} is corrupt")))
        };
        config.profile.org = self.org.clone();
        config.profile.sign_policy = oid(&self.sign_policy_oid)?;
        config.profile.auth_policy = oid(&self.auth_policy_oid)?;
        config.profile.cps_uri = self.cps_uri.clone();
        config.profile.sign_ocsp_url = self.sign_ocsp_url;
        config.profile.crl_dp_uri = self.crl_dp_uri;
        config.crl.layout = self
            .crl_layout
            .parse()
            .map_err(|e| Error::State(format!("the recorded CRL layout is corrupt: {e}")))?;
        let key_alg = self
            .key_alg
            .as_deref()
            .map(|alg| {
                alg.parse()
                    .map_err(|e| Error::State(format!("the recorded key algorithm: {e}")))
            })
            .transpose()?;
        config
            .apply_preset_settings(PresetSettings {
                key_alg,
                ca_validity_years: self.ca_validity_years,
                validity: self.validity,
            })
            .map_err(|e| Error::State(format!("the recorded profile: {e}")))?;
        config.preset = self.preset.clone();
        Ok(config)
    }
}
