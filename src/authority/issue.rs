//! Issuance: a new card and its certificates, and the certificate building that
//! renewal and reissue share.

use std::sync::atomic::{AtomicUsize, Ordering};

use time::{Date, OffsetDateTime};

use super::pin::hash_pin;
use super::request::CardRequest;
use super::views::{IssuedCard, IssuedCertificate, RevokedView};
use super::{bad, new_key, pem, rfc3339, Authority};
use crate::error::{Error, Result};
use crate::issuer::Issuer;
use crate::pki::cert::{self, CertProfile, CrlPoint, HolderFacts, LeafParams};
use crate::pki::keys::KeyPair;
use crate::rules::{holder, jst, CertKind, HolderName, Issuance, KeyAlg, Serial};
use crate::store::{CardId, HolderRecord, NewCard, NewCertificate, PhoneBinding};

/// What a card issuance checked and planned, before anything is signed or stored.
struct CardPlan {
    card: NewCard,
    facts: HolderFacts,
    kinds: Vec<CertKind>,
    pin_hashes: Vec<(CertKind, String)>,
}

/// A card issued and stored.
pub(super) struct StoredCard {
    /// Its id.
    pub id: CardId,
    /// The card as stored.
    pub card: NewCard,
    /// Its certificates as stored.
    pub certificates: Vec<NewCertificate>,
}

/// One card's certificates to build: `current_auth_expiry` caps a signing certificate
/// issued without a new auth one; `phone` binds them to a phone (else the card);
/// `ends` fixes the notAfter of a kind instead of the validity rules.
pub(super) struct CertOrder<'a> {
    pub card: &'a NewCard,
    pub facts: &'a HolderFacts,
    pub kinds: &'a [CertKind],
    pub current_auth_expiry: Option<Date>,
    pub phone: Option<&'a PhoneBinding>,
    pub ends: &'a [(CertKind, OffsetDateTime)],
}

/// End-entity keys that certificates share instead of a new key each
/// (`populate --key-pool`, a test shortcut): the certificate with serial `s` gets key
/// `s mod K`, so the two certificates of a card differ when K > 1.
pub struct KeyPool {
    keys: Vec<KeyPair>,
}

impl KeyPool {
    /// A pool of these keys (at least one, all of one algorithm).
    pub fn new(keys: Vec<KeyPair>) -> Result<Self> {
        match keys.first() {
            None => Err(Error::BadInput("--key-pool: must be at least 1".into())),
            Some(first) if keys.iter().any(|k| k.alg() != first.alg()) => {
                Err(Error::Internal("a key pool mixes key algorithms".into()))
            }
            Some(_) => Ok(Self { keys }),
        }
    }

    /// The algorithm of its keys.
    pub fn alg(&self) -> KeyAlg {
        self.keys[0].alg()
    }

    fn key(&self, serial: Serial) -> &KeyPair {
        &self.keys[serial.0 as usize % self.keys.len()]
    }
}

/// A certificate planned by [`Authority::build_certificates`]: its serial is taken, it
/// is not signed yet.
struct Job<'a> {
    order: usize,
    kind: CertKind,
    generation: u32,
    not_after: OffsetDateTime,
    serial: Serial,
    ca: &'a Issuer,
}

/// `f` over `items` on every core (std threads; each takes the next item when it is
/// done), results in the order of `items`. The first error wins.
pub(super) fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> Result<R> + Sync,
) -> Result<Vec<R>> {
    let threads = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(items.len());
    if threads <= 1 {
        return items.iter().map(f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || -> Result<Vec<(usize, R)>> {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return Ok(done);
            };
            done.push((i, f(item)?));
        }
    };
    let parts: Vec<Result<Vec<(usize, R)>>> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a signing thread panicked"))
            .collect()
    });
    let mut slots: Vec<Option<R>> = std::iter::repeat_with(|| None).take(items.len()).collect();
    for part in parts {
        for (i, result) in part? {
            slots[i] = Some(result);
        }
    }
    Ok(slots
        .into_iter()
        .map(|r| r.expect("every item was done"))
        .collect())
}

impl Authority {
    /// Issues a new card and its certificates.
    pub fn issue(&mut self, request: &CardRequest) -> Result<IssuedCard> {
        // The consent is stored with the card, in one transaction.
        self.store.begin_batch()?;
        let stored = self
            .issue_cards(std::slice::from_ref(request), None)
            .and_then(|mut cards| cards.pop().ok_or_else(|| Error::Internal("no card".into())))
            .and_then(|stored| {
                if request.latest_facts_consent {
                    self.put_latest_facts_consent(stored.id, true)?;
                }
                Ok(stored)
            });
        self.store.end_batch(stored.is_ok())?;
        let stored = stored?;
        self.issued_card(stored.id, &stored.card, &stored.certificates, vec![])
    }

    /// Issues cards: every request is checked before anything is signed or stored (a
    /// bad one refuses them all), the certificates of all of them are signed on every
    /// core, then each card is stored (in the caller's batch, if one is open). With a
    /// `pool`, the certificates take their keys from it instead of new ones.
    pub(super) fn issue_cards(
        &mut self,
        requests: &[CardRequest],
        pool: Option<&KeyPool>,
    ) -> Result<Vec<StoredCard>> {
        let now = self.now();
        let plans = requests
            .iter()
            .map(|request| self.plan_card(request, now))
            .collect::<Result<Vec<_>>>()?;
        let orders: Vec<CertOrder<'_>> = plans
            .iter()
            .map(|plan| CertOrder {
                card: &plan.card,
                facts: &plan.facts,
                kinds: &plan.kinds,
                current_auth_expiry: None,
                phone: None,
                ends: &[],
            })
            .collect();
        let certificates = self.build_certificates(&orders, Issuance::New, now, pool)?;
        let mut stored = Vec::with_capacity(plans.len());
        for (plan, certificates) in plans.into_iter().zip(certificates) {
            let id = self
                .store
                .insert_card(&plan.card, &certificates, &plan.pin_hashes, None)?;
            stored.push(StoredCard {
                id,
                card: plan.card,
                certificates,
            });
        }
        Ok(stored)
    }

    /// Checks a card request against the rules of `now` and plans the card.
    fn plan_card(&self, request: &CardRequest, now: OffsetDateTime) -> Result<CardPlan> {
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
        Ok(CardPlan {
            card,
            facts,
            kinds,
            pin_hashes,
        })
    }

    /// Builds and signs new certificates for each order, issued at `now`, in the order
    /// of the orders and their kinds. `issuance` says whether this is a renewal (which
    /// runs a birthday longer). The keys are new ones, or the `pool`'s. Signing (and
    /// key generation) runs on every core; serials come from the store, in one call.
    pub(super) fn build_certificates(
        &mut self,
        orders: &[CertOrder<'_>],
        issuance: Issuance,
        now: OffsetDateTime,
        pool: Option<&KeyPool>,
    ) -> Result<Vec<Vec<NewCertificate>>> {
        let rules = &self.config.validity;
        let today = jst::date_of(now);
        // Everything that may refuse comes before a serial is taken: a refusal changes
        // nothing.
        let mut planned = Vec::new();
        for (index, order) in orders.iter().enumerate() {
            let birth = order.card.holder.birth;
            let auth_expiry = if order.kinds.contains(&CertKind::Auth) {
                Some(rules.auth_expiry(birth, today, issuance, order.card.expiry))
            } else {
                order.current_auth_expiry
            };
            for &kind in order.kinds {
                let expiry = match kind {
                    CertKind::Auth => auth_expiry.expect("set above when auth is issued"),
                    CertKind::Sign => {
                        rules.sign_expiry(birth, today, issuance, auth_expiry, order.card.expiry)
                    }
                };
                let generation = self.issuing_generation(kind, now)?;
                let end = order
                    .ends
                    .iter()
                    .find(|(k, _)| *k == kind)
                    .map_or(jst::end_of_day(expiry), |(_, end)| *end);
                // No certificate outlives its CA generation (real ones are sized so that
                // this never binds; with backdated mock CAs it may).
                let not_after = end.min(self.generation(kind, generation)?.not_after());
                if not_after <= now {
                    return Err(Error::Refused(format!(
                        "a {kind} certificate issued on {today} would already be expired ({expiry})"
                    )));
                }
                planned.push((index, kind, generation, not_after));
            }
            if let Some(pool) = pool.filter(|p| p.alg() != order.card.key_alg) {
                return Err(Error::Internal(format!(
                    "a {} card cannot take keys from a {} pool",
                    order.card.key_alg,
                    pool.alg()
                )));
            }
        }
        let profile = self.profile()?;
        let phone_profile = CertProfile {
            sign_policy: self
                .config
                .phones
                .sign_policy
                .unwrap_or(profile.sign_policy),
            auth_policy: self
                .config
                .phones
                .auth_policy
                .unwrap_or(profile.auth_policy),
            ..profile.clone()
        };
        let serials = self.store.allocate_serials(planned.len())?;
        let jobs = planned
            .into_iter()
            .zip(serials)
            .map(|((order, kind, generation, not_after), serial)| {
                Ok(Job {
                    order,
                    kind,
                    generation,
                    not_after,
                    serial,
                    ca: &self.generation(kind, generation)?.ca,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let seed = self.key_seed.as_deref();
        let signed = parallel_map(&jobs, |job| {
            let card = orders[job.order].card;
            let fresh;
            let key = match pool {
                Some(pool) => pool.key(job.serial),
                None => {
                    fresh = new_key(seed, card.key_alg, &format!("serial-{}", job.serial))?;
                    &fresh
                }
            };
            let serial = job.serial;
            let params = LeafParams {
                serial,
                not_before: now,
                not_after: job.not_after,
                spki_der: key.spki_der(),
            };
            let point = CrlPoint {
                generation: job.generation,
                locality: &card.holder.locality,
            };
            let phone = orders[job.order].phone;
            let profile = if phone.is_some() {
                &phone_profile
            } else {
                &profile
            };
            let tbs = match job.kind {
                CertKind::Sign => cert::sign_tbs(
                    profile,
                    job.ca.certificate(),
                    params,
                    &point,
                    &cert::sign_common_name(now, serial),
                    orders[job.order].facts,
                )?,
                CertKind::Auth => cert::auth_tbs(
                    profile,
                    job.ca.certificate(),
                    params,
                    &point,
                    &cert::auth_common_name(serial),
                )?,
            };
            Ok(NewCertificate {
                serial,
                kind: job.kind,
                generation: job.generation,
                locality: card.holder.locality.clone(),
                not_before: now,
                not_after: job.not_after,
                der: job.ca.sign_tbs(&tbs)?,
                key_pkcs8: key.pkcs8_der().to_vec(),
                phone: phone.cloned(),
            })
        })?;
        let mut certificates: Vec<Vec<NewCertificate>> = orders
            .iter()
            .map(|o| Vec::with_capacity(o.kinds.len()))
            .collect();
        for (job, certificate) in jobs.iter().zip(signed) {
            certificates[job.order].push(certificate);
        }
        Ok(certificates)
    }

    /// [`Authority::build_certificates`] for one card.
    pub(super) fn build_card_certificates(
        &mut self,
        order: CertOrder<'_>,
        issuance: Issuance,
        now: OffsetDateTime,
    ) -> Result<Vec<NewCertificate>> {
        Ok(self
            .build_certificates(std::slice::from_ref(&order), issuance, now, None)?
            .pop()
            .expect("one order"))
    }

    pub(super) fn issued_card(
        &self,
        id: CardId,
        card: &NewCard,
        certificates: &[NewCertificate],
        revoked: Vec<RevokedView>,
    ) -> Result<IssuedCard> {
        let mut result = IssuedCard {
            card_id: id,
            card_expiry: card.expiry.to_string(),
            fee_yen: card.fee_yen,
            sign: None,
            auth: None,
            revoked,
            platform: None,
            device_id: None,
            lifted: vec![],
        };
        for certificate in certificates {
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
                key_pem: pem("PRIVATE KEY", &certificate.key_pkcs8),
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
