use super::*;

mod properties;
use time::macros::date;

fn rules() -> ValidityRules {
    ValidityRules::default()
}

fn rules_with(feb29: Feb29Rule) -> ValidityRules {
    ValidityRules {
        feb29,
        ..ValidityRules::default()
    }
}

/// Card, auth and sign expiry when all three are issued on the same day.
fn same_day(birth: Date, issued: Date) -> (Date, Date, Option<Date>) {
    let r = rules();
    let card = r.card_expiry(birth, issued);
    let auth = r.auth_expiry(birth, issued, Issuance::New, card);
    let sign = r
        .may_issue_sign(birth, issued)
        .then(|| r.sign_expiry(birth, issued, Issuance::New, Some(auth), card));
    (card, auth, sign)
}

// ---- domain.md §2 examples ----

#[test]
fn table_row_1990_10_01_issued_2021_03_15() {
    assert_eq!(
        same_day(date!(1990 - 10 - 01), date!(2021 - 03 - 15)),
        (
            date!(2030 - 10 - 01),
            date!(2025 - 10 - 01),
            Some(date!(2025 - 10 - 01))
        )
    );
}

#[test]
fn table_row_1985_06_10_issued_on_birthday_2020_06_10() {
    assert_eq!(
        same_day(date!(1985 - 06 - 10), date!(2020 - 06 - 10)),
        (
            date!(2030 - 06 - 10),
            date!(2025 - 06 - 10),
            Some(date!(2025 - 06 - 10))
        )
    );
}

#[test]
fn table_row_2010_04_01_minor_no_sign() {
    let birth = date!(2010 - 04 - 01);
    let issued = date!(2023 - 01 - 20);
    assert_eq!(rules().age_on(birth, issued), 12);
    assert_eq!(
        same_day(birth, issued),
        (date!(2027 - 04 - 01), date!(2027 - 04 - 01), None)
    );
}

#[test]
fn sign_issued_later_is_capped_by_auth() {
    let r = rules();
    let birth = date!(1990 - 10 - 01);
    let card = date!(2030 - 10 - 01);
    let sign_issued = date!(2023 - 05 - 01);
    // Uncapped, the new certificate would last until 2027-10-01 ...
    assert_eq!(
        r.sign_expiry(birth, sign_issued, Issuance::New, None, card),
        date!(2027 - 10 - 01)
    );
    // ... but the current auth certificate expires 2025-10-01.
    assert_eq!(
        r.sign_expiry(
            birth,
            sign_issued,
            Issuance::New,
            Some(date!(2025 - 10 - 01)),
            card
        ),
        date!(2025 - 10 - 01)
    );
}

#[test]
fn renewal_example_2025_08_01() {
    let r = rules();
    let birth = date!(1990 - 10 - 01);
    let renewed = date!(2025 - 08 - 01);
    let card = date!(2030 - 10 - 01);
    let auth = r.auth_expiry(birth, renewed, Issuance::New, card);
    assert_eq!(auth, date!(2029 - 10 - 01));
    assert_eq!(
        r.sign_expiry(birth, renewed, Issuance::New, Some(auth), card),
        date!(2029 - 10 - 01)
    );
    assert_eq!(
        r.sign_expiry(birth, renewed, Issuance::New, None, card),
        date!(2029 - 10 - 01)
    );
}

// ---- edge cases ----

#[test]
fn birthday_on_issue_date_does_not_count() {
    let r = rules();
    let birth = date!(1985 - 06 - 10);
    assert_eq!(
        r.nth_birthday_after(birth, 1, date!(2020 - 06 - 10)),
        date!(2021 - 06 - 10)
    );
    assert_eq!(
        r.nth_birthday_after(birth, 1, date!(2020 - 06 - 09)),
        date!(2020 - 06 - 10)
    );
    assert_eq!(
        r.nth_birthday_after(birth, 5, date!(2020 - 06 - 09)),
        date!(2024 - 06 - 10)
    );
}

#[test]
fn day_before_18th_birthday_is_minor_card() {
    let r = rules();
    let birth = date!(2005 - 07 - 20);
    let issued = date!(2023 - 07 - 19);
    assert_eq!(r.age_on(birth, issued), 17);
    // 5 birthdays after 2023-07-19: 2023-07-20 is the first.
    assert_eq!(r.card_expiry(birth, issued), date!(2027 - 07 - 20));
}

#[test]
fn on_18th_birthday_is_adult_card() {
    let r = rules();
    let birth = date!(2005 - 07 - 20);
    let issued = date!(2023 - 07 - 20);
    assert_eq!(r.age_on(birth, issued), 18);
    // 10 birthdays after 2023-07-20 (which itself does not count).
    assert_eq!(r.card_expiry(birth, issued), date!(2033 - 07 - 20));
}

#[test]
fn configurable_counts_and_adult_age() {
    let r = ValidityRules {
        card_birthdays_adult: 7,
        card_birthdays_minor: 3,
        cert_birthdays: 2,
        adult_age: 20,
        ..ValidityRules::default()
    };
    let birth = date!(2004 - 01 - 10);
    let issued = date!(2023 - 06 - 01); // age 19: a minor under adult_age 20
    let card = r.card_expiry(birth, issued);
    assert_eq!(card, date!(2026 - 01 - 10));
    assert_eq!(
        r.auth_expiry(birth, issued, Issuance::New, card),
        date!(2025 - 01 - 10)
    );
}

#[test]
fn auth_capped_by_card_expiring_before_5th_birthday() {
    let r = rules();
    let birth = date!(2010 - 04 - 01);
    let card = r.card_expiry(birth, date!(2023 - 01 - 20));
    assert_eq!(card, date!(2027 - 04 - 01));
    let issued = date!(2024 - 06 - 01); // 5th birthday after would be 2029-04-01
    assert_eq!(
        r.nth_birthday_after(birth, 5, issued),
        date!(2029 - 04 - 01)
    );
    assert_eq!(r.auth_expiry(birth, issued, Issuance::New, card), card);
    assert_eq!(
        r.sign_expiry(birth, issued, Issuance::New, None, card),
        card
    );
}

#[test]
fn sign_expiry_is_min_of_three() {
    let r = rules();
    let birth = date!(1990 - 10 - 01);
    let issued = date!(2021 - 03 - 15); // own cap 2025-10-01
    let card = date!(2030 - 10 - 01);
    assert_eq!(
        r.sign_expiry(
            birth,
            issued,
            Issuance::New,
            Some(date!(2024 - 10 - 01)),
            card
        ),
        date!(2024 - 10 - 01)
    );
    assert_eq!(
        r.sign_expiry(
            birth,
            issued,
            Issuance::New,
            Some(date!(2028 - 10 - 01)),
            card
        ),
        date!(2025 - 10 - 01)
    );
    assert_eq!(
        r.sign_expiry(
            birth,
            issued,
            Issuance::New,
            Some(date!(2028 - 10 - 01)),
            date!(2023 - 10 - 01)
        ),
        date!(2023 - 10 - 01)
    );
}

// ---- 29 February ----

#[test]
fn feb29_birthday_in_non_leap_year_depends_on_rule() {
    let birth = date!(2004 - 02 - 29);
    assert_eq!(
        rules_with(Feb29Rule::Feb28).birthday_in_year(birth, 2023),
        date!(2023 - 02 - 28)
    );
    assert_eq!(
        rules_with(Feb29Rule::Mar1).birthday_in_year(birth, 2023),
        date!(2023 - 03 - 01)
    );
    assert_eq!(
        rules_with(Feb29Rule::Feb28).birthday_in_year(birth, 2100),
        date!(2100 - 02 - 28)
    );
}

#[test]
fn feb29_birthday_in_leap_year_is_feb29_under_both_rules() {
    let birth = date!(2004 - 02 - 29);
    for rule in [Feb29Rule::Feb28, Feb29Rule::Mar1] {
        assert_eq!(
            rules_with(rule).birthday_in_year(birth, 2024),
            date!(2024 - 02 - 29)
        );
        assert_eq!(
            rules_with(rule).birthday_in_year(birth, 2000),
            date!(2000 - 02 - 29)
        );
    }
}

#[test]
fn ordinary_birthday_ignores_rule() {
    let birth = date!(2004 - 02 - 28);
    for rule in [Feb29Rule::Feb28, Feb29Rule::Mar1] {
        assert_eq!(
            rules_with(rule).birthday_in_year(birth, 2023),
            date!(2023 - 02 - 28)
        );
    }
}

#[test]
fn feb29_birthday_on_after_date_does_not_count() {
    let birth = date!(2004 - 02 - 29);
    let after = date!(2023 - 02 - 28);
    assert_eq!(
        rules_with(Feb29Rule::Feb28).nth_birthday_after(birth, 1, after),
        date!(2024 - 02 - 29)
    );
    assert_eq!(
        rules_with(Feb29Rule::Mar1).nth_birthday_after(birth, 1, after),
        date!(2023 - 03 - 01)
    );
}

#[test]
fn feb29_expiry_landing_in_non_leap_year() {
    let birth = date!(2000 - 02 - 29);
    let issued = date!(2021 - 03 - 01);
    // 10th birthday after 2021-03-01 falls in 2031, not a leap year.
    assert_eq!(
        rules_with(Feb29Rule::Feb28).card_expiry(birth, issued),
        date!(2031 - 02 - 28)
    );
    assert_eq!(
        rules_with(Feb29Rule::Mar1).card_expiry(birth, issued),
        date!(2031 - 03 - 01)
    );
}

#[test]
fn feb29_expiry_landing_in_leap_year() {
    let birth = date!(2000 - 02 - 29);
    let issued = date!(2019 - 06 - 01);
    for (rule, card) in [
        (Feb29Rule::Feb28, date!(2029 - 02 - 28)),
        (Feb29Rule::Mar1, date!(2029 - 03 - 01)),
    ] {
        let r = rules_with(rule);
        assert_eq!(r.card_expiry(birth, issued), card);
        // The 5th birthday after 2019-06-01 falls in 2024, a leap year.
        assert_eq!(
            r.auth_expiry(birth, issued, Issuance::New, card),
            date!(2024 - 02 - 29)
        );
    }
}

#[test]
fn feb29_age_and_card_kind_depend_on_rule() {
    let birth = date!(2004 - 02 - 29);
    let issued = date!(2022 - 02 - 28);
    let feb28 = rules_with(Feb29Rule::Feb28);
    let mar1 = rules_with(Feb29Rule::Mar1);
    assert_eq!(feb28.age_on(birth, issued), 18);
    assert_eq!(mar1.age_on(birth, issued), 17);
    assert_eq!(mar1.age_on(birth, date!(2022 - 03 - 01)), 18);
    // Adult under feb28: 10 birthdays after 2022-02-28 -> 2032 (leap).
    assert_eq!(feb28.card_expiry(birth, issued), date!(2032 - 02 - 29));
    // Minor under mar1: 5 birthdays after 2022-02-28, starting 2022-03-01.
    assert_eq!(mar1.card_expiry(birth, issued), date!(2026 - 03 - 01));
}

// ---- age ----

#[test]
fn age_counts_the_birthday_itself() {
    let r = rules();
    let birth = date!(2000 - 05 - 15);
    assert_eq!(r.age_on(birth, date!(2018 - 05 - 14)), 17);
    assert_eq!(r.age_on(birth, date!(2018 - 05 - 15)), 18);
    assert_eq!(r.age_on(birth, date!(2018 - 12 - 31)), 18);
    assert_eq!(r.age_on(birth, birth), 0);
    assert_eq!(r.age_on(birth, date!(2000 - 12 - 31)), 0);
    assert_eq!(r.age_on(birth, date!(2001 - 05 - 15)), 1);
}

#[test]
fn age_before_birth_is_zero() {
    assert_eq!(
        rules().age_on(date!(2000 - 05 - 15), date!(1999 - 01 - 01)),
        0
    );
}

#[test]
fn sign_refused_under_15_allowed_on_15th_birthday() {
    let r = rules();
    let birth = date!(2010 - 04 - 01);
    assert!(!r.may_issue_sign(birth, date!(2025 - 03 - 31)));
    assert!(r.may_issue_sign(birth, date!(2025 - 04 - 01)));
    assert!(r.may_issue_sign(birth, date!(2030 - 01 - 01)));
    assert!(!r.may_issue_sign(birth, date!(2015 - 01 - 01)));
}

#[test]
fn min_sign_age_is_configurable() {
    let r = ValidityRules {
        min_sign_age: 0,
        ..ValidityRules::default()
    };
    assert!(r.may_issue_sign(date!(2010 - 04 - 01), date!(2010 - 04 - 01)));
}

// ---- helpers, parsing, saturation ----

#[test]
fn n_zero_is_treated_as_one() {
    let r = rules();
    let birth = date!(1990 - 10 - 01);
    let after = date!(2021 - 03 - 15);
    assert_eq!(
        r.nth_birthday_after(birth, 0, after),
        r.nth_birthday_after(birth, 1, after)
    );
}

#[test]
fn first_birthday_is_the_first_anniversary() {
    let r = rules();
    let birth = date!(2000 - 05 - 01);
    assert_eq!(
        r.nth_birthday_after(birth, 1, date!(1999 - 06 - 01)),
        date!(2001 - 05 - 01)
    );
    assert_eq!(r.nth_birthday_after(birth, 1, birth), date!(2001 - 05 - 01));
}

#[test]
fn far_future_saturates_at_max_date() {
    let r = rules();
    assert_eq!(
        r.nth_birthday_after(date!(2000 - 05 - 01), u32::MAX, date!(2020 - 01 - 01)),
        Date::MAX
    );
    assert_eq!(
        r.birthday_in_year(date!(2000 - 05 - 01), i32::MIN),
        Date::MIN
    );
}

#[test]
fn calendar_date_clamped_clamps_day_and_year() {
    assert_eq!(
        calendar_date_clamped(2025, Month::February, 31),
        date!(2025 - 02 - 28)
    );
    assert_eq!(
        calendar_date_clamped(2024, Month::February, 31),
        date!(2024 - 02 - 29)
    );
    assert_eq!(calendar_date_clamped(10_000, Month::May, 1), Date::MAX);
    assert_eq!(calendar_date_clamped(-10_000, Month::May, 1), Date::MIN);
    assert_eq!(calendar_date_clamped(i64::MAX, Month::May, 1), Date::MAX);
    assert_eq!(calendar_date_clamped(i64::MIN, Month::May, 1), Date::MIN);
}

#[test]
fn defaults_match_the_spec() {
    let r = ValidityRules::default();
    assert_eq!(
        (
            r.card_birthdays_adult,
            r.card_birthdays_minor,
            r.cert_birthdays,
            r.adult_age,
            r.min_sign_age,
            r.feb29
        ),
        (10, 5, 5, 18, 15, Feb29Rule::Feb28)
    );
    assert_eq!(r.validate(), Ok(()));
}

#[test]
fn validate_refuses_zero_counts() {
    let r = ValidityRules {
        cert_birthdays: 0,
        ..ValidityRules::default()
    };
    let err = r.validate().unwrap_err();
    assert_eq!(
        err,
        ValidityError::ZeroBirthdays {
            field: "cert_birthdays"
        }
    );
    assert!(err.to_string().contains("cert_birthdays"));
}

#[test]
fn feb29_rule_parses() {
    assert_eq!("feb28".parse::<Feb29Rule>(), Ok(Feb29Rule::Feb28));
    assert_eq!("mar1".parse::<Feb29Rule>(), Ok(Feb29Rule::Mar1));
    assert_eq!("MAR1".parse::<Feb29Rule>(), Ok(Feb29Rule::Mar1));
    assert_eq!(Feb29Rule::default(), Feb29Rule::Feb28);
    for rule in [Feb29Rule::Feb28, Feb29Rule::Mar1] {
        assert_eq!(rule.to_string().parse::<Feb29Rule>(), Ok(rule));
    }
}

#[test]
fn feb29_rule_error_names_accepted_values() {
    let err = "mar01".parse::<Feb29Rule>().unwrap_err();
    assert!(err.contains("\"mar01\""), "{err}");
    assert!(err.contains("feb28") && err.contains("mar1"), "{err}");
}

#[test]
fn a_renewal_runs_to_the_sixth_birthday_counted_from_the_renewal_day() {
    let r = rules();
    let birth = date!(1990 - 10 - 01);
    // domain.md §3's example: renewed 2025-08-01, card expiry 2030-10-01.
    let card = date!(2030 - 10 - 01);
    assert_eq!(
        r.auth_expiry(birth, date!(2025 - 08 - 01), Issuance::Renewal, card),
        date!(2030 - 10 - 01)
    );
    assert_eq!(
        r.auth_expiry(birth, date!(2025 - 08 - 01), Issuance::New, card),
        date!(2029 - 10 - 01),
        "a new issuance runs to the 5th birthday"
    );
    // Without the card's cap the count shows: from the first day of the window
    // (2025-07-02) and from the expiry day itself, which counts as the first birthday,
    // the sixth is 2030-10-01; counting only birthdays after the day would give 2031.
    let late_card = date!(2040 - 01 - 01);
    for renewed_on in [date!(2025 - 07 - 02), date!(2025 - 10 - 01)] {
        assert_eq!(
            r.auth_expiry(birth, renewed_on, Issuance::Renewal, late_card),
            date!(2030 - 10 - 01),
            "renewed {renewed_on}"
        );
    }
    // The signing certificate keeps the auth cap.
    assert_eq!(
        r.sign_expiry(
            birth,
            date!(2025 - 08 - 01),
            Issuance::Renewal,
            Some(date!(2025 - 10 - 01)),
            late_card
        ),
        date!(2025 - 10 - 01)
    );
    // A different count is a setting.
    let seven = ValidityRules {
        renewal_birthdays: 7,
        ..r
    };
    assert_eq!(
        seven.auth_expiry(birth, date!(2025 - 08 - 01), Issuance::Renewal, late_card),
        date!(2031 - 10 - 01)
    );
}

// ---- the provisional next-gen preset's values ----

/// The next-gen preset's counts (config/jpki-mock.toml, presets.next-gen.validity).
fn next_gen() -> ValidityRules {
    ValidityRules {
        card_birthdays_adult: 10,
        card_birthdays_minor: 10,
        cert_birthdays: 10,
        renewal_birthdays: 11,
        renewal_window_months: 12,
        ..ValidityRules::default()
    }
}

#[test]
fn next_gen_certificates_run_ten_years_capped_by_the_card() {
    let r = next_gen();
    assert_eq!(r.validate(), Ok(()));
    let birth = date!(1990 - 10 - 01);
    let issued = date!(2028 - 04 - 01);
    // The card and both certificates: the 10th birthday after issuance.
    let card = r.card_expiry(birth, issued);
    assert_eq!(card, date!(2037 - 10 - 01));
    let auth = r.auth_expiry(birth, issued, Issuance::New, card);
    assert_eq!(auth, date!(2037 - 10 - 01));
    assert_eq!(
        r.sign_expiry(birth, issued, Issuance::New, Some(auth), card),
        date!(2037 - 10 - 01)
    );
    // A certificate issued three years into the card: its own 10th birthday lies past
    // the card, so the card caps it.
    let later = date!(2031 - 06 - 01);
    assert_eq!(
        r.auth_expiry(birth, later, Issuance::New, card),
        date!(2037 - 10 - 01)
    );
    let longer_card = date!(2045 - 01 - 01);
    assert_eq!(
        r.auth_expiry(birth, later, Issuance::New, longer_card),
        date!(2040 - 10 - 01)
    );
    // A minor's card runs ten birthdays too, so it does not cut the certificate short.
    let child = date!(2020 - 05 - 05);
    let card = r.card_expiry(child, issued);
    assert_eq!(card, date!(2037 - 05 - 05));
    assert_eq!(
        r.auth_expiry(child, issued, Issuance::New, card),
        date!(2037 - 05 - 05)
    );
}

#[test]
fn next_gen_renewal_opens_twelve_months_before_and_loses_nothing() {
    let r = next_gen();
    let birth = date!(1990 - 10 - 01);
    let expiry = date!(2037 - 10 - 01);
    assert_eq!(
        r.renewal_window(expiry),
        (date!(2036 - 10 - 02), date!(2037 - 10 - 01))
    );
    assert_eq!(r.notice_date(expiry), date!(2036 - 10 - 01));
    assert!(r.check_renewal(expiry, date!(2036 - 10 - 01)).is_err());
    assert_eq!(r.check_renewal(expiry, date!(2036 - 10 - 02)), Ok(()));
    // Renewed on the window's first day, the certificate runs to ten years after the
    // old expiry (the old expiry is the first of 11 birthdays), capped by the card.
    let far_card = date!(2050 - 01 - 01);
    assert_eq!(
        r.auth_expiry(birth, date!(2036 - 10 - 02), Issuance::Renewal, far_card),
        date!(2047 - 10 - 01)
    );
    assert_eq!(
        r.auth_expiry(birth, date!(2037 - 10 - 01), Issuance::Renewal, far_card),
        date!(2047 - 10 - 01)
    );
}

#[test]
fn the_default_rules_are_unchanged_five_years_and_three_months() {
    let r = rules();
    assert_eq!(r.renewal_window_months, 3);
    assert_eq!(r.validate(), Ok(()));
    let birth = date!(1990 - 10 - 01);
    let issued = date!(2028 - 04 - 01);
    let card = r.card_expiry(birth, issued);
    assert_eq!(card, date!(2037 - 10 - 01));
    assert_eq!(
        r.auth_expiry(birth, issued, Issuance::New, card),
        date!(2032 - 10 - 01)
    );
    let expiry = date!(2032 - 10 - 01);
    assert_eq!(
        r.renewal_window(expiry),
        (date!(2032 - 07 - 02), date!(2032 - 10 - 01))
    );
    assert!(r.check_renewal(expiry, date!(2032 - 07 - 01)).is_err());
    assert!(r.check_renewal(expiry, date!(2031 - 10 - 02)).is_err());
    // A minor's card: 5 birthdays.
    assert_eq!(
        r.card_expiry(date!(2020 - 05 - 05), issued),
        date!(2032 - 05 - 05)
    );
}

#[test]
fn a_renewal_window_outside_one_to_twelve_months_is_invalid() {
    for months in [0, 13] {
        let r = ValidityRules {
            renewal_window_months: months,
            ..rules()
        };
        assert_eq!(
            r.validate(),
            Err(ValidityError::RenewalWindow { months, max: 12 })
        );
    }
}
