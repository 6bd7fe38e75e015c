use super::*;

#[test]
fn keys_are_0600_the_directory_0700_and_loose_modes_are_reported() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("state");
    let mut store = SqliteStore::create(&dir).unwrap();
    store
        .put_authority(
            CertKind::Sign,
            &AuthorityRecord {
                generation: 1,
                issuing_from: OffsetDateTime::UNIX_EPOCH,
                revocation: None,
                ca_cert: vec![1],
                ca_key_pem: "secret".into(),
                responder_cert: vec![2],
                responder_key_pem: "secret".into(),
            },
        )
        .unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    assert_eq!(mode(&dir.join("ca-sign.key")), 0o600);
    assert_eq!(mode(&dir.join("responder-sign.key")), 0o600);
    assert!(store.permission_warnings().is_empty());

    fs::set_permissions(dir.join("ca-sign.key"), fs::Permissions::from_mode(0o644)).unwrap();
    fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
    let warnings = store.permission_warnings();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(warnings
        .iter()
        .any(|w| w.contains("ca-sign.key") && w.contains("644")));
    assert!(warnings.iter().any(|w| w.contains("755")));
}

#[test]
fn open_refuses_a_directory_without_state() {
    let dir = tempfile::tempdir().unwrap();
    let err = SqliteStore::open(dir.path()).unwrap_err().to_string();
    assert!(err.contains("jpki-mock init"), "{err}");
}

#[test]
fn a_state_from_before_generations_migrates_without_losing_anything() {
    let dir = tempfile::tempdir().unwrap();
    {
        let connection = Connection::open(dir.path().join(DATABASE_FILE)).unwrap();
        connection.execute_batch(schema::MIGRATIONS[0]).unwrap();
        connection
            .execute_batch(
                "INSERT INTO authorities (kind, ca_cert, responder_cert, crl_number)
                     VALUES ('sign', x'01', x'02', 41);
                 INSERT INTO cards (id, name, birth, gender, address, prefecture, municipality,
                     issued_on, expiry, key_alg, fee_yen, created_at)
                     VALUES (1, 'A B', '1990-10-01', 'female', 'x', 'Tokyo-to', 'Kiyose-shi',
                     '2021-03-15', '2031-10-01', 'p256', 0, 1615770000);
                 INSERT INTO events (id, card_id, cause, at, revoked)
                     VALUES (1, 1, 'lost', 1615780000, '[16777219]');
                 INSERT INTO certificates (serial, card_id, kind, not_before, not_after, der,
                     key_pkcs8, revoked_at, cause, reason, revoked_by)
                     VALUES (16777219, 1, 'sign', 1615770000, 1948719599, x'03', x'04',
                     1615780000, 'lost', 6, 1);
                 PRAGMA user_version = 1;",
            )
            .unwrap();
        fs::write(dir.path().join("ca-sign.key"), "ca").unwrap();
        fs::write(dir.path().join("responder-sign.key"), "responder").unwrap();
    }
    let mut store = SqliteStore::open(dir.path()).unwrap();
    let generations = store.authorities(CertKind::Sign).unwrap();
    assert_eq!(generations.len(), 1);
    let first = &generations[0];
    assert_eq!((first.generation, first.revocation), (1, None));
    assert_eq!(
        (first.ca_cert.as_slice(), first.ca_key_pem.as_str()),
        (&[1u8][..], "ca")
    );
    assert_eq!(first.responder_key_pem, "responder");
    // The CRL number goes on from where it was.
    assert_eq!(store.next_crl_number(CertKind::Sign, 1, "").unwrap(), 42);
    let serial = Serial(16777219);
    let status = store.status(serial).unwrap().unwrap();
    assert_eq!(status.generation, 1);
    let revocation = status.revocation.unwrap();
    assert_eq!(revocation.recorded_at, revocation.at);
    let record = store.certificate(serial).unwrap().unwrap();
    assert_eq!(record.certificate.locality.municipality, "Kiyose-shi");
    // The key stays where schema 1 put it, and reads back.
    assert_eq!(record.certificate.key_pkcs8, [4]);
    let localities = store.localities(CertKind::Sign, 1).unwrap();
    assert_eq!(
        localities,
        std::slice::from_ref(&record.certificate.locality)
    );
    let events = store.card_events(CardId(1)).unwrap();
    assert_eq!(events[0].event.recorded_at, events[0].event.at);
    let mut listed = Vec::new();
    let query = RevokedQuery {
        kind: CertKind::Sign,
        generation: 1,
        locality: Some(&record.certificate.locality),
        unexpired_at: OffsetDateTime::UNIX_EPOCH,
        recorded_before: None,
    };
    store
        .for_each_revoked(&query, &mut |e| listed.push(e.serial))
        .unwrap();
    assert_eq!(listed, [serial]);
}

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

#[test]
fn localities_lists_each_distribution_point_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::create(dir.path()).unwrap();
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

#[test]
fn a_shared_key_is_stored_once_and_a_batch_commits_or_undoes_all_its_writes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::create(dir.path()).unwrap();
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
    };
    let key_rows = |store: &SqliteStore| -> i64 {
        store
            .connection
            .query_row("SELECT COUNT(*) FROM card_keys", [], |r| r.get(0))
            .unwrap()
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
    assert_eq!(key_rows(&store), 2);
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
    assert_eq!(key_rows(&store), 2);
    assert!(store.certificate(Serial(0x0100_0104)).unwrap().is_none());
}
