//! Japan Standard Time: every calendar date in JPKI is a JST date (UTC+9, no DST).

use time::{Date, OffsetDateTime, Time, UtcOffset};

/// UTC+9.
pub const JST: UtcOffset = match UtcOffset::from_hms(9, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("UTC+9 is a valid offset"),
};

/// The JST calendar date of an instant.
pub fn date_of(instant: OffsetDateTime) -> Date {
    instant.to_offset(JST).date()
}

/// 00:00:00 JST on `date`.
pub fn start_of_day(date: Date) -> OffsetDateTime {
    date.with_time(Time::MIDNIGHT).assume_offset(JST)
}

/// 23:59:59 JST on `date` (14:59:59Z): the last second a certificate expiring that day
/// is valid.
pub fn end_of_day(date: Date) -> OffsetDateTime {
    date.with_time(Time::from_hms(23, 59, 59).expect("23:59:59 is a valid time"))
        .assume_offset(JST)
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::{date, datetime};

    #[test]
    fn end_of_day_is_1459_utc() {
        assert_eq!(
            end_of_day(date!(2025 - 10 - 01)),
            datetime!(2025-10-01 14:59:59 UTC)
        );
    }

    #[test]
    fn jst_date_rolls_over_at_1500_utc() {
        assert_eq!(
            date_of(datetime!(2021-03-14 14:59:59 UTC)),
            date!(2021 - 03 - 14)
        );
        assert_eq!(
            date_of(datetime!(2021-03-14 15:00:00 UTC)),
            date!(2021 - 03 - 15)
        );
        assert_eq!(
            start_of_day(date!(2021 - 03 - 15)),
            datetime!(2021-03-14 15:00 UTC)
        );
    }
}
