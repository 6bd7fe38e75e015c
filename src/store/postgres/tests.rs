//! The PostgreSQL store against a real server (`JPKI_MOCK_TEST_POSTGRES`; each test in
//! a schema of its own): the contract every store passes, two replicas allocating
//! serials and cRLNumbers at once, schemas created by replicas opening at once, and
//! the errors that name what was wrong (a failed write reports its own, undone).

use std::sync::{Arc, Barrier};

use super::testing::TestSchema;
use super::*;
use crate::store::contract;

fn store_in(schema: &TestSchema) -> PostgresStore {
    let StoreLocation::Postgres { url, schema } = schema.location() else {
        unreachable!("a test schema is on PostgreSQL")
    };
    PostgresStore::create(url, schema).unwrap()
}

#[test]
fn localities_lists_each_distribution_point_once_in_order() {
    let Some(schema) = TestSchema::new("localities") else {
        return;
    };
    contract::localities_are_listed_once_in_order(&mut store_in(&schema));
}

#[test]
fn holds_are_lifted_and_phones_and_holders_are_kept() {
    let Some(schema) = TestSchema::new("holds") else {
        return;
    };
    contract::holds_are_lifted_and_phones_and_holders_are_kept(&mut store_in(&schema));
}

#[test]
fn a_shared_key_is_stored_once_and_a_batch_commits_or_undoes_all_its_writes() {
    let Some(schema) = TestSchema::new("batch") else {
        return;
    };
    let mut store = store_in(&schema);
    let counter = store_in(&schema);
    contract::a_batch_commits_or_undoes_all_its_writes(&mut store, &|| {
        counter
            .read(|c| Ok(c.query_one("SELECT COUNT(*) FROM card_keys", &[])?.get(0)))
            .unwrap()
    });
}

#[test]
fn two_replicas_never_take_the_same_serial_and_crl_numbers_never_go_back() {
    let Some(schema) = TestSchema::new("counters") else {
        return;
    };
    let mut setup = store_in(&schema);
    for kind in CertKind::ALL {
        setup
            .put_authority(kind, &contract::authority_record())
            .unwrap();
    }
    let barrier = Arc::new(Barrier::new(2));
    let replicas: Vec<_> = (0..2)
        .map(|_| {
            // Two connections, as two replicas would have.
            let (mut store, barrier) = (store_in(&schema), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                let mut serials = Vec::new();
                let mut numbers = Vec::new();
                for round in 0..100 {
                    serials.extend(store.allocate_serials(1 + round % 3).unwrap());
                    numbers.push(store.next_crl_number(CertKind::Sign, 1, "").unwrap());
                }
                (serials, numbers)
            })
        })
        .collect();
    let mut all_serials = Vec::new();
    let mut all_numbers = Vec::new();
    for replica in replicas {
        let (serials, numbers) = replica.join().unwrap();
        assert!(
            numbers.windows(2).all(|w| w[0] < w[1]),
            "each replica's cRLNumbers go up: {numbers:?}"
        );
        assert!(serials.windows(2).all(|w| w[0] < w[1]));
        all_serials.extend(serials);
        all_numbers.extend(numbers);
    }
    let serial_count = all_serials.len();
    all_serials.sort();
    all_serials.dedup();
    all_numbers.sort();
    all_numbers.dedup();
    assert_eq!(all_serials.len(), serial_count, "a serial taken twice");
    assert_eq!(all_serials[0], Serial(FIRST_SERIAL));
    assert_eq!(all_numbers, (1..=200).collect::<Vec<u64>>());
    // Another scope and a missing generation.
    assert_eq!(
        setup
            .next_crl_number(CertKind::Sign, 1, "Tokyo-to/Shinagawa-ku")
            .unwrap(),
        1
    );
    assert!(matches!(
        setup.next_crl_number(CertKind::Sign, 9, ""),
        Err(Error::NotFound(_))
    ));
}

#[test]
fn replicas_opening_a_new_schema_at_once_all_find_it_ready() {
    let Some(schema) = TestSchema::new("open") else {
        return;
    };
    let StoreLocation::Postgres { url, schema: name } = schema.location().clone() else {
        unreachable!("a test schema is on PostgreSQL")
    };
    let err = PostgresStore::open(&url, &name).unwrap_err().to_string();
    assert!(
        err.contains("no jpki-mock state") && err.contains("init"),
        "{err}"
    );
    let barrier = Arc::new(Barrier::new(4));
    let openers: Vec<_> = (0..4)
        .map(|_| {
            let (url, name, barrier) = (url.clone(), name.clone(), barrier.clone());
            std::thread::spawn(move || {
                barrier.wait();
                PostgresStore::create(&url, &name).map(|store| store.revision().unwrap())
            })
        })
        .collect();
    for opener in openers {
        assert_eq!(opener.join().unwrap().unwrap(), 0);
    }
    PostgresStore::open(&url, &name).unwrap();
}

#[test]
fn errors_name_the_server_without_the_password() {
    // Port 1 refuses connections: no server needed.
    let err = PostgresStore::create("postgres://jpki:hunter2@127.0.0.1:1/mock", "public")
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("cannot connect to PostgreSQL at 127.0.0.1:1/mock: "),
        "{err}"
    );
    assert!(!err.contains("hunter2"), "{err}");
    let err = PostgresStore::create("postgres://u@h/d", "Bad-Name")
        .unwrap_err()
        .to_string();
    assert!(err.contains("Bad-Name"), "{err}");
}

#[test]
fn a_failed_write_reports_its_own_error_and_changes_nothing() {
    let Some(schema) = TestSchema::new("failed_write") else {
        return;
    };
    let mut store = store_in(&schema);
    let record = contract::authority_record();
    store.put_authority(CertKind::Auth, &record).unwrap();
    let revision = store.revision().unwrap();
    let err = store.put_authority(CertKind::Auth, &record).unwrap_err();
    assert!(matches!(err, Error::ConcurrentChange(_)), "{err}");
    // A database error is reported as the server said it.
    let err = store
        .record_event(&NewEvent {
            card_id: CardId(42),
            cause: crate::rules::Cause::Lost,
            at: OffsetDateTime::UNIX_EPOCH,
            recorded_at: OffsetDateTime::UNIX_EPOCH,
            revokes: vec![],
        })
        .unwrap_err()
        .to_string();
    assert!(err.contains("foreign key"), "{err}");
    assert_eq!(store.revision().unwrap(), revision);
    // The connection is usable afterwards.
    store.put_setting("k", "v").unwrap();
    assert_eq!(store.setting("k").unwrap().as_deref(), Some("v"));
}
