//! Certificate and CRL times: UTCTime through 2049, GeneralizedTime from 2050
//! (RFC 5280 §4.1.2.5), always whole seconds.

use der::asn1::{GeneralizedTime, UtcTime};
use der::DateTime;
use time::OffsetDateTime;
use x509_cert::time::Time;

use crate::error::{Error, Result};

fn der_date_time(instant: OffsetDateTime) -> Result<DateTime> {
    let seconds = u64::try_from(instant.unix_timestamp())
        .map_err(|_| Error::BadInput(format!("{instant} is before 1970")))?;
    Ok(DateTime::from_unix_duration(
        std::time::Duration::from_secs(seconds),
    )?)
}

/// An X.509 `Time` for `instant`, truncated to the second.
pub fn x509_time(instant: OffsetDateTime) -> Result<Time> {
    let date_time = der_date_time(instant)?;
    Ok(if date_time.year() < 2050 {
        Time::UtcTime(UtcTime::from_date_time(date_time)?)
    } else {
        Time::GeneralTime(GeneralizedTime::from_date_time(date_time))
    })
}

/// A GeneralizedTime for `instant`, truncated to the second (OCSP times).
pub fn generalized_time(instant: OffsetDateTime) -> Result<GeneralizedTime> {
    Ok(GeneralizedTime::from_date_time(der_date_time(instant)?))
}

/// The instant an X.509 `Time` stands for.
pub fn instant_of(time: &Time) -> OffsetDateTime {
    let seconds = time.to_unix_duration().as_secs();
    // A DER time is at most year 9999, far inside i64 seconds.
    OffsetDateTime::from_unix_timestamp(seconds as i64).expect("DER times fit OffsetDateTime")
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::datetime;

    #[test]
    fn switches_to_generalized_time_in_2050() {
        assert!(matches!(
            x509_time(datetime!(2049-12-31 23:59:59 UTC)).unwrap(),
            Time::UtcTime(_)
        ));
        assert!(matches!(
            x509_time(datetime!(2050-01-01 00:00:00 UTC)).unwrap(),
            Time::GeneralTime(_)
        ));
    }

    #[test]
    fn round_trips_to_the_second() {
        let t = datetime!(2025-10-01 14:59:59.75 UTC);
        assert_eq!(
            instant_of(&x509_time(t).unwrap()),
            datetime!(2025-10-01 14:59:59 UTC)
        );
    }
}
