//! Where the state lives, as one typed value: `sqlite:DIR` (a state directory) or
//! `postgres://…` (a schema of a PostgreSQL database, shared by several replicas).

use std::path::{Path, PathBuf};

use super::postgres::PostgresStore;
use super::sqlite::SqliteStore;
use super::Store;
use crate::error::{Error, Result};

/// The schema a PostgreSQL location names when its URL has no `schema=` parameter.
const DEFAULT_SCHEMA: &str = "public";

/// Where the state lives.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoreLocation {
    /// A state directory: SQLite database and key files.
    Sqlite(PathBuf),
    /// A schema of a PostgreSQL database: every table, the keys included.
    Postgres {
        /// The connection URL, without the `schema` parameter.
        url: String,
        /// The schema holding the tables (created if missing).
        schema: String,
    },
}

impl Default for StoreLocation {
    /// `./jpki-state`.
    fn default() -> Self {
        StoreLocation::Sqlite(PathBuf::from("./jpki-state"))
    }
}

impl StoreLocation {
    /// Parses `sqlite:DIR` or `postgres://…` / `postgresql://…` (a `schema=NAME` query
    /// parameter picks the schema, default `public`).
    pub fn parse(text: &str) -> Result<Self> {
        if let Some(directory) = text.strip_prefix("sqlite:") {
            if directory.is_empty() {
                return Err(Error::BadInput(
                    "sqlite: needs a state directory: sqlite:DIR".into(),
                ));
            }
            return Ok(StoreLocation::Sqlite(PathBuf::from(directory)));
        }
        if !(text.starts_with("postgres://") || text.starts_with("postgresql://")) {
            return Err(Error::BadInput(format!(
                "unknown store {:?}: use sqlite:DIR or postgres://USER:PASSWORD@HOST:PORT/DB[?schema=NAME]",
                redact(text)
            )));
        }
        let (base, query) = text.split_once('?').unwrap_or((text, ""));
        let mut schema = DEFAULT_SCHEMA.to_string();
        let mut kept = Vec::new();
        for pair in query.split('&').filter(|p| !p.is_empty()) {
            match pair.strip_prefix("schema=") {
                Some(name) => schema = name.to_string(),
                None => kept.push(pair),
            }
        }
        check_schema(&schema)?;
        let url = if kept.is_empty() {
            base.to_string()
        } else {
            format!("{base}?{}", kept.join("&"))
        };
        Ok(StoreLocation::Postgres { url, schema })
    }

    /// The location of a named part of this store (a tenant): on PostgreSQL the schema
    /// `schema` of the same database, on SQLite the subdirectory `schema` of the state
    /// directory. `schema`: lower-case letters, digits and `_`, not starting with a
    /// digit, at most 63 bytes.
    pub fn with_schema(&self, schema: &str) -> Result<Self> {
        check_schema(schema)?;
        Ok(match self {
            StoreLocation::Sqlite(directory) => StoreLocation::Sqlite(directory.join(schema)),
            StoreLocation::Postgres { url, .. } => StoreLocation::Postgres {
                url: url.clone(),
                schema: schema.to_string(),
            },
        })
    }

    /// The state directory, for SQLite.
    pub fn state_dir(&self) -> Option<&Path> {
        match self {
            StoreLocation::Sqlite(directory) => Some(directory),
            StoreLocation::Postgres { .. } => None,
        }
    }

    /// Opens an initialised state.
    pub fn open(&self) -> Result<Box<dyn Store>> {
        Ok(match self {
            StoreLocation::Sqlite(directory) => Box::new(SqliteStore::open(directory)?),
            StoreLocation::Postgres { url, schema } => Box::new(PostgresStore::open(url, schema)?),
        })
    }

    /// Opens a state, creating it (directory and database, or schema and tables) if
    /// missing.
    pub fn create(&self) -> Result<Box<dyn Store>> {
        Ok(match self {
            StoreLocation::Sqlite(directory) => Box::new(SqliteStore::create(directory)?),
            StoreLocation::Postgres { url, schema } => {
                Box::new(PostgresStore::create(url, schema)?)
            }
        })
    }
}

impl std::fmt::Display for StoreLocation {
    /// `sqlite:DIR`, or the URL with its password left out and the schema named.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            StoreLocation::Sqlite(directory) => write!(f, "sqlite:{}", directory.display()),
            StoreLocation::Postgres { url, schema } => {
                let separator = if url.contains('?') { '&' } else { '?' };
                write!(f, "{}{separator}schema={schema}", redact(url))
            }
        }
    }
}

pub(super) fn check_schema(schema: &str) -> Result<()> {
    let mut chars = schema.chars();
    let well_formed = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && schema.len() <= 63;
    if !well_formed {
        return Err(Error::BadInput(format!(
            "schema {schema:?}: use 1 to 63 of a-z, 0-9 and _, not starting with a digit"
        )));
    }
    Ok(())
}

/// A connection URL without its password (in the user info or a `password=` parameter).
pub(super) fn redact(url: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut redacted = match base.split_once("://") {
        Some((scheme, rest)) => {
            let (authority, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
            let authority = match authority.rsplit_once('@') {
                Some((user_info, host)) => {
                    let user = user_info.split(':').next().unwrap_or_default();
                    format!("{user}@{host}")
                }
                None => authority.to_string(),
            };
            format!("{scheme}://{authority}{path}")
        }
        None => base.to_string(),
    };
    if let Some(query) = query {
        let kept: Vec<&str> = query
            .split('&')
            .filter(|pair| !pair.starts_with("password="))
            .collect();
        if !kept.is_empty() {
            redacted = format!("{redacted}?{}", kept.join("&"));
        }
    }
    redacted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_parse_and_print_without_the_password() {
        assert_eq!(
            StoreLocation::parse("sqlite:/tmp/x").unwrap(),
            StoreLocation::Sqlite("/tmp/x".into())
        );
        let pg = StoreLocation::parse(
            "postgres://jpki:secret@db:5432/mock?schema=tenant_a&connect_timeout=5&password=p",
        )
        .unwrap();
        assert_eq!(
            pg,
            StoreLocation::Postgres {
                url: "postgres://jpki:secret@db:5432/mock?connect_timeout=5&password=p".into(),
                schema: "tenant_a".into()
            }
        );
        assert_eq!(
            pg.to_string(),
            "postgres://jpki@db:5432/mock?connect_timeout=5&schema=tenant_a"
        );
        assert_eq!(
            StoreLocation::parse("postgresql://u@h/d")
                .unwrap()
                .to_string(),
            "postgresql://u@h/d?schema=public"
        );
        let tenant = pg.with_schema("tenant_b_2").unwrap();
        assert!(
            tenant.to_string().ends_with("schema=tenant_b_2"),
            "{tenant}"
        );
        assert_eq!(
            StoreLocation::Sqlite("/s".into())
                .with_schema("tenant_c")
                .unwrap(),
            StoreLocation::Sqlite("/s/tenant_c".into())
        );
        for bad in ["mysql://x", "sqlite:", "/tmp/dir"] {
            assert!(StoreLocation::parse(bad).is_err(), "{bad}");
        }
        for bad in ["Tenant", "1a", "a-b", "", "a\"b"] {
            assert!(pg.with_schema(bad).is_err(), "{bad}");
        }
        let err = StoreLocation::parse("mysql://u:pw@h/d")
            .unwrap_err()
            .to_string();
        assert!(!err.contains("pw"), "{err}");
    }
}
