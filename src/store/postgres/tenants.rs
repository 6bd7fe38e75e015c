//! The tenants of a PostgreSQL store: each in a schema of its own ([`tenant_schema`]),
//! their records in the table `jpki_mock_tenants` of the base schema, so that every
//! replica sees the same tenants.

use std::sync::Mutex;

use ::postgres::Client;

use super::{lock_key, off_runtime, quoted, Server, MIGRATION_LOCK};
use crate::error::{Error, Result};

/// A name reserved by a creation that never recorded its tenant (it died) may be taken
/// again after this many seconds.
const STALE_RESERVATION_SECONDS: i64 = 300;

/// The schema of a tenant of the store in `base`: `{base}_t_{name}`, with `-` as `_`
/// (a tenant name has no `_`, so no two share one); when that is too long for an
/// identifier, shortened parts and a digest of the whole.
pub fn tenant_schema(base: &str, name: &str) -> String {
    let name = name.replace('-', "_");
    let schema = format!("{base}_t_{name}");
    if schema.len() <= 63 {
        return schema;
    }
    use sha2::Digest;
    let digest = hex::encode(sha2::Sha256::digest(schema.as_bytes()));
    let cut = |text: &str| text.chars().take(20).collect::<String>();
    format!("{}_t_{}_{}", cut(base), cut(&name), &digest[..16])
}

/// The table of tenant records, and a connection to it.
pub struct TenantRegistry {
    server: Server,
    client: Mutex<Option<Client>>,
}

impl std::fmt::Debug for TenantRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "TenantRegistry({} schema {})",
            self.server.name, self.server.schema
        )
    }
}

impl TenantRegistry {
    /// The registry in `schema` of the database at `url` (connected on first use).
    pub fn new(url: &str, schema: &str) -> Result<Self> {
        Ok(Self {
            server: Server::new(url, schema)?,
            client: Mutex::new(None),
        })
    }

    /// Runs `work` on the registry's connection (made, and the table created, at first
    /// use or after the server closed it).
    fn with<T>(&self, work: impl FnOnce(&mut Client) -> Result<T>) -> Result<T> {
        let mut slot = self
            .client
            .lock()
            .map_err(|_| Error::State("a previous tenant operation panicked".into()))?;
        off_runtime(|| {
            if slot.as_ref().is_none_or(Client::is_closed) {
                let mut client = self.server.connect()?;
                let schema = quoted(&self.server.schema);
                let mut transaction = client.transaction()?;
                // Replicas starting at once: one creates, the others wait and see it.
                transaction.execute(
                    "SELECT pg_advisory_xact_lock($1, $2)",
                    &[&MIGRATION_LOCK, &lock_key(&self.server.schema)],
                )?;
                transaction.batch_execute(&format!(
                    "CREATE SCHEMA IF NOT EXISTS {schema};
                     CREATE TABLE IF NOT EXISTS {schema}.jpki_mock_tenants (
                         name TEXT PRIMARY KEY,
                         record TEXT,
                         reserved_at BIGINT NOT NULL
                     );"
                ))?;
                transaction.commit()?;
                *slot = Some(client);
            }
            let client = slot
                .as_mut()
                .ok_or_else(|| Error::Internal("the registry connection was just made".into()))?;
            work(client)
        })
    }

    /// Every recorded tenant's record (JSON), by name.
    pub fn records(&self) -> Result<Vec<String>> {
        self.with(|client| {
            let rows = client.query(
                "SELECT record FROM jpki_mock_tenants WHERE record IS NOT NULL ORDER BY name",
                &[],
            )?;
            Ok(rows.iter().map(|row| row.get(0)).collect())
        })
    }

    /// One tenant's record (JSON), if recorded.
    pub fn record(&self, name: &str) -> Result<Option<String>> {
        self.with(|client| {
            let row = client.query_opt(
                "SELECT record FROM jpki_mock_tenants WHERE name = $1 AND record IS NOT NULL",
                &[&name],
            )?;
            Ok(row.map(|row| row.get(0)))
        })
    }

    /// Reserves a name for a creation and clears what a dead creation left in its
    /// schema; false if the name is taken.
    pub fn reserve(&self, name: &str, now: i64) -> Result<bool> {
        let schema = quoted(&tenant_schema(&self.server.schema, name));
        self.with(|client| {
            let reserved = client.execute(
                "INSERT INTO jpki_mock_tenants AS t (name, record, reserved_at)
                 VALUES ($1, NULL, $2)
                 ON CONFLICT (name) DO UPDATE SET reserved_at = EXCLUDED.reserved_at
                 WHERE t.record IS NULL AND t.reserved_at < $2 - $3",
                &[&name, &now, &STALE_RESERVATION_SECONDS],
            )?;
            if reserved == 1 {
                client.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
            }
            Ok(reserved == 1)
        })
    }

    /// Records a reserved tenant: from now on it exists.
    pub fn commit(&self, name: &str, record: &str) -> Result<()> {
        self.with(|client| {
            client.execute(
                "UPDATE jpki_mock_tenants SET record = $2 WHERE name = $1",
                &[&name, &record],
            )?;
            Ok(())
        })
    }

    /// Deletes a tenant's record and its schema; false if it had no record.
    pub fn remove(&self, name: &str) -> Result<bool> {
        let schema = quoted(&tenant_schema(&self.server.schema, name));
        self.with(|client| {
            let mut transaction = client.transaction()?;
            let removed = transaction.query_opt(
                "DELETE FROM jpki_mock_tenants WHERE name = $1 RETURNING record",
                &[&name],
            )?;
            transaction.batch_execute(&format!("DROP SCHEMA IF EXISTS {schema} CASCADE"))?;
            transaction.commit()?;
            Ok(removed.is_some_and(|row| row.get::<_, Option<String>>(0).is_some()))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::tenant_schema;

    #[test]
    fn each_tenant_of_each_store_has_a_schema_of_its_own_within_the_identifier_limit() {
        assert_eq!(tenant_schema("public", "ci-1"), "public_t_ci_1");
        assert_ne!(tenant_schema("public", "a"), tenant_schema("other", "a"));
        let long = "x".repeat(63);
        let (one, two) = (
            tenant_schema("public", &long),
            tenant_schema("public", &long[1..]),
        );
        assert!(
            one.len() <= 63 && two.len() <= 63 && one != two,
            "{one} {two}"
        );
        crate::store::location::check_schema(&one).unwrap();
    }
}
