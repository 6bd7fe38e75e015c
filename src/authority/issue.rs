//! Issuance: a new card and its certificates, and the certificate building that
//! renewal and reissue share.

use time::{Date, OffsetDateTime};

use super::pin::hash_pin;
use super::request::CardRequest;
use super::views::{IssuedCard, IssuedCertificate, RevokedView};
use super::{bad, pem, rfc3339, Authority};
use crate::error::{Error, Result};
use crate::pki::cert::{self, HolderFacts, LeafParams};
use crate::pki::keys::KeyPair;
use crate::rules::{holder, jst, CertKind, HolderName};
use crate::store::{CardId, HolderRecord, NewCard, NewCertificate};

impl Authority {
    /// Issues a new card and its certificates.
    pub fn issue(&mut self, request: &CardRequest) -> Result<IssuedCard> {
        let now = self.now();
        let today = jst::date_of(now);
        let rules = &self.config.validity;
        let birth = request.birth;
        if birth > today {
            return Err(bad(
                "birth",
                format!("{birth} is in the future (today is {today} JST)"),
            ));
        }
        let issued_on = request.issued_on.unwrap_or(today);
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
        let card_expiry = request
            .card_expiry
            .unwrap_or_else(|| rules.card_expiry(birth, issued_on));
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
        let only = request.only;
        let key_alg = request.key_alg.unwrap_or(self.config.profile.key_alg);

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
        for (kind, pin) in [
            (CertKind::Sign, &request.sign_pin),
            (CertKind::Auth, &request.auth_pin),
        ] {
            if let Some(pin) = pin.as_ref().filter(|_| kinds.contains(&kind)) {
                pin_hashes.push((kind, hash_pin(pin)?));
            }
        }

        let holder = HolderRecord {
            name: request.name_as_entered.clone(),
            birth,
            gender: request.gender,
            address: request.address.clone(),
            locality: request.locality.clone(),
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
        let facts = holder_facts(&request.name, &card.holder);
        let (certificates, keys) = self.build_certificates(&card, &facts, &kinds, None, now)?;
        let id = self
            .store
            .insert_card(&card, &certificates, &pin_hashes, None)?;
        self.issued_card(id, &card, &certificates, &keys, vec![])
    }

    /// Builds and signs new certificates of `kinds` for a card, issued at `now`.
    /// `current_auth_expiry` caps a signing certificate issued without a new auth one.
    pub(super) fn build_certificates(
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

    pub(super) fn issued_card(
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
}

/// The holder's facts in certificate form (profile.md, signing certificate SAN).
pub(crate) fn holder_facts(name: &HolderName, holder: &HolderRecord) -> HolderFacts {
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
