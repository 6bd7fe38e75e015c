//! What the CLI writes: `--out` files (keys with mode 0600), DER or PEM on stdout, and
//! the check that keeps outputs out of the state directory.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use crate::authority::IssuedCard;
use crate::error::{Error, Result};

/// Writes to `out`, or to stdout. A reader that went away (`| head`) is not an error:
/// the rest of the output is not wanted.
pub(super) fn write_output(out: Option<&Path>, bytes: &[u8]) -> Result<()> {
    match out {
        Some(path) => std::fs::write(path, bytes)
            .map_err(|e| Error::io(format!("cannot write {}", path.display()), e)),
        None => match std::io::stdout().lock().write_all(bytes) {
            Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(Error::io("cannot write to stdout", e))
            }
            _ => Ok(()),
        },
    }
}

/// Writes a DER object to `out` or stdout: PEM with `--pem`, and PEM too when stdout is
/// a terminal (binary DER would garble it; a redirect still gets DER).
pub(super) fn write_der(out: Option<&Path>, der: Vec<u8>, label: &str, pem: bool) -> Result<()> {
    let to_terminal = out.is_none() && std::io::stdout().is_terminal();
    if pem || to_terminal {
        write_output(out, crate::pki::pem_encode(label, &der).as_bytes())
    } else {
        write_output(out, &der)
    }
}

/// Writes `sign.pem`, `sign.key`, `auth.pem`, `auth.key`, `chain-sign.pem` and
/// `chain-auth.pem` (keys with mode 0600).
pub(super) fn write_issued_files(dir: &Path, issued: &IssuedCard) -> Result<()> {
    for (kind, certificate) in [("sign", &issued.sign), ("auth", &issued.auth)] {
        let Some(c) = certificate else { continue };
        write_file(
            &dir.join(format!("{kind}.pem")),
            c.cert_pem.as_bytes(),
            false,
        )?;
        write_file(&dir.join(format!("{kind}.key")), c.key_pem.as_bytes(), true)?;
        write_file(
            &dir.join(format!("chain-{kind}.pem")),
            c.chain_pem.as_bytes(),
            false,
        )?;
    }
    Ok(())
}

/// Writes a file; a secret one (a private key) with mode 0600.
pub(super) fn write_file(path: &Path, bytes: &[u8], secret: bool) -> Result<()> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options
        .open(path)
        .and_then(|mut f| {
            // The mode above applies only to a new file: a key written over an
            // existing one must not keep that file's looser mode.
            #[cfg(unix)]
            if secret {
                use std::os::unix::fs::PermissionsExt;
                f.set_permissions(std::fs::Permissions::from_mode(0o600))?;
            }
            f.write_all(bytes)
        })
        .map_err(|e| Error::io(format!("cannot write {}", path.display()), e))
}

/// `--out` may name any place (`..` included) except the state directory: an output
/// written there could overwrite the database or a CA key.
pub(super) fn refuse_out_inside_state(out: &Path, state: &Path) -> Result<()> {
    let resolve = |path: &Path| {
        resolve_path(path)
            .map_err(|e| Error::BadInput(format!("cannot resolve {}: {e}", path.display())))
    };
    if resolve(out)?.starts_with(resolve(state)?) {
        return Err(Error::BadInput(format!(
            "--out {} is inside the state directory {}; write outputs elsewhere (they could \
             overwrite the database or a CA key)",
            out.display(),
            state.display()
        )));
    }
    Ok(())
}

/// `path` made absolute, with symlinks resolved as far as it exists and `.` and `..`
/// applied to the rest (which, not existing yet, holds no symlinks).
pub(super) fn resolve_path(path: &Path) -> std::io::Result<PathBuf> {
    let absolute = std::path::absolute(path)?;
    let (mut resolved, rest) = absolute
        .ancestors()
        .find_map(|ancestor| {
            Some((
                ancestor.canonicalize().ok()?,
                absolute.strip_prefix(ancestor).ok()?,
            ))
        })
        .ok_or_else(|| std::io::Error::other("no part of the path exists"))?;
    for component in rest.components() {
        match component {
            std::path::Component::ParentDir => {
                resolved.pop();
            }
            std::path::Component::Normal(name) => resolved.push(name),
            _ => {}
        }
    }
    Ok(resolved)
}

/// Makes sure `--out DIR` can be written before anything is issued, so a bad directory
/// leaves the state unchanged.
pub(super) fn prepare_out_dir(dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Error::BadInput(format!("--out {}: {e}", dir.display())))?;
    let probe = dir.join(".jpki-mock-write-test");
    std::fs::write(&probe, b"")
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| Error::BadInput(format!("--out {} is not writable: {e}", dir.display())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolve_path_applies_dot_dot_over_missing_directories_and_follows_symlinks() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join("state")).unwrap();
        std::os::unix::fs::symlink(root.join("state"), root.join("link")).unwrap();
        let resolved = |p: &str| resolve_path(&root.join(p)).unwrap();
        assert_eq!(resolved("missing/../state/db"), root.join("state/db"));
        assert_eq!(resolved("link/new/./x"), root.join("state/new/x"));
        assert_eq!(resolved("state/../other"), root.join("other"));
        assert!(refuse_out_inside_state(&root.join("link/a"), &root.join("state")).is_err());
        assert!(refuse_out_inside_state(&root.join("state-2/a"), &root.join("state")).is_ok());
    }
}
