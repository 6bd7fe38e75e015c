use super::*;

#[test]
fn committed_file_equals_the_empty_config() {
    assert_eq!(
        Config::from_toml(DEFAULT_TOML).unwrap(),
        Config::from_toml("").unwrap()
    );
}

#[test]
fn defaults_match_the_spec() {
    let c = Config::default();
    assert_eq!(c.profile.org, "JPKI-MOCK");
    assert_eq!(
        c.profile.sign_policy.to_string(),
        "1.2.392.200149.8.5.1.1.20"
    );
    assert_eq!(c.validity.card_birthdays_adult, 10);
    assert_eq!(c.validity.cert_birthdays, 5);
    assert_eq!(c.validity.min_sign_age, 15);
    assert_eq!(c.validity.feb29, Feb29Rule::Feb28);
    assert_eq!(c.crl.backdate, Duration::from_secs(300));
    assert_eq!(c.ocsp.validity, Duration::from_secs(86_400));
    assert_eq!(c.reasons.reason(Cause::Lost), CrlReason::CertificateHold);
    assert_eq!(c.locality.designated_city_wards, DesignatedCityWards::City);
}

#[test]
fn the_default_reasons_are_profile_md_s() {
    let reasons = Config::default().reasons;
    for cause in Cause::ALL {
        assert_eq!(reasons.reason(cause), cause.default_reason(), "{cause:?}");
    }
    assert_eq!(reasons, ReasonMap::default());
}

#[test]
fn the_jpki_test_preset_sets_the_test_organisation_and_policies() {
    let c = Config::from_toml("preset = \"jpki-test\"\n").unwrap();
    assert_eq!(c.preset.as_deref(), Some("jpki-test"));
    assert_eq!(c.profile.org, "JPKI-TEST");
    assert_eq!(
        c.profile.sign_policy.to_string(),
        "1.2.392.200149.8.5.1.0.20"
    );
    assert_eq!(
        c.profile.auth_policy.to_string(),
        "1.2.392.200149.8.5.1.2.30"
    );
    let mut later = Config::default();
    later.apply_preset("jpki-test").unwrap();
    assert_eq!(later, c);
    // A user's preset, and an unknown name.
    let own = Config::from_toml("preset = \"mine\"\n[presets.mine]\norg = \"JPKI\"\n").unwrap();
    assert_eq!(own.profile.org, "JPKI");
    assert_eq!(
        own.profile.sign_policy.to_string(),
        "1.2.392.200149.8.5.1.1.20"
    );
    let err = Config::default().apply_preset("jpki-prod").unwrap_err();
    assert!(err.contains("jpki-test"), "{err}");
}

#[test]
fn settings_override_defaults() {
    let c = Config::from_toml(
        "[profile]\norg = \"JPKI\"\nkey_alg = \"p256\"\n[validity]\nfeb29 = \"mar1\"\n[reasons]\nlost = \"keyCompromise\"\n[locality]\ndesignated_city_wards = \"ward\"\n",
    )
    .unwrap();
    assert_eq!(c.locality.designated_city_wards, DesignatedCityWards::Ward);
    assert_eq!(c.profile.org, "JPKI");
    assert_eq!(c.profile.key_alg, KeyAlg::P256);
    assert_eq!(c.validity.feb29, Feb29Rule::Mar1);
    assert_eq!(c.reasons.reason(Cause::Lost), CrlReason::KeyCompromise);
}

#[test]
fn bad_configs_are_refused_with_the_key_named() {
    for (text, needle) in [
        ("[profile]\norgg = \"x\"\n", "orgg"),
        ("[nonsense]\n", "nonsense"),
        ("[profile]\nsign_policy_oid = \"abc\"\n", "sign_policy_oid"),
        // Found by fuzzing: const-oid overflows on arcs this long.
        (
            "[profile]\nsign_policy_oid = \"1.13333333333333333333333333333333.\"\n",
            "sign_policy_oid",
        ),
        (
            "[profile]\nauth_policy_oid = \"2.4294967295\"\n",
            "auth_policy_oid",
        ),
        ("[profile]\nauth_policy_oid = \"1.2.\"\n", "auth_policy_oid"),
        ("[profile]\nauth_policy_oid = \"3.1\"\n", "auth_policy_oid"),
        ("[profile]\nauth_policy_oid = \"1\"\n", "auth_policy_oid"),
        ("[profile]\nkey_alg = \"rsa1024\"\n", "key_alg"),
        ("[validity]\nfeb29 = \"feb30\"\n", "feb29"),
        ("[validity]\ncert_birthdays = 0\n", "cert_birthdays"),
        ("[server]\nlisten = \"nowhere\"\n", "listen"),
        ("[server]\nbase_url = \"ftp://x\"\n", "base_url"),
        ("[reasons]\nlost = \"misplaced\"\n", "reasons.lost"),
        ("[reasons]\nforgotten = \"keyCompromise\"\n", "forgotten"),
        ("[ocsp]\nresponder_id = \"by_hash\"\n", "responder_id"),
        (
            "[locality]\ndesignated_city_wards = \"x\"\n",
            "designated_city_wards",
        ),
        ("[locality]\nwards = \"ward\"\n", "wards"),
        ("preset = \"jpki-prod\"\n", "preset"),
        (
            "[presets.x]\nsign_policy_oid = \"1.x\"\n",
            "presets.x.sign_policy_oid",
        ),
        ("[presets.x]\ncolour = \"red\"\n", "colour"),
        ("[crl]\nnext_update_seconds = 1\n", "next_update_seconds"),
        ("[profile]\norg = 5\n", "org"),
        ("not toml at all [", "config"),
    ] {
        let err = Config::from_toml(text).unwrap_err().to_string();
        assert!(err.contains(needle), "{text:?} gave {err:?}");
    }
}

#[test]
fn faults_can_be_set_from_config() {
    let c = Config::from_toml(
        "[[faults]]\nfault = \"ocsp_status\"\nstatus = \"tryLater\"\nca = \"sign\"\ncount = 2\n\n[[faults]]\nfault = \"delay\"\nms = 50\n",
    )
    .unwrap();
    assert_eq!(c.faults.len(), 2);
    assert_eq!(c.faults[0].count, Some(2));
    let err = Config::from_toml("[[faults]]\nfault = \"gremlins\"\n").unwrap_err();
    assert!(err.to_string().contains("unknown fault"), "{err}");
    assert!(Config::default().faults.is_empty());
}

#[test]
fn base_url_is_normalised() {
    assert_eq!(
        normalize_base_url("http://127.0.0.1:8080/").unwrap(),
        "http://127.0.0.1:8080"
    );
    assert!(normalize_base_url("127.0.0.1:8080").is_err());
    assert!(normalize_base_url("http://").is_err());
}

#[test]
fn the_next_gen_preset_sets_p384_ten_years_and_a_twelve_month_window() {
    let c = Config::from_toml("preset = \"next-gen\"\n").unwrap();
    assert_eq!(c.preset.as_deref(), Some("next-gen"));
    assert_eq!(c.profile.key_alg, KeyAlg::P384);
    assert_eq!(c.validity.cert_birthdays, 10);
    assert_eq!(c.validity.renewal_birthdays, 11);
    assert_eq!(c.validity.card_birthdays_adult, 10);
    assert_eq!(c.validity.card_birthdays_minor, 10);
    assert_eq!(c.validity.renewal_window_months, 12);
    assert_eq!(c.preset_settings.key_alg, Some(KeyAlg::P384));
    assert_eq!(c.ca.validity_years, 20);
    // The DN and policies stay the profile's; the other rules too.
    let defaults = Config::default();
    assert_eq!(c.profile.org, defaults.profile.org);
    assert_eq!(c.profile.sign_policy, defaults.profile.sign_policy);
    assert_eq!(c.validity.adult_age, defaults.validity.adult_age);
    let mut later = Config::default();
    later.apply_preset("next-gen").unwrap();
    assert_eq!(later, c);
    // The preset's keys win over the file's [validity] and [profile], as for jpki-test.
    let over = Config::from_toml(
        "preset = \"next-gen\"\n[validity]\ncert_birthdays = 3\nfeb29 = \"mar1\"\n",
    )
    .unwrap();
    assert_eq!(over.validity.cert_birthdays, 10);
    assert_eq!(over.validity.feb29, Feb29Rule::Mar1);
}

#[test]
fn the_defaults_keep_rsa_five_years_and_three_months() {
    let c = Config::default();
    assert_eq!(c.preset, None);
    assert_eq!(c.profile.key_alg, KeyAlg::Rsa2048);
    assert_eq!(c.validity.cert_birthdays, 5);
    assert_eq!(c.validity.renewal_birthdays, 6);
    assert_eq!(c.validity.card_birthdays_minor, 5);
    assert_eq!(c.validity.renewal_window_months, 3);
    assert_eq!(c.ca.validity_years, 10);
    assert_eq!(c.preset_settings, PresetSettings::default());
    // jpki-test sets neither keys nor validity.
    let test = Config::from_toml("preset = \"jpki-test\"\n").unwrap();
    assert_eq!(test.profile.key_alg, KeyAlg::Rsa2048);
    assert_eq!(test.validity, c.validity);
}

#[test]
fn renewal_windows_and_preset_validity_are_checked() {
    for (text, needle) in [
        (
            "[validity]\nrenewal_window_months = 0\n",
            "validity.renewal_window_months",
        ),
        (
            "[validity]\nrenewal_window_months = 13\n",
            "validity.renewal_window_months",
        ),
        ("[presets.x]\nkey_alg = \"rsa1024\"\n", "presets.x.key_alg"),
        (
            "[presets.x]\nca_validity_years = 0\n",
            "presets.x.ca_validity_years",
        ),
        (
            "[presets.x.validity]\ncert_birthdays = 0\n",
            "presets.x.validity.cert_birthdays",
        ),
        (
            "[presets.x.validity]\nrenewal_window_months = 24\n",
            "presets.x.validity.renewal_window_months",
        ),
        ("[presets.x.validity]\nfeb29 = \"mar1\"\n", "feb29"),
    ] {
        let err = Config::from_toml(text).unwrap_err().to_string();
        assert!(err.contains(needle), "{text:?} gave {err:?}");
    }
    let c = Config::from_toml("[validity]\nrenewal_window_months = 6\n").unwrap();
    assert_eq!(c.validity.renewal_window_months, 6);
}
