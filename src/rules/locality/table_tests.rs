//! Table-wide checks of the generated table (`table.rs`): its size, its names, codes
//! and romaji, and that the names of the earlier hand-written table come out the same.

use super::table::PREFECTURES;
use super::tests::{loc, resolve};
use super::*;
use std::collections::{HashMap, HashSet};
use DesignatedCityWards::{City, Ward};

fn municipalities() -> impl Iterator<Item = (&'static Prefecture, &'static Municipality)> {
    PREFECTURES
        .iter()
        .flat_map(|p| p.municipalities.iter().map(move |m| (p, m)))
}

fn wards() -> impl Iterator<
    Item = (
        &'static Prefecture,
        &'static Municipality,
        &'static Municipality,
    ),
> {
    municipalities().flat_map(|(p, m)| m.wards.iter().map(move |w| (p, m, w)))
}

#[test]
fn table_counts() {
    assert_eq!(PREFECTURES.len(), 47);
    assert_eq!(municipalities().count(), 1747);
    assert_eq!(wards().count(), 175);
    let designated = municipalities().filter(|(_, m)| !m.wards.is_empty());
    assert_eq!(designated.count(), 20);
    let tokyo = &PREFECTURES[12];
    assert_eq!(tokyo.kanji, "東京都");
    let special_wards = tokyo
        .municipalities
        .iter()
        .filter(|m| m.kanji.ends_with('区'));
    assert_eq!(special_wards.count(), 23);
    // 23 wards, 26 cities, 5 towns, 8 villages.
    assert_eq!(tokyo.municipalities.len(), 62);
}

#[test]
fn table_has_47_distinct_prefectures_none_a_prefix_of_another() {
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

/// Names are unique within a prefecture (wards within their city), but for two known
/// cases in Hokkaido: two villages named 泊村 (古宇郡 and, in the Northern Territories,
/// 国後郡), and 江差町 and 枝幸町, both read えさしちょう.
#[test]
fn table_names_are_unique_within_each_prefecture() {
    let mut kanji: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
    let mut romaji: HashMap<(&str, &str), Vec<&str>> = HashMap::new();
    for (p, m) in municipalities() {
        kanji.entry((p.kanji, m.kanji)).or_default().push(m.code);
        romaji.entry((p.kanji, m.romaji)).or_default().push(m.kanji);
        let ward_kanji: HashSet<_> = m.wards.iter().map(|w| w.kanji).collect();
        let ward_romaji: HashSet<_> = m.wards.iter().map(|w| w.romaji).collect();
        assert_eq!(ward_kanji.len(), m.wards.len(), "{}", m.kanji);
        assert_eq!(ward_romaji.len(), m.wards.len(), "{}", m.kanji);
    }
    kanji.retain(|_, codes| codes.len() > 1);
    romaji.retain(|_, names| names.len() > 1);
    let kanji: Vec<_> = kanji.into_iter().collect();
    assert_eq!(kanji, [(("北海道", "泊村"), vec!["014036", "016969"])]);
    let mut romaji: Vec<_> = romaji.into_iter().collect();
    romaji.sort();
    assert_eq!(
        romaji,
        [
            (("北海道", "Esashi-cho"), vec!["江差町", "枝幸町"]),
            (("北海道", "Tomari-mura"), vec!["泊村", "泊村"]),
        ]
    );
}

/// Every entry has the shape `^[A-Z][a-z]+-(to|fu|ken|shi|ku|machi|cho|mura|son)$` (or
/// is `Hokkaido`), with the suffix its kanji name ends in: plain Hepburn without
/// macrons, no apostrophe, long vowels written once.
#[test]
fn table_romaji_matches_kanji_suffix_and_shape() {
    // "oo" only where two words meet (周防 + 大島, 勝央 = しょう + おう, ...).
    let double_o = [
        "Shoo-cho",
        "Sanyoonoda-shi",
        "Suooshima-cho",
        "Toon-shi",
        "Bungoono-shi",
    ];
    let check = |kanji: &str, romaji: &str| {
        let suffixes: &[&str] = match kanji.chars().last() {
            Some('都') => &["to"],
            Some('府') => &["fu"],
            Some('県') => &["ken"],
            Some('市') => &["shi"],
            Some('区') => &["ku"],
            Some('町') => &["machi", "cho"],
            Some('村') => &["mura", "son"],
            other => panic!("unexpected suffix {other:?} in {kanji}"),
        };
        let (stem, suffix) = romaji.split_once('-').unwrap_or_else(|| panic!("{romaji}"));
        assert!(suffixes.contains(&suffix), "{kanji} {romaji}");
        let mut chars = stem.chars();
        assert!(
            chars.next().is_some_and(|c| c.is_ascii_uppercase()),
            "{romaji}"
        );
        assert!(chars.all(|c| c.is_ascii_lowercase()), "{romaji}");
        let lower = stem.to_ascii_lowercase();
        for long in ["ou", "uu"] {
            assert!(!lower.contains(long), "{romaji} contains {long:?}");
        }
        assert!(
            !lower.contains("oo") || double_o.contains(&romaji),
            "{romaji}"
        );
    };
    assert_eq!(PREFECTURES[0].romaji, "Hokkaido");
    for p in &PREFECTURES[1..] {
        check(p.kanji, p.romaji);
    }
    for (_, m) in municipalities() {
        check(m.kanji, m.romaji);
    }
    for (_, _, w) in wards() {
        check(w.kanji, w.romaji);
    }
}

/// The suffix follows the reading: 町 read まち is -machi, ちょう -cho; 村 read むら
/// -mura, そん -son.
#[test]
fn town_and_village_suffixes_follow_the_reading() {
    let cases = [
        ("北海道", "森町", "Mori-machi"),
        ("北海道", "ニセコ町", "Niseko-cho"),
        ("青森県", "平内町", "Hiranai-machi"),
        ("青森県", "おいらせ町", "Oirase-cho"),
        ("北海道", "占冠村", "Shimukappu-mura"),
        ("東京都", "檜原村", "Hinohara-mura"),
        ("沖縄県", "読谷村", "Yomitan-son"),
        ("鹿児島県", "大和村", "Yamato-son"),
    ];
    for (prefecture, kanji, romaji) in cases {
        let address = format!("{prefecture}{kanji}1");
        assert_eq!(resolve(&address).municipality, romaji, "{address}");
    }
}

/// The generator's romanisation, on well-known names (long vowels, っ, ん, readings
/// that differ from the kanji's usual ones).
#[test]
fn well_known_names() {
    let cases = [
        ("北海道札幌市", "Sapporo-shi"),
        ("宮城県仙台市", "Sendai-shi"),
        ("東京都千代田区", "Chiyoda-ku"),
        ("東京都八王子市", "Hachioji-shi"),
        ("三重県四日市市", "Yokkaichi-shi"),
        ("沖縄県那覇市", "Naha-shi"),
        ("群馬県高崎市", "Takasaki-shi"),
        ("香川県観音寺市", "Kanonji-shi"),
        ("北海道倶知安町", "Kutchan-cho"),
        ("岩手県一関市", "Ichinoseki-shi"),
        ("大阪府大阪狭山市", "Osakasayama-shi"),
        ("兵庫県姫路市", "Himeji-shi"),
    ];
    for (address, municipality) in cases {
        assert_eq!(resolve(address).municipality, municipality, "{address}");
    }
}

/// The six municipalities with 郡 in their own name are matched whole, not cut at the 郡.
#[test]
fn municipalities_named_with_gun() {
    let cases = [
        (
            "福島県郡山市朝日1-23-7",
            "郡山市",
            "Fukushima-ken",
            "Koriyama-shi",
        ),
        (
            "奈良県大和郡山市北郡山町248-4",
            "大和郡山市",
            "Nara-ken",
            "Yamatokoriyama-shi",
        ),
        (
            "愛知県蒲郡市旭町17-1",
            "蒲郡市",
            "Aichi-ken",
            "Gamagori-shi",
        ),
        (
            "福岡県小郡市小郡255-1",
            "小郡市",
            "Fukuoka-ken",
            "Ogori-shi",
        ),
        (
            "岐阜県郡上市八幡町島谷228",
            "郡上市",
            "Gifu-ken",
            "Gujo-shi",
        ),
        (
            "兵庫県赤穂郡上郡町大持278",
            "赤穂郡上郡町",
            "Hyogo-ken",
            "Kamigori-cho",
        ),
        ("兵庫県上郡町大持278", "上郡町", "Hyogo-ken", "Kamigori-cho"),
    ];
    for (address, name, prefecture, municipality) in cases {
        let expected = loc(prefecture, municipality);
        assert_eq!(resolve(address), expected, "{address}");
        let with_prefecture = format!("{}{name}", &address[..address.find(name).unwrap()]);
        for value in [name, &with_prefecture] {
            let parsed = Locality::parse_override(value, City);
            assert_eq!(parsed, Ok(expected.clone()), "{value}");
        }
    }
}

/// The JIS X 0402 check digit (as the package's verifyCheckDigit).
fn check_digit_ok(code: &str) -> bool {
    let d: Vec<u32> = code.chars().filter_map(|c| c.to_digit(10)).collect();
    let sum: u32 = d
        .iter()
        .take(5)
        .zip([6, 5, 4, 3, 2])
        .map(|(a, b)| a * b)
        .sum();
    d.len() == 6 && d[5] == (11 - sum % 11) % 10
}

#[test]
fn codes_are_unique_six_digits_with_a_valid_check_digit() {
    let mut seen = HashSet::new();
    for p in &PREFECTURES {
        assert!(
            check_digit_ok(p.code) && p.code[2..5] == *"000",
            "{}",
            p.code
        );
        assert!(seen.insert(p.code));
    }
    for (p, m) in municipalities() {
        assert!(check_digit_ok(m.code), "{} {}", m.code, m.kanji);
        assert_eq!(m.code[..2], p.code[..2], "{}", m.kanji);
        assert!(seen.insert(m.code), "{}", m.code);
    }
    for (p, _, w) in wards() {
        assert!(check_digit_ok(w.code), "{} {}", w.code, w.kanji);
        assert_eq!(w.code[..2], p.code[..2], "{}", w.kanji);
        assert!(seen.insert(w.code), "{}", w.code);
    }
    assert_eq!(seen.len(), 47 + 1747 + 175);
}

/// Every municipality is found from an address, from its code and from its Japanese
/// name, and gives its own romaji; so is every ward (city by default, city and ward
/// with the setting), and each result reads back through the override syntax.
#[test]
fn every_entry_resolves_from_address_code_and_name() {
    for (p, m) in municipalities() {
        let expected = loc(p.romaji, m.romaji);
        let address = format!("{}{}本町1-2-3", p.kanji, m.kanji);
        assert_eq!(resolve(&address), expected, "{address}");
        assert_eq!(Locality::parse_override(m.code, City), Ok(expected.clone()));
        let name = format!("{}{}", p.kanji, m.kanji);
        assert_eq!(Locality::parse_override(&name, Ward), Ok(expected.clone()));
        assert_eq!(
            Locality::parse_override(&expected.to_string(), City),
            Ok(expected)
        );
    }
    for (p, m, w) in wards() {
        let city = loc(p.romaji, m.romaji);
        let ward = loc(p.romaji, &format!("{}-{}", m.romaji, w.romaji));
        assert!(ward.municipality.len() <= MAX_OVERRIDE_PART_LEN);
        let address = format!("{}{}{}1-2-3", p.kanji, m.kanji, w.kanji);
        assert_eq!(resolve(&address), city, "{address}");
        assert_eq!(Locality::from_address(&address, Ward), Ok(ward.clone()));
        assert_eq!(Locality::parse_override(w.code, City), Ok(city));
        assert_eq!(Locality::parse_override(w.code, Ward), Ok(ward.clone()));
        assert_eq!(Locality::parse_override(&ward.to_string(), City), Ok(ward));
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
