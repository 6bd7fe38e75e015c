//! The authority: the one module that combines the rules, the encoders, the issuers,
//! the store and the clock. Everything a user can do (issue, revoke, renew, reissue,
//! publish a CRL, look at state) is a method here; the CLI and HTTP layers only parse
//! and print.

use std::sync::Arc;

use serde::{Deserialize, Serialize};
use time::{Date, OffsetDateTime};

use crate::clock::{self, Clock};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::issuer::{sign_with, Issuer};
use crate::pki::cert::{self, CaParams, CertProfile, HolderFacts, LeafParams, Serial};
use crate::pki::crl::{crl_tbs_der, CrlEntry, CrlParams};
use crate::pki::keys::{KeyAlg, KeyPair};
use crate::pki::ocsp::{IssuerHashes, OcspStatus};
use crate::rules::locality::Locality;
use crate::rules::{holder, jst, renewal, Cause, CertKind, CrlReason, Gender, HolderName, Pin};
use crate::store::{
    AuthorityRecord, CardId, CardRecord, CertificateRecord, HolderRecord, NewCard, NewCertificate,
    NewEvent, Store,
};

/// Setting key: the base URL recorded in the state.
const BASE_URL_SETTING: &str = "base_url";
/// Setting key: the persisted virtual clock.
const CLOCK_SETTING: &str = "clock";
/// The default base URL (interface.md).
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";
/// Fee for certificates issued with a card reissue (domain.md §6).
pub const REISSUE_FEE_YEN: u32 = 200;

/// A certificate's status at a given instant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CertStatus {
    /// Valid and not revoked.
    Good,
    /// Revoked.
    Revoked {
        /// When.
        at: OffsetDateTime,
        /// Why.
        reason: CrlReason,
    },
    /// Past its notAfter (and not revoked).
    Expired,
}

impl CertStatus {
    /// The status of a stored certificate at `now`.
    pub fn of(record: &CertificateRecord, now: OffsetDateTime) -> Self {
        match record.revocation {
            Some(r) => CertStatus::Revoked {
                at: r.at,
                reason: r.reason,
            },
            None if now > record.certificate.not_after => CertStatus::Expired,
            None => CertStatus::Good,
        }
    }
}

/// The fields of a card issuance, as text, exactly as the CLI and the admin API take
/// them. The authority validates them once.
#[derive(Clone, Debug, Default, Deserialize)]
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
    /// PREF/MUNI override.
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
    /// rsa2048 | p256.
    #[serde(default)]
    pub key_alg: Option<String>,
}

/// One issued certificate with its key, as returned to the caller.
#[derive(Clone, Debug, Serialize)]
pub struct IssuedCertificate {
    /// Serial (decimal).
    pub serial: u32,
    /// Serial as openssl prints it.
    pub serial_hex: String,
    /// notBefore, RFC 3339.
    pub not_before: String,
    /// notAfter, RFC 3339.
    pub not_after: String,
    /// The expiry date (JST).
    pub expiry: String,
    /// The certificate, PEM.
    pub cert_pem: String,
    /// The card's private key, PKCS#8 PEM.
    pub key_pem: String,
    /// The certificate then its CA, PEM.
    pub chain_pem: String,
}

/// The result of an issuance, renewal or reissue.
#[derive(Clone, Debug, Serialize)]
pub struct IssuedCard {
    /// The card.
    pub card_id: CardId,
    /// The card's expiry date.
    pub card_expiry: String,
    /// Fee charged (domain.md §6).
    pub fee_yen: u32,
    /// The signing certificate, if issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sign: Option<IssuedCertificate>,
    /// The auth certificate, if issued.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub auth: Option<IssuedCertificate>,
    /// Certificates revoked by this operation (renewal: superseded; reissue:
    /// card_invalidated).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revoked: Vec<RevokedView>,
}

/// One revocation, as reported.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct RevokedView {
    /// Serial.
    pub serial: u32,
    /// sign | auth.
    pub kind: &'static str,
    /// CRLReason name.
    pub reason: &'static str,
    /// RFC 3339.
    pub revoked_at: String,
}

/// A certificate a cause did not change, and why.
#[derive(Clone, Debug, Serialize, PartialEq, Eq)]
pub struct UnchangedView {
    /// Serial.
    pub serial: u32,
    /// sign | auth.
    pub kind: &'static str,
    /// Its status: already revoked, or expired.
    pub status: &'static str,
}

/// What a cause did.
#[derive(Clone, Debug, Serialize)]
pub struct RevocationReport {
    /// The card.
    pub card_id: CardId,
    /// The cause.
    pub cause: &'static str,
    /// Newly revoked certificates.
    pub revoked: Vec<RevokedView>,
    /// Targeted certificates left as they were (idempotency).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unchanged: Vec<UnchangedView>,
    /// A sentence saying what happened.
    pub message: String,
}

/// A certificate's public facts and status.
#[derive(Clone, Debug, Serialize)]
pub struct CertView {
    /// Serial.
    pub serial: u32,
    /// Serial as openssl prints it.
    pub serial_hex: String,
    /// sign | auth.
    pub kind: &'static str,
    /// The card.
    pub card_id: CardId,
    /// RFC 3339.
    pub not_before: String,
    /// RFC 3339.
    pub not_after: String,
    /// Expiry date, JST.
    pub expiry: String,
    /// good | revoked | expired, at the clock's now.
    pub status: &'static str,
    /// CRLReason, if revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<&'static str>,
    /// The cause, if revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<&'static str>,
    /// RFC 3339, if revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// Renewal window (first, last day), while the certificate is good.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_window: Option<[String; 2]>,
    /// The certificate, PEM.
    pub cert_pem: String,
}

/// A card and its certificates.
#[derive(Clone, Debug, Serialize)]
pub struct CardView {
    /// Id.
    pub card_id: CardId,
    /// Name as entered.
    pub name: String,
    /// YYYY-MM-DD.
    pub birth: String,
    /// male | female | unknown.
    pub gender: &'static str,
    /// Address as entered.
    pub address: String,
    /// PREF/MUNI.
    pub locality: String,
    /// Card issue date.
    pub issued_on: String,
    /// Card expiry date.
    pub card_expiry: String,
    /// Fee charged when it was issued.
    pub fee_yen: u32,
    /// The card it replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaces: Option<CardId>,
    /// The card that replaced it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replaced_by: Option<CardId>,
    /// Certificates, oldest first.
    pub certificates: Vec<CertView>,
}

/// What `init` did.
#[derive(Clone, Debug, Serialize)]
pub struct InitReport {
    /// CAs created now.
    pub created: Vec<&'static str>,
    /// CAs that existed and were kept.
    pub kept: Vec<&'static str>,
    /// The base URL recorded.
    pub base_url: String,
}

/// A CA with its responder.
#[derive(Debug)]
pub struct CaPair {
    /// The CA.
    pub ca: Issuer,
    /// Its delegated OCSP responder (shared with requests being signed).
    pub responder: Arc<Issuer>,
    /// The CA's name and key hashes, for matching OCSP CertIDs.
    pub hashes: IssuerHashes,
}

/// The authority over one state.
pub struct Authority {
    config: Config,
    store: Box<dyn Store>,
    now_override: Option<OffsetDateTime>,
    clock: Clock,
    seen_revision: u64,
    key_seed: Option<String>,
    sign: CaPair,
    auth: CaPair,
    faulty_responders: std::collections::HashMap<(CertKind, FaultyResponder), Arc<Issuer>>,
}

impl std::fmt::Debug for Authority {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authority").finish_non_exhaustive()
    }
}

fn rfc3339(t: OffsetDateTime) -> String {
    clock::rfc3339(t)
}

fn pem(label: &str, der: &[u8]) -> String {
    crate::pki::pem_encode(label, der)
}

fn bad(field: &str, message: impl std::fmt::Display) -> Error {
    Error::BadInput(format!("{field}: {message}"))
}

/// Options for creating or opening an authority.
#[derive(Clone, Debug, Default)]
pub struct Options {
    /// `--now`: overrides the clock for this authority's lifetime.
    pub now: Option<OffsetDateTime>,
    /// `--seed` (test-only): derive every new key from this seed.
    pub key_seed: Option<String>,
}

impl Authority {
    /// Creates the CAs and responders that do not exist yet, and records the base URL:
    /// `base_url`, else the recorded one, else config's, else `fallback_base_url`, else
    /// the default. Idempotent.
    pub fn init(
        store: &mut dyn Store,
        config: &Config,
        options: &Options,
        base_url: Option<&str>,
        fallback_base_url: Option<&str>,
    ) -> Result<InitReport> {
        let recorded = store.setting(BASE_URL_SETTING)?;
        let base_url = match (base_url, recorded) {
            (Some(url), _) => {
                crate::config::normalize_base_url(url).map_err(|e| bad("--base-url", e))?
            }
            (None, Some(url)) => url,
            (None, None) => config
                .server
                .base_url
                .clone()
                .or_else(|| fallback_base_url.map(str::to_string))
                .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()),
        };
        if store.setting(BASE_URL_SETTING)?.as_deref() != Some(base_url.as_str()) {
            store.put_setting(BASE_URL_SETTING, &base_url)?;
        }
        let now = match options.now {
            Some(now) => now,
            None => stored_clock(store)?.now(),
        };
        let mut report = InitReport {
            created: vec![],
            kept: vec![],
            base_url,
        };
        for kind in CertKind::ALL {
            if store.authority(kind)?.is_some() {
                report.kept.push(kind.as_str());
                continue;
            }
            let record = create_authority(store, config, options, kind, now)?;
            store.put_authority(kind, &record)?;
            report.created.push(kind.as_str());
        }
        Ok(report)
    }

    /// Opens an initialised state.
    pub fn open(store: Box<dyn Store>, config: Config, options: Options) -> Result<Self> {
        let load = |kind: CertKind| -> Result<CaPair> {
            let record = store.authority(kind)?.ok_or_else(|| {
                Error::State(format!(
                    "the state has no {kind} CA: run `jpki-mock init` first"
                ))
            })?;
            let ca = Issuer::new(record.ca_cert, KeyPair::from_pkcs8_pem(&record.ca_key_pem)?)?;
            Ok(CaPair {
                hashes: IssuerHashes::of(ca.certificate())?,
                ca,
                responder: Arc::new(Issuer::new(
                    record.responder_cert,
                    KeyPair::from_pkcs8_pem(&record.responder_key_pem)?,
                )?),
            })
        };
        let sign = load(CertKind::Sign)?;
        let auth = load(CertKind::Auth)?;
        let seen_revision = store.revision()?;
        let clock = stored_clock(store.as_ref())?;
        Ok(Self {
            config,
            store,
            now_override: options.now,
            clock,
            seen_revision,
            key_seed: options.key_seed,
            sign,
            auth,
            faulty_responders: Default::default(),
        })
    }

    /// Catches up with changes made by this or another process: returns true (and
    /// reloads the clock and responders) when the state changed since the last call.
    pub fn sync(&mut self) -> Result<bool> {
        let revision = self.store.revision()?;
        if revision == self.seen_revision {
            return Ok(false);
        }
        self.seen_revision = revision;
        self.clock = stored_clock(self.store.as_ref())?;
        for kind in CertKind::ALL {
            if let Some(record) = self.store.authority(kind)? {
                if record.responder_cert.as_slice() != self.ca(kind).responder.certificate_der() {
                    let responder = Issuer::new(
                        record.responder_cert,
                        KeyPair::from_pkcs8_pem(&record.responder_key_pem)?,
                    )?;
                    self.ca_mut(kind).responder = Arc::new(responder);
                }
            }
        }
        Ok(true)
    }

    /// The revision of the state last seen by `sync`.
    pub fn seen_revision(&self) -> u64 {
        self.seen_revision
    }

    fn ca_mut(&mut self, kind: CertKind) -> &mut CaPair {
        match kind {
            CertKind::Sign => &mut self.sign,
            CertKind::Auth => &mut self.auth,
        }
    }

    /// The CA whose name and key hashes a CertID carries, if any.
    pub fn ca_of_cert_id(&self, requested: &crate::pki::ocsp::RequestedCert) -> Option<CertKind> {
        CertKind::ALL
            .into_iter()
            .find(|&kind| self.ca(kind).hashes.matches(requested))
    }

    /// A certificate's OCSP status at `now`: revoked (at any time: the hold on a lost
    /// card is never released), good (expired certificates too: they were not
    /// revoked), or unknown if this CA did not issue it.
    pub fn ocsp_status(&self, kind: CertKind, serial: Option<Serial>) -> Result<OcspStatus> {
        let Some(serial) = serial else {
            return Ok(OcspStatus::Unknown);
        };
        match self.store.status(serial)? {
            Some(record) if record.kind == kind => Ok(match record.revocation {
                Some(r) => OcspStatus::Revoked {
                    at: r.at,
                    reason: r.reason,
                },
                None => OcspStatus::Good,
            }),
            Some(_) => Ok(OcspStatus::Unknown),
            None => {
                let pair = self.ca(kind);
                let ours = [pair.ca.certificate(), pair.responder.certificate()]
                    .iter()
                    .any(|c| Serial::from_x509(&c.tbs_certificate.serial_number) == Some(serial));
                Ok(if ours {
                    OcspStatus::Good
                } else {
                    OcspStatus::Unknown
                })
            }
        }
    }

    /// The responder that signs for `kind` at `now`, re-issued (same key, new serial)
    /// when `now` is outside its validity or less than a third of it is left.
    pub fn responder(&mut self, kind: CertKind, now: OffsetDateTime) -> Result<Arc<Issuer>> {
        let current = self.ca(kind).responder.clone();
        let validity = &current.certificate().tbs_certificate.validity;
        let not_before = crate::pki::time::instant_of(&validity.not_before);
        let not_after = crate::pki::time::instant_of(&validity.not_after);
        let renew_at = not_after - (not_after - not_before) / 3;
        if now >= not_before && now < renew_at {
            return Ok(current);
        }
        let key = KeyPair::from_pkcs8_der(current.key().pkcs8_der())?;
        let serial = self.store.allocate_serials(1)?[0];
        let der = responder_certificate(
            &self.config,
            self.base_url()?,
            kind,
            &self.ca(kind).ca,
            serial,
            &key,
            now,
        )?;
        self.store.put_responder(kind, &der, &key.to_pkcs8_pem())?;
        tracing::info!(%kind, %serial, "re-issued the OCSP responder certificate");
        let responder = Arc::new(Issuer::new(der, key)?);
        self.ca_mut(kind).responder = responder.clone();
        Ok(responder)
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// The store.
    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }

    /// The current instant: `--now` if given, else the persisted virtual clock (as of
    /// the last `sync`).
    pub fn now(&self) -> OffsetDateTime {
        self.now_override.unwrap_or_else(|| self.clock.now())
    }

    /// A CA and its responder.
    pub fn ca(&self, kind: CertKind) -> &CaPair {
        match kind {
            CertKind::Sign => &self.sign,
            CertKind::Auth => &self.auth,
        }
    }

    /// The base URL recorded in the state.
    pub fn base_url(&self) -> Result<String> {
        Ok(self
            .store
            .setting(BASE_URL_SETTING)?
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()))
    }

    /// Records a new base URL for certificates issued from now on.
    pub fn set_base_url(&mut self, url: &str) -> Result<String> {
        let url = crate::config::normalize_base_url(url).map_err(|e| bad("--base-url", e))?;
        self.store.put_setting(BASE_URL_SETTING, &url)?;
        Ok(url)
    }

    fn profile(&self) -> Result<CertProfile> {
        Ok(cert_profile(&self.config, self.base_url()?))
    }

    fn new_key(&self, alg: KeyAlg, label: &str) -> Result<KeyPair> {
        new_key(self.key_seed.as_deref(), alg, label)
    }

    /// Issues a new card and its certificates.
    pub fn issue(&mut self, request: &IssueRequest) -> Result<IssuedCard> {
        let now = self.now();
        let today = jst::date_of(now);
        let rules = &self.config.validity;

        let name = HolderName::parse(&request.name).map_err(|e| bad("name", e))?;
        let birth = clock::parse_date(&request.birth).map_err(|e| bad("birth", e))?;
        if birth > today {
            return Err(bad(
                "birth",
                format!("{birth} is in the future (today is {today} JST)"),
            ));
        }
        let gender: Gender = request.gender.parse().map_err(|e| bad("gender", e))?;
        let address = request.address.trim();
        if address.is_empty() {
            return Err(bad("address", "must not be empty"));
        }
        let locality = match &request.locality {
            Some(text) => Locality::parse_override(text).map_err(|e| bad("locality", e))?,
            None => Locality::from_address(address).map_err(|e| bad("address", e))?,
        };
        let issued_on = match &request.issued_on {
            Some(text) => clock::parse_date(text).map_err(|e| bad("issued_on", e))?,
            None => today,
        };
        if issued_on < birth {
            return Err(bad(
                "issued_on",
                format!("{issued_on} is before the birth date {birth}"),
            ));
        }
        if issued_on > today {
            return Err(bad(
                "issued_on",
                format!("{issued_on} is in the future (today is {today} JST); use --now to move the clock"),
            ));
        }
        let card_expiry = match &request.card_expiry {
            Some(text) => clock::parse_date(text).map_err(|e| bad("card_expiry", e))?,
            None => rules.card_expiry(birth, issued_on),
        };
        if card_expiry < today {
            return Err(bad(
                "card_expiry",
                format!("{card_expiry} has already passed (today is {today} JST)"),
            ));
        }
        if card_expiry <= issued_on {
            return Err(bad(
                "card_expiry",
                format!("{card_expiry} is not after the card's issue date {issued_on}"),
            ));
        }
        let only: Option<CertKind> = request
            .only
            .as_deref()
            .map(|s| s.parse().map_err(|e| bad("only", e)))
            .transpose()?;
        let key_alg: KeyAlg = request
            .key_alg
            .as_deref()
            .map(|s| s.parse().map_err(|e| bad("key_alg", e)))
            .transpose()?
            .unwrap_or(self.config.profile.key_alg);

        let sign_allowed = request.force_sign || rules.may_issue_sign(birth, today);
        let kinds: Vec<CertKind> = match only {
            Some(CertKind::Sign) if !sign_allowed => {
                return Err(Error::Refused(format!(
                "the holder is {} on {today}; no signing certificate under {} unless force_sign",
                rules.age_on(birth, today),
                rules.min_sign_age
            )))
            }
            Some(kind) => vec![kind],
            None if sign_allowed => vec![CertKind::Sign, CertKind::Auth],
            None => vec![CertKind::Auth],
        };
        let mut pin_hashes = Vec::new();
        for (kind, text) in [
            (CertKind::Sign, &request.sign_pin),
            (CertKind::Auth, &request.auth_pin),
        ] {
            let Some(text) = text else { continue };
            let pin = Pin::parse(kind, text).map_err(|e| bad(&format!("{kind}_pin"), e))?;
            if kinds.contains(&kind) {
                pin_hashes.push((kind, hash_pin(&pin)?));
            }
        }

        let holder = HolderRecord {
            name: request.name.trim().to_string(),
            birth,
            gender,
            address: address.to_string(),
            locality,
        };
        let card = NewCard {
            holder,
            issued_on,
            expiry: card_expiry,
            key_alg,
            replaces: None,
            fee_yen: 0,
            created_at: now,
        };
        let facts = holder_facts(&name, &card.holder);
        let (certificates, keys) = self.build_certificates(&card, &facts, &kinds, None, now)?;
        let id = self
            .store
            .insert_card(&card, &certificates, &pin_hashes, None)?;
        self.issued_card(id, &card, &certificates, &keys, vec![])
    }

    /// Builds and signs new certificates of `kinds` for a card, issued at `now`.
    /// `current_auth_expiry` caps a signing certificate issued without a new auth one.
    fn build_certificates(
        &mut self,
        card: &NewCard,
        facts: &HolderFacts,
        kinds: &[CertKind],
        current_auth_expiry: Option<Date>,
        now: OffsetDateTime,
    ) -> Result<(Vec<NewCertificate>, Vec<KeyPair>)> {
        let rules = &self.config.validity;
        let today = jst::date_of(now);
        let birth = card.holder.birth;
        let auth_expiry = if kinds.contains(&CertKind::Auth) {
            Some(rules.auth_expiry(birth, today, card.expiry))
        } else {
            current_auth_expiry
        };
        let profile = self.profile()?;
        let serials = self.store.allocate_serials(kinds.len())?;
        let mut certificates = Vec::with_capacity(kinds.len());
        let mut keys = Vec::with_capacity(kinds.len());
        for (&kind, &serial) in kinds.iter().zip(&serials) {
            let expiry = match kind {
                CertKind::Auth => auth_expiry.expect("set above when auth is issued"),
                CertKind::Sign => rules.sign_expiry(birth, today, auth_expiry, card.expiry),
            };
            let not_after = jst::end_of_day(expiry);
            if not_after <= now {
                return Err(Error::Refused(format!(
                    "a {kind} certificate issued on {today} would already be expired ({expiry})"
                )));
            }
            let key = self.new_key(card.key_alg, &format!("serial-{serial}"))?;
            let params = LeafParams {
                serial,
                not_before: now,
                not_after,
                spki_der: key.spki_der(),
            };
            let ca = &self.ca(kind).ca;
            let tbs = match kind {
                CertKind::Sign => cert::sign_tbs(
                    &profile,
                    ca.certificate(),
                    params,
                    &card.holder.locality,
                    &cert::sign_common_name(now, serial),
                    facts,
                )?,
                CertKind::Auth => cert::auth_tbs(
                    &profile,
                    ca.certificate(),
                    params,
                    &card.holder.locality,
                    &cert::auth_common_name(serial),
                )?,
            };
            let der = ca.sign_tbs(&tbs)?;
            certificates.push(NewCertificate {
                serial,
                kind,
                not_before: now,
                not_after,
                der,
                key_pkcs8: key.pkcs8_der().to_vec(),
            });
            keys.push(key);
        }
        Ok((certificates, keys))
    }

    fn issued_card(
        &self,
        id: CardId,
        card: &NewCard,
        certificates: &[NewCertificate],
        keys: &[KeyPair],
        revoked: Vec<RevokedView>,
    ) -> Result<IssuedCard> {
        let mut result = IssuedCard {
            card_id: id,
            card_expiry: card.expiry.to_string(),
            fee_yen: card.fee_yen,
            sign: None,
            auth: None,
            revoked,
        };
        for (certificate, key) in certificates.iter().zip(keys) {
            let cert_pem = pem("CERTIFICATE", &certificate.der);
            let ca_pem = pem(
                "CERTIFICATE",
                self.ca(certificate.kind).ca.certificate_der(),
            );
            let issued = IssuedCertificate {
                serial: certificate.serial.0,
                serial_hex: certificate.serial.hex(),
                not_before: rfc3339(certificate.not_before),
                not_after: rfc3339(certificate.not_after),
                expiry: jst::date_of(certificate.not_after).to_string(),
                chain_pem: format!("{cert_pem}{ca_pem}"),
                cert_pem,
                key_pem: key.to_pkcs8_pem(),
            };
            match certificate.kind {
                CertKind::Sign => result.sign = Some(issued),
                CertKind::Auth => result.auth = Some(issued),
            }
        }
        Ok(result)
    }

    fn card_record(&self, id: CardId) -> Result<CardRecord> {
        self.store
            .card(id)?
            .ok_or_else(|| Error::NotFound(format!("no card {id}")))
    }

    /// The newest certificate of each kind on a card.
    fn current_certificates(&self, id: CardId) -> Result<Vec<CertificateRecord>> {
        let mut current: Vec<CertificateRecord> = Vec::new();
        for record in self.store.card_certificates(id)? {
            current.retain(|c| c.certificate.kind != record.certificate.kind);
            current.push(record);
        }
        current.sort_by_key(|c| c.certificate.kind);
        Ok(current)
    }

    /// Applies a revocation cause to a card's current certificates (domain.md §4).
    pub fn revoke(
        &mut self,
        id: CardId,
        cause: Cause,
        chosen: Option<&[CertKind]>,
        at: Option<OffsetDateTime>,
    ) -> Result<RevocationReport> {
        let now = self.now();
        self.card_record(id)?;
        let targets = cause.targets(chosen).map_err(|e| bad("certs", e))?;
        let at = at.unwrap_or(now);
        if at > now {
            return Err(bad(
                "at",
                format!("{} is in the future (now is {})", rfc3339(at), rfc3339(now)),
            ));
        }
        let reason = self.config.reasons.reason(cause);
        // Another process may revoke the same certificates between our look and our
        // write; the write then fails whole, and a second look sees them revoked.
        let mut attempts = 0;
        let (revoked, unchanged) = loop {
            attempts += 1;
            let mut revokes = Vec::new();
            let mut revoked = Vec::new();
            let mut unchanged = Vec::new();
            for record in self.current_certificates(id)? {
                let c = &record.certificate;
                if !targets.contains(&c.kind) {
                    continue;
                }
                match CertStatus::of(&record, at) {
                    CertStatus::Good => {
                        if at < c.not_before {
                            return Err(bad(
                                "at",
                                format!(
                                    "{} is before certificate {} was issued ({})",
                                    rfc3339(at),
                                    c.serial,
                                    rfc3339(c.not_before)
                                ),
                            ));
                        }
                        revokes.push((c.serial, reason));
                        revoked.push(RevokedView {
                            serial: c.serial.0,
                            kind: c.kind.as_str(),
                            reason: reason.as_str(),
                            revoked_at: rfc3339(at),
                        });
                    }
                    status => unchanged.push(UnchangedView {
                        serial: c.serial.0,
                        kind: c.kind.as_str(),
                        status: status_name(status),
                    }),
                }
            }
            if revokes.is_empty() {
                break (revoked, unchanged);
            }
            let event = NewEvent {
                card_id: id,
                cause,
                at,
                revokes,
            };
            match self.store.record_event(&event) {
                Ok(_) => break (revoked, unchanged),
                Err(Error::Refused(_)) if attempts < 3 => continue,
                Err(e) => return Err(e),
            }
        };
        let message = if revoked.is_empty() {
            format!(
                "{}: nothing to revoke on card {id}; the targeted certificates are already revoked or expired",
                cause.as_str()
            )
        } else {
            format!(
                "{}: revoked {} certificate(s) of card {id}",
                cause.as_str(),
                revoked.len()
            )
        };
        Ok(RevocationReport {
            card_id: id,
            cause: cause.as_str(),
            revoked,
            unchanged,
            message,
        })
    }

    /// Renews certificates inside their window (domain.md §3): new keys, new
    /// certificates, the old ones revoked as superseded at the same instant.
    pub fn renew(&mut self, id: CardId, chosen: Option<&[CertKind]>) -> Result<IssuedCard> {
        let now = self.now();
        let today = jst::date_of(now);
        let card = self.card_record(id)?;
        if let Some(successor) = card.replaced_by {
            return Err(Error::Refused(format!(
                "card {id} was replaced by card {successor}; renew that one"
            )));
        }
        let current = self.current_certificates(id)?;
        let kinds: Vec<CertKind> = match chosen {
            Some([]) => return Err(bad("certs", "name at least one of sign, auth")),
            Some(list) => {
                let mut kinds = list.to_vec();
                kinds.sort();
                kinds.dedup();
                kinds
            }
            None => current
                .iter()
                .filter(|c| c.revocation.is_none())
                .map(|c| c.certificate.kind)
                .collect(),
        };
        if kinds.is_empty() {
            return Err(Error::Refused(format!(
                "card {id} has no unrevoked certificate to renew"
            )));
        }
        let mut old = Vec::new();
        for kind in &kinds {
            let record = current
                .iter()
                .find(|c| c.certificate.kind == *kind)
                .ok_or_else(|| Error::Refused(format!("card {id} has no {kind} certificate")))?;
            if let Some(r) = record.revocation {
                return Err(Error::Refused(format!(
                    "the {kind} certificate {} was revoked ({}) and cannot be renewed",
                    record.certificate.serial,
                    r.cause.as_str()
                )));
            }
            let expiry = jst::date_of(record.certificate.not_after);
            renewal::check_renewal(expiry, today)
                .map_err(|refusal| Error::Refused(format!("{kind} certificate: {refusal}")))?;
            old.push(record.certificate.serial);
        }
        let current_auth_expiry = current
            .iter()
            .find(|c| c.certificate.kind == CertKind::Auth)
            .filter(|c| CertStatus::of(c, now) == CertStatus::Good)
            .map(|c| jst::date_of(c.certificate.not_after));
        let name = HolderName::parse(&card.card.holder.name).map_err(|e| bad("name", e))?;
        let facts = holder_facts(&name, &card.card.holder);
        let (certificates, keys) =
            self.build_certificates(&card.card, &facts, &kinds, current_auth_expiry, now)?;
        let reason = self.config.reasons.reason(Cause::Superseded);
        let event = NewEvent {
            card_id: id,
            cause: Cause::Superseded,
            at: now,
            revokes: old.iter().map(|&s| (s, reason)).collect(),
        };
        self.store
            .add_certificates(id, &certificates, Some(&event))?;
        let revoked = self.revoked_views(&event, &current);
        let mut renewed = card.card.clone();
        renewed.fee_yen = 0;
        self.issued_card(id, &renewed, &certificates, &keys, revoked)
    }

    fn revoked_views(&self, event: &NewEvent, records: &[CertificateRecord]) -> Vec<RevokedView> {
        event
            .revokes
            .iter()
            .filter_map(|&(serial, reason)| {
                records
                    .iter()
                    .find(|r| r.certificate.serial == serial)
                    .map(|r| RevokedView {
                        serial: serial.0,
                        kind: r.certificate.kind.as_str(),
                        reason: reason.as_str(),
                        revoked_at: rfc3339(event.at),
                    })
            })
            .collect()
    }

    /// Card reissue (再交付): the old card's good certificates are revoked
    /// (`card_invalidated`) and a new card gets new certificates of the same kinds, for
    /// a fee of 200 yen.
    pub fn reissue(&mut self, id: CardId) -> Result<IssuedCard> {
        let now = self.now();
        let today = jst::date_of(now);
        let old = self.card_record(id)?;
        if let Some(successor) = old.replaced_by {
            return Err(Error::Refused(format!(
                "card {id} was already replaced by card {successor}"
            )));
        }
        let current = self.current_certificates(id)?;
        let mut kinds: Vec<CertKind> = current.iter().map(|c| c.certificate.kind).collect();
        if kinds.is_empty() {
            kinds.push(CertKind::Auth);
        }
        let reason = self.config.reasons.reason(Cause::CardInvalidated);
        let revokes: Vec<(Serial, CrlReason)> = current
            .iter()
            .filter(|c| CertStatus::of(c, now) == CertStatus::Good)
            .map(|c| (c.certificate.serial, reason))
            .collect();
        let holder = old.card.holder.clone();
        let card = NewCard {
            expiry: self.config.validity.card_expiry(holder.birth, today),
            holder,
            issued_on: today,
            key_alg: old.card.key_alg,
            replaces: Some(id),
            fee_yen: REISSUE_FEE_YEN,
            created_at: now,
        };
        let name = HolderName::parse(&card.holder.name).map_err(|e| bad("name", e))?;
        let facts = holder_facts(&name, &card.holder);
        let (certificates, keys) = self.build_certificates(&card, &facts, &kinds, None, now)?;
        let event = NewEvent {
            card_id: id,
            cause: Cause::CardInvalidated,
            at: now,
            revokes,
        };
        let event_ref = (!event.revokes.is_empty()).then_some(&event);
        let new_id = self
            .store
            .insert_card(&card, &certificates, &[], event_ref)?;
        let revoked = self.revoked_views(&event, &current);
        self.issued_card(new_id, &card, &certificates, &keys, revoked)
    }

    /// Builds, signs and returns a CA's current CRL (DER), taking the next cRLNumber.
    /// The entries are read from the store on this thread and encoded on another as
    /// they arrive, so a million-entry CRL costs about as much as reading it.
    pub fn crl(&mut self, kind: CertKind) -> Result<Vec<u8>> {
        self.crl_with_faults(kind, CrlFaults::default())
    }

    /// A CRL spoiled on purpose (fault injection); `CrlFaults::default()` spoils nothing.
    pub fn crl_with_faults(&mut self, kind: CertKind, faults: CrlFaults) -> Result<Vec<u8>> {
        const CHUNK: usize = 8192;
        let now = self.now();
        let profile = self.profile()?;
        let mut names = Vec::new();
        if faults.wrong_idp {
            names.push(cert::crl_url_name(
                &CertProfile {
                    base_url: "http://crl.invalid".into(),
                    ..profile.clone()
                },
                kind,
            )?);
        } else {
            for locality in self.store.localities(kind)? {
                let [directory_name, _] =
                    cert::crl_distribution_point_names(&profile, kind, &locality)?;
                names.push(directory_name);
            }
            names.push(cert::crl_url_name(&profile, kind)?);
        }
        let number = self.store.next_crl_number(kind)?;
        let interval = self.config.crl.next_update;
        let this_update = if faults.expired {
            now - interval * 2
        } else {
            now - self.config.crl.backdate
        };
        let next_update = this_update + interval;
        let missing_reason = faults.missing_reason;
        let ca = &self.ca(kind).ca;
        let store = self.store.as_ref();
        let tbs = std::thread::scope(|scope| -> Result<Vec<u8>> {
            let (sender, receiver) = std::sync::mpsc::sync_channel::<Vec<CrlEntry>>(8);
            let encoder = scope.spawn(move || {
                crl_tbs_der(
                    ca.certificate(),
                    ca.signature_algorithm(),
                    CrlParams {
                        this_update,
                        next_update,
                        number,
                        entries: &mut receiver.into_iter().flatten(),
                        distribution_point_names: names,
                    },
                )
            });
            let mut chunk = Vec::with_capacity(CHUNK);
            let read = store.for_each_revoked(kind, now, &mut |e| {
                chunk.push(CrlEntry {
                    serial: e.serial,
                    revoked_at: e.at,
                    reason: if missing_reason {
                        CrlReason::Unspecified
                    } else {
                        e.reason
                    },
                });
                if chunk.len() == CHUNK {
                    // A send fails only if the encoder stopped, and then its error wins.
                    let _ = sender.send(std::mem::replace(&mut chunk, Vec::with_capacity(CHUNK)));
                }
            });
            let _ = sender.send(chunk);
            drop(sender);
            let encoded = encoder
                .join()
                .map_err(|_| Error::Crypto("the CRL encoder panicked".into()))?;
            read?;
            encoded
        })?;
        let mut der = ca.sign_tbs_der(&tbs)?;
        if faults.bad_signature {
            // The signature BIT STRING ends the CRL.
            if let Some(last) = der.last_mut() {
                *last ^= 0x01;
            }
        }
        Ok(der)
    }

    /// A responder certificate that is wrong on purpose, for fault injection: without
    /// the OCSPSigning EKU, or expired a month ago. Made on first use with its own key
    /// and kept in memory only.
    pub fn faulty_responder(
        &mut self,
        kind: CertKind,
        variant: FaultyResponder,
    ) -> Result<Arc<Issuer>> {
        let now = self.now();
        if let Some(found) = self.faulty_responders.get(&(kind, variant)) {
            return Ok(found.clone());
        }
        let key = self.new_key(
            self.config.profile.key_alg,
            &format!("faulty-responder-{kind}-{variant:?}"),
        )?;
        let serial = self.store.allocate_serials(1)?[0];
        let (not_before, not_after, ocsp_signing) = match variant {
            FaultyResponder::WithoutOcspSigning => (
                now - time::Duration::hours(1),
                now + time::Duration::days(30),
                false,
            ),
            FaultyResponder::Expired => (
                now - time::Duration::days(60),
                now - time::Duration::days(30),
                true,
            ),
        };
        let tbs = cert::responder_tbs(
            &self.profile()?,
            kind,
            self.ca(kind).ca.certificate(),
            LeafParams {
                serial,
                not_before,
                not_after,
                spki_der: key.spki_der(),
            },
            ocsp_signing,
        )?;
        let der = self.ca(kind).ca.sign_tbs(&tbs)?;
        let issuer = Arc::new(Issuer::new(der, key)?);
        self.faulty_responders
            .insert((kind, variant), issuer.clone());
        Ok(issuer)
    }

    /// A self-contained fixture bundle for suites that cannot run a server: the CA and
    /// responder certificates, both CRLs, every card's certificates and keys, a
    /// pre-signed OCSP response (SHA-1 CertID, no nonce) per certificate, and
    /// `manifest.json`. With the same `--seed`, `--now` and history, the bytes are the
    /// same on every run.
    pub fn export(&mut self) -> Result<Vec<ExportFile>> {
        let now = self.now();
        let mut files = Vec::new();
        let mut manifest_cas = serde_json::Map::new();
        for kind in CertKind::ALL {
            let responder = self.responder(kind, now)?;
            let crl = self.crl(kind)?;
            let ca_path = format!("ca/{kind}.pem");
            let responder_path = format!("ca/responder-{kind}.pem");
            let crl_path = format!("crl/{kind}.crl");
            files.push(ExportFile::new(
                &ca_path,
                pem("CERTIFICATE", self.ca(kind).ca.certificate_der()),
            ));
            files.push(ExportFile::new(
                &responder_path,
                pem("CERTIFICATE", responder.certificate_der()),
            ));
            files.push(ExportFile::new(&crl_path, crl));
            manifest_cas.insert(
                kind.as_str().into(),
                serde_json::json!({"certificate": ca_path, "ocsp_responder": responder_path, "crl": crl_path}),
            );
        }
        let mut manifest_cards = Vec::new();
        for card in self.store.cards()? {
            let mut certificates = Vec::new();
            for record in self.store.card_certificates(card.id)? {
                let c = &record.certificate;
                let stem = format!("cards/{}/{}-{}", card.id, c.kind, c.serial);
                let ocsp = self.signed_ocsp_response(c.serial)?;
                let key = KeyPair::from_pkcs8_der(&c.key_pkcs8)?;
                files.push(ExportFile::new(
                    &format!("{stem}.pem"),
                    pem("CERTIFICATE", &c.der),
                ));
                files.push(ExportFile::new(&format!("{stem}.key"), key.to_pkcs8_pem()));
                files.push(ExportFile::new(&format!("{stem}.ocsp.der"), ocsp));
                let view = cert_view(&record, now);
                certificates.push(serde_json::json!({
                    "serial": c.serial.0,
                    "kind": c.kind.as_str(),
                    "status": view.status,
                    "reason": view.reason,
                    "not_before": view.not_before,
                    "not_after": view.not_after,
                    "certificate": format!("{stem}.pem"),
                    "key": format!("{stem}.key"),
                    "ocsp_response": format!("{stem}.ocsp.der"),
                }));
            }
            let h = &card.card.holder;
            manifest_cards.push(serde_json::json!({
                "card_id": card.id,
                "name": h.name,
                "birth": h.birth.to_string(),
                "gender": h.gender.as_str(),
                "address": h.address,
                "locality": h.locality.to_string(),
                "card_expiry": card.card.expiry.to_string(),
                "certificates": certificates,
            }));
        }
        let manifest = serde_json::json!({
            "generator": "jpki-mock (TEST CA, NOT FOR PRODUCTION)",
            "generated_at": rfc3339(now),
            "base_url": self.base_url()?,
            "cas": manifest_cas,
            "cards": manifest_cards,
        });
        let text = serde_json::to_string_pretty(&manifest)
            .map_err(|e| Error::Crypto(format!("manifest encoding: {e}")))?;
        files.push(ExportFile::new("manifest.json", text + "\n"));
        Ok(files)
    }

    /// A signed OCSP response for one of our certificates (SHA-1 CertID, no nonce),
    /// as the responder answers it at the clock's now.
    pub fn signed_ocsp_response(&mut self, serial: Serial) -> Result<Vec<u8>> {
        let now = self.now();
        let record = self
            .store
            .certificate(serial)?
            .ok_or_else(|| Error::NotFound(format!("no certificate with serial {serial}")))?;
        let kind = record.certificate.kind;
        let answer = crate::pki::ocsp::SingleAnswer {
            cert_id: self
                .ca(kind)
                .hashes
                .cert_id(crate::pki::ocsp::CertIdHash::Sha1, serial)?,
            status: self.ocsp_status(kind, Some(serial))?,
            this_update: now,
            next_update: Some(now + self.config.ocsp.validity),
        };
        let by_key = self.config.ocsp.responder_id == crate::config::ResponderIdKind::ByKey;
        let responder = self.responder(kind, now)?;
        responder.sign_ocsp(by_key, now, &[answer], vec![])
    }

    /// The virtual clock.
    pub fn clock_view(&self) -> ClockView {
        ClockView {
            mode: match self.clock {
                Clock::System => "system",
                Clock::Fixed { .. } => "fixed",
                Clock::Offset { .. } => "offset",
            },
            now: rfc3339(self.now()),
            offset_seconds: match self.clock {
                Clock::Offset { offset_seconds } => Some(offset_seconds),
                _ => None,
            },
            overridden_by_now_option: self.now_override.is_some(),
        }
    }

    /// Sets and persists the virtual clock (every process sharing the state follows).
    pub fn set_clock(&mut self, clock: Clock) -> Result<ClockView> {
        if let Clock::Fixed { now } = clock {
            if now.year() < 1970 || now.year() > 9999 {
                return Err(bad("now", "must be between 1970 and 9999"));
            }
        }
        if let Clock::Offset { offset_seconds } = clock {
            if offset_seconds.unsigned_abs() > 200 * 365 * 86_400 {
                return Err(bad("offset_seconds", "must be within ±200 years"));
            }
        }
        let json = serde_json::to_string(&clock)
            .map_err(|e| Error::Crypto(format!("clock encoding: {e}")))?;
        self.store.put_setting(CLOCK_SETTING, &json)?;
        self.clock = clock;
        Ok(self.clock_view())
    }

    /// Signs `data` with a card's current `kind` key, if `pin` is right (domain.md §5):
    /// a wrong PIN counts a try; at the limit the PIN locks until `reset_pin`.
    pub fn sign_with_pin(
        &mut self,
        id: CardId,
        kind: CertKind,
        pin: &str,
        data: &[u8],
    ) -> Result<SignatureView> {
        use argon2::password_hash::{PasswordHash, PasswordVerifier};
        let now = self.now();
        self.card_record(id)?;
        let pin = Pin::parse(kind, pin).map_err(|e| bad("pin", e))?;
        let record = self.store.pin(id, kind)?.ok_or_else(|| {
            Error::Refused(format!(
                "card {id} has no {kind} PIN; set one with pin-reset"
            ))
        })?;
        let limit = crate::rules::pin::max_tries(kind);
        if record.failures >= limit {
            return Err(Error::PinLocked(kind));
        }
        let hash = PasswordHash::new(&record.hash)
            .map_err(|e| Error::State(format!("stored PIN hash is corrupt: {e}")))?;
        if argon2::Argon2::default()
            .verify_password(pin.as_str().as_bytes(), &hash)
            .is_err()
        {
            let failures = record.failures + 1;
            self.store.set_pin_failures(id, kind, failures)?;
            return Err(Error::WrongPin {
                kind,
                remaining_tries: limit - failures,
            });
        }
        if record.failures != 0 {
            self.store.set_pin_failures(id, kind, 0)?;
        }
        let certificate = self
            .current_certificates(id)?
            .into_iter()
            .find(|c| c.certificate.kind == kind)
            .ok_or_else(|| Error::Refused(format!("card {id} has no {kind} certificate")))?;
        let key = KeyPair::from_pkcs8_der(&certificate.certificate.key_pkcs8)?;
        let signature = key.sign(data)?;
        use base64::Engine;
        Ok(SignatureView {
            signature_base64: base64::engine::general_purpose::STANDARD.encode(signature),
            algorithm: match key.alg() {
                KeyAlg::Rsa2048 => "sha256WithRSAEncryption",
                KeyAlg::P256 => "ecdsa-with-SHA256",
            },
            serial: certificate.certificate.serial.0,
            status: status_name(CertStatus::of(&certificate, now)),
            cert_pem: pem("CERTIFICATE", &certificate.certificate.der),
        })
    }

    /// Sets a new PIN and unlocks it (no old PIN needed, as at the municipal counter).
    pub fn reset_pin(&mut self, id: CardId, kind: CertKind, new_pin: &str) -> Result<()> {
        self.card_record(id)?;
        let pin = Pin::parse(kind, new_pin).map_err(|e| bad("new_pin", e))?;
        if !self
            .current_certificates(id)?
            .iter()
            .any(|c| c.certificate.kind == kind)
        {
            return Err(Error::Refused(format!(
                "card {id} has no {kind} certificate"
            )));
        }
        self.store.put_pin(id, kind, &hash_pin(&pin)?)
    }

    /// The expiry notices due on `on`: good certificates whose expiry − 3 months is
    /// that date.
    pub fn notices(&self, on: Date) -> Result<Vec<NoticeView>> {
        // Every expiry whose notice date is `on` lies 89 to 95 days after it (three
        // calendar months, with month-end clamping); scan a little wider and filter.
        let from = jst::start_of_day(on + time::Duration::days(80));
        let to = jst::end_of_day(on + time::Duration::days(100));
        let mut notices = Vec::new();
        for record in self.store.certificates_expiring(from, to)? {
            let expiry = jst::date_of(record.certificate.not_after);
            if renewal::notice_date(expiry) != on || record.revocation.is_some() {
                continue;
            }
            let (first, last) = renewal::renewal_window(expiry);
            notices.push(NoticeView {
                card_id: record.card_id,
                serial: record.certificate.serial.0,
                kind: record.certificate.kind.as_str(),
                expiry: expiry.to_string(),
                notice_date: on.to_string(),
                renewal_window: [first.to_string(), last.to_string()],
            });
        }
        Ok(notices)
    }

    /// A card with its certificates and their status at the clock's now.
    pub fn card_view(&self, id: CardId) -> Result<CardView> {
        let now = self.now();
        let record = self.card_record(id)?;
        let certificates = self
            .store
            .card_certificates(id)?
            .iter()
            .map(|c| cert_view(c, now))
            .collect();
        let card = record.card;
        Ok(CardView {
            card_id: id,
            name: card.holder.name,
            birth: card.holder.birth.to_string(),
            gender: card.holder.gender.as_str(),
            address: card.holder.address,
            locality: card.holder.locality.to_string(),
            issued_on: card.issued_on.to_string(),
            card_expiry: card.expiry.to_string(),
            fee_yen: card.fee_yen,
            replaces: card.replaces,
            replaced_by: record.replaced_by,
            certificates,
        })
    }

    /// One certificate with its status.
    pub fn certificate_view(&self, serial: Serial) -> Result<CertView> {
        let now = self.now();
        let record = self
            .store
            .certificate(serial)?
            .ok_or_else(|| Error::NotFound(format!("no certificate with serial {serial}")))?;
        Ok(cert_view(&record, now))
    }

    /// Every card.
    pub fn card_views(&self) -> Result<Vec<CardView>> {
        self.store
            .cards()?
            .iter()
            .map(|c| self.card_view(c.id))
            .collect()
    }
}

/// The virtual clock, as reported.
#[derive(Clone, Debug, Serialize)]
pub struct ClockView {
    /// system | fixed | offset.
    pub mode: &'static str,
    /// The clock's now, RFC 3339.
    pub now: String,
    /// Seconds ahead of real time (offset mode).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset_seconds: Option<i64>,
    /// Whether a `--now` given at start-up overrides this clock.
    pub overridden_by_now_option: bool,
}

/// How a CRL is spoiled on purpose (fault injection).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CrlFaults {
    /// thisUpdate and nextUpdate in the past.
    pub expired: bool,
    /// The signature does not verify.
    pub bad_signature: bool,
    /// An issuingDistributionPoint naming no certificate's distribution point.
    pub wrong_idp: bool,
    /// Entries without reasonCode.
    pub missing_reason: bool,
}

/// The wrong responders fault injection signs with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FaultyResponder {
    /// No id-kp-OCSPSigning.
    WithoutOcspSigning,
    /// Past its notAfter.
    Expired,
}

/// One file of an export bundle.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExportFile {
    /// Path relative to the bundle's directory, `/`-separated.
    pub path: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

impl ExportFile {
    fn new(path: &str, bytes: impl Into<Vec<u8>>) -> Self {
        Self {
            path: path.to_string(),
            bytes: bytes.into(),
        }
    }
}

/// A signature made by a card key.
#[derive(Clone, Debug, Serialize)]
pub struct SignatureView {
    /// The signature, base64.
    pub signature_base64: String,
    /// The algorithm: sha256WithRSAEncryption (PKCS#1 v1.5) or ecdsa-with-SHA256.
    pub algorithm: &'static str,
    /// The certificate whose key signed.
    pub serial: u32,
    /// That certificate's status now (a revoked certificate's key still signs, so that
    /// relying parties can test that they refuse it).
    pub status: &'static str,
    /// The certificate, PEM.
    pub cert_pem: String,
}

/// An expiry notice due.
#[derive(Clone, Debug, Serialize)]
pub struct NoticeView {
    /// The card.
    pub card_id: CardId,
    /// Serial.
    pub serial: u32,
    /// sign | auth.
    pub kind: &'static str,
    /// Expiry date.
    pub expiry: String,
    /// The notice date (expiry − 3 months).
    pub notice_date: String,
    /// Renewal window, first and last day.
    pub renewal_window: [String; 2],
}

fn status_name(status: CertStatus) -> &'static str {
    match status {
        CertStatus::Good => "good",
        CertStatus::Revoked { .. } => "revoked",
        CertStatus::Expired => "expired",
    }
}

fn cert_view(record: &CertificateRecord, now: OffsetDateTime) -> CertView {
    let c = &record.certificate;
    let status = CertStatus::of(record, now);
    let expiry = jst::date_of(c.not_after);
    let (first, last) = renewal::renewal_window(expiry);
    CertView {
        serial: c.serial.0,
        serial_hex: c.serial.hex(),
        kind: c.kind.as_str(),
        card_id: record.card_id,
        not_before: rfc3339(c.not_before),
        not_after: rfc3339(c.not_after),
        expiry: expiry.to_string(),
        status: status_name(status),
        reason: record.revocation.map(|r| r.reason.as_str()),
        cause: record.revocation.map(|r| r.cause.as_str()),
        revoked_at: record.revocation.map(|r| rfc3339(r.at)),
        renewal_window: (status == CertStatus::Good).then(|| [first.to_string(), last.to_string()]),
        cert_pem: pem("CERTIFICATE", &c.der),
    }
}

/// The holder's facts in certificate form (profile.md, signing certificate SAN).
fn holder_facts(name: &HolderName, holder: &HolderRecord) -> HolderFacts {
    let name = name.certificate_form();
    let address = holder::certificate_address(&holder.address);
    HolderFacts {
        name_flags: holder::substitute_flags(&name),
        address_flags: holder::substitute_flags(&address),
        birth_date: holder::era_birth_date(holder.birth),
        gender_code: holder.gender.code(),
        name,
        address,
    }
}

fn hash_pin(pin: &Pin) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString};
    let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
    argon2::Argon2::default()
        .hash_password(pin.as_str().as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| Error::Crypto(format!("PIN hashing: {e}")))
}

fn stored_clock(store: &dyn Store) -> Result<Clock> {
    match store.setting(CLOCK_SETTING)? {
        None => Ok(Clock::System),
        Some(json) => serde_json::from_str(&json)
            .map_err(|e| Error::State(format!("the stored clock is corrupt: {e}"))),
    }
}

fn new_key(seed: Option<&str>, alg: KeyAlg, label: &str) -> Result<KeyPair> {
    match seed {
        Some(seed) => KeyPair::generate_seeded(alg, seed, label),
        None => KeyPair::generate(alg),
    }
}

fn cert_profile(config: &Config, base_url: String) -> CertProfile {
    CertProfile {
        org: config.profile.org.clone(),
        sign_policy: config.profile.sign_policy,
        auth_policy: config.profile.auth_policy,
        cps_uri: config.profile.cps_uri.clone(),
        sign_ocsp_url: config.profile.sign_ocsp_url,
        base_url,
    }
}

/// The CA's validity end: 14:59:59Z on the same JST date `years` later.
fn ca_not_after(now: OffsetDateTime, years: u32) -> OffsetDateTime {
    let today = jst::date_of(now);
    let year = today.year() + years as i32;
    let date = Date::from_calendar_date(year, today.month(), today.day())
        .or_else(|_| Date::from_calendar_date(year, today.month(), 28))
        .expect("day 28 exists in every month");
    jst::end_of_day(date)
}

/// Issues (or re-issues) a responder certificate for a CA.
pub fn responder_certificate(
    config: &Config,
    base_url: String,
    kind: CertKind,
    ca: &Issuer,
    serial: Serial,
    key: &KeyPair,
    now: OffsetDateTime,
) -> Result<Vec<u8>> {
    // Backdated an hour for clients whose clocks lag.
    let not_before = now - time::Duration::hours(1);
    let not_after = now + time::Duration::days(i64::from(config.profile.responder_validity_days));
    let params = LeafParams {
        serial,
        not_before,
        not_after,
        spki_der: key.spki_der(),
    };
    let tbs = cert::responder_tbs(
        &cert_profile(config, base_url),
        kind,
        ca.certificate(),
        params,
        true,
    )?;
    ca.sign_tbs(&tbs)
}

fn create_authority(
    store: &mut dyn Store,
    config: &Config,
    options: &Options,
    kind: CertKind,
    now: OffsetDateTime,
) -> Result<AuthorityRecord> {
    let base_url = store
        .setting(BASE_URL_SETTING)?
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    let profile = cert_profile(config, base_url.clone());
    let seed = options.key_seed.as_deref();
    let alg = config.profile.key_alg;
    let ca_key = new_key(seed, alg, &format!("ca-{kind}"))?;
    let responder_key = new_key(seed, alg, &format!("responder-{kind}"))?;
    let serials = store.allocate_serials(2)?;
    let ca_tbs = cert::ca_tbs(
        &profile,
        CaParams {
            kind,
            serial: serials[0],
            not_before: now,
            not_after: ca_not_after(now, config.profile.ca_validity_years),
            spki_der: ca_key.spki_der(),
            signature_algorithm: ca_key.signature_algorithm(),
        },
    )?;
    let ca_cert = sign_with(&ca_key, &ca_tbs)?;
    let ca_key_pem = ca_key.to_pkcs8_pem();
    let ca = Issuer::new(ca_cert.clone(), ca_key)?;
    let responder_cert =
        responder_certificate(config, base_url, kind, &ca, serials[1], &responder_key, now)?;
    Ok(AuthorityRecord {
        ca_cert,
        ca_key_pem,
        responder_cert,
        responder_key_pem: responder_key.to_pkcs8_pem(),
    })
}
