//! The only source of "now". The rules never read a clock: the authority asks this one
//! and passes the instant down. The virtual clock (fixed or offset) is persisted in the
//! state, so the CLI and the server agree on it.

use serde::{Deserialize, Serialize};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::rules::jst;

/// A clock setting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "mode", rename_all = "snake_case")]
pub enum Clock {
    /// Real time.
    #[default]
    System,
    /// A fixed instant.
    Fixed {
        /// The instant, RFC 3339.
        #[serde(with = "time::serde::rfc3339")]
        now: OffsetDateTime,
    },
    /// Real time shifted by a number of seconds.
    Offset {
        /// Seconds added to real time (negative: the past).
        offset_seconds: i64,
    },
}

impl Clock {
    /// The current instant, to the whole second (certificates and OCSP carry seconds).
    pub fn now(&self) -> OffsetDateTime {
        let instant = match *self {
            Clock::System => OffsetDateTime::now_utc(),
            Clock::Fixed { now } => now,
            Clock::Offset { offset_seconds } => {
                OffsetDateTime::now_utc() + time::Duration::seconds(offset_seconds)
            }
        };
        instant
            .replace_nanosecond(0)
            .expect("zero nanoseconds is valid")
    }
}

/// The last year a given date or instant may fall in: expiries and CA validities are
/// computed decades after it, and must not pass the year 9999 where times end.
pub const LAST_YEAR: i32 = 9899;

/// Parses a `--now`/`--at` value: an RFC 3339 instant, or a date `YYYY-MM-DD` meaning
/// 00:00:00 JST on that date.
pub fn parse_instant(text: &str) -> Result<OffsetDateTime> {
    if let Ok(instant) = OffsetDateTime::parse(text, &Rfc3339) {
        // Judged in UTC, the zone instants are stored and printed in.
        let year = instant
            .checked_to_offset(time::UtcOffset::UTC)
            .map(|t| t.year());
        if !year.is_some_and(|year| (1868..=LAST_YEAR).contains(&year)) {
            return Err(Error::BadInput(format!(
                "{text:?} is not between 1868 and {LAST_YEAR} (UTC)"
            )));
        }
        return Ok(instant);
    }
    parse_date(text)
        .map(jst::start_of_day)
        .map_err(|_| {
            Error::BadInput(format!(
                "{text:?} is neither an RFC 3339 instant (2021-03-15T10:00:00+09:00) nor a date (2021-03-15)"
            ))
        })
}

/// Parses a calendar date `YYYY-MM-DD` (rejecting impossible dates like 2023-02-29).
pub fn parse_date(text: &str) -> Result<time::Date> {
    let format = time::macros::format_description!("[year]-[month]-[day]");
    let date = time::Date::parse(text, &format)
        .map_err(|_| Error::BadInput(format!("{text:?} is not a valid date YYYY-MM-DD")))?;
    if date.year() < 1868 {
        return Err(Error::BadInput(format!(
            "{text:?} is before 1868; JPKI dates start in the Meiji era"
        )));
    }
    if date.year() > LAST_YEAR {
        return Err(Error::BadInput(format!(
            "{text:?} is after {LAST_YEAR}; later dates would take expiries past 9999"
        )));
    }
    Ok(date)
}

/// Formats an instant as RFC 3339 (UTC).
pub fn rfc3339(instant: OffsetDateTime) -> String {
    instant
        .to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .expect("RFC 3339 formats every instant with a 4-digit year")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn a_date_is_midnight_jst() {
        assert_eq!(
            parse_instant("2021-03-15").unwrap(),
            datetime!(2021-03-14 15:00 UTC)
        );
        assert_eq!(
            parse_instant("2021-03-15T10:00:00+09:00").unwrap(),
            datetime!(2021-03-15 01:00 UTC)
        );
    }

    #[test]
    fn impossible_dates_are_refused() {
        for text in ["2023-02-29", "0000-01-01", "2021-13-01", "yesterday", ""] {
            assert!(parse_instant(text).is_err(), "{text}");
        }
        assert!(parse_date("2024-02-29").is_ok());
    }

    #[test]
    fn fixed_and_offset_clocks() {
        let fixed = Clock::Fixed {
            now: datetime!(2025-07-01 00:00:00.9 UTC),
        };
        assert_eq!(fixed.now(), datetime!(2025-07-01 00:00:00 UTC));
        let ahead = Clock::Offset {
            offset_seconds: 86_400 * 365,
        };
        assert!(ahead.now() > Clock::System.now() + time::Duration::days(364));
    }

    #[test]
    fn clock_serialises_as_tagged_json() {
        let c = Clock::Offset { offset_seconds: -5 };
        let json = serde_json::to_string(&c).unwrap();
        assert_eq!(json, r#"{"mode":"offset","offset_seconds":-5}"#);
        assert_eq!(serde_json::from_str::<Clock>(&json).unwrap(), c);
    }
}
