//! One line for an error and its causes.
//!
//! The error types of this crate say what failed in their message and link the cause with
//! `source()`, never both, so every cause is printed once: by `anyhow`'s `{:#}` in the binary,
//! or by [`error_chain`] where an error is kept as text (a run report, the sync state, a log
//! line).

/// `error` and each of its sources, joined by `": "` (`reading a record failed: database is
/// locked`). A cause whose text its parent already printed (some dependencies' errors do
/// both, sqlx's I/O error for one) is left out, so every cause shows once.
pub fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut parent = text.clone();
    let mut source = error.source();
    while let Some(cause) = source {
        let message = cause.to_string();
        if !message.is_empty() && !parent.contains(&message) {
            text.push_str(": ");
            text.push_str(&message);
        }
        parent = message;
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use std::fmt;

    use super::error_chain;

    #[derive(Debug)]
    struct Link(&'static str, Option<Box<Link>>);

    impl fmt::Display for Link {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str(self.0)
        }
    }

    impl std::error::Error for Link {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|link| link as _)
        }
    }

    fn link(text: &'static str, cause: Option<Link>) -> Link {
        Link(text, cause.map(Box::new))
    }

    #[test]
    fn prints_each_cause_once() {
        let io = link("Connection refused (os error 111)", None);
        let sqlx = link(
            "error communicating with database: Connection refused (os error 111)",
            Some(io),
        );
        let ours = link("cannot connect to PostgreSQL 127.0.0.1:1/x", Some(sqlx));
        assert_eq!(
            error_chain(&ours),
            "cannot connect to PostgreSQL 127.0.0.1:1/x: error communicating with database: \
             Connection refused (os error 111)"
        );
        let plain = link("a", Some(link("b", Some(link("c", None)))));
        assert_eq!(error_chain(&plain), "a: b: c");
    }
}
