//! The authority over every store: the same scenario gives the same results in memory,
//! on SQLite and on PostgreSQL (statuses, reasons, serials, CRL entries, PIN counters),
//! refused operations change nothing in any, and two processes (or replicas) revoking
//! one card at once both succeed. The PostgreSQL halves need a server
//! (`JPKI_MOCK_TEST_POSTGRES`; see `TestSchema`). These stay unit tests: the scenario
//! drives the crate's `Authority`, which is not public API.
//!
//! It also holds the one fixture the per-concern unit tests (`issue.rs`, `revoke.rs`,
//! …) share: a memory-store authority at a fixed instant, and a holder.

use x509_parser::prelude::FromDer;

use super::{Authority, CardRequest, IssueRequest, Options, RevokeRequest};
use crate::clock::Clock;
use crate::config::Config;
use crate::rules::{Cause, CertKind};
use crate::store::memory::MemoryStore;
use crate::store::postgres::testing::TestSchema;
use crate::store::sqlite::SqliteStore;
use crate::store::{CardId, Store, StoreLocation};

pub(super) fn at(text: &str) -> time::OffsetDateTime {
    crate::clock::parse_instant(text).unwrap()
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).unwrap()
}

pub(super) fn cause(cause: Cause) -> RevokeRequest {
    RevokeRequest {
        cause,
        certs: None,
        at: None,
        platform: None,
    }
}

pub(super) fn issue(
    authority: &mut Authority,
    raw: &IssueRequest,
) -> crate::Result<super::IssuedCard> {
    authority.issue(&CardRequest::try_from(raw)?)
}

fn open(mut store: Box<dyn Store>, now: &str) -> Authority {
    let options = Options {
        now: Some(at(now)),
        key_seed: Some("stores".into()),
    };
    Authority::init(store.as_mut(), &Config::default(), &options, None, None).unwrap();
    Authority::open(store, Config::default(), options).unwrap()
}

/// The unit tests' authority: initialised at `now` on a memory store with keys seeded
/// "unit", its clock fixed at `now` by `Options.now` (which `set_clock` cannot move).
/// CA and responder keys are P-256 (`profile.key_alg`), so that each test makes its own
/// CAs in milliseconds rather than a second of RSA key generation.
pub(super) fn authority_at(now: &str) -> Authority {
    memory_authority(now, true)
}

/// The same, but fixed at `now` by the virtual clock, so `set_clock` moves it.
pub(super) fn authority_on_clock(now: &str) -> Authority {
    memory_authority(now, false)
}

/// The fixture's configuration: the defaults with P-256 CA and responder keys.
fn p256_config() -> Config {
    Config::from_toml("[profile]\nkey_alg = \"p256\"\n").unwrap()
}

fn memory_authority(now: &str, now_option: bool) -> Authority {
    let config = p256_config();
    let mut store = Box::new(MemoryStore::new());
    let mut options = Options {
        now: Some(at(now)),
        key_seed: Some("unit".into()),
    };
    Authority::init(store.as_mut(), &config, &options, None, None).unwrap();
    if !now_option {
        options.now = None;
    }
    let mut authority = Authority::open(store, config, options).unwrap();
    if !now_option {
        authority.set_clock(Clock::Fixed { now: at(now) }).unwrap();
    }
    authority
}

/// The message of a `BadInput` error (panics on success or any other error).
pub(super) fn bad_input<T: std::fmt::Debug>(result: crate::Result<T>) -> String {
    match result {
        Err(crate::Error::BadInput(message)) => message,
        other => panic!("expected BadInput, got {other:?}"),
    }
}

/// An adult holder (born 1990-10-01, 30 on 2021-03-15) with both PINs and P-256 keys.
pub(super) fn holder(name: &str) -> IssueRequest {
    IssueRequest {
        name: name.into(),
        birth: "1990-10-01".into(),
        gender: "female".into(),
        address: "東京都品川区広町2-1-36".into(),
        sign_pin: Some("ABC123".into()),
        auth_pin: Some("1234".into()),
        key_alg: Some("p256".into()),
        ..IssueRequest::default()
    }
}

/// A CRL's entries: (serial, reasonCode; 0 when absent), in the CRL's order.
pub(super) fn crl_serials(der: &[u8]) -> Vec<(u32, u8)> {
    let (_, crl) = x509_parser::revocation_list::CertificateRevocationList::from_der(der).unwrap();
    crl.iter_revoked_certificates()
        .map(|r| {
            let serial = u32::try_from(r.serial()).unwrap();
            let reason = r.reason_code().map_or(0, |(_, code)| code.0);
            (serial, reason)
        })
        .collect()
}

/// Runs one scenario and returns what it observed, as comparable text.
fn scenario(make: impl Fn(&str) -> Authority) -> Vec<String> {
    let mut seen = Vec::new();
    let mut a = make("2021-03-15T10:00:00+09:00");
    let one = issue(&mut a, &holder("山田 太郎")).unwrap();
    let two = issue(&mut a, &holder("佐藤 花子")).unwrap();
    seen.push(format!("cards {} {}", one.card_id, two.card_id));
    seen.push(format!(
        "serials {} {} {} {}",
        one.sign.as_ref().unwrap().serial,
        one.auth.as_ref().unwrap().serial,
        two.sign.as_ref().unwrap().serial,
        two.auth.as_ref().unwrap().serial
    ));

    let report = a.revoke(one.card_id, &cause(Cause::AddressChange)).unwrap();
    seen.push(format!("address_change {}", json(&report.revoked)));
    let again = a.revoke(one.card_id, &cause(Cause::AddressChange)).unwrap();
    seen.push(format!(
        "again {} {}",
        json(&again.revoked),
        json(&again.unchanged)
    ));
    let lost = a.revoke(two.card_id, &cause(Cause::Lost)).unwrap();
    seen.push(format!("lost {}", json(&lost.revoked)));
    seen.push(format!(
        "crl sign {:?}",
        crl_serials(
            &a.crl(&super::CrlScope::whole(CertKind::Sign, 1))
                .unwrap()
                .der
        )
    ));
    seen.push(format!(
        "crl auth {:?}",
        crl_serials(
            &a.crl(&super::CrlScope::whole(CertKind::Auth, 1))
                .unwrap()
                .der
        )
    ));

    // PIN counters: two wrong tries, then the right one resets them.
    for pin in ["0000", "9999"] {
        seen.push(format!(
            "{}",
            a.sign_with_pin(one.card_id, CertKind::Auth, pin, b"x")
                .unwrap_err()
        ));
    }
    let signed = a
        .sign_with_pin(one.card_id, CertKind::Auth, "1234", b"x")
        .unwrap();
    seen.push(format!(
        "signed by {} ({})",
        signed.serial,
        json(&signed.status)
    ));

    // Refused operations change nothing.
    let before = format!(
        "{:?}",
        a.card_views()
            .unwrap()
            .iter()
            .map(|c| (&c.card_id, c.certificates.len()))
            .collect::<Vec<_>>()
    );
    assert!(a.renew(one.card_id, None).is_err());
    assert!(a.revoke(CardId(99), &cause(Cause::Stop)).is_err());
    let after = format!(
        "{:?}",
        a.card_views()
            .unwrap()
            .iter()
            .map(|c| (&c.card_id, c.certificates.len()))
            .collect::<Vec<_>>()
    );
    assert_eq!(before, after);

    let reissued = a.reissue(one.card_id).unwrap();
    seen.push(format!(
        "reissue card {} fee {} revoked {}",
        reissued.card_id,
        reissued.fee_yen,
        json(&reissued.revoked)
    ));
    seen.push(format!(
        "card view {:?}",
        a.card_view(one.card_id).unwrap().replaced_by
    ));
    seen.push(format!(
        "crl auth {:?}",
        crl_serials(
            &a.crl(&super::CrlScope::whole(CertKind::Auth, 1))
                .unwrap()
                .der
        )
    ));
    seen
}

#[test]
fn memory_sqlite_and_postgres_stores_behave_alike() {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = scenario(|now| open(Box::new(SqliteStore::create(dir.path()).unwrap()), now));
    let memory = scenario(|now| open(Box::new(MemoryStore::new()), now));
    assert_eq!(sqlite, memory);
    if let Some(schema) = TestSchema::new("scenario") {
        let postgres = scenario(|now| open(schema.location().create().unwrap(), now));
        assert_eq!(postgres, memory);
    }
    // And the scenario says what domain.md wants.
    assert!(sqlite[2].contains("affiliationChanged") && sqlite[2].contains("\"sign\""));
    assert!(
        !sqlite[2].contains("\"auth\""),
        "address_change keeps the auth certificate"
    );
    assert!(sqlite[3].starts_with("again []"), "{}", sqlite[3]);
    assert!(sqlite[4].matches("certificateHold").count() == 2);
    assert!(sqlite[7].contains("2 tries left"), "{}", sqlite[7]);
    assert!(sqlite[8].contains("1 tries left"), "{}", sqlite[8]);
    assert!(sqlite[10].contains("fee 200") && sqlite[10].contains("cessationOfOperation"));
}

#[test]
fn two_processes_revoking_one_card_at_once_both_succeed_and_one_reports_it() {
    let dir = tempfile::tempdir().unwrap();
    two_revoking_one_card_at_once(&StoreLocation::Sqlite(dir.path().to_path_buf()));
}

#[test]
fn two_replicas_revoking_one_card_at_once_on_postgres_both_succeed_and_one_reports_it() {
    if let Some(schema) = TestSchema::new("revoke_at_once") {
        two_revoking_one_card_at_once(schema.location());
    }
}

#[test]
fn replicas_initialising_one_empty_postgres_state_at_once_make_one_pair_of_cas() {
    use std::sync::{Arc, Barrier};
    let Some(schema) = TestSchema::new("init_at_once") else {
        return;
    };
    drop(schema.location().create().unwrap());
    let barrier = Arc::new(Barrier::new(3));
    let replicas: Vec<_> = (0..3)
        .map(|_| {
            let (barrier, location) = (barrier.clone(), schema.location().clone());
            std::thread::spawn(move || {
                let mut store = location.open().unwrap();
                barrier.wait();
                let options = Options::default();
                Authority::init(store.as_mut(), &p256_config(), &options, None, None)
                    .map(|report| report.created.len())
            })
        })
        .collect();
    let created: Vec<usize> = replicas
        .into_iter()
        .map(|r| r.join().unwrap().unwrap())
        .collect();
    assert_eq!(created.iter().sum::<usize>(), 2, "{created:?}");
    let store = schema.location().open().unwrap();
    assert_eq!(store.authorities(CertKind::Sign).unwrap().len(), 1);
}

/// Two connections to the state at `location` (as two processes or replicas) revoke one
/// card at the same moment, twenty times over.
fn two_revoking_one_card_at_once(location: &StoreLocation) {
    use std::sync::{Arc, Barrier};
    let options = Options::default();
    let mut store = location.create().unwrap();
    Authority::init(store.as_mut(), &Config::default(), &options, None, None).unwrap();
    let mut setup = Authority::open(store, Config::default(), options.clone()).unwrap();
    let mut both_reported = 0;
    for _ in 0..20 {
        let card = issue(
            &mut setup,
            &IssueRequest {
                sign_pin: None,
                auth_pin: None,
                ..holder("山田 太郎")
            },
        )
        .unwrap()
        .card_id;
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = (0..2)
            .map(|_| {
                let (barrier, location, options) =
                    (barrier.clone(), location.clone(), options.clone());
                std::thread::spawn(move || {
                    // Each thread has its own connection, like a second process.
                    let store = location.open().unwrap();
                    let mut authority = Authority::open(store, Config::default(), options).unwrap();
                    barrier.wait();
                    authority.revoke(card, &cause(Cause::Leak))
                })
            })
            .collect();
        let reports: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().unwrap().expect("no error for the loser"))
            .collect();
        let revoked: usize = reports.iter().map(|r| r.revoked.len()).sum();
        assert_eq!(
            revoked, 2,
            "the card's two certificates, revoked once: {reports:?}"
        );
        if reports.iter().all(|r| !r.revoked.is_empty()) {
            both_reported += 1;
        }
    }
    assert_eq!(both_reported, 0);
}
