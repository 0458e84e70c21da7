//! The error every identifier parser returns.
//!
//! Errors never carry the input itself: a person number in an error message would end up in
//! logs. They say what is wrong and where, which is what a user fixing a typo needs.

use thiserror::Error;

/// Why a string is not a valid identifier.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Error)]
#[non_exhaustive]
pub enum IdError {
    /// Nothing but white space and separators was given.
    #[error("empty input")]
    Empty,
    /// A character that is neither a digit nor an accepted separator (space, `-`, `:`).
    #[error("character {character:?} at position {position} is not a digit")]
    NonDigit {
        /// The offending character (never a digit, so it reveals nothing of the number).
        character: char,
        /// 1-based position in the input, counting characters.
        position: usize,
    },
    /// The number of digits is wrong for the identifier.
    #[error("wrong length: expected {expected} digits, found {found}")]
    WrongLength {
        /// Digits the identifier has.
        expected: usize,
        /// Digits the input has.
        found: usize,
    },
    /// The digit count fits no identifier that can be told apart without a hint.
    #[error(
        "cannot tell the identifier from {found} digits: 11 is a person number, 9 an organisasjonsnummer; name the kind for HPR-nummer, HER-id or RESH-id"
    )]
    UnknownKind {
        /// Digits the input has.
        found: usize,
    },
    /// The first check digit of a person number matches neither the classic nor the 2032 rule.
    #[error("check digit K1 does not match")]
    CheckDigit1,
    /// The second check digit of a person number does not match.
    #[error("check digit K2 does not match")]
    CheckDigit2,
    /// The check digit of an organisasjonsnummer does not match (or the number can never be issued).
    #[error("check digit does not match")]
    CheckDigit,
    /// Digits 3–4 of a person number are no month, nor a month plus one of the known offsets
    /// (40 for H-numbers and Dolly test numbers, 65 and 80 for test numbers).
    #[error("digits 3–4 ({month:02}) are no month, nor a month plus 40, 65 or 80")]
    ImpossibleMonth {
        /// Digits 3–4 as given.
        month: u8,
    },
    /// Digits 1–4 of a person number do not form a day and month that exist.
    #[error("impossible date: day {day} does not exist in month {month}")]
    ImpossibleDate {
        /// Day after removing the D-nummer offset.
        day: u8,
        /// Month after removing the H-nummer or synthetic offset.
        month: u8,
    },
    /// The number encodes a birth date after today.
    #[error("birth date is in the future")]
    FutureBirthDate,
    /// A numeric identifier must be a positive integer.
    #[error("must be a positive number")]
    NotPositive,
    /// A numeric identifier is larger than the registers allow (a 32-bit signed integer).
    #[error("too large: at most {max}")]
    TooLarge {
        /// The largest value accepted.
        max: u32,
    },
}
