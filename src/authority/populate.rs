//! `populate`: many cards at once for load tests (issue 14). Invented holders from the
//! built-in tables, issued through [`Authority::issue_cards`] (the code `issue` runs)
//! and revoked through [`Authority::revoke`], a thousand cards per store transaction,
//! the certificates signed on every core, their keys taken from a small pool.

use std::sync::atomic::{AtomicBool, Ordering};

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use serde::Serialize;
use sha2::Digest;
use time::{Date, Duration};

use super::issue::{parallel_map, KeyPool};
use super::request::{CardRequest, IssueRequest, RevokeRequest};
use super::{new_key, Authority};
use crate::error::{Error, Result};
use crate::rules::{jst, locality, Cause, CertKind, KeyAlg};

/// The causes `populate` applies by default, with their weights: a guess at a real mix
/// (moving house revokes the most signing certificates; lost cards come next).
pub const DEFAULT_CAUSE_MIX: [(Cause, u32); 8] = [
    (Cause::AddressChange, 35),
    (Cause::CardInvalidated, 20),
    (Cause::Lost, 15),
    (Cause::NameChange, 10),
    (Cause::Stop, 8),
    (Cause::Stolen, 4),
    (Cause::ExOfficio, 4),
    (Cause::Leak, 4),
];

/// The share of generated holders under 15 (an auth certificate only).
const MINOR_PERCENT: u64 = 3;
/// Cards are issued up to this many days before today (so card expiries spread).
const ISSUED_WITHIN_DAYS: u64 = 3 * 365;

/// What to populate.
#[derive(Clone, Debug)]
pub struct PopulatePlan {
    /// How many cards.
    pub cards: u64,
    /// The fraction of them to revoke, in [0, 1].
    pub revoked_fraction: f64,
    /// The causes to draw from, each as likely (empty: [`DEFAULT_CAUSE_MIX`]).
    pub causes: Vec<Cause>,
    /// How many end-entity keys the certificates share.
    pub key_pool: usize,
    /// Their algorithm (`None`: the configured one).
    pub key_alg: Option<KeyAlg>,
    /// Cards per store transaction.
    pub batch: usize,
}

impl PopulatePlan {
    /// Refuses a plan that cannot run, before anything is done.
    pub fn check(&self) -> Result<()> {
        let bad = |message: &str| Err(Error::BadInput(message.to_string()));
        if self.cards == 0 {
            return bad("--cards: must be at least 1");
        }
        if !(0.0..=1.0).contains(&self.revoked_fraction) {
            return bad(&format!(
                "--revoked: {} is outside [0, 1] (a fraction of the cards)",
                self.revoked_fraction
            ));
        }
        if self.key_pool == 0 {
            return bad("--key-pool: must be at least 1");
        }
        if self.batch == 0 {
            return bad("--batch: must be at least 1");
        }
        if let Some(cause) = self.causes.iter().find(|c| !Cause::USER_CAUSES.contains(c)) {
            return bad(&format!("--causes: {} cannot be requested", cause.as_str()));
        }
        Ok(())
    }
}

/// Where a run stands, after each committed batch.
#[derive(Clone, Copy, Debug, Default, Serialize)]
pub struct PopulateProgress {
    /// Cards asked for.
    pub total: u64,
    /// Cards issued and committed.
    pub cards: u64,
    /// Certificates issued.
    pub certificates: u64,
    /// Cards a cause was applied to.
    pub revoked_cards: u64,
    /// Certificates revoked.
    pub revoked: u64,
    /// Cards of holders under 15 (an auth certificate only).
    pub minors: u64,
}

/// The invented holders: names, sexes, birth dates and addresses from the built-in
/// tables, drawn by a ChaCha20 generator (the same seed, the same holders).
struct Holders {
    rng: ChaCha20Rng,
    places: Vec<String>,
}

const SURNAMES: [&str; 40] = [
    "佐藤",
    "鈴木",
    "高橋",
    "田中",
    "伊藤",
    "渡辺",
    "山本",
    "中村",
    "小林",
    "加藤",
    "吉田",
    "山田",
    "佐々木",
    "山口",
    "松本",
    "井上",
    "木村",
    "林",
    "斎藤",
    "清水",
    "山崎",
    "森",
    "池田",
    "橋本",
    "阿部",
    "石川",
    "山下",
    "中島",
    "石井",
    "小川",
    "前田",
    "岡田",
    "長谷川",
    "藤田",
    "後藤",
    "近藤",
    "村上",
    "遠藤",
    "青木",
    "髙橋",
];
const MALE_NAMES: [&str; 20] = [
    "翔太", "大輝", "拓海", "健太", "蓮", "大翔", "悠真", "陽翔", "湊", "一郎", "太郎", "誠", "浩",
    "隆", "実", "茂", "清", "博", "修", "健一",
];
const FEMALE_NAMES: [&str; 20] = [
    "陽菜",
    "結衣",
    "美咲",
    "さくら",
    "花子",
    "葵",
    "凛",
    "結愛",
    "芽依",
    "莉子",
    "恵子",
    "幸子",
    "洋子",
    "京子",
    "和子",
    "真由美",
    "由美子",
    "明美",
    "久美子",
    "裕子",
];
const TOWNS: [&str; 8] = [
    "本町", "中央", "栄町", "緑町", "旭町", "幸町", "新町", "東町",
];

impl Holders {
    fn new(seed: [u8; 32]) -> Self {
        Self {
            rng: ChaCha20Rng::from_seed(seed),
            places: locality::place_names(),
        }
    }

    fn below(&mut self, n: u64) -> u64 {
        self.rng.next_u64() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn unit(&mut self) -> f64 {
        (self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// One holder, as the CLI and the admin API would send it.
    fn next(&mut self, today: Date, key_alg: KeyAlg) -> Result<CardRequest> {
        let gender = match self.below(200) {
            0 => "unknown",
            n if n % 2 == 1 => "male",
            _ => "female",
        };
        let given = match gender {
            "male" => *self.pick(&MALE_NAMES),
            "female" => *self.pick(&FEMALE_NAMES),
            _ => {
                let names = if self.below(2) == 0 {
                    &MALE_NAMES
                } else {
                    &FEMALE_NAMES
                };
                *self.pick(names)
            }
        };
        let surname = *self.pick(&SURNAMES);
        let years = if self.below(100) < MINOR_PERCENT {
            self.below(15)
        } else {
            15 + self.below(75)
        };
        let days = (years * 365 + self.below(365)) as i64;
        let birth = today - Duration::days(days);
        let since_birth = (today - birth).whole_days() as u64;
        let issued_on =
            today - Duration::days(self.below(since_birth.min(ISSUED_WITHIN_DAYS) + 1) as i64);
        let index = self.below(self.places.len() as u64) as usize;
        let place = self.places[index].clone();
        let address = format!(
            "{place}{}{}丁目{}番{}号",
            self.pick(&TOWNS),
            1 + self.below(5),
            1 + self.below(30),
            1 + self.below(20)
        );
        CardRequest::try_from(&IssueRequest {
            name: format!("{surname} {given}"),
            birth: birth.to_string(),
            gender: gender.into(),
            address,
            issued_on: Some(issued_on.to_string()),
            key_alg: Some(key_alg.as_str().into()),
            ..IssueRequest::default()
        })
    }

    /// Which `count` of `n` cards to revoke, and with which cause.
    fn revocations(
        &mut self,
        n: usize,
        count: usize,
        causes: &[(Cause, u32)],
    ) -> Vec<(usize, Cause)> {
        let mut indexes: Vec<usize> = (0..n).collect();
        let total: u32 = causes.iter().map(|(_, w)| w).sum();
        (0..count.min(n))
            .map(|i| {
                let j = i + self.below((n - i) as u64) as usize;
                indexes.swap(i, j);
                let mut pick = (self.unit() * f64::from(total)) as u32;
                let cause = causes
                    .iter()
                    .find(|(_, w)| {
                        let hit = pick < *w;
                        pick = pick.saturating_sub(*w);
                        hit
                    })
                    .map_or(causes[0].0, |(c, _)| *c);
                (indexes[i], cause)
            })
            .collect()
    }
}

impl Authority {
    /// Issues `plan.cards` cards to invented holders and applies a cause to a fraction
    /// of them, one store transaction per `plan.batch` cards. Between batches it calls
    /// `progress`, and stops when `stop` is set (what is done stays committed). With
    /// `--seed` the holders and the pool's keys are the same every run.
    pub fn populate(
        &mut self,
        plan: &PopulatePlan,
        stop: &AtomicBool,
        progress: &mut dyn FnMut(&PopulateProgress),
    ) -> Result<PopulateProgress> {
        plan.check()?;
        let alg = plan.key_alg.unwrap_or(self.config.profile.key_alg);
        let seed = self.key_seed.clone();
        let labels: Vec<usize> = (0..plan.key_pool).collect();
        let pool = KeyPool::new(parallel_map(&labels, |i| {
            new_key(seed.as_deref(), alg, &format!("pool-{i}"))
        })?)?;
        let mut holder_seed = [0u8; 32];
        match &seed {
            Some(seed) => {
                holder_seed = sha2::Sha256::new()
                    .chain_update(b"jpki-mock populate\0")
                    .chain_update(seed.as_bytes())
                    .finalize()
                    .into()
            }
            None => aws_lc_rs::rand::fill(&mut holder_seed)
                .map_err(|_| Error::Internal("no system randomness".into()))?,
        }
        let mut holders = Holders::new(holder_seed);
        let causes: Vec<(Cause, u32)> = if plan.causes.is_empty() {
            DEFAULT_CAUSE_MIX.to_vec()
        } else {
            plan.causes.iter().map(|&c| (c, 1)).collect()
        };
        let mut done = PopulateProgress {
            total: plan.cards,
            ..PopulateProgress::default()
        };
        while done.cards < plan.cards && !stop.load(Ordering::SeqCst) {
            let n = (plan.cards - done.cards).min(plan.batch as u64);
            let today = jst::date_of(self.now());
            let requests = (0..n)
                .map(|_| holders.next(today, alg))
                .collect::<Result<Vec<_>>>()?;
            // Revoked so far follows the fraction of the cards done so far.
            let target = ((done.cards + n) as f64 * plan.revoked_fraction).round() as u64;
            let picks = holders.revocations(
                n as usize,
                target.saturating_sub(done.revoked_cards) as usize,
                &causes,
            );
            self.store.begin_batch()?;
            match self.populate_batch(&requests, &picks, &pool, &mut done) {
                Ok(()) => self.store.end_batch(true)?,
                Err(e) => {
                    // The batch's writes go; the error says why.
                    let _ = self.store.end_batch(false);
                    return Err(e);
                }
            }
            progress(&done);
        }
        Ok(done)
    }

    fn populate_batch(
        &mut self,
        requests: &[CardRequest],
        picks: &[(usize, Cause)],
        pool: &KeyPool,
        done: &mut PopulateProgress,
    ) -> Result<()> {
        let stored = self.issue_cards(requests, Some(pool))?;
        let mut revoked = 0;
        for &(index, cause) in picks {
            let request = RevokeRequest {
                cause,
                certs: None,
                at: None,
                platform: None,
            };
            revoked += self.revoke(stored[index].id, &request)?.revoked.len() as u64;
        }
        done.cards += stored.len() as u64;
        done.certificates += stored
            .iter()
            .map(|c| c.certificates.len() as u64)
            .sum::<u64>();
        done.minors += stored
            .iter()
            .filter(|c| !c.certificates.iter().any(|c| c.kind == CertKind::Sign))
            .count() as u64;
        done.revoked_cards += picks.len() as u64;
        done.revoked += revoked;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_generated_address_resolves_and_holders_are_mostly_adults() {
        let mut holders = Holders::new([7; 32]);
        let today = time::macros::date!(2026 - 03 - 15);
        let places = holders.places.clone();
        assert!(places.len() > 1_800, "{}", places.len());
        for place in &places {
            for town in TOWNS {
                let address = format!("{place}{town}1丁目2番3号");
                let request = CardRequest::try_from(&IssueRequest {
                    name: "山田 太郎".into(),
                    birth: "1990-10-01".into(),
                    gender: "male".into(),
                    address: address.clone(),
                    ..IssueRequest::default()
                })
                .unwrap_or_else(|e| panic!("{address}: {e}"));
                let locality = request
                    .locality
                    .with(crate::rules::locality::DesignatedCityWards::Ward);
                assert!(!locality.municipality.is_empty(), "{address}");
            }
        }
        let requests: Vec<CardRequest> = (0..2_000)
            .map(|_| holders.next(today, KeyAlg::P256).unwrap())
            .collect();
        let minors = requests
            .iter()
            .filter(|r| r.birth > today - Duration::days(15 * 365))
            .count();
        assert!((20..=120).contains(&minors), "{minors} minors of 2000");
        assert!(requests.iter().all(|r| r.issued_on.unwrap() >= r.birth));
        // The same seed, the same holders.
        let again = Holders::new([7; 32]).next(today, KeyAlg::P256).unwrap();
        assert_eq!(
            again.name_as_entered,
            Holders::new([7; 32])
                .next(today, KeyAlg::P256)
                .unwrap()
                .name_as_entered
        );
    }

    #[test]
    fn populate_issues_revokes_the_fraction_and_stops_between_batches() {
        let mut a = super::super::tests::authority_at("2021-03-15T10:00:00+09:00");
        let plan = PopulatePlan {
            cards: 30,
            revoked_fraction: 0.5,
            causes: vec![Cause::Lost],
            key_pool: 2,
            key_alg: Some(KeyAlg::P256),
            batch: 7,
        };
        let mut calls = 0;
        let done = a
            .populate(&plan, &AtomicBool::new(false), &mut |_| calls += 1)
            .unwrap();
        assert_eq!((done.cards, calls, done.revoked_cards), (30, 5, 15));
        let certificates: Vec<_> = a
            .store()
            .cards()
            .unwrap()
            .iter()
            .flat_map(|c| a.store().card_certificates(c.id).unwrap())
            .collect();
        assert_eq!(certificates.len() as u64, done.certificates);
        // `lost` revokes every certificate of its card.
        let revoked = certificates
            .iter()
            .filter(|c| c.revocation.is_some())
            .count();
        assert_eq!(revoked as u64, done.revoked);
        assert!(done.revoked >= 15);
        // Two keys for all of them.
        let mut keys: Vec<_> = certificates
            .iter()
            .map(|c| c.certificate.key_pkcs8.clone())
            .collect();
        keys.sort();
        keys.dedup();
        assert_eq!(keys.len(), 2);

        let stop = AtomicBool::new(false);
        let done = a
            .populate(&plan, &stop, &mut |_| stop.store(true, Ordering::SeqCst))
            .unwrap();
        assert_eq!(done.cards, 7);
        assert_eq!(a.store().cards().unwrap().len(), 37);
    }

    #[test]
    fn revocations_pick_distinct_cards_and_only_the_causes_given() {
        let mut holders = Holders::new([1; 32]);
        let picks = holders.revocations(100, 30, &[(Cause::Lost, 1), (Cause::Stop, 1)]);
        let mut indexes: Vec<usize> = picks.iter().map(|p| p.0).collect();
        indexes.sort();
        indexes.dedup();
        assert_eq!(indexes.len(), 30);
        assert!(picks.iter().all(|p| p.0 < 100));
        assert!(
            picks.iter().any(|p| p.1 == Cause::Lost) && picks.iter().any(|p| p.1 == Cause::Stop)
        );
        assert!(holders.revocations(5, 9, &DEFAULT_CAUSE_MIX).len() == 5);
    }
}
