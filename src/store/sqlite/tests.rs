use super::*;
use crate::store::contract;

#[test]
fn keys_are_0600_the_directory_0700_and_loose_modes_are_reported() {
    use std::os::unix::fs::PermissionsExt;
    let parent = tempfile::tempdir().unwrap();
    let dir = parent.path().join("state");
    let mut store = SqliteStore::create(&dir).unwrap();
    store
        .put_authority(CertKind::Sign, &contract::authority_record())
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
    // Schema 4: the card's certificate, its hold never lifted.
    assert_eq!(record.certificate.phone, None);
    assert_eq!(revocation.lifted_at, None);
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

#[test]
fn holds_are_lifted_and_phones_and_holders_are_kept() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::create(dir.path()).unwrap();
    contract::holds_are_lifted_and_phones_and_holders_are_kept(&mut store);
}

#[test]
fn localities_lists_each_distribution_point_once_in_order() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::create(dir.path()).unwrap();
    contract::localities_are_listed_once_in_order(&mut store);
}

#[test]
fn a_shared_key_is_stored_once_and_a_batch_commits_or_undoes_all_its_writes() {
    let dir = tempfile::tempdir().unwrap();
    let mut store = SqliteStore::create(dir.path()).unwrap();
    let database = dir.path().join(DATABASE_FILE);
    contract::a_batch_commits_or_undoes_all_its_writes(&mut store, &|| {
        Connection::open(&database)
            .unwrap()
            .query_row("SELECT COUNT(*) FROM card_keys", [], |r| r.get(0))
            .unwrap()
    });
}
