//! Test support for this repository's suites (re-exported, hidden, by
//! `jpki_mock::internals`): a fresh schema of the test PostgreSQL server for each test,
//! dropped when the test ends, so that tests run in parallel and leave nothing behind.

use std::io::Write;
use std::sync::atomic::{AtomicU32, Ordering};

use super::{quoted, Server};
use crate::store::StoreLocation;

/// The variable that names the test server: `postgres://USER:PASSWORD@HOST:PORT/DB`.
pub const TEST_SERVER: &str = "JPKI_MOCK_TEST_POSTGRES";

/// A schema of its own on the test server, dropped (with everything in it) on drop.
#[derive(Debug)]
pub struct TestSchema {
    location: StoreLocation,
    /// The URL with `schema=`, password included, for `--store`.
    url: String,
}

impl TestSchema {
    /// A new, unique schema named after `label` on the server [`TEST_SERVER`] names.
    /// When the variable is unset: `None`, after a loud line on stderr (the test is
    /// skipped), unless `CI` is set, where this panics: CI never skips these tests.
    pub fn new(label: &str) -> Option<Self> {
        let Some(server) = std::env::var(TEST_SERVER)
            .ok()
            .filter(|url| !url.is_empty())
        else {
            assert!(
                std::env::var_os("CI").is_none(),
                "{TEST_SERVER} is unset but CI is set: the PostgreSQL tests must run in CI \
                 (.ci/run starts a server and sets it)"
            );
            // Straight to the process's stderr: the test harness captures `eprintln!`
            // of a passing test, and this line must be seen.
            let _ = writeln!(
                std::io::stderr(),
                "######## {label}: skipped: set {TEST_SERVER}=postgres://USER:PASSWORD@127.0.0.1:5432/DB \
                 to run it on PostgreSQL ########"
            );
            return None;
        };
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.subsec_nanos());
        let label: String = label
            .chars()
            .map(|c| match c.to_ascii_lowercase() {
                c @ ('a'..='z' | '0'..='9') => c,
                _ => '_',
            })
            .take(30)
            .collect();
        let schema = format!(
            "test_{label}_{}_{nanos}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let location = StoreLocation::parse(&server)
            .and_then(|base| base.with_schema(&schema))
            .unwrap_or_else(|e| panic!("{TEST_SERVER}: {e}"));
        let StoreLocation::Postgres { url, .. } = &location else {
            panic!("{TEST_SERVER} must be a postgres:// URL");
        };
        let separator = if url.contains('?') { '&' } else { '?' };
        let url = format!("{url}{separator}schema={schema}");
        Some(Self { location, url })
    }

    /// Where the schema is.
    pub fn location(&self) -> &StoreLocation {
        &self.location
    }

    /// The URL for `--store`, with the password and `schema=`.
    pub fn url(&self) -> &str {
        &self.url
    }
}

impl Drop for TestSchema {
    fn drop(&mut self) {
        let StoreLocation::Postgres { url, schema } = &self.location else {
            return;
        };
        let dropped = Server::new(url, schema)
            .and_then(|server| server.connect())
            .and_then(|mut client| {
                Ok(client
                    .batch_execute(&format!("DROP SCHEMA IF EXISTS {} CASCADE", quoted(schema)))?)
            });
        if let Err(e) = dropped {
            eprintln!("cannot drop the test schema {schema}: {e}");
        }
    }
}
