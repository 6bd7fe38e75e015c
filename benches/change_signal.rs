//! What the OCSP hot path pays to learn whether the state changed, per request: the
//! stored revision (one SQLite query, what every request ran before), SQLite's
//! `PRAGMA data_version` on the reader's own connection, and the change counter mapped
//! from the state directory (one atomic load). Usage: cargo bench --bench change_signal
use std::hint::black_box;
use std::time::Instant;

use jpki_mock::internals::{ChangeCounter, SqliteStore, DATABASE_FILE};

fn per_call(label: &str, count: u32, mut call: impl FnMut() -> u64) {
    let start = Instant::now();
    for _ in 0..count {
        black_box(call());
    }
    let nanos = start.elapsed().as_nanos() as f64 / f64::from(count);
    println!("{label:<40} {nanos:>8.1} ns per check");
}

fn main() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    SqliteStore::create(dir.path()).expect("a state");
    let connection = rusqlite::Connection::open(dir.path().join(DATABASE_FILE)).expect("open");
    let count = 200_000;
    per_call("SELECT the stored revision", count, || {
        connection
            .prepare_cached("SELECT value FROM counters WHERE name = 'revision'")
            .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
            .expect("the revision") as u64
    });
    per_call("PRAGMA data_version", count, || {
        connection
            .prepare_cached("PRAGMA data_version")
            .and_then(|mut s| s.query_row([], |r| r.get::<_, i64>(0)))
            .expect("the data version") as u64
    });
    let counter = ChangeCounter::open(dir.path()).expect("the change counter");
    per_call("the mapped change counter", count * 50, || {
        counter.load().expect("a mapped counter")
    });
}
