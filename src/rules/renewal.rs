//! Renewal window and expiry notices (`domain.md` §3).
//!
//! Renewal is possible on dates `d` with `expiry − N months < d ≤ expiry`, where month
//! arithmetic clamps to the month's last day and N is the window's length in months
//! (`validity.renewal_window_months`: 3 by default, as JPKI today; 12 in the
//! provisional `next-gen` preset). The expiry notice is due on `expiry − N months`.

use time::Month;

use super::validity::calendar_date_clamped;
use super::Date;

/// The longest window: a renewal inside it must still count the old expiry as the first
/// of its birthdays (`ValidityRules::renewal_birthdays`), so it may not open more than a
/// year before.
pub const MAX_RENEWAL_WINDOW_MONTHS: u32 = 12;

/// `date` minus `months` calendar months, clamped to the month's last day (saturating at `Date::MIN`).
pub fn months_before(date: Date, months: u32) -> Date {
    let month_index =
        i64::from(date.year()) * 12 + i64::from(u8::from(date.month())) - 1 - i64::from(months);
    let year = month_index.div_euclid(12);
    // rem_euclid(12) is in 0..=11, so the narrowing to u8 is lossless.
    let month = Month::January.nth_next(month_index.rem_euclid(12) as u8);
    calendar_date_clamped(year, month, date.day())
}

/// The renewal window `(first day, last day)`, both inclusive: from the day after
/// `months_before(expiry, window_months)` up to the expiry date itself.
pub fn renewal_window(expiry: Date, window_months: u32) -> (Date, Date) {
    let opens = notice_date(expiry, window_months)
        .next_day()
        .unwrap_or(Date::MAX);
    (opens, expiry)
}

/// The date the expiry notice is due: `months_before(expiry, window_months)`.
pub fn notice_date(expiry: Date, window_months: u32) -> Date {
    months_before(expiry, window_months)
}
/// Why a renewal request is refused (the HTTP layer maps this to 409).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenewalRefusal {
    /// The request came before the renewal window opened.
    #[error("renewal window opens on {opens} (certificate expires {expiry})")]
    TooEarly {
        /// First day on which renewal is possible.
        opens: Date,
        /// Expiry date of the certificate.
        expiry: Date,
    },
    /// The certificate has expired; a new issuance is needed, not a renewal.
    #[error("certificate expired on {expiry}; issue a new one instead (free of charge)")]
    Expired {
        /// Expiry date of the certificate.
        expiry: Date,
    },
}

/// Whether a certificate expiring on `expiry` may be renewed on `on`, with a window of
/// `window_months`.
pub fn check_renewal(expiry: Date, on: Date, window_months: u32) -> Result<(), RenewalRefusal> {
    let (opens, last) = renewal_window(expiry, window_months);
    if on > last {
        Err(RenewalRefusal::Expired { expiry })
    } else if on < opens {
        Err(RenewalRefusal::TooEarly { opens, expiry })
    } else {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use time::macros::date;

    #[test]
    fn seed_example_expiry_oct_1_window_from_jul_2() {
        assert_eq!(
            renewal_window(date!(2021 - 10 - 01), 3),
            (date!(2021 - 07 - 02), date!(2021 - 10 - 01))
        );
    }

    #[test]
    fn window_first_and_last_day_and_one_day_outside() {
        let expiry = date!(2021 - 10 - 01);
        assert_eq!(
            check_renewal(expiry, date!(2021 - 07 - 01), 3),
            Err(RenewalRefusal::TooEarly {
                opens: date!(2021 - 07 - 02),
                expiry
            })
        );
        assert_eq!(check_renewal(expiry, date!(2021 - 07 - 02), 3), Ok(()));
        assert_eq!(check_renewal(expiry, date!(2021 - 08 - 15), 3), Ok(()));
        assert_eq!(check_renewal(expiry, date!(2021 - 10 - 01), 3), Ok(()));
        assert_eq!(
            check_renewal(expiry, date!(2021 - 10 - 02), 3),
            Err(RenewalRefusal::Expired { expiry })
        );
    }

    #[test]
    fn renewal_example_date_is_inside_window() {
        // domain.md §3: renewed 2025-08-01, old certificate expiring 2025-10-01.
        assert_eq!(
            check_renewal(date!(2025 - 10 - 01), date!(2025 - 08 - 01), 3),
            Ok(())
        );
    }

    #[test]
    fn refusal_messages_are_clear() {
        let too_early = check_renewal(date!(2021 - 10 - 01), date!(2021 - 01 - 01), 3).unwrap_err();
        assert_eq!(
            too_early.to_string(),
            "renewal window opens on 2021-07-02 (certificate expires 2021-10-01)"
        );
        let expired = check_renewal(date!(2021 - 10 - 01), date!(2022 - 01 - 01), 3).unwrap_err();
        assert_eq!(
            expired.to_string(),
            "certificate expired on 2021-10-01; issue a new one instead (free of charge)"
        );
    }

    #[test]
    fn months_before_clamps_to_month_end() {
        assert_eq!(
            months_before(date!(2025 - 05 - 31), 3),
            date!(2025 - 02 - 28)
        );
        assert_eq!(
            months_before(date!(2024 - 05 - 31), 3),
            date!(2024 - 02 - 29)
        );
        assert_eq!(
            months_before(date!(2025 - 07 - 31), 1),
            date!(2025 - 06 - 30)
        );
        assert_eq!(
            months_before(date!(2025 - 05 - 30), 3),
            date!(2025 - 02 - 28)
        );
    }

    #[test]
    fn months_before_crosses_years() {
        assert_eq!(
            months_before(date!(2025 - 02 - 15), 3),
            date!(2024 - 11 - 15)
        );
        assert_eq!(
            months_before(date!(2025 - 01 - 31), 1),
            date!(2024 - 12 - 31)
        );
        assert_eq!(
            months_before(date!(2025 - 03 - 10), 27),
            date!(2022 - 12 - 10)
        );
        assert_eq!(
            months_before(date!(2025 - 03 - 10), 0),
            date!(2025 - 03 - 10)
        );
    }

    #[test]
    fn months_before_saturates() {
        assert_eq!(months_before(date!(2025 - 03 - 10), u32::MAX), Date::MIN);
    }

    #[test]
    fn window_at_month_end() {
        assert_eq!(
            renewal_window(date!(2025 - 05 - 31), 3),
            (date!(2025 - 03 - 01), date!(2025 - 05 - 31))
        );
        assert_eq!(
            renewal_window(date!(2024 - 05 - 31), 3),
            (date!(2024 - 03 - 01), date!(2024 - 05 - 31))
        );
        assert!(matches!(
            check_renewal(date!(2025 - 05 - 31), date!(2025 - 02 - 28), 3),
            Err(RenewalRefusal::TooEarly { .. })
        ));
        assert_eq!(
            check_renewal(date!(2025 - 05 - 31), date!(2025 - 03 - 01), 3),
            Ok(())
        );
    }

    #[test]
    fn notice_date_is_three_months_before() {
        assert_eq!(notice_date(date!(2021 - 10 - 01), 3), date!(2021 - 07 - 01));
        assert_eq!(notice_date(date!(2025 - 05 - 31), 3), date!(2025 - 02 - 28));
        assert_eq!(notice_date(date!(2024 - 05 - 31), 3), date!(2024 - 02 - 29));
        // The notice is due the day before renewal becomes possible.
        let expiry = date!(2029 - 10 - 01);
        assert_eq!(
            notice_date(expiry, 3).next_day(),
            Some(renewal_window(expiry, 3).0)
        );
    }

    #[test]
    fn a_twelve_month_window_opens_a_year_before_expiry() {
        // The provisional next-gen preset: renewal from one year before expiry.
        let expiry = date!(2031 - 10 - 01);
        assert_eq!(
            renewal_window(expiry, 12),
            (date!(2030 - 10 - 02), date!(2031 - 10 - 01))
        );
        assert_eq!(notice_date(expiry, 12), date!(2030 - 10 - 01));
        assert_eq!(
            check_renewal(expiry, date!(2030 - 10 - 01), 12),
            Err(RenewalRefusal::TooEarly {
                opens: date!(2030 - 10 - 02),
                expiry
            })
        );
        assert_eq!(check_renewal(expiry, date!(2030 - 10 - 02), 12), Ok(()));
        assert_eq!(check_renewal(expiry, date!(2031 - 10 - 01), 12), Ok(()));
        assert_eq!(
            check_renewal(expiry, date!(2031 - 10 - 02), 12),
            Err(RenewalRefusal::Expired { expiry })
        );
        // The default window refuses the same day: it opens three months before.
        assert_eq!(
            check_renewal(expiry, date!(2030 - 10 - 02), 3),
            Err(RenewalRefusal::TooEarly {
                opens: date!(2031 - 07 - 02),
                expiry
            })
        );
        // A year back from 28 February lands on the 28th of a leap year too.
        assert_eq!(
            renewal_window(date!(2029 - 02 - 28), 12).0,
            date!(2028 - 02 - 29)
        );
    }

    fn any_date() -> impl Strategy<Value = Date> {
        (date!(1950 - 01 - 01).to_julian_day()..=date!(2100 - 12 - 31).to_julian_day())
            .prop_map(|jd| Date::from_julian_day(jd).expect("in range"))
    }

    proptest! {
        #[test]
        fn check_renewal_ok_exactly_inside_window(expiry in any_date(), offset in -200i32..=200) {
            let on = Date::from_julian_day(expiry.to_julian_day() + offset).expect("in range");
            let (first, last) = renewal_window(expiry, 3);
            prop_assert_eq!(check_renewal(expiry, on, 3).is_ok(), first <= on && on <= last);
        }

        #[test]
        fn window_matches_the_spec_definition(expiry in any_date(), offset in -200i32..=200) {
            // domain.md: renewal possible iff expiry - 3 months < d <= expiry.
            let on = Date::from_julian_day(expiry.to_julian_day() + offset).expect("in range");
            let inside = months_before(expiry, 3) < on && on <= expiry;
            prop_assert_eq!(check_renewal(expiry, on, 3).is_ok(), inside);
        }

        #[test]
        fn every_window_length_matches_the_definition(
            expiry in any_date(),
            months in 1u32..=MAX_RENEWAL_WINDOW_MONTHS,
            offset in -400i32..=400,
        ) {
            let on = Date::from_julian_day(expiry.to_julian_day() + offset).expect("in range");
            let inside = months_before(expiry, months) < on && on <= expiry;
            prop_assert_eq!(check_renewal(expiry, on, months).is_ok(), inside);
            prop_assert_eq!(notice_date(expiry, months).next_day(), Some(renewal_window(expiry, months).0));
        }

        #[test]
        fn window_is_about_three_months(expiry in any_date()) {
            let (first, last) = renewal_window(expiry, 3);
            prop_assert_eq!(last, expiry);
            let days = (last - first).whole_days() + 1;
            prop_assert!((89..=92).contains(&days), "{days} days");
        }

        #[test]
        fn months_before_keeps_day_or_clamps(d in any_date(), months in 0u32..48) {
            let m = months_before(d, months);
            prop_assert!(m <= d);
            let months_apart = (i64::from(d.year()) * 12 + i64::from(u8::from(d.month())))
                - (i64::from(m.year()) * 12 + i64::from(u8::from(m.month())));
            prop_assert_eq!(months_apart, i64::from(months));
            prop_assert!(m.day() == d.day() || (m.day() < d.day() && m.next_day().expect("in range").day() == 1));
        }
    }
}
