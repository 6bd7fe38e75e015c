//! The crate's one error type. `http::error` maps it to HTTP statuses and `cli` to exit
//! codes; nothing else decides how an error is reported.

use crate::rules::CertKind;

/// Everything that can go wrong in jpki-mock.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The caller's input is malformed or breaks a rule about its shape (400).
    #[error("{0}")]
    BadInput(String),
    /// A card, certificate or CA that does not exist (404).
    #[error("{0}")]
    NotFound(String),
    /// The request is well-formed but a JPKI rule refuses it, e.g. renewal outside the
    /// window (409).
    #[error("{0}")]
    Refused(String),
    /// A wrong PIN; the card's counter went up (403).
    #[error("wrong {kind} PIN: {remaining_tries} tries left before the PIN locks")]
    WrongPin {
        /// Which PIN.
        kind: CertKind,
        /// Tries left before it locks.
        remaining_tries: u32,
    },
    /// The PIN is locked until `pin-reset` (423).
    #[error("the {0} PIN is locked; reset it with pin-reset")]
    PinLocked(CertKind),
    /// The state directory or the configuration is missing or unusable.
    #[error("{0}")]
    State(String),
    /// The admin API needs `Authorization: Bearer <token>` (401).
    #[error("{0}")]
    Unauthorized(String),
    /// The holder has not consented to what was asked (403).
    #[error("{0}")]
    Forbidden(String),
    /// A request body over the limit (413).
    #[error("{0}")]
    TooLarge(String),
    /// A request body of the wrong content type (415).
    #[error("{0}")]
    UnsupportedMediaType(String),
    /// The database failed.
    #[error("database error: {0}")]
    Database(#[from] rusqlite::Error),
    /// PostgreSQL failed.
    #[error("PostgreSQL error: {}", describe_postgres(.0))]
    Postgres(#[from] ::postgres::Error),
    /// File I/O failed.
    #[error("{context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// Another process changed the same records between our read and our write (two
    /// revocations of one card at once). Nothing was written; a fresh look may succeed.
    #[error("{0}")]
    ConcurrentChange(String),
    /// A failure that is no fault of the caller: key generation, signing, encoding, a
    /// worker thread (500).
    #[error("internal error: {0}")]
    Internal(String),
}

impl Error {
    /// A short machine-readable code, used as `error` in JSON bodies.
    pub fn code(&self) -> &'static str {
        match self {
            Error::BadInput(_) => "bad_input",
            Error::NotFound(_) => "not_found",
            Error::Refused(_) => "refused",
            Error::WrongPin { .. } => "wrong_pin",
            Error::PinLocked(_) => "pin_locked",
            Error::Unauthorized(_) => "unauthorized",
            Error::Forbidden(_) => "forbidden",
            Error::TooLarge(_) => "too_large",
            Error::UnsupportedMediaType(_) => "unsupported_media_type",
            Error::State(_) => "state",
            Error::Database(_) | Error::Postgres(_) => "database",
            Error::Io { .. } => "io",
            Error::ConcurrentChange(_) => "conflict",
            Error::Internal(_) => "internal",
        }
    }

    /// Wraps an I/O error with what was being done.
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }
}

impl From<der::Error> for Error {
    fn from(e: der::Error) -> Self {
        Error::Internal(format!("DER encoding: {e}"))
    }
}

/// A PostgreSQL error in one line: the server's own message when it sent one (the
/// client's Display says only "db error"), else the error and its causes.
pub(crate) fn describe_postgres(error: &::postgres::Error) -> String {
    if let Some(db) = error.as_db_error() {
        return format!("{} {}: {}", db.severity(), db.code().code(), db.message());
    }
    let mut text = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        text = format!("{text}: {cause}");
        source = cause.source();
    }
    text
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
