//! Behaviour of the lookups: matching an address, the `--locality` forms, the ward
//! setting and the errors. Checks over the whole table are in `table_tests.rs`.

use super::*;
use DesignatedCityWards::{City, Ward};

pub(super) fn loc(prefecture: &str, municipality: &str) -> Locality {
    Locality {
        prefecture: prefecture.to_owned(),
        municipality: municipality.to_owned(),
    }
}

/// The locality of an address with the default setting (the city for a ward).
pub(super) fn resolve(address: &str) -> Locality {
    Locality::from_address(address, City)
        .unwrap_or_else(|e| panic!("{address} should resolve, got: {e}"))
}

fn unknown_municipality(address: &str) -> (String, Vec<String>) {
    match Locality::from_address(address, City) {
        Err(LocalityError::UnknownMunicipality {
            prefecture,
            nearest,
            ..
        }) => (prefecture, nearest.0),
        other => panic!("{address}: {other:?}"),
    }
}

// ---- matching rules ----

#[test]
fn kyoto_and_tokyo_are_not_confused() {
    assert_eq!(resolve("京都府京都市左京区"), loc("Kyoto-fu", "Kyoto-shi"));
    assert_eq!(
        resolve("東京都港区芝公園4-2-8"),
        loc("Tokyo-to", "Minato-ku")
    );
    // Each prefecture only knows its own municipalities.
    assert_eq!(unknown_municipality("東京都京都市").0, "Tokyo-to");
    assert_eq!(unknown_municipality("京都府港区").0, "Kyoto-fu");
    // "京都" without its suffix is not a prefecture, nor is "東京".
    for address in ["京都市中京区", "東京品川区"] {
        assert!(matches!(
            Locality::from_address(address, City),
            Err(LocalityError::UnknownPrefecture { .. })
        ));
    }
}

#[test]
fn same_city_name_in_two_prefectures() {
    assert_eq!(
        resolve("東京都府中市宮西町2-24"),
        loc("Tokyo-to", "Fuchu-shi")
    );
    assert_eq!(
        resolve("広島県府中市府川町315"),
        loc("Hiroshima-ken", "Fuchu-shi")
    );
    assert_eq!(
        resolve("広島県安芸郡府中町大通3-5-1"),
        loc("Hiroshima-ken", "Fuchu-cho")
    );
    // A longer name that starts like another city is that longer name.
    assert_eq!(
        resolve("大阪府大阪狭山市狭山1-2384-1"),
        loc("Osaka-fu", "Osakasayama-shi")
    );
}

#[test]
fn longest_entry_wins() {
    let entry = |kanji, romaji| Municipality {
        code: "000000",
        kanji,
        romaji,
        wards: &[],
    };
    let entries = [
        entry("府中", "Fuchu"),
        entry("府中市", "Fuchu-shi"),
        entry("中", "Naka"),
    ];
    let hit = lookup::longest(&entries, "府中市宮西町").map(|m| m.romaji);
    assert_eq!(hit, Some("Fuchu-shi"));
    let hit = lookup::longest(&entries, "府中町").map(|m| m.romaji);
    assert_eq!(hit, Some("Fuchu"));
    assert!(lookup::longest(&entries, "港区").is_none());
}

#[test]
fn a_district_before_a_town_or_village_is_skipped() {
    let cases = [
        ("北海道勇払郡占冠村字中央1", "Hokkaido", "Shimukappu-mura"),
        (
            "北海道 勇払郡　占冠村字中央1",
            "Hokkaido",
            "Shimukappu-mura",
        ),
        ("北海道虻田郡ニセコ町字富士見47", "Hokkaido", "Niseko-cho"),
        ("東京都西多摩郡檜原村467-1", "Tokyo-to", "Hinohara-mura"),
        (
            "沖縄県中頭郡読谷村字座喜味2901",
            "Okinawa-ken",
            "Yomitan-son",
        ),
        // Without the district, too.
        ("北海道占冠村字中央1", "Hokkaido", "Shimukappu-mura"),
    ];
    for (address, prefecture, municipality) in cases {
        assert_eq!(resolve(address), loc(prefecture, municipality), "{address}");
    }
    // A district followed by no municipality of the prefecture is no match.
    assert_eq!(
        unknown_municipality("北海道勇払郡占冠町字中央1").1,
        [
            "北海道占冠村 (014630, Hokkaido/Shimukappu-mura)",
            "北海道新冠町 (016047, Hokkaido/Niikappu-cho)"
        ]
    );
    // A 郡 deep in the address is not a district.
    unknown_municipality("東京都品川町字長い長い名前の郡品川区");
}

#[test]
fn whitespace_and_full_width_are_accepted() {
    let expected = loc("Tokyo-to", "Shinagawa-ku");
    assert_eq!(resolve("  東京都品川区広町2-1-36\n"), expected);
    assert_eq!(
        resolve("\u{3000}東京都品川区広町２－１－３６\u{3000}"),
        expected
    );
    assert_eq!(resolve("東京都　品川区広町２丁目１番３６号"), expected);
    assert_eq!(resolve("東京都 品川区"), expected);
}

#[test]
fn variation_selectors_and_variant_kanji_are_tolerated() {
    assert_eq!(
        resolve("東京都葛\u{E0100}飾区立石5-13-1"),
        loc("Tokyo-to", "Katsushika-ku")
    );
    assert_eq!(
        resolve("長﨑県長﨑市尾上町3-1"),
        loc("Nagasaki-ken", "Nagasaki-shi")
    );
    assert_eq!(
        resolve("髙知県髙知市丸ノ内1-2-20"),
        loc("Kochi-ken", "Kochi-shi")
    );
    // The error still quotes the address as given.
    assert!(matches!(
        Locality::from_address("長﨑県佐世保町", City),
        Err(LocalityError::UnknownMunicipality { address, .. }) if address == "長﨑県佐世保町"
    ));
}

// ---- designated cities: the city by default, the ward as a setting ----

#[test]
fn designated_city_wards_setting() {
    assert_eq!(DesignatedCityWards::default(), City);
    assert_eq!("ward".parse(), Ok(Ward));
    assert_eq!(City.to_string().parse(), Ok(City));
    assert!("wards"
        .parse::<DesignatedCityWards>()
        .unwrap_err()
        .contains("\"city\""));
    let cases = [
        (
            "大阪府大阪市北区梅田1",
            "Osaka-fu",
            "Osaka-shi",
            "Osaka-shi-Kita-ku",
        ),
        (
            "北海道札幌市中央区北1条西2丁目",
            "Hokkaido",
            "Sapporo-shi",
            "Sapporo-shi-Chuo-ku",
        ),
        (
            "福岡県北九州市小倉北区城内1-1",
            "Fukuoka-ken",
            "Kitakyushu-shi",
            "Kitakyushu-shi-Kokurakita-ku",
        ),
        // Tokyo's special wards are municipalities: the same in both forms.
        (
            "東京都北区王子本町1-15-22",
            "Tokyo-to",
            "Kita-ku",
            "Kita-ku",
        ),
        // No ward named, or one the table does not know (浜松市 since 2024): the city.
        ("大阪府大阪市", "Osaka-fu", "Osaka-shi", "Osaka-shi"),
        (
            "静岡県浜松市中央区元城町103-2",
            "Shizuoka-ken",
            "Hamamatsu-shi",
            "Hamamatsu-shi",
        ),
    ];
    for (address, prefecture, city, ward) in cases {
        assert_eq!(
            Locality::from_address(address, City),
            Ok(loc(prefecture, city))
        );
        assert_eq!(
            Locality::from_address(address, Ward),
            Ok(loc(prefecture, ward))
        );
    }
    for value in ["271276", "大阪府大阪市北区", "大阪市北区"] {
        assert_eq!(
            Locality::parse_override(value, City),
            Ok(loc("Osaka-fu", "Osaka-shi"))
        );
        let ward = Ok(loc("Osaka-fu", "Osaka-shi-Kita-ku"));
        assert_eq!(Locality::parse_override(value, Ward), ward, "{value}");
    }
    // A romaji override is taken as it is.
    let given = Locality::parse_override("Osaka-fu/Osaka-shi", Ward);
    assert_eq!(given, Ok(loc("Osaka-fu", "Osaka-shi")));
}

// ---- --locality as a code or a Japanese name ----

#[test]
fn override_by_code() {
    let shinagawa = Ok(loc("Tokyo-to", "Shinagawa-ku"));
    for value in ["131091", " 131091 ", "１３１０９１"] {
        assert_eq!(
            Locality::parse_override(value, City),
            shinagawa,
            "{value:?}"
        );
    }
    assert_eq!(
        Locality::parse_override("271004", Ward),
        Ok(loc("Osaka-fu", "Osaka-shi"))
    );
    assert_eq!(
        Locality::parse_override("014630", City),
        Ok(loc("Hokkaido", "Shimukappu-mura"))
    );
    for value in ["13109", "1310910", "0"] {
        let err = Locality::parse_override(value, City).unwrap_err();
        assert_eq!(
            err,
            LocalityError::OverrideCodeLength {
                value: value.into()
            }
        );
    }
}

#[test]
fn unknown_code_names_the_nearest_codes() {
    let err = Locality::parse_override("131092", City).unwrap_err();
    let LocalityError::OverrideUnknownCode { nearest, .. } = &err else {
        panic!("{err:?}")
    };
    assert_eq!(nearest.0[0], "東京都品川区 (131091, Tokyo-to/Shinagawa-ku)");
    assert!(nearest.0.len() <= 3, "{nearest}");
    let message = err.to_string();
    assert!(
        message.starts_with("invalid --locality \"131092\": no municipality"),
        "{message}"
    );
    assert!(message.contains("nearest: 東京都品川区 (131091, Tokyo-to/Shinagawa-ku) or "));
    // A prefecture's code is not a municipality's.
    assert!(matches!(
        Locality::parse_override("130001", City),
        Err(LocalityError::OverrideUnknownCode { .. })
    ));
    // Nothing near: said so.
    let err = Locality::parse_override("999999", City).unwrap_err();
    assert!(err.to_string().contains("(nearest: none)"), "{err}");
}

#[test]
fn override_by_japanese_name() {
    let shinagawa = Ok(loc("Tokyo-to", "Shinagawa-ku"));
    for value in ["東京都品川区", "品川区", " 東京都　品川区 "] {
        assert_eq!(
            Locality::parse_override(value, City),
            shinagawa,
            "{value:?}"
        );
    }
    let shimukappu = Ok(loc("Hokkaido", "Shimukappu-mura"));
    for value in ["北海道勇払郡占冠村", "勇払郡占冠村", "占冠村"] {
        assert_eq!(
            Locality::parse_override(value, City),
            shimukappu,
            "{value:?}"
        );
    }
    // Tokyo's 北区 is the only municipality of that name (the others are wards).
    assert_eq!(
        Locality::parse_override("北区", Ward),
        Ok(loc("Tokyo-to", "Kita-ku"))
    );
    // Hokkaido's two 泊村 give the same locality.
    assert_eq!(
        Locality::parse_override("泊村", City),
        Ok(loc("Hokkaido", "Tomari-mura"))
    );
    assert_eq!(
        Locality::parse_override("広島県府中市", City),
        Ok(loc("Hiroshima-ken", "Fuchu-shi"))
    );
}

#[test]
fn ambiguous_japanese_name_lists_the_candidates() {
    let err = Locality::parse_override("府中市", City).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid --locality \"府中市\": 東京都府中市 (132063, Tokyo-to/Fuchu-shi) or \
         広島県府中市 (342084, Hiroshima-ken/Fuchu-shi); add the prefecture \
         (e.g. 東京都府中市) or give the code"
    );
}

#[test]
fn unknown_japanese_name_names_the_nearest() {
    let cases = [
        (
            "東京都品川町",
            "東京都品川区 (131091, Tokyo-to/Shinagawa-ku)",
        ),
        ("品川町", "東京都品川区 (131091, Tokyo-to/Shinagawa-ku)"),
        (
            "大阪市北",
            "大阪府大阪市北区 (271276, Osaka-fu/Osaka-shi, ward Kita-ku)",
        ),
    ];
    for (value, first) in cases {
        match Locality::parse_override(value, City) {
            Err(LocalityError::OverrideUnknownName { nearest, .. }) => {
                assert_eq!(
                    nearest.0.first().map(String::as_str),
                    Some(first),
                    "{value}"
                )
            }
            other => panic!("{value}: {other:?}"),
        }
    }
    // The whole name must match: no address, no prefecture alone.
    for value in ["東京都品川区広町2-1-36", "東京都", "東京都/品川区x"] {
        assert!(Locality::parse_override(value, City).is_err(), "{value}");
    }
}

// ---- address errors ----

#[test]
fn unknown_municipality_error_names_the_nearest_and_the_option() {
    let err = Locality::from_address(" 東京都品川町1-1 ", City).unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot derive the municipality from address \"東京都品川町1-1\": no municipality of \
         Tokyo-to in the built-in table follows the prefecture (nearest: 東京都品川区 \
         (131091, Tokyo-to/Shinagawa-ku)); give it with --locality as PREF/MUNI in romaji \
         (e.g. Tokyo-to/Shinagawa-ku), a 6-digit code (e.g. 131091) or a Japanese name \
         (e.g. 東京都品川区)"
    );
    let (_, nearest) = unknown_municipality("北海道札晃市中央区");
    assert_eq!(nearest[0], "北海道札幌市 (011002, Hokkaido/Sapporo-shi)");
    let (_, nearest) = unknown_municipality("東京都ニューヨーク1-1");
    assert!(nearest.is_empty());
}

#[test]
fn every_error_is_one_line() {
    let addresses = ["", "ハワイ州", "東京都品川町1-1\n2"];
    let overrides = [
        "x",
        "/",
        "1",
        "131092",
        "府中市",
        "品川町",
        "a/東",
        "\n東京都\n",
    ];
    let errors = addresses
        .iter()
        .map(|a| Locality::from_address(a, City))
        .chain(overrides.iter().map(|o| Locality::parse_override(o, City)));
    for error in errors {
        let message = error.unwrap_err().to_string();
        assert!(!message.contains('\n'), "{message}");
    }
}

#[test]
fn unknown_prefecture_error_names_the_option() {
    for address in [
        "品川区広町2-1-36",
        "Tokyo-to Shinagawa-ku",
        "東京品川区",
        "ハワイ州",
    ] {
        let err = Locality::from_address(address, City).unwrap_err();
        assert_eq!(
            err,
            LocalityError::UnknownPrefecture {
                address: address.to_owned()
            }
        );
        let message = err.to_string();
        assert!(message.contains("--locality as PREF/MUNI"), "{message}");
        assert!(message.contains(address), "{message}");
    }
}

#[test]
fn empty_address_error_names_the_option() {
    for address in ["", "   ", "\u{3000}\u{3000}"] {
        let err = Locality::from_address(address, City).unwrap_err();
        assert_eq!(err, LocalityError::EmptyAddress);
        assert!(err.to_string().contains("--locality as PREF/MUNI"));
    }
}

// ---- overrides ----

#[test]
fn parse_override_valid() {
    let cases = [
        ("Tokyo-to/Shinagawa-ku", "Tokyo-to", "Shinagawa-ku"),
        ("Hiroshima-ken/Fuchu-shi", "Hiroshima-ken", "Fuchu-shi"),
        (" Hokkaido / Niseko-cho ", "Hokkaido", "Niseko-cho"),
        (
            "Kanagawa-ken/Yokohama-shi Naka-ku",
            "Kanagawa-ken",
            "Yokohama-shi Naka-ku",
        ),
        ("Area 51/Zone 9", "Area 51", "Zone 9"),
    ];
    for (input, prefecture, municipality) in cases {
        assert_eq!(
            Locality::parse_override(input, City),
            Ok(loc(prefecture, municipality))
        );
    }
}

#[test]
fn parse_override_separator_errors() {
    for input in [
        "Tokyo-to",
        "Tokyo-to Shinagawa-ku",
        "Tokyo-to/Shinagawa-ku/Hiromachi",
        "//",
        "",
    ] {
        let err = Locality::parse_override(input, City).unwrap_err();
        assert_eq!(
            err,
            LocalityError::OverrideSeparator {
                value: input.to_owned()
            }
        );
        assert!(err.to_string().contains("--locality"), "{err}");
    }
}

#[test]
fn parse_override_empty_part_errors() {
    let cases = [
        ("/Shinagawa-ku", LocalityPart::Prefecture),
        ("Tokyo-to/", LocalityPart::Municipality),
        ("  / Shinagawa-ku", LocalityPart::Prefecture),
        ("/", LocalityPart::Prefecture),
    ];
    for (input, part) in cases {
        let err = Locality::parse_override(input, City).unwrap_err();
        assert_eq!(
            err,
            LocalityError::OverrideEmptyPart {
                value: input.to_owned(),
                part
            }
        );
        let message = err.to_string();
        assert!(message.contains("--locality"), "{message}");
        assert!(
            message.contains(&format!("the {part} is empty")),
            "{message}"
        );
    }
}

#[test]
fn parse_override_rejects_non_ascii_and_punctuation() {
    let cases = [
        ("東京都/品川区", LocalityPart::Prefecture, '東'),
        ("Tokyo-to/品川区", LocalityPart::Municipality, '品'),
        ("Tōkyō-to/Shinagawa-ku", LocalityPart::Prefecture, 'ō'),
        ("Ｔｏｋｙｏ-to/Shinagawa-ku", LocalityPart::Prefecture, 'Ｔ'),
        ("Tokyo-to/Shinagawa_ku", LocalityPart::Municipality, '_'),
        ("Tokyo-to/Shinagawa,ku", LocalityPart::Municipality, ','),
        ("Tokyo\tto/Shinagawa-ku", LocalityPart::Prefecture, '\t'),
        (
            "Tokyo-to/Shinagawa\u{3000}ku",
            LocalityPart::Municipality,
            '\u{3000}',
        ),
    ];
    for (input, part, character) in cases {
        let err = Locality::parse_override(input, City).unwrap_err();
        assert_eq!(
            err,
            LocalityError::OverrideInvalidCharacter {
                value: input.to_owned(),
                part,
                character
            }
        );
        assert!(err.to_string().contains("--locality"), "{err}");
    }
}

#[test]
fn parse_override_length_limit() {
    let longest = "a".repeat(MAX_OVERRIDE_PART_LEN);
    let input = format!("{longest}/{longest}");
    assert_eq!(
        Locality::parse_override(&input, City),
        Ok(loc(&longest, &longest))
    );

    let too_long = "a".repeat(MAX_OVERRIDE_PART_LEN + 1);
    let input = format!("Tokyo-to/{too_long}");
    let err = Locality::parse_override(&input, City).unwrap_err();
    assert_eq!(
        err,
        LocalityError::OverridePartTooLong {
            value: input.clone(),
            part: LocalityPart::Municipality,
            max: MAX_OVERRIDE_PART_LEN
        }
    );
    assert!(err.to_string().contains("--locality"));
}

#[test]
fn display_is_the_override_syntax() {
    let locality = resolve("東京都品川区広町2-1-36");
    assert_eq!(locality.to_string(), "Tokyo-to/Shinagawa-ku");
    assert_eq!(
        Locality::parse_override(&locality.to_string(), City),
        Ok(locality)
    );
}
