//! The committed fixtures in certs/ are what scripts/make-fixtures.sh makes, byte for
//! byte: regenerating them with the same inputs gives identical files.

mod support;

use std::path::Path;
use std::process::Command;

use support::files_under;

/// The committed kind of fixture file: certificates and keys.
fn pem_or_key(path: &Path) -> bool {
    path.extension().is_some_and(|e| e == "pem" || e == "key")
}

#[test]
fn regenerated_fixtures_are_byte_identical_to_the_committed_ones() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = tempfile::tempdir().unwrap();
    let mut command = Command::new("bash");
    // Nothing from the developer's shell (JPKI_MOCK_NOW, …) reaches the script.
    support::clear_jpki_env(&mut command);
    let status = command
        .arg(root.join("scripts/make-fixtures.sh"))
        .arg(out.path())
        .env("JPKI_MOCK", support::BIN)
        .status()
        .unwrap();
    assert!(status.success());
    let committed = files_under(&root.join("certs"), pem_or_key);
    let fresh = files_under(out.path(), pem_or_key);
    assert_eq!(committed.len(), 11, "ca x2, adult x6, minor x3");
    assert_eq!(
        committed.iter().map(|(n, _)| n).collect::<Vec<_>>(),
        fresh.iter().map(|(n, _)| n).collect::<Vec<_>>()
    );
    for ((name, a), (_, b)) in committed.iter().zip(&fresh) {
        assert!(
            a == b,
            "{name} differs from a fresh run of make-fixtures.sh"
        );
    }
}

#[test]
fn the_minor_has_no_signing_certificate() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    assert!(root.join("certs/minor/auth.pem").is_file());
    assert!(!root.join("certs/minor/sign.pem").exists());
}
