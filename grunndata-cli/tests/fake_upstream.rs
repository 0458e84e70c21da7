//! `grunndata fake-upstream --write-config`: prints its URL once ready and writes a config that
//! `Config::from_file` reads, pointing at the fake's token endpoints and generated keys.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use grunndata_sync::config::Config;

/// Kills the server when the test ends, however it ends.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("fake-upstream-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap_or_else(|error| panic!("{}: {error}", dir.display()));
    dir
}

/// Starts `grunndata fake-upstream ARGS` and waits (at most a minute) for its first line.
fn start(args: &[&str]) -> (Server, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_grunndata"))
        .arg("fake-upstream")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("spawn: {error}"));
    let stdout = child.stdout.take();
    let server = Server(child);
    let (send, receive) = mpsc::channel();
    std::thread::spawn(move || {
        let mut line = String::new();
        if let Some(stdout) = stdout {
            let _ = BufReader::new(stdout).read_line(&mut line);
        }
        let _ = send.send(line);
    });
    let line = receive
        .recv_timeout(Duration::from_mins(1))
        .unwrap_or_else(|error| panic!("no URL printed: {error}"));
    (server, line.trim().to_owned())
}

#[cfg(unix)]
fn assert_private(path: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let mode = std::fs::metadata(path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()))
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600, "{}", path.display());
}

#[cfg(not(unix))]
fn assert_private(path: &Path) {
    assert!(path.is_file(), "{}", path.display());
}

#[test]
fn write_config_points_at_the_fake_and_its_keys() {
    let dir = fresh_dir("auth");
    let file = dir.join("fake.toml");
    let file_arg = file.to_string_lossy().into_owned();
    let (server, url) = start(&[
        "--listen",
        "127.0.0.1:0",
        "--scale",
        "0.001",
        "--write-config",
        &file_arg,
    ]);
    assert!(url.starts_with("http://127.0.0.1:"), "{url:?}");

    let config = Config::from_file(&file).unwrap_or_else(|error| panic!("config: {error}"));
    assert_eq!(
        config.brreg.base_url,
        format!("{url}/brreg/enhetsregisteret/api")
    );
    assert_eq!(config.ar.base_url, format!("{url}/ar"));
    assert_eq!(config.preg.base_url, format!("{url}/preg"));
    assert_eq!(config.hpr.rest_base_url, format!("{url}/hpr"));
    assert_eq!(config.hpr.soap_url, format!("{url}/hpr/v2/HPR/Basic"));
    assert_eq!(config.hpr.export_url, Some(format!("{url}/hpr/v1/eksport")));
    assert_eq!(
        config.helseid.token_endpoint,
        format!("{url}/helseid/connect/token")
    );
    assert_eq!(
        config.maskinporten.token_endpoint,
        format!("{url}/maskinporten/token")
    );
    assert!(config.helseid.client_id.is_some());
    assert!(config.maskinporten.client_id.is_some());

    let keys_dir = dir.join("fake-keys");
    for key in [&config.helseid.key_path, &config.maskinporten.key_path] {
        let key = key.as_deref().unwrap_or_else(|| panic!("key path missing"));
        assert!(key.starts_with(&keys_dir), "{}", key.display());
        assert_private(key);
    }
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn no_auth_writes_a_config_without_clients() {
    let dir = fresh_dir("no-auth");
    let file = dir.join("open.toml");
    let file_arg = file.to_string_lossy().into_owned();
    let (server, url) = start(&["--scale", "0.001", "--no-auth", "--write-config", &file_arg]);
    let config = Config::from_file(&file).unwrap_or_else(|error| panic!("config: {error}"));
    assert_eq!(config.ar.base_url, format!("{url}/ar"));
    assert!(config.helseid.client_id.is_none());
    assert!(config.maskinporten.key_path.is_none());
    assert!(!dir.join("open-keys").exists());
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
