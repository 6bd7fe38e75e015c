//! Matching text against the table, and the nearest names an error message offers.

use std::cmp::Reverse;

use super::table::PREFECTURES;
use super::{Locality, Municipality, Prefecture, ResolvedLocality};

/// Longest district name (郡, without it) looked for before a town or village, in
/// characters. The longest in use have four (西津軽郡, 東牟婁郡).
const MAX_DISTRICT_CHARS: usize = 6;

/// How many names an error message offers at most.
const MAX_NEAREST: usize = 3;

/// A place of the table: a municipality, or a ward of a designated city.
#[derive(Clone, Copy, Debug)]
pub(super) struct Place {
    pub(super) prefecture: &'static Prefecture,
    pub(super) municipality: &'static Municipality,
    pub(super) ward: Option<&'static Municipality>,
}

impl Place {
    /// The locality it gives.
    pub(super) fn resolved(&self) -> ResolvedLocality {
        ResolvedLocality {
            city: Locality {
                prefecture: self.prefecture.romaji.to_owned(),
                municipality: self.municipality.romaji.to_owned(),
            },
            ward: self.ward.map(|w| w.romaji),
        }
    }

    /// Its code: the ward's for a ward.
    fn code(&self) -> &'static str {
        self.ward.unwrap_or(self.municipality).code
    }

    /// Its Japanese name without the prefecture, e.g. `品川区`, `大阪市北区`.
    fn local_name(&self) -> String {
        let ward = self.ward.map_or("", |w| w.kanji);
        format!("{}{ward}", self.municipality.kanji)
    }

    /// For an error message: `東京都品川区 (131091, Tokyo-to/Shinagawa-ku)`, and for a
    /// ward `大阪府大阪市北区 (271276, Osaka-fu/Osaka-shi, ward Kita-ku)`.
    pub(super) fn describe(&self) -> String {
        let ward = self
            .ward
            .map_or(String::new(), |w| format!(", ward {}", w.romaji));
        format!(
            "{}{} ({}, {}/{}{ward})",
            self.prefecture.kanji,
            self.local_name(),
            self.code(),
            self.prefecture.romaji,
            self.municipality.romaji
        )
    }
}

/// The prefectures, in code order.
pub(super) fn prefectures() -> impl Iterator<Item = &'static Prefecture> {
    PREFECTURES.iter()
}

/// Every municipality and every ward of a designated city.
fn places() -> impl Iterator<Item = Place> {
    prefectures().flat_map(|prefecture| {
        prefecture
            .municipalities
            .iter()
            .flat_map(move |municipality| {
                let city = Place {
                    prefecture,
                    municipality,
                    ward: None,
                };
                std::iter::once(city).chain(municipality.wards.iter().map(move |ward| Place {
                    ward: Some(ward),
                    ..city
                }))
            })
    })
}

/// The prefecture whose full name starts `text`, and the text after it. No prefecture
/// name is a prefix of another (checked by a test), so the first match is the only one.
pub(super) fn prefecture(text: &str) -> Option<(&'static Prefecture, &str)> {
    prefectures().find_map(|p| text.strip_prefix(p.kanji).map(|rest| (p, rest)))
}

/// The longest entry whose kanji name starts `text`, if any.
pub(super) fn longest<'a>(entries: &'a [Municipality], text: &str) -> Option<&'a Municipality> {
    entries
        .iter()
        .filter(|m| text.starts_with(m.kanji))
        .max_by_key(|m| m.kanji.len())
}

/// Where a municipality may start in `text` (the part of an address after the
/// prefecture): at once, or after a district name (1 to [`MAX_DISTRICT_CHARS`]
/// characters, no digit, ending in 郡), whitespace skipped.
fn starts(text: &str) -> impl Iterator<Item = &str> {
    let text = text.trim_start();
    let districts = text.match_indices('郡').filter_map(move |(at, district)| {
        let name = &text[..at];
        let chars = name.chars().count();
        let plain = !name.chars().any(|c| c.is_numeric() || c.is_whitespace());
        ((1..=MAX_DISTRICT_CHARS).contains(&chars) && plain)
            .then(|| text[at + district.len()..].trim_start())
    });
    std::iter::once(text).chain(districts)
}

/// The municipality of `prefecture` that `text` (after the prefecture) names and the text
/// after it: the longest match at the start, else the longest right after the first
/// district name that is followed by one.
pub(super) fn municipality<'t>(
    prefecture: &'static Prefecture,
    text: &'t str,
) -> Option<(&'static Municipality, &'t str)> {
    starts(text).find_map(|start| {
        longest(prefecture.municipalities, start).map(|m| (m, &start[m.kanji.len()..]))
    })
}

/// The place `text` names as a whole: a municipality of `prefecture` (after a district,
/// perhaps), or a ward of one of its designated cities.
pub(super) fn whole_name(prefecture: &'static Prefecture, text: &str) -> Option<Place> {
    let (municipality, after) = municipality(prefecture, text)?;
    let ward = match after {
        "" => None,
        rest => Some(municipality.wards.iter().find(|w| w.kanji == rest)?),
    };
    Some(Place {
        prefecture,
        municipality,
        ward,
    })
}

/// The municipality or ward with this code.
pub(super) fn by_code(code: &str) -> Option<Place> {
    places().find(|place| place.code() == code)
}

/// Levenshtein distance between two strings, by characters.
fn distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = diagonal + usize::from(ca != cb);
            diagonal = row[j + 1];
            row[j + 1] = substitute.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// How many characters `a` and `b` start with in common.
fn common_prefix(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// The best [`MAX_NEAREST`] of the scored places (lower is nearer; ties in code order).
fn best<K: Ord>(scored: impl Iterator<Item = (K, Place)>) -> Vec<String> {
    let mut scored: Vec<(K, Place)> = scored.collect();
    scored.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.code().cmp(b.1.code())));
    scored
        .iter()
        .take(MAX_NEAREST)
        .map(|(_, place)| place.describe())
        .collect()
}

/// The municipalities of `prefecture` nearest to the start of `text` (an address after
/// the prefecture, or after a district): within an edit distance of half the name, the
/// longest common start first.
pub(super) fn nearest_in_address(prefecture: &'static Prefecture, text: &str) -> Vec<String> {
    let scored = prefecture.municipalities.iter().filter_map(|municipality| {
        let length = municipality.kanji.chars().count();
        let (d, shared) = starts(text)
            .map(|start| {
                let head: String = start.chars().take(length).collect();
                let d = distance(municipality.kanji, &head);
                (d, Reverse(common_prefix(municipality.kanji, start)))
            })
            .min()?;
        let place = Place {
            prefecture,
            municipality,
            ward: None,
        };
        (d <= (length / 2).max(1)).then_some(((d, shared), place))
    });
    best(scored)
}

/// The places whose code differs from `code` in at most two digits, by the number of
/// digits and then by numeric distance.
pub(super) fn nearest_codes(code: &str) -> Vec<String> {
    let value: i64 = code.parse().unwrap_or(0);
    let scored = places().filter_map(|place| {
        let differing = place
            .code()
            .bytes()
            .zip(code.bytes())
            .filter(|(a, b)| a != b)
            .count();
        let apart = (place.code().parse::<i64>().unwrap_or(0) - value).abs();
        (differing <= 2).then_some(((differing, apart), place))
    });
    best(scored)
}

/// The places whose Japanese name (with the prefecture if `text` starts with one) is
/// within an edit distance of two of `text`, and closer than its own length; the longest
/// common start first.
pub(super) fn nearest_names(text: &str) -> Vec<String> {
    let (within, rest) = match prefecture(text) {
        Some((p, rest)) => (Some(p), rest),
        None => (None, text),
    };
    let scored = places()
        .filter(|place| within.is_none_or(|p| std::ptr::eq(p, place.prefecture)))
        .filter_map(|place| {
            let name = place.local_name();
            let (d, shared) = starts(rest)
                .map(|start| (distance(&name, start), Reverse(common_prefix(&name, start))))
                .min()?;
            (d <= 2 && d < name.chars().count()).then_some(((d, shared), place))
        });
    best(scored)
}
