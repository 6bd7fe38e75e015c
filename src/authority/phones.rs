//! Phone certificates (スマホ用電子証明書): a signing and an auth certificate per
//! platform, bound to a device; a new phone replaces the old (`device_change`); a lost
//! phone's certificates are held and, on resume, the auth hold is lifted and the signing
//! certificate re-issued (J-LIS: 「スマホ用利用者証明用電子証明書の一時利用停止は解除されます。
//! スマホ用署名用電子証明書は、再発行されます」).

use time::OffsetDateTime;

use super::issue::CertOrder;
use super::request::{PhoneRequest, RevokeRequest};
use super::views::{CertStatus, IssuedCard, RevocationReport, RevokedView};
use super::{holder_facts, rfc3339, Authority};
use crate::error::{Error, Result};
use crate::rules::{jst, Cause, CertKind, HolderName, Issuance, PhoneValidity, Platform};
use crate::store::{CardId, CardRecord, CertificateRecord, PhoneBinding};

impl Authority {
    /// Issues a phone's signing and auth certificates for the card's holder, with the
    /// holder's current facts. A set already on the platform is revoked
    /// (`device_change`) in the same transaction.
    pub fn issue_phone(&mut self, id: CardId, request: &PhoneRequest) -> Result<IssuedCard> {
        let now = self.now();
        let card = self.current_card(id, now)?;
        let card_certificates = self.current_certificates(id)?;
        let card_sign = card_certificates
            .iter()
            .find(|c| c.certificate.kind == CertKind::Sign);
        match card_sign {
            Some(sign) if CertStatus::of(sign, now) == CertStatus::Good => {}
            other => {
                let why = other.map_or("has none".to_string(), |sign| {
                    format!(
                        "has {} ({})",
                        sign.certificate.serial,
                        status_words(sign, now)
                    )
                });
                return Err(Error::Refused(format!(
                    "phone certificates are applied for with the card's signing certificate, \
                     and card {id} {why}"
                )));
            }
        }
        let platform = request.platform;
        let kinds = CertKind::ALL;
        let ends = match self.config.phones.validity {
            PhoneValidity::Card => card_certificates
                .iter()
                .map(|c| (c.certificate.kind, c.certificate.not_after))
                .collect(),
            PhoneValidity::Own => vec![],
        };
        let old = self.current_phone_set(id, platform)?;
        let certificates = self.build_phone_certificates(
            &card,
            &kinds,
            None,
            &ends,
            request.device_id.as_deref(),
            platform,
            now,
        )?;
        let reason = self.config.reasons.reason(Cause::DeviceChange);
        let replaced: Vec<&CertificateRecord> = old
            .iter()
            .filter(|c| CertStatus::of(c, now) == CertStatus::Good)
            .collect();
        let revokes: Vec<(CardId, crate::rules::Serial)> = replaced
            .iter()
            .map(|c| (c.card_id, c.certificate.serial))
            .collect();
        let events = self.events_by_card(&revokes, Cause::DeviceChange, now, reason);
        self.store.begin_batch()?;
        let stored = self
            .store
            .add_certificates(id, &certificates, None)
            .and_then(|()| {
                events
                    .iter()
                    .try_for_each(|e| self.store.record_event(e).map(drop))
            });
        self.store.end_batch(stored.is_ok())?;
        stored?;
        let revoked = replaced
            .iter()
            .map(|c| RevokedView {
                serial: c.certificate.serial.0,
                kind: c.certificate.kind,
                reason,
                revoked_at: rfc3339(now),
            })
            .collect();
        let device_id = certificates[0].phone.as_ref().map(|p| p.device_id.clone());
        let mut issued = self.issued_card(id, &card.card, &certificates, revoked)?;
        issued.fee_yen = 0;
        issued.platform = Some(platform);
        issued.device_id = device_id;
        Ok(issued)
    }

    /// Suspends a phone (一時利用停止): its two certificates are held (`phone_lost`).
    pub fn suspend_phone(&mut self, id: CardId, platform: Platform) -> Result<RevocationReport> {
        self.revoke(
            id,
            &RevokeRequest {
                cause: Cause::PhoneLost,
                certs: None,
                at: None,
                platform: Some(platform),
            },
        )
    }

    /// Resumes a suspended phone: the hold on its auth certificate is lifted (it leaves
    /// the CRL; OCSP says good again) and its signing certificate, still held, is
    /// re-issued; both in one transaction.
    pub fn resume_phone(&mut self, id: CardId, platform: Platform) -> Result<IssuedCard> {
        let now = self.now();
        let card = self.current_card(id, now)?;
        let set = self.current_phone_set(id, platform)?;
        if set.is_empty() {
            return Err(Error::Refused(format!(
                "card {id} has no {platform} phone certificates (issue them with phone issue)"
            )));
        }
        let held = |c: &CertificateRecord| {
            c.revocation
                .is_some_and(|r| r.cause == Cause::PhoneLost && r.lifted_at.is_none())
        };
        let (Some(sign), Some(auth)) = (
            set.iter().find(|c| c.certificate.kind == CertKind::Sign),
            set.iter().find(|c| c.certificate.kind == CertKind::Auth),
        ) else {
            return Err(Error::Internal(format!(
                "the {platform} phone set of card {id} lacks a certificate"
            )));
        };
        if !held(sign) || !held(auth) {
            return Err(Error::Refused(format!(
                "the {platform} phone of card {id} is not suspended: resume lifts a phone_lost \
                 hold (phone suspend), and its certificates are {} ({}) and {} ({})",
                sign.certificate.serial,
                status_words(sign, now),
                auth.certificate.serial,
                status_words(auth, now)
            )));
        }
        let auth_end = auth.certificate.not_after;
        if auth_end <= now {
            return Err(Error::Refused(format!(
                "the {platform} phone's auth certificate {} expired at {}; issue new phone \
                 certificates instead",
                auth.certificate.serial,
                rfc3339(auth_end)
            )));
        }
        // "card": the held certificate's end; "own": the rules, capped by the auth one.
        let ends = match self.config.phones.validity {
            PhoneValidity::Card => vec![(CertKind::Sign, sign.certificate.not_after.min(auth_end))],
            PhoneValidity::Own => vec![],
        };
        let device_id = sign.certificate.phone.as_ref().map(|p| p.device_id.clone());
        let certificates = self.build_phone_certificates(
            &card,
            &[CertKind::Sign],
            Some(jst::date_of(auth_end)),
            &ends,
            device_id.as_deref(),
            platform,
            now,
        )?;
        let lifted = [auth.certificate.serial];
        self.store.begin_batch()?;
        let stored = self
            .store
            .add_certificates(id, &certificates, None)
            .and_then(|()| self.store.lift_holds(&lifted, now));
        self.store.end_batch(stored.is_ok())?;
        stored?;
        let mut issued = self.issued_card(id, &card.card, &certificates, vec![])?;
        issued.fee_yen = 0;
        issued.platform = Some(platform);
        issued.device_id = device_id;
        issued.lifted = lifted.iter().map(|s| s.0).collect();
        Ok(issued)
    }

    /// Builds phone certificates of the card's holder: `ends` fixes a kind's notAfter,
    /// else the card's rules from today (capped by `auth_expiry` for a signing
    /// certificate issued alone).
    #[allow(clippy::too_many_arguments)]
    fn build_phone_certificates(
        &mut self,
        card: &CardRecord,
        kinds: &[CertKind],
        auth_expiry: Option<time::Date>,
        ends: &[(CertKind, OffsetDateTime)],
        device_id: Option<&str>,
        platform: Platform,
        now: OffsetDateTime,
    ) -> Result<Vec<crate::store::NewCertificate>> {
        let holder = &card.card.holder;
        let name = HolderName::parse(&holder.name)
            .map_err(|e| Error::Internal(format!("a stored name does not parse: {e}")))?;
        let facts = holder_facts(&name, holder);
        let phone = PhoneBinding {
            platform,
            device_id: device_id.unwrap_or_default().to_owned(),
        };
        let order = CertOrder {
            card: &card.card,
            facts: &facts,
            kinds,
            current_auth_expiry: auth_expiry,
            phone: Some(&phone),
            ends,
        };
        let mut certificates = self.build_card_certificates(order, Issuance::New, now)?;
        // None given: a made-up id, unique by the first serial.
        if device_id.is_none() {
            let made_up = format!("{platform}-{}", certificates[0].serial.hex());
            for c in &mut certificates {
                if let Some(phone) = c.phone.as_mut() {
                    phone.device_id.clone_from(&made_up);
                }
            }
        }
        Ok(certificates)
    }
}

/// A status in words: `good`, `expired`, or `revoked, CAUSE`.
fn status_words(record: &CertificateRecord, now: OffsetDateTime) -> String {
    match (CertStatus::of(record, now), record.revocation) {
        (CertStatus::Revoked { .. }, Some(r)) => format!("revoked, {}", r.cause),
        (CertStatus::Expired, _) => "expired".into(),
        _ => "good".into(),
    }
}
