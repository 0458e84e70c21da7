//! Where the mirror lives: parsing database URLs, the default SQLite path, and creating the
//! SQLite file with private permissions.

#[cfg(feature = "sqlite")]
use std::fs::{DirBuilder, OpenOptions};
#[cfg(feature = "sqlite")]
use std::io::ErrorKind;
#[cfg(feature = "sqlite")]
use std::path::Path;
use std::path::PathBuf;

use super::StoreError;

/// Which database a URL names.
#[derive(Clone, PartialEq, Eq)]
pub enum Location {
    /// An SQLite file (`sqlite://PATH` or `sqlite:PATH`).
    Sqlite(PathBuf),
    /// A PostgreSQL database (`postgres://…` or `postgresql://…`), URL kept for the driver.
    Postgres(String),
}

impl std::fmt::Debug for Location {
    /// Never prints a PostgreSQL URL (it may hold a password).
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Sqlite(path) => f.debug_tuple("Sqlite").field(path).finish(),
            Self::Postgres(_) => f.write_str("Postgres([redacted])"),
        }
    }
}

impl Location {
    /// Parses a database URL, choosing the backend by scheme.
    ///
    /// `sqlite:///var/lib/grunndata.db` and `sqlite:/var/lib/grunndata.db` are absolute;
    /// `sqlite://grunndata.db` and `sqlite:grunndata.db` are relative to the working directory.
    /// In-memory SQLite and URL options (`?mode=…`) are refused: the mirror is a file with
    /// fixed settings.
    pub fn parse(url: &str) -> Result<Self, StoreError> {
        let url = url.trim();
        let invalid = |reason: &str| StoreError::InvalidUrl {
            reason: reason.to_owned(),
        };
        if let Some(rest) = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
        {
            if rest.contains('?') {
                return Err(invalid(
                    "SQLite URL options are not supported; give only the file path",
                ));
            }
            if rest.is_empty() {
                return Err(invalid("the SQLite URL has no file path"));
            }
            if rest == ":memory:" || rest.starts_with(":memory:") {
                return Err(invalid(
                    "in-memory SQLite is not supported; the mirror must be a file",
                ));
            }
            return Ok(Self::Sqlite(PathBuf::from(rest)));
        }
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            return Ok(Self::Postgres(url.to_owned()));
        }
        let scheme = url.split_once(':').map_or("", |(scheme, _)| scheme);
        Err(invalid(&format!(
            "unsupported scheme {scheme:?}; use sqlite://PATH or postgres://…"
        )))
    }
}

/// The default SQLite file: `$XDG_DATA_HOME/grunndata/grunndata.db`, or
/// `~/.local/share/grunndata/grunndata.db` when `XDG_DATA_HOME` is unset, empty or relative
/// (the XDG Base Directory rule).
pub fn default_sqlite_path() -> Result<PathBuf, StoreError> {
    default_sqlite_path_from(std::env::var_os("XDG_DATA_HOME"), std::env::var_os("HOME"))
}

/// The XDG rule over given values of `XDG_DATA_HOME` and `HOME`.
fn default_sqlite_path_from(
    xdg_data_home: Option<std::ffi::OsString>,
    home: Option<std::ffi::OsString>,
) -> Result<PathBuf, StoreError> {
    let xdg = xdg_data_home
        .map(PathBuf::from)
        .filter(|path| path.is_absolute());
    let home = || {
        home.map(PathBuf::from)
            .filter(|path| path.is_absolute())
            .map(|home| home.join(".local").join("share"))
    };
    let data = xdg.or_else(home).ok_or(StoreError::NoDataDir)?;
    Ok(data.join("grunndata").join("grunndata.db"))
}

/// `sqlite://` + [`default_sqlite_path`].
pub fn default_url() -> Result<String, StoreError> {
    Ok(format!("sqlite://{}", default_sqlite_path()?.display()))
}

/// Makes `options` create files readable by their owner only (mode 0600 on Unix; elsewhere
/// the directory's ACLs apply).
#[cfg(feature = "sqlite")]
pub(crate) fn private_file(options: &mut OpenOptions) {
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(options, 0o600);
    #[cfg(not(unix))]
    let _ = options;
}

/// Creates the database's directory (mode 0700, only the levels that are missing) and the file
/// itself (mode 0600) if it does not exist, so that it never exists with wider permissions.
/// An existing file is left as it is.
#[cfg(feature = "sqlite")]
pub(crate) fn prepare_sqlite_file(path: &Path) -> Result<(), StoreError> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty())
        && !dir.exists()
    {
        let mut builder = DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(dir).map_err(|source| StoreError::Create {
            what: "directory",
            path: dir.to_owned(),
            source,
        })?;
    }
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    private_file(&mut options);
    match options.open(path) {
        Ok(_) => Ok(()),
        Err(error) if error.kind() == ErrorKind::AlreadyExists => Ok(()),
        Err(source) => Err(StoreError::Create {
            what: "database file",
            path: path.to_owned(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_urls() {
        let table = [
            ("sqlite:///var/lib/g.db", Some("/var/lib/g.db")),
            ("sqlite:/var/lib/g.db", Some("/var/lib/g.db")),
            ("sqlite://g.db", Some("g.db")),
            ("sqlite:g.db", Some("g.db")),
        ];
        for (url, path) in table {
            assert_eq!(
                Location::parse(url).ok(),
                path.map(|path| Location::Sqlite(PathBuf::from(path))),
                "{url}"
            );
        }
        for url in ["postgres://u@h/db", "postgresql://h/db"] {
            assert!(matches!(Location::parse(url), Ok(Location::Postgres(_))));
        }
        for url in [
            "sqlite::memory:",
            "sqlite://",
            "sqlite://g.db?mode=ro",
            "mysql://h/db",
            "g.db",
        ] {
            assert!(Location::parse(url).is_err(), "{url}");
        }
    }

    #[test]
    fn default_path_follows_xdg() {
        let path = |xdg: Option<&str>, home: Option<&str>| {
            default_sqlite_path_from(xdg.map(Into::into), home.map(Into::into))
                .ok()
                .map(|path| path.display().to_string())
        };
        let table = [
            (
                Some("/x/data"),
                Some("/home/k"),
                Some("/x/data/grunndata/grunndata.db"),
            ),
            (
                None,
                Some("/home/k"),
                Some("/home/k/.local/share/grunndata/grunndata.db"),
            ),
            (
                Some(""),
                Some("/home/k"),
                Some("/home/k/.local/share/grunndata/grunndata.db"),
            ),
            (
                Some("rel/data"),
                Some("/home/k"),
                Some("/home/k/.local/share/grunndata/grunndata.db"),
            ),
            (None, None, None),
        ];
        for (xdg, home, expected) in table {
            assert_eq!(path(xdg, home).as_deref(), expected, "{xdg:?} {home:?}");
        }
    }

    #[test]
    fn postgres_debug_hides_password() {
        let location = Location::parse("postgres://u:secret@h/db").ok();
        assert!(!format!("{location:?}").contains("secret"));
    }
}
