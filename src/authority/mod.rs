//! The authority: the one module that combines the rules, the encoders, the issuers,
//! the store and the clock. Everything a user can do (issue, revoke, renew, reissue,
//! publish a CRL, look at state) is a method on [`Authority`], one file per concern;
//! the CLI and HTTP layers only parse and print.

mod crl;
mod facts;
mod generations;
mod issue;
mod phones;
mod pin;
mod populate;
mod recorded;
mod renew;
mod request;
mod responder;
mod revoke;
#[cfg(test)]
mod tests;
mod views;
mod virtual_clock;

use std::sync::Arc;

use serde::Serialize;
use time::{Date, OffsetDateTime};

use crate::clock::{self, Clock};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::issuer::{sign_with, Issuer};
use crate::pki::cert::{self, CaParams, CertProfile, LeafParams};
use crate::pki::keys::KeyPair;
use crate::rules::{jst, Carrier, CertKind, KeyAlg, Platform, Serial};
use crate::store::{AuthorityRecord, CardId, CardRecord, CertificateRecord, Store};

pub use crl::{
    CrlFaults, CrlIndexEntry, CrlScope, PublicationView, PublishedCrl, PublishedData,
    PublishedVersion,
};
pub use generations::{CaGeneration, CaRevocationView, CaView};
pub(crate) use issue::holder_facts;
pub use populate::{PopulatePlan, PopulateProgress};
pub use recorded::RecordedProfile;
pub use request::{
    cert_kinds, CardRequest, IssueRequest, PhoneRequest, RawPhoneRequest, RawRevokeRequest,
    RawSignRequest, RevokeRequest, SignRequest,
};
pub use responder::FaultyResponder;
pub use views::{
    CardView, CertState, CertView, ConsentView, IssuedCard, IssuedCertificate, LatestFactsView,
    LinksView, NoticeView, RevocationReport, RevokedView, SignatureAlgorithm, SignatureView,
    SuccessorView, UnchangedView,
};
pub use virtual_clock::{ClockMode, ClockView};

/// Setting key: the base URL recorded in the state.
const BASE_URL_SETTING: &str = "base_url";
/// Setting key: the persisted virtual clock.
const CLOCK_SETTING: &str = "clock";
/// The default base URL (interface.md).
pub const DEFAULT_BASE_URL: &str = "http://127.0.0.1:8080";
/// Fee for certificates issued with a card reissue (domain.md §6).
pub const REISSUE_FEE_YEN: u32 = 200;

/// What `init` did.
#[derive(Clone, Debug, Serialize)]
pub struct InitReport {
    /// CAs created now.
    pub created: Vec<CertKind>,
    /// CAs that existed and were kept.
    pub kept: Vec<CertKind>,
    /// The base URL recorded.
    pub base_url: String,
    /// The profile recorded (at the first `init`; kept after).
    pub profile: RecordedProfile,
}

/// The authority over one state.
pub struct Authority {
    config: Config,
    store: Box<dyn Store>,
    now_override: Option<OffsetDateTime>,
    clock: Clock,
    seen_revision: u64,
    key_seed: Option<String>,
    /// Every generation of each CA (index: `CertKind as usize`), oldest first.
    generations: [Vec<CaGeneration>; 2],
    /// The last `POST /api/v1/publish`, as of the last `sync`.
    published_now: Option<OffsetDateTime>,
    faulty_responders: std::collections::HashMap<(CertKind, u32, FaultyResponder), Arc<Issuer>>,
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
    /// the default. Idempotent. One batch: two processes (replicas starting on one empty
    /// database) initialising at once do not both create the CAs; the second waits, then
    /// keeps the first's.
    pub fn init(
        store: &mut dyn Store,
        config: &Config,
        options: &Options,
        base_url: Option<&str>,
        fallback_base_url: Option<&str>,
    ) -> Result<InitReport> {
        store.begin_batch()?;
        let report = Self::init_in_batch(store, config, options, base_url, fallback_base_url);
        store.end_batch(report.is_ok())?;
        report
    }

    fn init_in_batch(
        store: &mut dyn Store,
        config: &Config,
        options: &Options,
        base_url: Option<&str>,
        fallback_base_url: Option<&str>,
    ) -> Result<InitReport> {
        let given = base_url
            .map(|url| crate::config::normalize_base_url(url).map_err(|e| bad("--base-url", e)))
            .transpose()?;
        // A state keeps its recorded URL here: changing it re-signs the CA certificates,
        // which `set_base_url` does once the state is open.
        let base_url = match store.setting(BASE_URL_SETTING)? {
            Some(recorded) => recorded,
            None => {
                let url = given
                    .or_else(|| config.server.base_url.clone())
                    .or_else(|| fallback_base_url.map(str::to_string))
                    .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
                store.put_setting(BASE_URL_SETTING, &url)?;
                url
            }
        };
        let requested = RecordedProfile::of(config);
        let profile = match RecordedProfile::load(store)? {
            Some(recorded) if config.preset.is_some() && recorded.preset != config.preset => {
                return Err(Error::Refused(format!(
                    "this state was initialised with preset {}; a preset is chosen once, at \
                     the first init: use a new state directory for {}",
                    recorded.preset.as_deref().unwrap_or("none"),
                    config.preset.as_deref().unwrap_or("none"),
                )))
            }
            Some(recorded) => recorded,
            None => {
                requested.save(store)?;
                requested
            }
        };
        let config = &profile.apply(config.clone())?;
        let now = match options.now {
            Some(now) => now,
            None => stored_clock(store)?.now(),
        };
        let mut report = InitReport {
            created: vec![],
            kept: vec![],
            base_url,
            profile,
        };
        for kind in CertKind::ALL {
            if !store.authorities(kind)?.is_empty() {
                report.kept.push(kind);
                continue;
            }
            let record =
                create_authority(store, config, options.key_seed.as_deref(), kind, 1, now)?;
            store.put_authority(kind, &record)?;
            report.created.push(kind);
        }
        Ok(report)
    }

    /// Opens an initialised state.
    pub fn open(store: Box<dyn Store>, config: Config, options: Options) -> Result<Self> {
        let config = match RecordedProfile::load(store.as_ref())? {
            Some(recorded) => recorded.apply(config)?,
            None => config,
        };
        let load = |kind: CertKind| -> Result<Vec<CaGeneration>> {
            let records = store.authorities(kind)?;
            if records.is_empty() {
                return Err(Error::State(format!(
                    "the state has no {kind} CA: run `jpki-mock init` first"
                )));
            }
            records
                .into_iter()
                .map(|record| CaGeneration::load(kind, record))
                .collect()
        };
        let generations = [load(CertKind::Sign)?, load(CertKind::Auth)?];
        let seen_revision = store.revision()?;
        let clock = stored_clock(store.as_ref())?;
        let mut authority = Self {
            config,
            store,
            now_override: options.now,
            clock,
            seen_revision,
            key_seed: options.key_seed,
            generations,
            published_now: None,
            faulty_responders: Default::default(),
        };
        authority.load_published_now()?;
        Ok(authority)
    }

    /// Catches up with changes made by this or another process: returns true (and
    /// reloads the clock and the CA generations) when the state changed since the
    /// last call.
    pub fn sync(&mut self) -> Result<bool> {
        let revision = self.store.revision()?;
        if revision == self.seen_revision {
            return Ok(false);
        }
        self.seen_revision = revision;
        self.clock = stored_clock(self.store.as_ref())?;
        self.load_published_now()?;
        for kind in CertKind::ALL {
            for record in self.store.authorities(kind)? {
                self.follow_generation(kind, record)?;
            }
        }
        Ok(true)
    }

    /// The revision of the state last seen by `sync`.
    pub fn seen_revision(&self) -> u64 {
        self.seen_revision
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

    /// The clock in force (`--now` as a fixed clock), for readers that tell the time
    /// without the authority.
    pub fn clock_in_force(&self) -> Clock {
        self.now_override
            .map_or(self.clock, |now| Clock::Fixed { now })
    }

    /// The state's change signal (see [`crate::store::ChangeCounter`]).
    pub fn changes(&self) -> crate::store::ChangeCounter {
        self.store.changes()
    }

    /// The base URL recorded in the state.
    pub fn base_url(&self) -> Result<String> {
        Ok(self
            .store
            .setting(BASE_URL_SETTING)?
            .unwrap_or_else(|| DEFAULT_BASE_URL.to_string()))
    }

    /// Records a new base URL for certificates issued from now on, and re-signs every
    /// CA certificate with its own key, serial and validity so that the ARL URL it
    /// carries follows (one transaction). Certificates issued before keep their URLs.
    pub fn set_base_url(&mut self, url: &str) -> Result<String> {
        let url = crate::config::normalize_base_url(url).map_err(|e| bad("url", e))?;
        if self.base_url()? == url {
            return Ok(url);
        }
        let profile = cert_profile(&self.config, url.clone());
        let mut resigned = Vec::new();
        for generation in self.generations.iter().flatten() {
            let old = generation.ca.certificate();
            let validity = &old.tbs_certificate.validity;
            let key = generation.ca.key();
            let tbs = cert::ca_tbs(
                &profile,
                CaParams {
                    kind: generation.kind,
                    generation: generation.number,
                    serial: cert::serial_of(&old.tbs_certificate.serial_number).ok_or_else(
                        || {
                            Error::State(format!(
                                "{} CA generation {}: a serial out of range",
                                generation.kind, generation.number
                            ))
                        },
                    )?,
                    not_before: crate::pki::time::instant_of(&validity.not_before),
                    not_after: crate::pki::time::instant_of(&validity.not_after),
                    spki_der: key.spki_der(),
                    signature_algorithm: key.signature_algorithm(),
                },
            )?;
            resigned.push((
                generation.kind,
                generation.number,
                generation.ca.sign_tbs(&tbs)?,
            ));
        }
        self.store.begin_batch()?;
        let written = (|| -> Result<()> {
            self.store.put_setting(BASE_URL_SETTING, &url)?;
            for (kind, number, der) in &resigned {
                self.store.put_ca_certificate(*kind, *number, der)?;
            }
            Ok(())
        })();
        self.store.end_batch(written.is_ok())?;
        written?;
        for kind in CertKind::ALL {
            for record in self.store.authorities(kind)? {
                self.follow_generation(kind, record)?;
            }
        }
        tracing::info!(base_url = %url, "recorded a new base URL; CA certificates re-signed");
        Ok(url)
    }

    fn profile(&self) -> Result<CertProfile> {
        Ok(cert_profile(&self.config, self.base_url()?))
    }

    fn new_key(&self, alg: KeyAlg, label: &str) -> Result<KeyPair> {
        new_key(self.key_seed.as_deref(), alg, label)
    }

    fn card_record(&self, id: CardId) -> Result<CardRecord> {
        self.store
            .card(id)?
            .ok_or_else(|| Error::NotFound(format!("no card {id}")))
    }

    /// A card that new certificates may go on: neither replaced nor expired.
    pub(super) fn current_card(&self, id: CardId, now: OffsetDateTime) -> Result<CardRecord> {
        let card = self.card_record(id)?;
        if let Some(newer) = card.replaced_by {
            return Err(Error::Refused(format!(
                "card {id} was replaced by card {newer}; use that one"
            )));
        }
        let today = jst::date_of(now);
        if card.card.expiry < today {
            return Err(Error::Refused(format!(
                "card {id} expired on {} (today is {today} JST)",
                card.card.expiry
            )));
        }
        Ok(card)
    }

    /// The newest certificate of each kind on a card.
    fn current_certificates(&self, id: CardId) -> Result<Vec<CertificateRecord>> {
        Ok(newest_of_each_kind(
            self.store
                .card_certificates(id)?
                .into_iter()
                .filter(|c| c.certificate.phone.is_none()),
        ))
    }

    /// The current certificates of a holder's phone on a platform (the newest of each
    /// kind, sign first), issued on this card or on the cards it replaced.
    fn current_phone_set(&self, id: CardId, platform: Platform) -> Result<Vec<CertificateRecord>> {
        let mut certificates = Vec::new();
        let mut card = Some(id);
        while let Some(id) = card {
            certificates.extend(
                self.store
                    .card_certificates(id)?
                    .into_iter()
                    .filter(|c| c.certificate.carrier() == Carrier::Phone(platform)),
            );
            card = self.card_record(id)?.card.replaces;
        }
        certificates.sort_by_key(|c| c.certificate.serial);
        Ok(newest_of_each_kind(certificates.into_iter()))
    }
}

/// The newest certificate of each kind, sign first, from certificates in issue order.
fn newest_of_each_kind(
    certificates: impl Iterator<Item = CertificateRecord>,
) -> Vec<CertificateRecord> {
    let mut current: Vec<CertificateRecord> = Vec::new();
    for record in certificates {
        current.retain(|c| c.certificate.kind != record.certificate.kind);
        current.push(record);
    }
    current.sort_by_key(|c| c.certificate.kind);
    current
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
        crl_dp_uri: config.profile.crl_dp_uri,
        crl_layout: config.crl.layout,
        base_url,
    }
}

/// The same JST date `years` later (earlier when negative); 29 February becomes the 28th.
fn years_later(date: Date, years: i32) -> Date {
    let year = date.year() + years;
    Date::from_calendar_date(year, date.month(), date.day())
        .or_else(|_| Date::from_calendar_date(year, date.month(), 28))
        .expect("day 28 exists in every month")
}

/// A CA generation's validity: from `ca.backdate_years` before `now` (same JST time of
/// day) to 14:59:59Z on the same JST date `ca.validity_years` after.
fn ca_validity(config: &Config, now: OffsetDateTime) -> (OffsetDateTime, OffsetDateTime) {
    let jst_now = now.to_offset(jst::JST);
    let start = years_later(jst_now.date(), -(config.ca.backdate_years as i32));
    let not_before = start.with_time(jst_now.time()).assume_offset(jst::JST);
    let not_after = jst::end_of_day(years_later(jst_now.date(), config.ca.validity_years as i32));
    (not_before, not_after)
}

/// Issues (or re-issues) a responder certificate for a CA generation, never past the
/// CA's own notAfter.
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
    let ca_not_after =
        crate::pki::time::instant_of(&ca.certificate().tbs_certificate.validity.not_after);
    let not_after = (now + time::Duration::days(i64::from(config.profile.responder_validity_days)))
        .min(ca_not_after);
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

/// A new CA generation created at `now`: a key, a self-signed certificate with the
/// CA's one DN, and a responder.
fn create_authority(
    store: &mut dyn Store,
    config: &Config,
    seed: Option<&str>,
    kind: CertKind,
    generation: u32,
    now: OffsetDateTime,
) -> Result<AuthorityRecord> {
    let base_url = store
        .setting(BASE_URL_SETTING)?
        .unwrap_or_else(|| DEFAULT_BASE_URL.to_string());
    let profile = cert_profile(config, base_url.clone());
    let alg = config.profile.key_alg;
    // Generation 1 keeps the labels it had before generations, so seeded keys stay.
    let label = |role: &str| match generation {
        1 => format!("{role}-{kind}"),
        n => format!("{role}-{kind}-{n}"),
    };
    let ca_key = new_key(seed, alg, &label("ca"))?;
    let responder_key = new_key(seed, alg, &label("responder"))?;
    let serials = store.allocate_serials(2)?;
    let (not_before, not_after) = ca_validity(config, now);
    let ca_tbs = cert::ca_tbs(
        &profile,
        CaParams {
            kind,
            generation,
            serial: serials[0],
            not_before,
            not_after,
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
        generation,
        issuing_from: now,
        revocation: None,
        ca_cert,
        ca_key_pem,
        responder_cert,
        responder_key_pem: responder_key.to_pkcs8_pem(),
    })
}
