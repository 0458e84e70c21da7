//! The command-line tools the anchors run, from the machine's packages: installed with
//! `apt-get` when missing and this process may (as CI's setup does).

use std::process::Command;

use anyhow::{Context as _, bail};

/// Makes sure `program` runs, installing Debian's `package` if it does not and `apt-get` is
/// there to do it.
pub fn ensure(program: &str, package: &str) -> anyhow::Result<()> {
    if runs(program) {
        return Ok(());
    }
    eprintln!("{program} is missing: installing the Debian package {package}");
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-q", "--no-install-recommends", package])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .status()
            .with_context(|| {
                format!("{program} is missing and apt-get cannot run to install {package}")
            })
    };
    // A fresh machine may have no package lists yet: update them once and try again.
    let installed = install()?.success()
        || (Command::new("apt-get")
            .args(["update", "-q"])
            .status()
            .is_ok_and(|status| status.success())
            && install()?.success());
    if !installed || !runs(program) {
        bail!("{program} is missing; install the package {package} (apt-get install {package})");
    }
    Ok(())
}

fn runs(program: &str) -> bool {
    Command::new(program)
        .arg("--version")
        .output()
        .is_ok_and(|output| output.status.success())
}

/// Runs `command`, failing with its stderr when it fails.
pub fn run(command: &mut Command) -> anyhow::Result<()> {
    let output = command
        .output()
        .with_context(|| format!("running {command:?}"))?;
    if !output.status.success() {
        bail!(
            "{command:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    // sqlite3 reports some import errors on stderr with exit status 0.
    let stderr = String::from_utf8_lossy(&output.stderr);
    if stderr.to_lowercase().contains("error") {
        bail!("{command:?} reported: {}", stderr.trim());
    }
    Ok(())
}
