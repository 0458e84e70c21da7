//! The machine a run was made on and the versions of everything measured, for the report.

use std::process::Command;

use serde::Serialize;

/// Cores, memory, CPU and versions.
#[derive(Debug, Clone, Serialize)]
pub struct Machine {
    /// Logical cores available to the process.
    pub cores: usize,
    /// Total memory, GiB.
    pub memory_gib: f64,
    /// The CPU model.
    pub cpu: String,
    /// The kernel release.
    pub kernel: String,
    /// "name version" of grunndata, the toolchain, SQLite and PostgreSQL.
    pub versions: Vec<String>,
}

impl Machine {
    /// Reads this machine; `postgres_server` is the server's version when PostgreSQL is used.
    pub fn read(postgres_server: Option<&str>) -> Self {
        let mut versions = vec![
            format!("grunndata {}", env!("CARGO_PKG_VERSION")),
            format!("SQLite library {}", rusqlite::version()),
        ];
        versions.extend(first_line("rustc", &["--version"]));
        versions.extend(first_line("sqlite3", &["--version"]).map(|v| {
            // "3.40.1 2022-12-28 14:03:47 <hash>": the version and date are enough.
            let short: Vec<&str> = v.split_whitespace().take(2).collect();
            format!("sqlite3 CLI {}", short.join(" "))
        }));
        versions.extend(first_line("psql", &["--version"]));
        if let Some(server) = postgres_server {
            versions.push(format!("PostgreSQL server {server}"));
        }
        Self {
            cores: std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
            memory_gib: memory_gib(),
            cpu: proc_field("/proc/cpuinfo", "model name").unwrap_or_else(|| "unknown CPU".into()),
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease").map_or_else(
                |_| "unknown kernel".into(),
                |k| format!("Linux {}", k.trim()),
            ),
            versions,
        }
    }
}

/// The first line a command prints, if it runs.
pub fn first_line(program: &str, args: &[&str]) -> Option<String> {
    let output = Command::new(program).args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .next()
        .map(|line| line.trim().to_owned())
}

fn proc_field(path: &str, field: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()?
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            (name.trim() == field).then(|| value.trim().to_owned())
        })
}

fn memory_gib() -> f64 {
    let kib: f64 = proc_field("/proc/meminfo", "MemTotal")
        .and_then(|value| value.split_whitespace().next()?.parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0 / 1024.0
}
