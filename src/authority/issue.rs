//! Issuance: a new card and its certificates, and the certificate building that
//! renewal and reissue share.

use time::{Date, OffsetDateTime};

use super::pin::hash_pin;
use super::request::CardRequest;
use super::views::{IssuedCard, IssuedCertificate, RevokedView};
use super::{bad, pem, rfc3339, Authority};
use crate::error::{Error, Result};
use crate::pki::cert::{self, CrlPoint, HolderFacts, LeafParams};
use crate::pki::keys::KeyPair;
use crate::rules::{holder, jst, CertKind, HolderName, Issuance};
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
            locality: request
                .locality
                .with(self.config.locality.designated_city_wards),
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
        let (certificates, keys) =
            self.build_certificates(&card, &facts, &kinds, Issuance::New, None, now)?;
        let id = self
            .store
            .insert_card(&card, &certificates, &pin_hashes, None)?;
        self.issued_card(id, &card, &certificates, &keys, vec![])
    }

    /// Builds and signs new certificates of `kinds` for a card, issued at `now`.
    /// `current_auth_expiry` caps a signing certificate issued without a new auth one;
    /// `issuance` says whether this is a renewal (which runs a birthday longer).
    pub(super) fn build_certificates(
        &mut self,
        card: &NewCard,
        facts: &HolderFacts,
        kinds: &[CertKind],
        issuance: Issuance,
        current_auth_expiry: Option<Date>,
        now: OffsetDateTime,
    ) -> Result<(Vec<NewCertificate>, Vec<KeyPair>)> {
        let rules = &self.config.validity;
        let today = jst::date_of(now);
        let birth = card.holder.birth;
        let auth_expiry = if kinds.contains(&CertKind::Auth) {
            Some(rules.auth_expiry(birth, today, issuance, card.expiry))
        } else {
            current_auth_expiry
        };
        // Everything that may refuse comes before a serial is taken: a refusal changes
        // nothing.
        let mut planned = Vec::with_capacity(kinds.len());
        for &kind in kinds {
            let expiry = match kind {
                CertKind::Auth => auth_expiry.expect("set above when auth is issued"),
                CertKind::Sign => {
                    rules.sign_expiry(birth, today, issuance, auth_expiry, card.expiry)
                }
            };
            let generation = self.issuing_generation(kind, now)?;
            // No certificate outlives its CA generation (real ones are sized so that
            // this never binds; with backdated mock CAs it may).
            let not_after =
                jst::end_of_day(expiry).min(self.generation(kind, generation)?.not_after());
            if not_after <= now {
                return Err(Error::Refused(format!(
                    "a {kind} certificate issued on {today} would already be expired ({expiry})"
                )));
            }
            planned.push((kind, generation, not_after));
        }
        let profile = self.profile()?;
        let serials = self.store.allocate_serials(kinds.len())?;
        let mut certificates = Vec::with_capacity(kinds.len());
        let mut keys = Vec::with_capacity(kinds.len());
        for (&(kind, generation, not_after), &serial) in planned.iter().zip(&serials) {
            let key = self.new_key(card.key_alg, &format!("serial-{serial}"))?;
            let params = LeafParams {
                serial,
                not_before: now,
                not_after,
                spki_der: key.spki_der(),
            };
            let ca = &self.generation(kind, generation)?.ca;
            let point = CrlPoint {
                generation,
                locality: &card.holder.locality,
            };
            let tbs = match kind {
                CertKind::Sign => cert::sign_tbs(
                    &profile,
                    ca.certificate(),
                    params,
                    &point,
                    &cert::sign_common_name(now, serial),
                    facts,
                )?,
                CertKind::Auth => cert::auth_tbs(
                    &profile,
                    ca.certificate(),
                    params,
                    &point,
                    &cert::auth_common_name(serial),
                )?,
            };
            let der = ca.sign_tbs(&tbs)?;
            certificates.push(NewCertificate {
                serial,
                kind,
                generation,
                locality: card.holder.locality.clone(),
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
            let ca = self.generation(certificate.kind, certificate.generation)?;
            let ca_pem = pem("CERTIFICATE", ca.ca.certificate_der());
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

#[cfg(test)]
mod tests {
    use super::super::tests::{authority_at, bad_input, holder, issue};
    use super::super::IssueRequest;
    use crate::error::Error;
    use crate::rules::CertKind;

    const NOW: &str = "2021-03-15T10:00:00+09:00";

    fn minor() -> IssueRequest {
        // 10 on 2021-03-15.
        IssueRequest {
            birth: "2010-06-01".into(),
            ..holder("山田 一郎")
        }
    }

    #[test]
    fn an_adult_gets_both_certificates_until_the_5th_birthday_for_free() {
        let mut a = authority_at(NOW);
        let card = issue(&mut a, &holder("山田 太郎")).unwrap();
        // Born 1990-10-01: birthdays after 2021-03-15 are 2021-10-01 (1st) … 2025-10-01
        // (5th) … 2030-10-01 (10th, the adult card).
        assert_eq!(card.card_expiry, "2030-10-01");
        assert_eq!(card.fee_yen, 0);
        for c in [card.sign.unwrap(), card.auth.unwrap()] {
            assert_eq!(c.not_before, "2021-03-15T01:00:00Z");
            assert_eq!(c.not_after, "2025-10-01T14:59:59Z");
            assert_eq!(c.expiry, "2025-10-01");
        }
    }

    #[test]
    fn the_card_expiry_caps_both_certificates() {
        let mut a = authority_at(NOW);
        let raw = IssueRequest {
            card_expiry: Some("2024-05-20".into()),
            ..holder("山田 太郎")
        };
        let card = issue(&mut a, &raw).unwrap();
        assert_eq!(card.card_expiry, "2024-05-20");
        assert_eq!(card.sign.unwrap().not_after, "2024-05-20T14:59:59Z");
        assert_eq!(card.auth.unwrap().not_after, "2024-05-20T14:59:59Z");
    }

    #[test]
    fn a_holder_under_15_gets_auth_only_unless_force_sign() {
        let mut a = authority_at(NOW);
        let card = issue(&mut a, &minor()).unwrap();
        assert!(card.sign.is_none());
        // A minor's card lasts 5 birthdays: 2021-06-01 … 2025-06-01.
        assert_eq!(card.card_expiry, "2025-06-01");
        assert_eq!(card.auth.unwrap().not_after, "2025-06-01T14:59:59Z");

        let only_sign = IssueRequest {
            only: Some("sign".into()),
            ..minor()
        };
        assert!(matches!(issue(&mut a, &only_sign), Err(Error::Refused(_))));
        let forced = IssueRequest {
            force_sign: true,
            ..only_sign
        };
        let forced = issue(&mut a, &forced).unwrap();
        assert!(forced.sign.is_some() && forced.auth.is_none());
        // Card 1 and the forced card 2: the refusal stored nothing.
        assert_eq!(forced.card_id.0, 2);
    }

    #[test]
    fn the_15th_birthday_itself_allows_a_signing_certificate() {
        let mut a = authority_at(NOW);
        let at = |birth: &str| IssueRequest {
            birth: birth.into(),
            ..holder("山田 次郎")
        };
        assert!(issue(&mut a, &at("2006-03-15")).unwrap().sign.is_some());
        assert!(issue(&mut a, &at("2006-03-16")).unwrap().sign.is_none());
    }

    #[test]
    fn dates_that_cannot_be_are_bad_input_naming_the_field() {
        let mut a = authority_at(NOW);
        type Change = fn(&mut IssueRequest);
        let cases: [(Change, &str); 3] = [
            (|r| r.birth = "2021-03-16".into(), "birth: "),
            (|r| r.issued_on = Some("2021-03-16".into()), "issued_on: "),
            (
                |r| r.card_expiry = Some("2021-03-14".into()),
                "card_expiry: ",
            ),
        ];
        for (change, field) in cases {
            let mut raw = holder("山田 太郎");
            change(&mut raw);
            let message = bad_input(issue(&mut a, &raw));
            assert!(message.starts_with(field), "{message}");
        }
        assert!(a.store().cards().unwrap().is_empty());
    }

    #[test]
    fn pins_are_hashed_only_for_the_kinds_issued() {
        let mut a = authority_at(NOW);
        let id = issue(&mut a, &minor()).unwrap().card_id;
        assert!(a.store().pin(id, CertKind::Sign).unwrap().is_none());
        let auth = a.store().pin(id, CertKind::Auth).unwrap().unwrap();
        assert!(auth.hash.starts_with("$argon2"), "{}", auth.hash);
        assert!(!auth.hash.contains("1234"));
        assert_eq!(auth.failures, 0);
    }
}
