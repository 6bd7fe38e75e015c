//! TEMPORARY stub, replaced by the real module.
use crate::rules::Date;
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Gender {
    Male,
    Female,
    Unknown,
}
impl Gender {
    pub fn code(self) -> char {
        match self {
            Gender::Male => '1',
            Gender::Female => '2',
            Gender::Unknown => '3',
        }
    }
    pub fn as_str(self) -> &'static str {
        match self {
            Gender::Male => "male",
            Gender::Female => "female",
            Gender::Unknown => "unknown",
        }
    }
}
impl std::str::FromStr for Gender {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "male" => Ok(Gender::Male),
            "female" => Ok(Gender::Female),
            "unknown" => Ok(Gender::Unknown),
            _ => Err("bad gender".into()),
        }
    }
}
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HolderName {
    pub surname: String,
    pub given: String,
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HolderError {
    #[error("bad name")]
    Bad,
}
impl HolderName {
    pub fn parse(s: &str) -> Result<Self, HolderError> {
        let mut p = s.split(' ');
        Ok(Self {
            surname: p.next().unwrap_or("").into(),
            given: p.next().unwrap_or("").into(),
        })
    }
    pub fn certificate_form(&self) -> String {
        format!("{}\u{3000}{}", self.surname, self.given)
    }
}
pub fn era_birth_date(birth: Date) -> String {
    format!(
        "4{:04}{:02}{:02}",
        birth.year(),
        u8::from(birth.month()),
        birth.day()
    )
}
pub fn certificate_address(a: &str) -> String {
    a.to_string()
}
pub fn substitute_flags(s: &str) -> String {
    s.chars().map(|_| '0').collect()
}
