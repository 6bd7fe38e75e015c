//! Where tenants live. A tenant is a complete mock of its own (CAs, cards, clock,
//! faults) served by the same server under `/t/{tenant}`; here is only its name, its
//! record (creation time, time to live, admin token) and its state: with a state
//! directory, `DIR/tenants/{tenant}/` holds a SQLite state like the default one plus
//! `tenant.json`, the record that makes the tenant exist; on PostgreSQL, the schema
//! `{schema}_t_{tenant}` and a row of the base schema's `jpki_mock_tenants`; with `--ephemeral`,
//! memory.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use super::memory::MemoryStore;
use super::postgres::tenants::{tenant_schema, TenantRegistry};
use super::sqlite::SqliteStore;
use super::{Store, StoreLocation};
use crate::error::{Error, Result};

/// The folder of the state directory that holds the tenants' states.
pub const TENANTS_DIR: &str = "tenants";

/// The record file inside a tenant's state directory (written last: its presence is the
/// tenant's existence).
const RECORD_FILE: &str = "tenant.json";

/// A tenant's name: 1 to 63 of `a-z`, `0-9` and `-` (it is a path segment, a directory
/// name and part of URLs in certificates).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TenantName(String);

impl TenantName {
    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// A fresh random name, `t-` and 10 hex digits.
    pub fn random() -> Result<Self> {
        let mut bytes = [0u8; 5];
        aws_lc_rs::rand::fill(&mut bytes)
            .map_err(|_| Error::Internal("no randomness for a tenant name".into()))?;
        Ok(Self(format!("t-{}", hex::encode(bytes))))
    }
}

impl std::str::FromStr for TenantName {
    type Err = Error;

    fn from_str(name: &str) -> Result<Self> {
        let safe = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
        if (1..=63).contains(&name.len()) && name.bytes().all(safe) {
            Ok(Self(name.to_string()))
        } else {
            Err(Error::BadInput(format!(
                "tenant name {name:?}: a tenant name is 1 to 63 characters of a-z, 0-9 and -"
            )))
        }
    }
}

impl TryFrom<String> for TenantName {
    type Error = Error;

    fn try_from(name: String) -> Result<Self> {
        name.parse()
    }
}

impl From<TenantName> for String {
    fn from(name: TenantName) -> Self {
        name.0
    }
}

impl std::fmt::Display for TenantName {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What makes a tenant exist.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TenantRecord {
    /// Its name.
    pub name: TenantName,
    /// When it was created, Unix seconds of the real clock (never a virtual one).
    pub created_at: i64,
    /// How long it lives after its creation, in real seconds (`None`: until deleted).
    pub ttl_seconds: Option<u64>,
    /// The bearer token its admin API accepts (beside the server's).
    pub admin_token: String,
    /// The profile preset it was created with.
    pub preset: Option<String>,
    /// The base URL its certificates carry (`…/t/{tenant}`).
    pub base_url: String,
}

impl TenantRecord {
    /// When it expires, Unix seconds (`None`: never).
    pub fn expires_at(&self) -> Option<i64> {
        self.ttl_seconds
            .map(|ttl| self.created_at.saturating_add_unsigned(ttl))
    }

    /// Whether it has expired at `now` (Unix seconds, real time).
    pub fn expired_at(&self, now: i64) -> bool {
        self.expires_at().is_some_and(|at| now >= at)
    }
}

/// Where the tenants of one server live.
#[derive(Debug)]
pub enum TenantHome {
    /// Under a state directory: `DIR/tenants/{tenant}/`.
    Directory(PathBuf),
    /// In this process only (`serve --ephemeral`): the records; the states are the
    /// server's to keep.
    Memory(Mutex<BTreeMap<TenantName, TenantRecord>>),
    /// In a PostgreSQL database, shared by every replica: a schema each.
    Postgres {
        /// The base store (each tenant's is its schema `t_{tenant}`).
        location: StoreLocation,
        /// The records.
        registry: Box<TenantRegistry>,
    },
}

impl TenantHome {
    /// The tenants of a state directory.
    pub fn in_directory(state: &Path) -> Self {
        Self::Directory(state.join(TENANTS_DIR))
    }

    /// The tenants of a store: a state directory's, or a PostgreSQL database's.
    pub fn of(location: &StoreLocation) -> Result<Self> {
        Ok(match location {
            StoreLocation::Sqlite(directory) => Self::in_directory(directory),
            StoreLocation::Postgres { url, schema } => Self::Postgres {
                location: location.clone(),
                registry: Box::new(TenantRegistry::new(url, schema)?),
            },
        })
    }

    fn parse(name: &TenantName, text: &str) -> Result<TenantRecord> {
        serde_json::from_str(text)
            .map_err(|e| Error::State(format!("the record of tenant {name} is unreadable: {e}")))
    }

    /// Tenants kept in memory.
    pub fn in_memory() -> Self {
        Self::Memory(Mutex::default())
    }

    /// A tenant's state directory (`None` in memory).
    pub fn state_dir(&self, name: &TenantName) -> Option<PathBuf> {
        match self {
            Self::Directory(root) => Some(root.join(name.as_str())),
            Self::Memory(_) | Self::Postgres { .. } => None,
        }
    }

    fn memory(
        records: &Mutex<BTreeMap<TenantName, TenantRecord>>,
    ) -> Result<std::sync::MutexGuard<'_, BTreeMap<TenantName, TenantRecord>>> {
        records.lock().map_err(|_| {
            Error::State("a previous request panicked while holding the tenants".into())
        })
    }

    /// Every tenant, by name.
    pub fn records(&self) -> Result<Vec<TenantRecord>> {
        match self {
            Self::Memory(records) => Ok(Self::memory(records)?.values().cloned().collect()),
            Self::Postgres { registry, .. } => registry
                .records()?
                .iter()
                .map(|text| {
                    serde_json::from_str(text)
                        .map_err(|e| Error::State(format!("a tenant record is unreadable: {e}")))
                })
                .collect(),
            Self::Directory(root) => {
                let entries = match std::fs::read_dir(root) {
                    Ok(entries) => entries,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
                    Err(e) => return Err(Error::io(format!("cannot list {}", root.display()), e)),
                };
                let mut records = Vec::new();
                for entry in entries {
                    let entry = entry
                        .map_err(|e| Error::io(format!("cannot list {}", root.display()), e))?;
                    let Some(name) = entry
                        .file_name()
                        .to_str()
                        .and_then(|n| n.parse::<TenantName>().ok())
                    else {
                        continue;
                    };
                    if let Some(record) = self.record(&name)? {
                        records.push(record);
                    }
                }
                records.sort_by(|a, b| a.name.cmp(&b.name));
                Ok(records)
            }
        }
    }

    /// Every tenant whose time to live has not run out at `now` (Unix seconds, real
    /// time), by name.
    pub fn live_records(&self, now: i64) -> Result<Vec<TenantRecord>> {
        let mut records = self.records()?;
        records.retain(|r| !r.expired_at(now));
        Ok(records)
    }

    /// One tenant's record, if it exists.
    pub fn record(&self, name: &TenantName) -> Result<Option<TenantRecord>> {
        match self {
            Self::Memory(records) => Ok(Self::memory(records)?.get(name).cloned()),
            Self::Postgres { registry, .. } => registry
                .record(name.as_str())?
                .map(|text| Self::parse(name, &text))
                .transpose(),
            Self::Directory(root) => {
                let path = root.join(name.as_str()).join(RECORD_FILE);
                let text = match std::fs::read_to_string(&path) {
                    Ok(text) => text,
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
                    Err(e) => return Err(Error::io(format!("cannot read {}", path.display()), e)),
                };
                let record: TenantRecord = serde_json::from_str(&text).map_err(|e| {
                    Error::State(format!("{} is not a tenant record: {e}", path.display()))
                })?;
                Ok(Some(record))
            }
        }
    }

    /// Makes an empty state for a new tenant named `name` (refused if one exists). The
    /// tenant exists once [`TenantHome::commit`] records it; until then nobody serves it.
    pub fn create_store(&self, name: &TenantName) -> Result<Box<dyn Store>> {
        let exists = || Error::Refused(format!("a tenant named {name} exists"));
        match self {
            Self::Memory(records) => {
                if Self::memory(records)?.contains_key(name) {
                    return Err(exists());
                }
                Ok(Box::new(MemoryStore::new()))
            }
            Self::Postgres { location, registry } => {
                let now = time::OffsetDateTime::now_utc().unix_timestamp();
                if !registry.reserve(name.as_str(), now)? {
                    return Err(exists());
                }
                location
                    .with_schema(&tenant_schema(schema_of(location), name.as_str()))?
                    .create()
            }
            Self::Directory(root) => {
                std::fs::create_dir_all(root)
                    .map_err(|e| Error::io(format!("cannot create {}", root.display()), e))?;
                let dir = root.join(name.as_str());
                if let Err(e) = std::fs::create_dir(&dir) {
                    if e.kind() != std::io::ErrorKind::AlreadyExists {
                        return Err(Error::io(format!("cannot create {}", dir.display()), e));
                    }
                    if dir.join(RECORD_FILE).exists() {
                        return Err(exists());
                    }
                    // The leftover of a creation that died before its record: start over.
                    std::fs::remove_dir_all(&dir)
                        .and_then(|()| std::fs::create_dir(&dir))
                        .map_err(|e| Error::io(format!("cannot create {}", dir.display()), e))?;
                }
                Ok(Box::new(SqliteStore::create(&dir)?))
            }
        }
    }

    /// Opens an existing tenant's state (`None`: no such tenant, or in memory, where
    /// the server keeps the states itself).
    pub fn open_store(&self, name: &TenantName) -> Result<Option<Box<dyn Store>>> {
        match self {
            Self::Memory(_) => Ok(None),
            Self::Postgres { location, .. } => {
                if self.record(name)?.is_none() {
                    return Ok(None);
                }
                let schema = tenant_schema(schema_of(location), name.as_str());
                Ok(Some(location.with_schema(&schema)?.open()?))
            }
            Self::Directory(root) => {
                if self.record(name)?.is_none() {
                    return Ok(None);
                }
                Ok(Some(Box::new(SqliteStore::open(
                    &root.join(name.as_str()),
                )?)))
            }
        }
    }

    /// Records a tenant whose state [`TenantHome::create_store`] made: from now on it
    /// exists.
    pub fn commit(&self, record: &TenantRecord) -> Result<()> {
        match self {
            Self::Memory(records) => {
                Self::memory(records)?.insert(record.name.clone(), record.clone());
                Ok(())
            }
            Self::Postgres { registry, .. } => {
                let text = serde_json::to_string(record)
                    .map_err(|e| Error::Internal(format!("tenant record: {e}")))?;
                registry.commit(record.name.as_str(), &text)
            }
            Self::Directory(root) => {
                let dir = root.join(record.name.as_str());
                let path = dir.join(RECORD_FILE);
                let partial = dir.join(format!("{RECORD_FILE}.partial"));
                let text = serde_json::to_string_pretty(record)
                    .map_err(|e| Error::Internal(format!("tenant record: {e}")))?;
                let cannot = |e| Error::io(format!("cannot write {}", path.display()), e);
                // Written whole, then renamed: the record appears complete or not at all.
                let mut file = secret_file(&partial).map_err(cannot)?;
                file.write_all(text.as_bytes())
                    .and_then(|()| file.sync_all())
                    .map_err(cannot)?;
                std::fs::rename(&partial, &path).map_err(cannot)
            }
        }
    }

    /// Deletes a tenant and its state; false if there was none.
    pub fn remove(&self, name: &TenantName) -> Result<bool> {
        match self {
            Self::Memory(records) => Ok(Self::memory(records)?.remove(name).is_some()),
            Self::Postgres { registry, .. } => registry.remove(name.as_str()),
            Self::Directory(root) => {
                let dir = root.join(name.as_str());
                let existed = dir.join(RECORD_FILE).exists();
                // The record goes first, so a deletion cut short leaves no tenant behind.
                match std::fs::remove_file(dir.join(RECORD_FILE)) {
                    Ok(()) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                    Err(e) => {
                        return Err(Error::io(format!("cannot delete tenant {name}"), e));
                    }
                }
                match std::fs::remove_dir_all(&dir) {
                    Ok(()) => Ok(existed),
                    Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(existed),
                    Err(e) => Err(Error::io(format!("cannot delete {}", dir.display()), e)),
                }
            }
        }
    }
}

/// The schema of a PostgreSQL location (`""` for a directory, which has none).
fn schema_of(location: &StoreLocation) -> &str {
    match location {
        StoreLocation::Postgres { schema, .. } => schema,
        StoreLocation::Sqlite(_) => "",
    }
}

/// A new file readable by its owner only (the record holds the tenant's token).
fn secret_file(path: &Path) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_names_are_a_safe_alphabet() {
        for good in ["a", "ci-123", &"x".repeat(63)] {
            assert_eq!(good.parse::<TenantName>().unwrap().as_str(), good);
        }
        for bad in ["", "A", "a_b", "a/b", "..", "é", &"x".repeat(64)] {
            let err = bad.parse::<TenantName>().unwrap_err().to_string();
            assert!(err.contains("a-z, 0-9 and -"), "{bad:?}: {err}");
        }
        let random = TenantName::random().unwrap();
        assert_eq!(random.as_str().parse::<TenantName>().unwrap(), random);
    }

    #[test]
    fn a_tenant_exists_once_recorded_and_not_after_removal() {
        let dir = tempfile::tempdir().unwrap();
        let home = TenantHome::in_directory(dir.path());
        let name: TenantName = "ci-1".parse().unwrap();
        let record = TenantRecord {
            name: name.clone(),
            created_at: 100,
            ttl_seconds: Some(60),
            admin_token: "secret".into(),
            preset: None,
            base_url: "http://127.0.0.1:8080/t/ci-1".into(),
        };
        drop(home.create_store(&name).unwrap());
        assert!(home.records().unwrap().is_empty(), "not before its record");
        assert!(home.open_store(&name).unwrap().is_none());
        // A creation that died before its record does not block the name.
        drop(home.create_store(&name).unwrap());
        home.commit(&record).unwrap();
        assert_eq!(home.records().unwrap(), vec![record.clone()]);
        let taken = home.create_store(&name).err().expect("the name is taken");
        assert!(taken.to_string().contains("exists"), "{taken}");
        assert!(home.open_store(&name).unwrap().is_some());
        assert!(!record.expired_at(159) && record.expired_at(160));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.path().join("tenants/ci-1/tenant.json");
            let mode = std::fs::metadata(path).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(home.remove(&name).unwrap());
        assert!(!home.remove(&name).unwrap());
        assert!(home.records().unwrap().is_empty());
        assert!(!dir.path().join("tenants/ci-1").exists());
    }
}
