//! Expiry dates of the card and of its two certificates (`domain.md` §2).
//!
//! Every expiry is a birthday of the holder: the n-th birthday strictly after an issue
//! date, capped by the card expiry (and, for the signing certificate, by the current
//! user authentication certificate). Dates saturate at `Date::MIN` / `Date::MAX`
//! instead of panicking.

use std::fmt;
use std::str::FromStr;

use time::Month;

use super::Date;

/// Where a holder born on 29 February has their birthday in non-leap years.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Feb29Rule {
    /// On 28 February (the default).
    #[default]
    Feb28,
    /// On 1 March.
    Mar1,
}

impl Feb29Rule {
    /// The config spelling: `"feb28"` or `"mar1"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Feb29Rule::Feb28 => "feb28",
            Feb29Rule::Mar1 => "mar1",
        }
    }
}

impl fmt::Display for Feb29Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Feb29Rule {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s.eq_ignore_ascii_case("feb28") {
            Ok(Feb29Rule::Feb28)
        } else if s.eq_ignore_ascii_case("mar1") {
            Ok(Feb29Rule::Mar1)
        } else {
            Err(format!(
                "unknown feb29 rule {s:?}: expected \"feb28\" or \"mar1\""
            ))
        }
    }
}

/// A `ValidityRules` value that cannot be used (see [`ValidityRules::validate`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ValidityError {
    /// A birthday count is zero, so an expiry would not lie after its issue date.
    #[error("{field} must be at least 1 (got 0)")]
    ZeroBirthdays {
        /// The name of the offending field, e.g. `cert_birthdays`.
        field: &'static str,
    },
    /// The renewal window is empty, or opens more than a year before expiry (a renewal
    /// would then lose the old expiry as its first birthday).
    #[error("renewal_window_months must be 1 to {max} (got {months})")]
    RenewalWindow {
        /// The configured length.
        months: u32,
        /// The longest allowed.
        max: u32,
    },
}

/// The configurable expiry rules of `domain.md` §2 and the renewal window of §3
/// (defaults: 10, 5, 5, 6, 18, 15, feb28, 3 months; the provisional `next-gen` preset
/// sets 10, 10, 10, 11 and 12 months).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ValidityRules {
    /// Birthdays a card issued to an adult lasts (default 10).
    pub card_birthdays_adult: u32,
    /// Birthdays a card issued to a minor lasts (default 5).
    pub card_birthdays_minor: u32,
    /// Birthdays a certificate lasts before any cap (default 5).
    pub cert_birthdays: u32,
    /// Birthdays a certificate renewed inside its window lasts, counted from the renewal
    /// date itself (default 6: the old expiry is the first, so renewing early loses
    /// nothing).
    pub renewal_birthdays: u32,
    /// Age from which a card holder counts as an adult (default 18).
    pub adult_age: u32,
    /// Minimum age for a signing certificate without `force_sign` (default 15).
    pub min_sign_age: u32,
    /// Birthday of people born on 29 February in non-leap years (default 28 February).
    pub feb29: Feb29Rule,
    /// How many months before a certificate's expiry its renewal window opens and its
    /// expiry notice is due (default 3; at most
    /// [`MAX_RENEWAL_WINDOW_MONTHS`](super::renewal::MAX_RENEWAL_WINDOW_MONTHS)).
    pub renewal_window_months: u32,
}

/// domain.md's values, for the rules' own tests; the running mock reads them from its
/// configuration.
#[cfg(test)]
impl Default for ValidityRules {
    fn default() -> Self {
        ValidityRules {
            card_birthdays_adult: 10,
            card_birthdays_minor: 5,
            cert_birthdays: 5,
            renewal_birthdays: 6,
            adult_age: 18,
            min_sign_age: 15,
            feb29: Feb29Rule::Feb28,
            renewal_window_months: 3,
        }
    }
}

/// How a certificate comes to be issued, which decides how long it runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Issuance {
    /// A first issuance, a reissue, or a new certificate after expiry.
    New,
    /// A renewal inside the renewal window.
    Renewal,
}

/// The date `year`-`month`-`day`, with the day clamped to the month's last day and the
/// year saturated to the range of [`Date`].
pub(crate) fn calendar_date_clamped(year: i64, month: Month, day: u8) -> Date {
    let year = match i32::try_from(year) {
        Ok(year) if year > Date::MAX.year() => return Date::MAX,
        Ok(year) if year < Date::MIN.year() => return Date::MIN,
        Ok(year) => year,
        Err(_) if year > 0 => return Date::MAX,
        Err(_) => return Date::MIN,
    };
    let day = day.clamp(1, month.length(year));
    // Invariant: Date::MIN.year() <= year <= Date::MAX.year() (both bounds are whole
    // years) and 1 <= day <= month.length(year), so the date always exists.
    Date::from_calendar_date(year, month, day).expect("valid year, month and clamped day")
}

impl ValidityRules {
    /// Checks that every birthday count is at least 1.
    pub fn validate(&self) -> Result<(), ValidityError> {
        for (field, value) in [
            ("card_birthdays_adult", self.card_birthdays_adult),
            ("card_birthdays_minor", self.card_birthdays_minor),
            ("cert_birthdays", self.cert_birthdays),
            ("renewal_birthdays", self.renewal_birthdays),
        ] {
            if value == 0 {
                return Err(ValidityError::ZeroBirthdays { field });
            }
        }
        let max = super::renewal::MAX_RENEWAL_WINDOW_MONTHS;
        if !(1..=max).contains(&self.renewal_window_months) {
            return Err(ValidityError::RenewalWindow {
                months: self.renewal_window_months,
                max,
            });
        }
        Ok(())
    }

    /// The renewal window of a certificate expiring on `expiry` (domain.md §3), first
    /// and last day.
    pub fn renewal_window(&self, expiry: Date) -> (Date, Date) {
        super::renewal::renewal_window(expiry, self.renewal_window_months)
    }

    /// The day a certificate expiring on `expiry` is due its expiry notice.
    pub fn notice_date(&self, expiry: Date) -> Date {
        super::renewal::notice_date(expiry, self.renewal_window_months)
    }

    /// Whether a certificate expiring on `expiry` may be renewed on `on`.
    pub fn check_renewal(
        &self,
        expiry: Date,
        on: Date,
    ) -> Result<(), super::renewal::RenewalRefusal> {
        super::renewal::check_renewal(expiry, on, self.renewal_window_months)
    }

    /// The holder's birthday in `year`; 29 February births use `self.feb29` in non-leap years.
    pub fn birthday_in_year(&self, birth: Date, year: i32) -> Date {
        if birth.month() == Month::February && birth.day() == 29 && !time::util::is_leap_year(year)
        {
            return match self.feb29 {
                Feb29Rule::Feb28 => calendar_date_clamped(year.into(), Month::February, 28),
                Feb29Rule::Mar1 => calendar_date_clamped(year.into(), Month::March, 1),
            };
        }
        calendar_date_clamped(year.into(), birth.month(), birth.day())
    }

    /// The holder's birthday in a year that may lie outside `i32` (saturating).
    fn birthday_in_wide_year(&self, birth: Date, year: i64) -> Date {
        let year = i32::try_from(year).unwrap_or(if year > 0 { i32::MAX } else { i32::MIN });
        self.birthday_in_year(birth, year)
    }

    /// The `n`-th birthday strictly after `after` (a birthday on `after` does not count).
    ///
    /// `n` should be at least 1; `n = 0` is treated as 1. The date of birth itself is
    /// not a birthday, so the first candidate is the first anniversary.
    pub fn nth_birthday_after(&self, birth: Date, n: u32, after: Date) -> Date {
        let first_year = if self.birthday_in_year(birth, after.year()) > after {
            i64::from(after.year())
        } else {
            i64::from(after.year()) + 1
        };
        let first_year = first_year.max(i64::from(birth.year()) + 1);
        let year = first_year + i64::from(n.max(1)) - 1;
        self.birthday_in_wide_year(birth, year)
    }

    /// Age in whole years on `on`, counting the birthday itself; 0 if `on` is before `birth`.
    pub fn age_on(&self, birth: Date, on: Date) -> u32 {
        if on < birth {
            return 0;
        }
        let years = on.year() - birth.year();
        let age = if self.birthday_in_year(birth, on.year()) <= on {
            years
        } else {
            years - 1
        };
        // The birthday in the birth year is the birth date itself, so age >= 0 here.
        u32::try_from(age).unwrap_or(0)
    }

    /// Card expiry when the caller gives none: 10 birthdays after issue for adults, 5 for minors.
    pub fn card_expiry(&self, birth: Date, card_issued_on: Date) -> Date {
        let birthdays = if self.age_on(birth, card_issued_on) >= self.adult_age {
            self.card_birthdays_adult
        } else {
            self.card_birthdays_minor
        };
        self.nth_birthday_after(birth, birthdays, card_issued_on)
    }

    /// The birthday a certificate runs to before any cap: the 5th after a new issuance;
    /// after a renewal inside the window, the 6th counted from the renewal date itself,
    /// so that a birthday on that day (the old certificate's expiry) is the first
    /// (domain.md §3).
    fn own_expiry(&self, birth: Date, cert_issued_on: Date, issuance: Issuance) -> Date {
        match issuance {
            Issuance::New => self.nth_birthday_after(birth, self.cert_birthdays, cert_issued_on),
            Issuance::Renewal => match cert_issued_on.previous_day() {
                Some(day_before) => {
                    self.nth_birthday_after(birth, self.renewal_birthdays, day_before)
                }
                None => self.nth_birthday_after(birth, self.renewal_birthdays, cert_issued_on),
            },
        }
    }

    /// User authentication certificate expiry: the 5th birthday after issue (the 6th from
    /// a renewal), capped by the card.
    pub fn auth_expiry(
        &self,
        birth: Date,
        cert_issued_on: Date,
        issuance: Issuance,
        card_expiry: Date,
    ) -> Date {
        self.own_expiry(birth, cert_issued_on, issuance)
            .min(card_expiry)
    }

    /// Signing certificate expiry: the earliest of the 5th birthday after issue (the 6th
    /// from a renewal), the current auth certificate's expiry (`None` when there is none)
    /// and the card expiry.
    pub fn sign_expiry(
        &self,
        birth: Date,
        cert_issued_on: Date,
        issuance: Issuance,
        auth_expiry: Option<Date>,
        card_expiry: Date,
    ) -> Date {
        let own = self.auth_expiry(birth, cert_issued_on, issuance, card_expiry);
        match auth_expiry {
            Some(auth) => own.min(auth),
            None => own,
        }
    }

    /// Whether the holder is old enough on `on` for a signing certificate without `force_sign`.
    pub fn may_issue_sign(&self, birth: Date, on: Date) -> bool {
        self.age_on(birth, on) >= self.min_sign_age
    }
}

#[cfg(test)]
mod tests;
