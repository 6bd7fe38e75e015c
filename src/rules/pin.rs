//! TEMPORARY stub, replaced by the real module.
use crate::rules::CertKind;
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Pin {
    kind: CertKind,
    value: String,
}
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PinError {
    #[error("bad pin")]
    Bad,
}
impl Pin {
    pub fn parse(kind: CertKind, value: &str) -> Result<Pin, PinError> {
        Ok(Pin {
            kind,
            value: value.into(),
        })
    }
    pub fn kind(&self) -> CertKind {
        self.kind
    }
    pub fn as_str(&self) -> &str {
        &self.value
    }
}
pub fn max_tries(kind: CertKind) -> u32 {
    match kind {
        CertKind::Sign => 5,
        CertKind::Auth => 3,
    }
}
