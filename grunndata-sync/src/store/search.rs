//! Name search: one normalisation for stored names and queries.
//!
//! SQLite's `LOWER` and `LIKE` fold ASCII only, and PostgreSQL's depend on the database
//! collation, so neither handles æ, ø, å the same way. Instead each record stores a
//! `name_search` column computed in Rust: the name lower-cased with full Unicode rules (`Ø` →
//! `ø`), split into words, each word preceded by a space (`" kari øie nordmann"`). A query
//! matches when every one of its words starts a word of the name, which is one
//! `name_search LIKE '% word%'` per query word — byte-for-byte the same on both backends.

/// The stored form of one or more names: `" word word …"`, lower-case, single spaces.
pub(crate) fn normalise<'a>(names: impl IntoIterator<Item = &'a str>) -> String {
    let mut out = String::new();
    for name in names {
        for word in words(name) {
            out.push(' ');
            out.push_str(&word);
        }
    }
    out
}

/// The words of `text`, lower-cased. White space, `-` and common punctuation separate words, so
/// `Lien-Hansen` is found by `hansen`; other punctuation at a word's ends is dropped.
pub(crate) fn words(text: &str) -> Vec<String> {
    text.split(|c: char| {
        c.is_whitespace() || matches!(c, ',' | ';' | '/' | '(' | ')' | '"' | '-' | '&' | '+')
    })
    .map(|word| word.trim_matches(|c: char| !c.is_alphanumeric()))
    .filter(|word| !word.is_empty())
    .map(str::to_lowercase)
    .collect()
}

/// `LIKE` patterns (with `\` as escape) for a query: one per query word.
pub(crate) fn like_patterns(query: &str) -> Vec<String> {
    words(query)
        .into_iter()
        .map(|word| {
            let mut pattern = String::from("% ");
            for c in word.chars() {
                if matches!(c, '%' | '_' | '\\') {
                    pattern.push('\\');
                }
                pattern.push(c);
            }
            pattern.push('%');
            pattern
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn norwegian_letters_fold() {
        assert_eq!(normalise(["ØSTRE Åsen ÆRØ"]), " østre åsen ærø");
        assert_eq!(
            normalise(["Kari  Nordmann", "Legekontor AS"]),
            " kari nordmann legekontor as"
        );
        assert_eq!(like_patterns("Ås 5%0"), vec!["% ås%", "% 5\\%0%"]);
        assert!(like_patterns("  ").is_empty());
    }

    #[test]
    fn punctuation_separates_words() {
        assert_eq!(
            words("Helse Bergen HF (Haukeland)"),
            ["helse", "bergen", "hf", "haukeland"]
        );
        assert_eq!(words("St. Olavs hospital"), ["st", "olavs", "hospital"]);
        assert_eq!(words("Lien-Hansen"), ["lien", "hansen"]);
    }
}
