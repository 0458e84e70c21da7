//! `open_enum!`: an enum of the values we know plus `Other(String)` for the rest.
//!
//! Upstream registers add enum values without notice (Persontjenesten's `PersonStatusType`
//! already has ten). A closed serde enum would reject a whole record for one new word; these
//! enums keep the word instead, so the record is stored and a check can report it.
//!
//! Parsing is forgiving because one enum has several spellings in the wild: our canonical
//! snake_case (`strictly_confidential`), the upstream PascalCase (`StrictlyConfidential`) and
//! the FREG/Norwegian term (`strengtFortrolig`). Case, `_` and `-` are ignored when matching.
//! Serialisation always writes the canonical snake_case, or the kept text for `Other`.

/// Lower-cases and drops `_`, `-` and spaces, so that spellings of one word compare equal.
pub(crate) fn normalise(text: &str) -> String {
    text.chars()
        .filter(|c| !matches!(c, '_' | '-' | ' '))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Reads a string into `T` with `parse`, from the deserializer's own buffer where it can (no
/// `String` per value).
pub(crate) struct TextVisitor<T>(pub(crate) fn(&str) -> T);

impl<T> serde::de::Visitor<'_> for TextVisitor<T> {
    type Value = T;

    fn expecting(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("a string")
    }

    fn visit_str<E: serde::de::Error>(self, value: &str) -> Result<T, E> {
        Ok((self.0)(value))
    }
}

/// Declares an open enum. Each variant names its canonical text and any further aliases:
///
/// ```text
/// open_enum! {
///     /// Doc.
///     pub enum Status {
///         /// Doc.
///         Resident => "resident" | "bosatt",
///     }
/// }
/// ```
macro_rules! open_enum {
    (
        $(#[$meta:meta])*
        pub enum $name:ident {
            $(
                $(#[$vmeta:meta])*
                $variant:ident => $canonical:literal $(| $alias:literal)*,
            )+
        }
    ) => {
        $(#[$meta])*
        ///
        /// Values this version does not know are kept in `Other`, exactly as received.
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $(
                $(#[$vmeta])*
                $variant,
            )+
            /// A value this version does not know, kept exactly as received.
            Other(String),
        }

        impl $name {
            /// Every known value, in declaration order.
            pub const KNOWN: &'static [Self] = &[$(Self::$variant),+];

            /// The canonical text (snake_case), or the kept text for `Other`.
            pub fn as_str(&self) -> &str {
                match self {
                    $(Self::$variant => $canonical,)+
                    Self::Other(text) => text,
                }
            }

            /// Reads any known spelling (canonical, upstream PascalCase, Norwegian alias);
            /// anything else becomes `Other` with the text kept as received.
            pub fn parse(text: &str) -> Self {
                // The canonical JSON of the store and most upstream bodies spell a value
                // exactly one known way: matched without normalising (and allocating).
                $(
                    if text == $canonical $(|| text == $alias)* {
                        return Self::$variant;
                    }
                )+
                let key = $crate::model::open_enum::normalise(text);
                $(
                    if key == $crate::model::open_enum::normalise($canonical)
                        $(|| key == $crate::model::open_enum::normalise($alias))*
                    {
                        return Self::$variant;
                    }
                )+
                Self::Other(text.to_owned())
            }

            /// Whether this is a value this version knows (not `Other`).
            pub fn is_known(&self) -> bool {
                !matches!(self, Self::Other(_))
            }
        }

        impl ::std::fmt::Display for $name {
            fn fmt(&self, f: &mut ::std::fmt::Formatter<'_>) -> ::std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl ::std::str::FromStr for $name {
            type Err = ::std::convert::Infallible;

            fn from_str(text: &str) -> Result<Self, Self::Err> {
                Ok(Self::parse(text))
            }
        }

        impl ::serde::Serialize for $name {
            fn serialize<S: ::serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> ::serde::Deserialize<'de> for $name {
            fn deserialize<D: ::serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                deserializer.deserialize_str($crate::model::open_enum::TextVisitor(Self::parse))
            }
        }
    };
}

pub(crate) use open_enum;
