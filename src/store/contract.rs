//! The contract tests every store passes (each store's tests call them).

use time::OffsetDateTime;

use super::*;
use crate::error::Error;
use crate::rules::locality::Locality;
use crate::rules::{Cause, CertKind, CrlReason, Gender, KeyAlg, Serial};

/// A card of a holder in `locality`, recorded at the epoch.
fn card_in(locality: &Locality) -> NewCard {
    NewCard {
        holder: HolderRecord {
            name: "A B".into(),
            birth: time::macros::date!(1990 - 10 - 01),
            gender: Gender::Female,
            address: "x".into(),
            locality: locality.clone(),
        },
        issued_on: time::macros::date!(2021 - 03 - 15),
        expiry: time::macros::date!(2031 - 10 - 01),
        key_alg: KeyAlg::P256,
        replaces: None,
        fee_yen: 0,
        created_at: OffsetDateTime::UNIX_EPOCH,
    }
}

/// A CA generation 1 with placeholder certificates and keys ("secret").
pub(super) fn authority_record() -> AuthorityRecord {
    AuthorityRecord {
        generation: 1,
        issuing_from: OffsetDateTime::UNIX_EPOCH,
        revocation: None,
        ca_cert: vec![1],
        ca_key_pem: "secret".into(),
        responder_cert: vec![2],
        responder_key_pem: "secret".into(),
    }
}

/// `localities` and `names_locality`: each point once, in byte order.
pub(super) fn localities_are_listed_once_in_order(store: &mut dyn Store) {
    let at = OffsetDateTime::UNIX_EPOCH;
    let locality = |prefecture: &str, municipality: &str| Locality {
        prefecture: prefecture.into(),
        municipality: municipality.into(),
    };
    let points = [
        locality("Tokyo-to", "Shinagawa-ku"),
        locality("Osaka-fu", "Osaka-shi"),
        locality("Tokyo-to", "Kiyose-shi"),
        locality("Tokyo-to", "Shinagawa-ku"),
    ];
    for (i, point) in points.iter().enumerate() {
        let card = card_in(point);
        let certificate = NewCertificate {
            serial: Serial(0x0100_0010 + i as u32),
            kind: CertKind::Sign,
            generation: 1,
            locality: point.clone(),
            not_before: at,
            not_after: at,
            der: vec![],
            key_pkcs8: vec![],
            phone: None,
        };
        store.insert_card(&card, &[certificate], &[], None).unwrap();
    }
    let expected = [
        locality("Osaka-fu", "Osaka-shi"),
        locality("Tokyo-to", "Kiyose-shi"),
        locality("Tokyo-to", "Shinagawa-ku"),
    ];
    assert_eq!(store.localities(CertKind::Sign, 1).unwrap(), expected);
    assert!(store.localities(CertKind::Sign, 2).unwrap().is_empty());
    assert!(store.localities(CertKind::Auth, 1).unwrap().is_empty());
    assert!(store
        .names_locality(CertKind::Sign, 1, &expected[1])
        .unwrap());
    assert!(!store
        .names_locality(CertKind::Sign, 2, &expected[1])
        .unwrap());
}

/// A key shared by certificates is stored once (`key_rows` counts the stored keys), a
/// failing method inside a batch undoes its own writes only, and a batch commits or
/// undoes all its writes.
pub(super) fn a_batch_commits_or_undoes_all_its_writes(
    store: &mut dyn Store,
    key_rows: &dyn Fn() -> i64,
) {
    let at = OffsetDateTime::UNIX_EPOCH;
    let point = Locality {
        prefecture: "Tokyo-to".into(),
        municipality: "Shinagawa-ku".into(),
    };
    let card = card_in(&point);
    let certificate = |serial: u32, key: &[u8]| NewCertificate {
        serial: Serial(serial),
        kind: CertKind::Auth,
        generation: 1,
        locality: point.clone(),
        not_before: at,
        not_after: at,
        der: vec![1],
        key_pkcs8: key.to_vec(),
        phone: None,
    };
    store.begin_batch().unwrap();
    for serial in [0x0100_0100, 0x0100_0101, 0x0100_0102] {
        store
            .insert_card(&card, &[certificate(serial, b"shared")], &[], None)
            .unwrap();
    }
    store
        .insert_card(&card, &[certificate(0x0100_0103, b"own")], &[], None)
        .unwrap();
    // A failing method inside the batch undoes its own writes only.
    assert!(store
        .insert_card(&card, &[certificate(0x0100_0100, b"again")], &[], None)
        .is_err());
    store.end_batch(true).unwrap();
    assert_eq!(store.cards().unwrap().len(), 4);
    assert_eq!(key_rows(), 2);
    for (serial, key) in [
        (0x0100_0100, "shared"),
        (0x0100_0102, "shared"),
        (0x0100_0103, "own"),
    ] {
        let record = store.certificate(Serial(serial)).unwrap().unwrap();
        assert_eq!(record.certificate.key_pkcs8, key.as_bytes());
    }

    store.begin_batch().unwrap();
    store
        .insert_card(&card, &[certificate(0x0100_0104, b"new")], &[], None)
        .unwrap();
    store.end_batch(false).unwrap();
    assert_eq!(store.cards().unwrap().len(), 4);
    assert_eq!(key_rows(), 2);
    assert!(store.certificate(Serial(0x0100_0104)).unwrap().is_none());
}

/// A phone certificate keeps its binding; a lifted hold leaves the CRL at once, and in
/// published data from the lift's cutoff on; a lifted certificate may be revoked again;
/// a card's holder facts are replaced.
pub(super) fn holds_are_lifted_and_phones_and_holders_are_kept(store: &mut dyn Store) {
    use crate::rules::Platform;
    let at = |seconds: i64| OffsetDateTime::from_unix_timestamp(seconds).unwrap();
    let point = Locality {
        prefecture: "Tokyo-to".into(),
        municipality: "Shinagawa-ku".into(),
    };
    let phone = PhoneBinding {
        platform: Platform::Ios,
        device_id: "dev-1".into(),
    };
    let certificate = NewCertificate {
        serial: Serial(0x0100_0200),
        kind: CertKind::Auth,
        generation: 1,
        locality: point.clone(),
        not_before: at(0),
        not_after: at(1_000_000),
        der: vec![1],
        key_pkcs8: b"k".to_vec(),
        phone: Some(phone.clone()),
    };
    let card = store
        .insert_card(&card_in(&point), &[certificate], &[], None)
        .unwrap();
    let serial = Serial(0x0100_0200);
    let stored = store.certificate(serial).unwrap().unwrap();
    assert_eq!(stored.certificate.phone, Some(phone));
    let hold = |recorded: i64| NewEvent {
        card_id: card,
        cause: Cause::PhoneLost,
        at: at(recorded),
        recorded_at: at(recorded),
        revokes: vec![(serial, CrlReason::CertificateHold)],
    };
    store.record_event(&hold(100)).unwrap();
    let listed = |store: &dyn Store, cutoff: Option<i64>| {
        let query = RevokedQuery {
            kind: CertKind::Auth,
            generation: 1,
            locality: None,
            unexpired_at: at(0),
            recorded_before: cutoff.map(at),
        };
        let mut serials = Vec::new();
        store
            .for_each_revoked(&query, &mut |e| serials.push(e.serial))
            .unwrap();
        serials
    };
    assert_eq!(listed(store, None), [serial]);
    store.lift_holds(&[serial], at(200)).unwrap();
    let status = store.status(serial).unwrap().unwrap();
    assert_eq!(status.revocation.unwrap().lifted_at, Some(at(200)));
    assert!(listed(store, None).is_empty());
    assert_eq!(listed(store, Some(150)), [serial]);
    assert_eq!(listed(store, Some(200)), [serial]);
    assert!(listed(store, Some(201)).is_empty());
    assert!(matches!(
        store.lift_holds(&[serial], at(300)),
        Err(Error::ConcurrentChange(_))
    ));
    // Held again: in force again, the lift forgotten.
    store.record_event(&hold(400)).unwrap();
    let again = store.status(serial).unwrap().unwrap().revocation.unwrap();
    assert_eq!((again.recorded_at, again.lifted_at), (at(400), None));
    assert_eq!(listed(store, None), [serial]);

    let mut moved = card_in(&point).holder;
    moved.address = "abroad".into();
    moved.name = "C D".into();
    store.put_holder(card, &moved).unwrap();
    assert_eq!(store.card(card).unwrap().unwrap().card.holder, moved);
    assert!(matches!(
        store.put_holder(CardId(999), &moved),
        Err(Error::NotFound(_))
    ));
}
