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
