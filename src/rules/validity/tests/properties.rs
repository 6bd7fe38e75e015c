//! Properties of the expiry rules over random births, issue dates and Feb 29 rules.

use proptest::prelude::*;
use time::macros::date;
use time::{Date, Month};

use super::super::{Feb29Rule, Issuance, ValidityRules};
use super::rules_with;

fn jd(d: Date) -> i32 {
    d.to_julian_day()
}

/// (birth in 1900..=2020, a date from birth up to 2040-12-31, a feb29 rule).
fn birth_issue_rule() -> impl Strategy<Value = (Date, Date, Feb29Rule)> {
    (
        jd(date!(1900 - 01 - 01))..=jd(date!(2020 - 12 - 31)),
        prop_oneof![Just(Feb29Rule::Feb28), Just(Feb29Rule::Mar1)],
    )
        .prop_flat_map(|(birth, rule)| (Just(birth), birth..=jd(date!(2040 - 12 - 31)), Just(rule)))
        .prop_map(|(birth, issued, rule)| {
            (
                Date::from_julian_day(birth).expect("in range"),
                Date::from_julian_day(issued).expect("in range"),
                rule,
            )
        })
}

/// A birth date that is 29 February, to exercise both rules often.
fn feb29_birth_issue_rule() -> impl Strategy<Value = (Date, Date, Feb29Rule)> {
    (
        0i32..30,
        prop_oneof![Just(Feb29Rule::Feb28), Just(Feb29Rule::Mar1)],
        0i32..15_000,
    )
        .prop_map(|(k, rule, offset)| {
            let birth =
                Date::from_calendar_date(1904 + 4 * k, Month::February, 29).expect("leap year");
            let issued = Date::from_julian_day(birth.to_julian_day() + offset).expect("in range");
            (birth, issued, rule)
        })
}

fn is_birthday(r: &ValidityRules, birth: Date, d: Date) -> bool {
    r.birthday_in_year(birth, d.year()) == d
}

fn check_expiries(birth: Date, issued: Date, rule: Feb29Rule) -> Result<(), TestCaseError> {
    let r = rules_with(rule);
    let card = r.card_expiry(birth, issued);
    let auth = r.auth_expiry(birth, issued, Issuance::New, card);
    let sign = r.sign_expiry(birth, issued, Issuance::New, Some(auth), card);
    prop_assert!(sign <= auth && auth <= card, "{sign} {auth} {card}");
    for e in [card, auth, sign] {
        prop_assert!(e > issued, "{e} not after {issued}");
        prop_assert!(e == card || is_birthday(&r, birth, e), "{e}");
    }
    prop_assert!(is_birthday(&r, birth, card));
    // A signing certificate issued later, while the auth certificate is current.
    let later =
        Date::from_julian_day(issued.to_julian_day() + (auth - issued).whole_days() as i32 / 2)
            .expect("in range");
    let sign_later = r.sign_expiry(birth, later, Issuance::New, Some(auth), card);
    prop_assert!(sign_later <= auth);
    prop_assert!(sign_later > later);
    prop_assert!(is_birthday(&r, birth, sign_later));
    Ok(())
}

proptest! {
    #[test]
    fn expiries_are_ordered_after_issue_and_birthdays((birth, issued, rule) in birth_issue_rule()) {
        check_expiries(birth, issued, rule)?;
    }

    #[test]
    fn feb29_expiries_are_ordered_after_issue_and_birthdays((birth, issued, rule) in feb29_birth_issue_rule()) {
        check_expiries(birth, issued, rule)?;
    }

    #[test]
    fn nth_birthday_is_strictly_after_and_counts_exactly_n(
        (birth, after, rule) in birth_issue_rule(),
        n in 1u32..12,
    ) {
        let r = rules_with(rule);
        let b = r.nth_birthday_after(birth, n, after);
        prop_assert!(b > after);
        prop_assert!(is_birthday(&r, birth, b));
        // Exactly n birthdays lie in (after, b]: the years between are consecutive.
        let first = r.nth_birthday_after(birth, 1, after);
        prop_assert_eq!(b.year() - first.year(), n as i32 - 1);
        // And the birthday one year before `first` is not after `after`.
        prop_assert!(first.year() == birth.year() + 1 || r.birthday_in_year(birth, first.year() - 1) <= after);
    }

    #[test]
    fn renewing_anywhere_in_the_window_loses_nothing(
        (birth, issued, rule) in birth_issue_rule(),
        offset in 0i64..100,
    ) {
        let r = rules_with(rule);
        let uncapped = Date::MAX;
        let old = r.auth_expiry(birth, issued, Issuance::New, uncapped);
        let (first, last) = crate::rules::renewal::renewal_window(old, 3);
        let renewed_on = first + time::Duration::days(offset);
        prop_assume!(renewed_on <= last);
        // The old expiry is the first of the six birthdays: the result is the fifth
        // birthday after it, whichever day of the window the renewal falls on.
        prop_assert_eq!(
            r.auth_expiry(birth, renewed_on, Issuance::Renewal, uncapped),
            r.nth_birthday_after(birth, 5, old)
        );
    }

    #[test]
    fn age_increases_exactly_on_birthdays((birth, on, rule) in birth_issue_rule()) {
        let r = rules_with(rule);
        let next = on.next_day().expect("in range");
        let step = r.age_on(birth, next) - r.age_on(birth, on);
        let expected = u32::from(is_birthday(&r, birth, next) && next.year() > birth.year());
        prop_assert_eq!(step, expected);
    }
}
