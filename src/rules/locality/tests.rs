use super::*;
use std::collections::HashSet;

fn loc(prefecture: &str, municipality: &str) -> Locality {
    Locality {
        prefecture: prefecture.to_owned(),
        municipality: municipality.to_owned(),
    }
}

fn resolve(address: &str) -> Locality {
    Locality::from_address(address).unwrap_or_else(|e| panic!("{address} should resolve, got: {e}"))
}

// ---- the table itself ----

#[test]
fn table_has_47_distinct_prefectures_none_a_prefix_of_another() {
    assert_eq!(PREFECTURES.len(), 47);
    let kanji: HashSet<_> = PREFECTURES.iter().map(|p| p.kanji).collect();
    let romaji: HashSet<_> = PREFECTURES.iter().map(|p| p.romaji).collect();
    assert_eq!(kanji.len(), 47);
    assert_eq!(romaji.len(), 47);
    for a in &PREFECTURES {
        for b in &PREFECTURES {
            if a.kanji != b.kanji {
                assert!(
                    !b.kanji.starts_with(a.kanji),
                    "{} prefixes {}",
                    a.kanji,
                    b.kanji
                );
            }
        }
    }
}

#[test]
fn table_entry_count() {
    let municipalities: usize = PREFECTURES.iter().map(|p| p.municipalities.len()).sum();
    assert_eq!(municipalities, 84);
    assert_eq!(PREFECTURES.len() + municipalities, 131);
}

#[test]
fn table_names_are_unique_within_each_prefecture() {
    for p in &PREFECTURES {
        let kanji: HashSet<_> = p.municipalities.iter().map(|m| m.kanji).collect();
        let romaji: HashSet<_> = p.municipalities.iter().map(|m| m.romaji).collect();
        assert_eq!(kanji.len(), p.municipalities.len(), "{}", p.kanji);
        assert_eq!(romaji.len(), p.municipalities.len(), "{}", p.romaji);
    }
}

/// The romaji suffix must match the kanji suffix, and the stem must look like plain
/// Hepburn without macrons: one capital letter, then lowercase ASCII letters.
#[test]
fn table_romaji_matches_kanji_suffix_and_shape() {
    fn check_stem(stem: &str, whole: &str) {
        let mut chars = stem.chars();
        let first = chars
            .next()
            .unwrap_or_else(|| panic!("empty stem in {whole}"));
        assert!(first.is_ascii_uppercase(), "{whole}");
        assert!(chars.all(|c| c.is_ascii_lowercase()), "{whole}");
        // Long vowels are written without macrons and without doubling (Hepburn as on
        // JPKI certificates: Tokyo, Kyoto, Otsu, Kitakyushu), so "ou"/"uu"/"oo" would be
        // a wapuro-style slip in this table.
        for long in ["ou", "uu", "oo"] {
            assert!(!stem.contains(long), "{whole} contains {long:?}");
        }
    }
    for p in &PREFECTURES {
        let stem = match p.kanji.chars().last() {
            Some('道') => {
                assert_eq!(p.romaji, "Hokkaido");
                p.romaji
            }
            Some('都') => p.romaji.strip_suffix("-to").expect(p.romaji),
            Some('府') => p.romaji.strip_suffix("-fu").expect(p.romaji),
            Some('県') => p.romaji.strip_suffix("-ken").expect(p.romaji),
            other => panic!("unexpected prefecture suffix {other:?} in {}", p.kanji),
        };
        check_stem(stem, p.romaji);
        for mu in p.municipalities {
            let stem = match mu.kanji.chars().last() {
                Some('市') => mu.romaji.strip_suffix("-shi"),
                Some('区') => mu.romaji.strip_suffix("-ku"),
                Some('町') => mu
                    .romaji
                    .strip_suffix("-machi")
                    .or_else(|| mu.romaji.strip_suffix("-cho")),
                Some('村') => mu
                    .romaji
                    .strip_suffix("-mura")
                    .or_else(|| mu.romaji.strip_suffix("-son")),
                other => panic!("unexpected municipality suffix {other:?} in {}", mu.kanji),
            }
            .expect(mu.romaji);
            check_stem(stem, mu.romaji);
        }
    }
}

#[test]
fn table_romaji_round_trips_through_the_override_syntax() {
    for p in &PREFECTURES {
        for mu in p.municipalities {
            let expected = loc(p.romaji, mu.romaji);
            assert_eq!(
                Locality::parse_override(&expected.to_string()),
                Ok(expected)
            );
        }
    }
}

// ---- every prefecture, via its capital ----

#[test]
fn every_prefecture_resolves_via_its_capital() {
    for p in &PREFECTURES {
        let capital = p
            .municipalities
            .iter()
            .find(|m| m.kanji == p.capital)
            .unwrap_or_else(|| panic!("capital of {} missing from its entries", p.kanji));
        let address = format!("{}{}本町1-2-3", p.kanji, p.capital);
        assert_eq!(resolve(&address), loc(p.romaji, capital.romaji));
    }
}

/// The same 47 cases written out independently of the table, to catch a slip in either.
#[test]
fn every_prefectural_capital_written_out() {
    let cases = [
        ("北海道札幌市中央区北3条西6丁目", "Hokkaido", "Sapporo-shi"),
        ("青森県青森市長島1-1-1", "Aomori-ken", "Aomori-shi"),
        ("岩手県盛岡市内丸10-1", "Iwate-ken", "Morioka-shi"),
        ("宮城県仙台市青葉区本町3-8-1", "Miyagi-ken", "Sendai-shi"),
        ("秋田県秋田市山王4-1-1", "Akita-ken", "Akita-shi"),
        ("山形県山形市松波2-8-1", "Yamagata-ken", "Yamagata-shi"),
        ("福島県福島市杉妻町2-16", "Fukushima-ken", "Fukushima-shi"),
        ("茨城県水戸市笠原町978-6", "Ibaraki-ken", "Mito-shi"),
        ("栃木県宇都宮市塙田1-1-20", "Tochigi-ken", "Utsunomiya-shi"),
        ("群馬県前橋市大手町1-1-1", "Gunma-ken", "Maebashi-shi"),
        (
            "埼玉県さいたま市浦和区高砂3-15-1",
            "Saitama-ken",
            "Saitama-shi",
        ),
        ("千葉県千葉市中央区市場町1-1", "Chiba-ken", "Chiba-shi"),
        ("東京都新宿区西新宿2-8-1", "Tokyo-to", "Shinjuku-ku"),
        (
            "神奈川県横浜市中区日本大通1",
            "Kanagawa-ken",
            "Yokohama-shi",
        ),
        ("新潟県新潟市中央区新光町4-1", "Niigata-ken", "Niigata-shi"),
        ("富山県富山市新総曲輪1-7", "Toyama-ken", "Toyama-shi"),
        ("石川県金沢市鞍月1-1", "Ishikawa-ken", "Kanazawa-shi"),
        ("福井県福井市大手3-17-1", "Fukui-ken", "Fukui-shi"),
        ("山梨県甲府市丸の内1-6-1", "Yamanashi-ken", "Kofu-shi"),
        ("長野県長野市南長野字幅下692-2", "Nagano-ken", "Nagano-shi"),
        ("岐阜県岐阜市薮田南2-1-1", "Gifu-ken", "Gifu-shi"),
        ("静岡県静岡市葵区追手町9-6", "Shizuoka-ken", "Shizuoka-shi"),
        ("愛知県名古屋市中区三の丸3-1-2", "Aichi-ken", "Nagoya-shi"),
        ("三重県津市広明町13", "Mie-ken", "Tsu-shi"),
        ("滋賀県大津市京町4-1-1", "Shiga-ken", "Otsu-shi"),
        (
            "京都府京都市上京区下立売通新町西入薮ノ内町",
            "Kyoto-fu",
            "Kyoto-shi",
        ),
        ("大阪府大阪市中央区大手前2", "Osaka-fu", "Osaka-shi"),
        ("兵庫県神戸市中央区下山手通5-10-1", "Hyogo-ken", "Kobe-shi"),
        ("奈良県奈良市登大路町30", "Nara-ken", "Nara-shi"),
        (
            "和歌山県和歌山市小松原通1-1",
            "Wakayama-ken",
            "Wakayama-shi",
        ),
        ("鳥取県鳥取市東町1-220", "Tottori-ken", "Tottori-shi"),
        ("島根県松江市殿町1", "Shimane-ken", "Matsue-shi"),
        ("岡山県岡山市北区内山下2-4-6", "Okayama-ken", "Okayama-shi"),
        (
            "広島県広島市中区基町10-52",
            "Hiroshima-ken",
            "Hiroshima-shi",
        ),
        ("山口県山口市滝町1-1", "Yamaguchi-ken", "Yamaguchi-shi"),
        ("徳島県徳島市万代町1-1", "Tokushima-ken", "Tokushima-shi"),
        ("香川県高松市番町4-1-10", "Kagawa-ken", "Takamatsu-shi"),
        ("愛媛県松山市一番町4-4-2", "Ehime-ken", "Matsuyama-shi"),
        ("高知県高知市丸ノ内1-2-20", "Kochi-ken", "Kochi-shi"),
        ("福岡県福岡市博多区東公園7-7", "Fukuoka-ken", "Fukuoka-shi"),
        ("佐賀県佐賀市城内1-1-59", "Saga-ken", "Saga-shi"),
        ("長崎県長崎市尾上町3-1", "Nagasaki-ken", "Nagasaki-shi"),
        (
            "熊本県熊本市中央区水前寺6-18-1",
            "Kumamoto-ken",
            "Kumamoto-shi",
        ),
        ("大分県大分市大手町3-1-1", "Oita-ken", "Oita-shi"),
        ("宮崎県宮崎市橘通東2-10-1", "Miyazaki-ken", "Miyazaki-shi"),
        (
            "鹿児島県鹿児島市鴨池新町10-1",
            "Kagoshima-ken",
            "Kagoshima-shi",
        ),
        ("沖縄県那覇市泉崎1-2-2", "Okinawa-ken", "Naha-shi"),
    ];
    assert_eq!(cases.len(), 47);
    let prefectures: HashSet<_> = cases.iter().map(|c| c.1).collect();
    assert_eq!(prefectures.len(), 47);
    for (address, prefecture, municipality) in cases {
        assert_eq!(resolve(address), loc(prefecture, municipality), "{address}");
    }
}

// ---- Tokyo ----

#[test]
fn all_23_special_wards() {
    let wards = [
        ("千代田区", "Chiyoda-ku"),
        ("中央区", "Chuo-ku"),
        ("港区", "Minato-ku"),
        ("新宿区", "Shinjuku-ku"),
        ("文京区", "Bunkyo-ku"),
        ("台東区", "Taito-ku"),
        ("墨田区", "Sumida-ku"),
        ("江東区", "Koto-ku"),
        ("品川区", "Shinagawa-ku"),
        ("目黒区", "Meguro-ku"),
        ("大田区", "Ota-ku"),
        ("世田谷区", "Setagaya-ku"),
        ("渋谷区", "Shibuya-ku"),
        ("中野区", "Nakano-ku"),
        ("杉並区", "Suginami-ku"),
        ("豊島区", "Toshima-ku"),
        ("北区", "Kita-ku"),
        ("荒川区", "Arakawa-ku"),
        ("板橋区", "Itabashi-ku"),
        ("練馬区", "Nerima-ku"),
        ("足立区", "Adachi-ku"),
        ("葛飾区", "Katsushika-ku"),
        ("江戸川区", "Edogawa-ku"),
    ];
    assert_eq!(wards.len(), 23);
    for (kanji, romaji) in wards {
        let address = format!("東京都{kanji}1丁目2番3号");
        assert_eq!(resolve(&address), loc("Tokyo-to", romaji));
    }
    let tokyo = PREFECTURES
        .iter()
        .find(|p| p.kanji == "東京都")
        .expect("Tokyo in table");
    let table_wards = tokyo
        .municipalities
        .iter()
        .filter(|m| m.kanji.ends_with('区'));
    assert_eq!(table_wards.count(), 23);
}

#[test]
fn tokyo_cities() {
    let cases = [
        ("東京都八王子市元本郷町3-24-1", "Hachioji-shi"),
        ("東京都町田市森野2-2-22", "Machida-shi"),
        ("東京都府中市宮西町2-24", "Fuchu-shi"),
        ("東京都調布市小島町2-35-1", "Chofu-shi"),
        ("東京都武蔵野市緑町2-2-28", "Musashino-shi"),
        ("東京都三鷹市野崎1-1-1", "Mitaka-shi"),
        ("東京都立川市泉町1156-9", "Tachikawa-shi"),
        ("東京都西東京市南町5-6-13", "Nishitokyo-shi"),
        ("東京都小平市小川町2-1333", "Kodaira-shi"),
        ("東京都日野市神明1-12-1", "Hino-shi"),
    ];
    for (address, municipality) in cases {
        assert_eq!(resolve(address), loc("Tokyo-to", municipality));
    }
}

#[test]
fn shinagawa_example_from_the_spec() {
    assert_eq!(
        resolve("東京都品川区広町2-1-36"),
        loc("Tokyo-to", "Shinagawa-ku")
    );
}

// ---- designated cities: the city, not the ward ----

#[test]
fn designated_cities_with_a_ward_resolve_to_the_city() {
    let cases = [
        ("北海道札幌市中央区北1条西2丁目", "Hokkaido", "Sapporo-shi"),
        ("宮城県仙台市青葉区国分町3-7-1", "Miyagi-ken", "Sendai-shi"),
        (
            "埼玉県さいたま市浦和区常盤6-4-4",
            "Saitama-ken",
            "Saitama-shi",
        ),
        ("千葉県千葉市中央区千葉港1-1", "Chiba-ken", "Chiba-shi"),
        (
            "神奈川県横浜市中区本町6-50-10",
            "Kanagawa-ken",
            "Yokohama-shi",
        ),
        (
            "神奈川県川崎市川崎区宮本町1",
            "Kanagawa-ken",
            "Kawasaki-shi",
        ),
        (
            "神奈川県相模原市中央区中央2-11-15",
            "Kanagawa-ken",
            "Sagamihara-shi",
        ),
        (
            "新潟県新潟市中央区学校町通1番町602-1",
            "Niigata-ken",
            "Niigata-shi",
        ),
        ("静岡県静岡市葵区追手町5-1", "Shizuoka-ken", "Shizuoka-shi"),
        (
            "静岡県浜松市中央区元城町103-2",
            "Shizuoka-ken",
            "Hamamatsu-shi",
        ),
        ("愛知県名古屋市中区三の丸3-1-1", "Aichi-ken", "Nagoya-shi"),
        (
            "京都府京都市中京区寺町通御池上る上本能寺前町488",
            "Kyoto-fu",
            "Kyoto-shi",
        ),
        ("大阪府大阪市北区梅田1", "Osaka-fu", "Osaka-shi"),
        ("大阪府堺市堺区南瓦町3-1", "Osaka-fu", "Sakai-shi"),
        ("兵庫県神戸市中央区加納町6-5-1", "Hyogo-ken", "Kobe-shi"),
        ("岡山県岡山市北区大供1-1-1", "Okayama-ken", "Okayama-shi"),
        (
            "広島県広島市中区国泰寺町1-6-34",
            "Hiroshima-ken",
            "Hiroshima-shi",
        ),
        (
            "福岡県北九州市小倉北区城内1-1",
            "Fukuoka-ken",
            "Kitakyushu-shi",
        ),
        ("福岡県福岡市中央区天神1-8-1", "Fukuoka-ken", "Fukuoka-shi"),
        (
            "熊本県熊本市中央区手取本町1-1",
            "Kumamoto-ken",
            "Kumamoto-shi",
        ),
    ];
    assert_eq!(cases.len(), 20);
    let cities: HashSet<_> = cases.iter().map(|c| c.2).collect();
    assert_eq!(cities.len(), 20);
    for (address, prefecture, municipality) in cases {
        assert_eq!(resolve(address), loc(prefecture, municipality), "{address}");
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
    assert_eq!(
        Locality::from_address("東京都京都市"),
        Err(LocalityError::UnknownMunicipality {
            address: "東京都京都市".to_owned(),
            prefecture: "Tokyo-to".to_owned(),
        })
    );
    assert_eq!(
        Locality::from_address("京都府港区"),
        Err(LocalityError::UnknownMunicipality {
            address: "京都府港区".to_owned(),
            prefecture: "Kyoto-fu".to_owned(),
        })
    );
    // "京都" without its suffix is not a prefecture, nor is "東京".
    assert!(matches!(
        Locality::from_address("京都市中京区"),
        Err(LocalityError::UnknownPrefecture { .. })
    ));
    assert!(matches!(
        Locality::from_address("東京品川区"),
        Err(LocalityError::UnknownPrefecture { .. })
    ));
}

#[test]
fn same_city_name_in_another_prefecture_is_not_in_the_table() {
    assert_eq!(
        resolve("東京都府中市宮西町2-24"),
        loc("Tokyo-to", "Fuchu-shi")
    );
    let err = Locality::from_address("広島県府中市府川町315").unwrap_err();
    assert_eq!(
        err,
        LocalityError::UnknownMunicipality {
            address: "広島県府中市府川町315".to_owned(),
            prefecture: "Hiroshima-ken".to_owned(),
        }
    );
    // A longer name that merely starts like a known city is not that city.
    assert!(matches!(
        Locality::from_address("大阪府大阪狭山市狭山1-2384-1"),
        Err(LocalityError::UnknownMunicipality { .. })
    ));
}

#[test]
fn longest_entry_wins() {
    let entries = [
        m("府中", "Fuchu"),
        m("府中市", "Fuchu-shi"),
        m("中", "Naka"),
    ];
    let hit = longest_prefix_match(&entries, "府中市宮西町").map(|m| m.romaji);
    assert_eq!(hit, Some("Fuchu-shi"));
    let hit = longest_prefix_match(&entries, "府中町").map(|m| m.romaji);
    assert_eq!(hit, Some("Fuchu"));
    assert!(longest_prefix_match(&entries, "港区").is_none());
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
    assert_eq!(
        Locality::from_address("長﨑県佐世保市"),
        Err(LocalityError::UnknownMunicipality {
            address: "長﨑県佐世保市".to_owned(),
            prefecture: "Nagasaki-ken".to_owned(),
        })
    );
}

// ---- address errors ----

#[test]
fn unknown_municipality_error_names_the_option() {
    let err = Locality::from_address(" 広島県府中市府川町315 ").unwrap_err();
    assert_eq!(
        err.to_string(),
        "cannot derive the municipality from address \"広島県府中市府川町315\": not in the \
         built-in table for Hiroshima-ken; give it with --locality PREF/MUNI \
         (e.g. Tokyo-to/Shinagawa-ku)"
    );
    let err = Locality::from_address("北海道虻田郡ニセコ町").unwrap_err();
    assert!(err.to_string().contains("--locality PREF/MUNI"), "{err}");
}

#[test]
fn unknown_prefecture_error_names_the_option() {
    for address in [
        "品川区広町2-1-36",
        "Tokyo-to Shinagawa-ku",
        "東京品川区",
        "ハワイ州",
    ] {
        let err = Locality::from_address(address).unwrap_err();
        assert_eq!(
            err,
            LocalityError::UnknownPrefecture {
                address: address.to_owned()
            }
        );
        let message = err.to_string();
        assert!(message.contains("--locality PREF/MUNI"), "{message}");
        assert!(message.contains(address), "{message}");
    }
}

#[test]
fn empty_address_error_names_the_option() {
    for address in ["", "   ", "\u{3000}\u{3000}"] {
        let err = Locality::from_address(address).unwrap_err();
        assert_eq!(err, LocalityError::EmptyAddress);
        assert!(err.to_string().contains("--locality PREF/MUNI"));
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
            Locality::parse_override(input),
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
        let err = Locality::parse_override(input).unwrap_err();
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
        let err = Locality::parse_override(input).unwrap_err();
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
        let err = Locality::parse_override(input).unwrap_err();
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
        Locality::parse_override(&input),
        Ok(loc(&longest, &longest))
    );

    let too_long = "a".repeat(MAX_OVERRIDE_PART_LEN + 1);
    let input = format!("Tokyo-to/{too_long}");
    let err = Locality::parse_override(&input).unwrap_err();
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
        Locality::parse_override(&locality.to_string()),
        Ok(locality)
    );
}
