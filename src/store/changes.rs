//! The change signal: a counter that every writer bumps after each commit, so that the
//! server's OCSP hot path learns of a change (its own or another process's, such as the
//! CLI revoking while `serve` runs) with one memory read instead of a query.
//!
//! For the SQLite store it lives in a small file of the state directory mapped into
//! every process that opens the state; the memory store keeps it in process. It is a
//! signal, not state: the server also compares the stored revision once a second, so a
//! writer that died between its commit and its bump (or a deleted counter file) delays
//! the news by at most that second.
//!
//! No memory crosses machines: the PostgreSQL store's counter is *polled*, each load is
//! the stored revision (one indexed query), so that a replica sees another's change in
//! its very next answer.

use std::fs::OpenOptions;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use memmap2::MmapRaw;

use crate::error::{Error, Result};

/// The counter file inside the state directory.
pub const CHANGES_FILE: &str = "jpki-mock.changes";

/// A handle on the change counter; clones share it.
#[derive(Clone, Debug)]
pub struct ChangeCounter(Arc<Place>);

/// Reads the stored revision (a polled counter's source).
pub type RevisionSource = Box<dyn Fn() -> Result<u64> + Send + Sync>;

enum Place {
    /// Shared with every process that maps the same file.
    Mapped(MmapRaw),
    /// This process only.
    Local(AtomicU64),
    /// The stored revision itself, read at each load.
    Polled(RevisionSource),
}

impl std::fmt::Debug for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Mapped(map) => f.debug_tuple("Mapped").field(map).finish(),
            Place::Local(counter) => f.debug_tuple("Local").field(counter).finish(),
            Place::Polled(_) => f.write_str("Polled"),
        }
    }
}

impl Default for ChangeCounter {
    /// A counter seen by this process only.
    fn default() -> Self {
        Self(Arc::new(Place::Local(AtomicU64::new(0))))
    }
}

impl ChangeCounter {
    /// Maps the counter file of a state directory (created, zero, if missing).
    pub fn open(directory: &Path) -> Result<Self> {
        let path = directory.join(CHANGES_FILE);
        let cannot = |e| {
            Error::io(
                format!("cannot map the change counter {}", path.display()),
                e,
            )
        };
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(cannot)?;
        // Growing is idempotent, so two processes creating it at once agree; the file is
        // never shrunk, so no mapping ever points past its end.
        if file.metadata().map_err(cannot)?.len() < 8 {
            file.set_len(8).map_err(cannot)?;
        }
        let map = MmapRaw::map_raw(&file).map_err(cannot)?;
        Ok(Self(Arc::new(Place::Mapped(map))))
    }

    /// A counter that reads the stored revision at every load (bumps are no-ops: the
    /// writing transactions bump the revision).
    pub fn polled(source: RevisionSource) -> Self {
        Self(Arc::new(Place::Polled(source)))
    }

    fn atomic(&self) -> Option<&AtomicU64> {
        Some(match &*self.0 {
            Place::Local(counter) => counter,
            Place::Polled(_) => return None,
            // SAFETY: the mapping is at least 8 bytes long and page-aligned, so it holds
            // an aligned u64 for as long as `self` keeps the mapping; the file is never
            // shrunk. Every process touches it only through atomic operations, and
            // lock-free atomics on shared memory are address-free (the same word in two
            // mappings behaves as one atomic).
            Place::Mapped(map) => unsafe { &*(map.as_ptr() as *const AtomicU64) },
        })
    }

    /// The current count: one memory read (a polled counter: one query, which may fail).
    pub fn load(&self) -> Result<u64> {
        match (&*self.0, self.atomic()) {
            (_, Some(counter)) => Ok(counter.load(Ordering::Acquire)),
            (Place::Polled(source), None) => source(),
            (_, None) => Err(Error::Internal("a change counter with no count".into())),
        }
    }

    /// Announces a committed change.
    pub fn bump(&self) {
        if let Some(counter) = self.atomic() {
            counter.fetch_add(1, Ordering::Release);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_mappings_of_one_file_see_each_others_bumps() {
        let dir = tempfile::tempdir().unwrap();
        let first = ChangeCounter::open(dir.path()).unwrap();
        let second = ChangeCounter::open(dir.path()).unwrap();
        let before = second.load().unwrap();
        first.bump();
        first.bump();
        assert_eq!(second.load().unwrap(), before + 2);
        let local = ChangeCounter::default();
        local.bump();
        assert_eq!(
            (local.load().unwrap(), first.load().unwrap()),
            (1, before + 2)
        );
        let polled = ChangeCounter::polled(Box::new(|| Ok(7)));
        polled.bump();
        assert_eq!(polled.load().unwrap(), 7);
    }
}
