//! The four mirrored registers: named by sources, configuration, the store and the checks,
//! so they live here, below all of them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// One of the mirrored registers; each has its own upstream client and its own table family
/// in the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Register {
    /// Brønnøysund Enhetsregisteret: organisations (main units and sub-units), key orgnr.
    Brreg,
    /// NHN Adresseregisteret: communication parties, key HER-id.
    Ar,
    /// Helsepersonellregisteret: health personnel, key HPR number.
    Hpr,
    /// NHN Persontjenesten: tracked persons only, key opaque person id.
    Preg,
}

impl Register {
    /// All registers, in the order `status` shows them.
    pub const ALL: [Self; 4] = [Self::Brreg, Self::Ar, Self::Hpr, Self::Preg];

    /// The register's name as used in the database and on the command line (`brreg`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Brreg => "brreg",
            Self::Ar => "ar",
            Self::Hpr => "hpr",
            Self::Preg => "preg",
        }
    }
}

impl fmt::Display for Register {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text was not the name of a register.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown register {0:?}; expected one of brreg, ar, hpr, preg")]
pub struct UnknownRegister(pub String);

impl FromStr for Register {
    type Err = UnknownRegister;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        Self::ALL
            .into_iter()
            .find(|register| register.as_str().eq_ignore_ascii_case(text))
            .ok_or_else(|| UnknownRegister(text.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for register in Register::ALL {
            assert_eq!(register.as_str().parse::<Register>(), Ok(register));
        }
        assert_eq!(" HPR ".parse::<Register>(), Ok(Register::Hpr));
        assert!("flr".parse::<Register>().is_err());
    }
}
