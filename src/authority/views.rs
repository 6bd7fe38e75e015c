//! What the authority reports: issued cards, revocations, cards and certificates with
//! their status, notices. Serialised as the CLI prints them and the admin API answers.

use serde::Serialize;
use time::{Date, OffsetDateTime};
use utoipa::ToSchema;

use super::{pem, rfc3339, Authority};
use crate::error::{Error, Result};
use crate::pki::keys::KeyPair;
use crate::rules::{
    jst, Carrier, Cause, CertKind, CrlReason, Gender, Platform, Serial, ValidityRules,
};
use crate::store::{CardId, CertificateRecord};

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

/// A certificate's status, as the views name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CertState {
    /// Valid and not revoked.
    Good,
    /// Revoked.
    Revoked,
    /// Past its notAfter and not revoked.
    Expired,
}

/// The algorithm of a signature made by a card key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, ToSchema)]
pub enum SignatureAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256.
    #[serde(rename = "sha256WithRSAEncryption")]
    Sha256WithRsaEncryption,
    /// ECDSA P-256 with SHA-256.
    #[serde(rename = "ecdsa-with-SHA256")]
    EcdsaWithSha256,
    /// ECDSA P-384 with SHA-384.
    #[serde(rename = "ecdsa-with-SHA384")]
    EcdsaWithSha384,
}

impl CertStatus {
    /// Its name in the views.
    pub fn state(self) -> CertState {
        match self {
            CertStatus::Good => CertState::Good,
            CertStatus::Revoked { .. } => CertState::Revoked,
            CertStatus::Expired => CertState::Expired,
        }
    }

    /// The status of a stored certificate at `now`.
    pub fn of(record: &CertificateRecord, now: OffsetDateTime) -> Self {
        match record.revocation {
            Some(r) if r.lifted_at.is_none() => CertStatus::Revoked {
                at: r.at,
                reason: r.reason,
            },
            _ if now > record.certificate.not_after => CertStatus::Expired,
            _ => CertStatus::Good,
        }
    }
}

/// One issued certificate with its key, as returned to the caller.
#[derive(Clone, Debug, Serialize, ToSchema)]
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
#[derive(Clone, Debug, Serialize, ToSchema)]
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
    /// card_invalidated; a new phone: device_change).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revoked: Vec<RevokedView>,
    /// The phone's platform, for phone certificates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The phone's device id, for phone certificates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// Certificates whose hold this operation lifted (`phone resume`: the phone's auth
    /// certificate is good again).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub lifted: Vec<u32>,
}

/// One revocation, as reported.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct RevokedView {
    /// Serial.
    pub serial: u32,
    /// sign | auth.
    pub kind: CertKind,
    /// The CRL reason.
    pub reason: CrlReason,
    /// RFC 3339.
    pub revoked_at: String,
}

/// A certificate a cause did not change, and why.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct UnchangedView {
    /// Serial.
    pub serial: u32,
    /// sign | auth.
    pub kind: CertKind,
    /// Its status: already revoked, or expired.
    pub status: CertState,
}

/// What a cause did.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RevocationReport {
    /// The card.
    pub card_id: CardId,
    /// The cause.
    pub cause: Cause,
    /// Newly revoked certificates.
    pub revoked: Vec<RevokedView>,
    /// Targeted certificates left as they were (idempotency).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unchanged: Vec<UnchangedView>,
    /// A sentence saying what happened.
    pub message: String,
}

/// A certificate's public facts and status.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CertView {
    /// Serial.
    pub serial: u32,
    /// Serial as openssl prints it.
    pub serial_hex: String,
    /// sign | auth.
    pub kind: CertKind,
    /// The generation of the CA that issued it.
    pub generation: u32,
    /// The card.
    pub card_id: CardId,
    /// RFC 3339.
    pub not_before: String,
    /// RFC 3339.
    pub not_after: String,
    /// Expiry date, JST.
    pub expiry: String,
    /// good | revoked | expired, at the clock's now.
    pub status: CertState,
    /// The CRL reason, if revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<CrlReason>,
    /// The cause, if revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cause: Option<Cause>,
    /// RFC 3339, if revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<String>,
    /// Renewal window (first, last day), while the certificate is good.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub renewal_window: Option<[String; 2]>,
    /// The phone's platform, for phone certificates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// The phone's device id, for phone certificates.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    /// RFC 3339: when its hold was lifted (it was held, and is good again).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hold_lifted_at: Option<String>,
    /// The certificate, PEM.
    pub cert_pem: String,
}

/// A card and its certificates.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct CardView {
    /// Id.
    pub card_id: CardId,
    /// Name as entered.
    pub name: String,
    /// YYYY-MM-DD.
    pub birth: String,
    /// male | female | unknown.
    pub gender: Gender,
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

/// A signature made by a card key.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct SignatureView {
    /// The signature, base64.
    pub signature_base64: String,
    /// The algorithm: sha256WithRSAEncryption (PKCS#1 v1.5), ecdsa-with-SHA256 or
    /// ecdsa-with-SHA384.
    pub algorithm: SignatureAlgorithm,
    /// The certificate whose key signed.
    pub serial: u32,
    /// That certificate's status now (a revoked certificate's key still signs, so that
    /// relying parties can test that they refuse it).
    pub status: CertState,
    /// The certificate, PEM.
    pub cert_pem: String,
}

/// An expiry notice due.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NoticeView {
    /// The card.
    pub card_id: CardId,
    /// Serial.
    pub serial: u32,
    /// sign | auth.
    pub kind: CertKind,
    /// Expiry date.
    pub expiry: String,
    /// The notice date (expiry − `validity.renewal_window_months`, 3 by default).
    pub notice_date: String,
    /// Renewal window, first and last day.
    pub renewal_window: [String; 2],
}

impl Authority {
    /// The expiry notices due on `on`: the card certificates, good, whose expiry − the
    /// renewal window (3 months by default) is that date.
    pub fn notices(&self, on: Date) -> Result<Vec<NoticeView>> {
        // Every expiry whose notice date is `on` lies N calendar months after it (28 to
        // 31 days a month, with month-end clamping); scan a little wider and filter.
        let rules = &self.config.validity;
        let months = i64::from(rules.renewal_window_months);
        let from = jst::start_of_day(on + time::Duration::days(28 * months - 5));
        let to = jst::end_of_day(on + time::Duration::days(31 * months + 7));
        let mut notices = Vec::new();
        for record in self.store.certificates_expiring(from, to)? {
            let expiry = jst::date_of(record.certificate.not_after);
            let good = CertStatus::of(&record, record.certificate.not_after) == CertStatus::Good;
            // The notice is mailed about the card's certificates (a phone's are not
            // renewed: the holder issues new ones).
            let phone = record.certificate.phone.is_some();
            if rules.notice_date(expiry) != on || !good || phone {
                continue;
            }
            let (first, last) = rules.renewal_window(expiry);
            notices.push(NoticeView {
                card_id: record.card_id,
                serial: record.certificate.serial.0,
                kind: record.certificate.kind,
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
            .map(|c| cert_view(c, now, &self.config.validity))
            .collect();
        let card = record.card;
        Ok(CardView {
            card_id: id,
            name: card.holder.name,
            birth: card.holder.birth.to_string(),
            gender: card.holder.gender,
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
        Ok(cert_view(&record, now, &self.config.validity))
    }

    /// The private key of one of our certificates, PKCS#8 PEM (the mock keeps card
    /// keys, so that tests can sign with them).
    pub fn certificate_key_pem(&self, serial: Serial) -> Result<String> {
        let record = self
            .store
            .certificate(serial)?
            .ok_or_else(|| Error::NotFound(format!("no certificate with serial {serial}")))?;
        Ok(KeyPair::from_pkcs8_der(&record.certificate.key_pkcs8)?.to_pkcs8_pem())
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

fn cert_view(record: &CertificateRecord, now: OffsetDateTime, rules: &ValidityRules) -> CertView {
    let c = &record.certificate;
    let status = CertStatus::of(record, now);
    let revocation = record.revocation.filter(|r| r.lifted_at.is_none());
    let expiry = jst::date_of(c.not_after);
    let (first, last) = rules.renewal_window(expiry);
    CertView {
        serial: c.serial.0,
        serial_hex: c.serial.hex(),
        generation: c.generation,
        kind: c.kind,
        card_id: record.card_id,
        not_before: rfc3339(c.not_before),
        not_after: rfc3339(c.not_after),
        expiry: expiry.to_string(),
        status: status.state(),
        reason: revocation.map(|r| r.reason),
        cause: revocation.map(|r| r.cause),
        revoked_at: revocation.map(|r| rfc3339(r.at)),
        renewal_window: (status == CertStatus::Good && c.phone.is_none())
            .then(|| [first.to_string(), last.to_string()]),
        platform: c.phone.as_ref().map(|p| p.platform),
        device_id: c.phone.as_ref().map(|p| p.device_id.clone()),
        hold_lifted_at: record.revocation.and_then(|r| r.lifted_at).map(rfc3339),
        cert_pem: pem("CERTIFICATE", &c.der),
    }
}

#[cfg(test)]
mod tests {
    use time::macros::date;

    use super::super::tests::{at, authority_on_clock, cause, holder, issue};
    use super::{CertState, CertView};
    use crate::clock::Clock;
    use crate::error::Error;
    use crate::rules::{Cause, CertKind, CrlReason, Serial};
    use crate::store::CardId;

    const NOW: &str = "2021-03-15T10:00:00+09:00";

    fn certificates(a: &super::Authority, id: CardId) -> Vec<CertView> {
        a.card_view(id).unwrap().certificates
    }

    #[test]
    fn status_follows_the_clock_and_the_window_shows_only_while_good() {
        let mut a = authority_on_clock(NOW);
        let id = issue(&mut a, &holder("山田 太郎")).unwrap().card_id;
        // Both expire 2025-10-01 23:59:59 JST; the window opens on 2025-07-02.
        for (when, status) in [
            (NOW, CertState::Good),
            ("2025-10-01T23:59:59+09:00", CertState::Good),
            ("2025-10-02T00:00:00+09:00", CertState::Expired),
        ] {
            a.set_clock(Clock::Fixed { now: at(when) }).unwrap();
            for c in certificates(&a, id) {
                assert_eq!(
                    (c.status, c.expiry.as_str()),
                    (status, "2025-10-01"),
                    "{when}"
                );
                let window = (status == CertState::Good)
                    .then(|| ["2025-07-02".to_string(), "2025-10-01".to_string()]);
                assert_eq!(c.renewal_window, window, "{when}");
                assert_eq!(a.certificate_view(Serial(c.serial)).unwrap().status, status);
            }
        }
    }

    #[test]
    fn a_revoked_certificate_shows_why_and_when_and_stays_revoked() {
        let mut a = authority_on_clock(NOW);
        let card = issue(&mut a, &holder("山田 太郎")).unwrap();
        a.set_clock(Clock::Fixed {
            now: at("2022-01-10T12:00:00+09:00"),
        })
        .unwrap();
        a.revoke(card.card_id, &cause(Cause::AddressChange))
            .unwrap();
        for when in ["2022-01-10T12:00:00+09:00", "2026-01-01T00:00:00+09:00"] {
            a.set_clock(Clock::Fixed { now: at(when) }).unwrap();
            let sign = a
                .certificate_view(Serial(card.sign.as_ref().unwrap().serial))
                .unwrap();
            assert_eq!(sign.kind, CertKind::Sign);
            assert_eq!(sign.status, CertState::Revoked, "{when}");
            assert_eq!(sign.reason, Some(CrlReason::AffiliationChanged));
            assert_eq!(sign.cause, Some(Cause::AddressChange));
            assert_eq!(sign.revoked_at.as_deref(), Some("2022-01-10T03:00:00Z"));
            assert_eq!(sign.renewal_window, None);
        }
        let auth = a
            .certificate_view(Serial(card.auth.unwrap().serial))
            .unwrap();
        assert_eq!((auth.status, auth.reason), (CertState::Expired, None));
        assert!(matches!(
            a.certificate_view(Serial(9)),
            Err(Error::NotFound(_))
        ));
        assert!(matches!(a.card_view(CardId(9)), Err(Error::NotFound(_))));
    }

    #[test]
    fn notices_are_due_exactly_three_months_before_expiry() {
        let mut a = authority_on_clock(NOW);
        let one = issue(&mut a, &holder("山田 太郎")).unwrap();
        a.revoke(one.card_id, &cause(Cause::AddressChange)).unwrap();
        // Capped by the card at 2025-05-31: 3 months before, clamped, is 2025-02-28.
        let short = super::super::IssueRequest {
            card_expiry: Some("2025-05-31".into()),
            ..holder("佐藤 花子")
        };
        let two = issue(&mut a, &short).unwrap();

        // Card one: only its auth certificate (the signing one is revoked).
        let due = a.notices(date!(2025 - 07 - 01)).unwrap();
        let seen: Vec<_> = due.iter().map(|n| (n.card_id, n.kind, n.serial)).collect();
        assert_eq!(
            seen,
            [(one.card_id, CertKind::Auth, one.auth.unwrap().serial)]
        );
        assert_eq!(due[0].expiry, "2025-10-01");
        assert_eq!(due[0].notice_date, "2025-07-01");
        assert_eq!(due[0].renewal_window, ["2025-07-02", "2025-10-01"]);
        for day in [
            date!(2025 - 06 - 30),
            date!(2025 - 07 - 02),
            date!(2025 - 03 - 01),
        ] {
            assert!(a.notices(day).unwrap().is_empty(), "{day}");
        }

        let due = a.notices(date!(2025 - 02 - 28)).unwrap();
        let kinds: Vec<_> = due.iter().map(|n| (n.card_id, n.kind)).collect();
        assert_eq!(
            kinds,
            [(two.card_id, CertKind::Sign), (two.card_id, CertKind::Auth)]
        );
        assert_eq!(due[0].renewal_window, ["2025-03-01", "2025-05-31"]);
    }
}

/// A certificate that followed another, and the event that linked them.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct SuccessorView {
    /// The newer certificate.
    pub serial: u32,
    /// `card_invalidated` for a card reissue, else the cause that revoked the older one:
    /// `superseded` (renewal), `name_change`, `address_change` or `emigration` (a new signing
    /// certificate with the new facts), `device_change` (a new phone), `phone_lost`
    /// (a held phone's signing certificate re-issued on resume), …
    pub event: Cause,
}

/// A certificate's links, as J-LIS's link services give them to platform operators: the
/// other certificate of its set (証明書紐付け), and the old and new certificates across
/// renewals, reissues, new facts and new phones (新旧紐付け).
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct LinksView {
    /// The certificate asked about.
    pub serial: u32,
    /// The other certificate of its set (signing ↔ authentication) on the same card or
    /// phone: the newest of the other kind issued with it or before it.
    pub pair: Option<u32>,
    /// The certificate it followed, if any.
    pub predecessor: Option<u32>,
    /// The certificates that followed it.
    pub successors: Vec<SuccessorView>,
    /// The newest certificate of its chain (itself if none followed).
    pub current: u32,
}

impl Authority {
    /// A certificate's links. A chain is the holder's certificates of one kind on one
    /// carrier (the card, or a phone platform) across all the holder's cards, in issue
    /// order; the event linking two is the cause that revoked the older one.
    pub fn links(&self, serial: Serial) -> Result<LinksView> {
        let asked = self
            .store
            .certificate(serial)?
            .ok_or_else(|| Error::NotFound(format!("no certificate with serial {serial}")))?;
        let mut first = self.card_record(asked.card_id)?;
        while let Some(older) = first.card.replaces {
            first = self.card_record(older)?;
        }
        let carrier = asked.certificate.carrier();
        let mut line: Vec<CertificateRecord> = Vec::new();
        let mut card = Some(first);
        while let Some(record) = card {
            line.extend(
                self.store
                    .card_certificates(record.id)?
                    .into_iter()
                    .filter(|c| c.certificate.carrier() == carrier),
            );
            card = record
                .replaced_by
                .map(|newer| self.card_record(newer))
                .transpose()?;
        }
        line.sort_by_key(|c| c.certificate.serial);
        let kind = asked.certificate.kind;
        let chain: Vec<&CertificateRecord> =
            line.iter().filter(|c| c.certificate.kind == kind).collect();
        let at = chain
            .iter()
            .position(|c| c.certificate.serial == serial)
            .ok_or_else(|| Error::Internal(format!("certificate {serial} not in its chain")))?;
        let successors = chain
            .get(at + 1)
            .map(|next| SuccessorView {
                serial: next.certificate.serial.0,
                event: match asked.revocation {
                    // A card reissue links the old card's certificates to the new card's.
                    _ if next.card_id != asked.card_id && carrier == Carrier::Card => {
                        Cause::CardInvalidated
                    }
                    Some(r) if r.lifted_at.is_none() => r.cause,
                    _ => Cause::Superseded,
                },
            })
            .into_iter()
            .collect();
        // Of the same instant, the one on the same card (a reissue may follow a renewal
        // at once).
        let pair = line
            .iter()
            .filter(|c| {
                c.certificate.kind != kind
                    && c.certificate.not_before <= asked.certificate.not_before
            })
            .max_by_key(|c| {
                (
                    c.certificate.not_before,
                    c.card_id == asked.card_id,
                    c.certificate.serial,
                )
            })
            .map(|c| c.certificate.serial.0);
        Ok(LinksView {
            serial: serial.0,
            pair,
            predecessor: at
                .checked_sub(1)
                .map(|before| chain[before].certificate.serial.0),
            successors,
            current: chain.last().map_or(serial.0, |c| c.certificate.serial.0),
        })
    }
}

/// The setting that holds a card's consent to the latest-facts service.
fn consent_setting(card: CardId) -> String {
    format!("latest_facts_consent:{card}")
}

/// A card's consent to the latest-facts service.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct ConsentView {
    /// The card.
    pub card_id: CardId,
    /// Whether platform operators may receive the holder's latest basic four facts.
    pub latest_facts_consent: bool,
}

/// The holder's latest basic four facts (最新の基本4情報), as a signing certificate's
/// subjectAltName carries them.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, ToSchema)]
pub struct LatestFactsView {
    /// The certificate asked about.
    pub serial: u32,
    /// The holder's newest card (after reissues), whose facts these are.
    pub card_id: CardId,
    /// Surname, U+3000, given name.
    pub name: String,
    /// `EYYYYMMDD`: the era digit, then the Gregorian date.
    pub birth_date: String,
    /// `1` male, `2` female, `3` unknown.
    pub gender: String,
    /// The address, digits full-width.
    pub address: String,
}

impl Authority {
    /// Records a card's consent to the latest-facts service.
    pub(super) fn put_latest_facts_consent(&mut self, card: CardId, consent: bool) -> Result<()> {
        self.store.put_setting(
            &consent_setting(card),
            if consent { "true" } else { "false" },
        )
    }

    /// Sets a card's consent to the latest-facts service.
    pub fn set_latest_facts_consent(&mut self, card: CardId, consent: bool) -> Result<ConsentView> {
        self.card_record(card)?;
        self.put_latest_facts_consent(card, consent)?;
        Ok(ConsentView {
            card_id: card,
            latest_facts_consent: consent,
        })
    }

    /// Whether a card's holder consented (default: no).
    pub fn latest_facts_consent(&self, card: CardId) -> Result<bool> {
        Ok(self.store.setting(&consent_setting(card))?.as_deref() == Some("true"))
    }

    /// The holder's latest basic four facts, from the newest card of the certificate's
    /// chain; refused (403) unless the certificate's card consents.
    pub fn latest_facts(&self, serial: Serial) -> Result<LatestFactsView> {
        let asked = self
            .store
            .certificate(serial)?
            .ok_or_else(|| Error::NotFound(format!("no certificate with serial {serial}")))?;
        if !self.latest_facts_consent(asked.card_id)? {
            return Err(Error::Forbidden(format!(
                "card {} has not consented to the latest-facts service: set it with PUT \
                 /api/v1/cards/{}/latest-facts-consent {{\"consent\": true}}",
                asked.card_id, asked.card_id
            )));
        }
        let mut card = self.card_record(asked.card_id)?;
        while let Some(newer) = card.replaced_by {
            card = self.card_record(newer)?;
        }
        let holder = &card.card.holder;
        let name = crate::rules::holder::HolderName::parse(&holder.name)
            .map_err(|e| Error::Internal(format!("a stored name does not parse: {e}")))?;
        let facts = super::holder_facts(&name, holder);
        Ok(LatestFactsView {
            serial: serial.0,
            card_id: card.id,
            name: facts.name,
            birth_date: facts.birth_date,
            gender: facts.gender_code.to_string(),
            address: facts.address,
        })
    }
}
