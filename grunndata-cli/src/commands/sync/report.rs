//! The end-of-run report: a table for people, JSON for scripts.

use std::io::Write;

use comfy_table::{CellAlignment, Table, presets::UTF8_BORDERS_ONLY};
use grunndata_sync::engine::RunReport;

/// Writes the report as a table plus notes on re-snapshots, reconciliation and failures.
pub fn print_table(out: &mut impl Write, report: &RunReport) -> std::io::Result<()> {
    let mut table = Table::new();
    table.load_preset(UTF8_BORDERS_ONLY).set_header([
        "register",
        "mode",
        "fetched",
        "applied",
        "unchanged",
        "deleted",
        "removed",
        "quarantined",
        "flagged",
        "duration",
        "result",
    ]);
    for register in &report.registers {
        let counts = register.counts;
        let result = match (&register.error, register.caught_up) {
            (Some(_), _) => "FAILED",
            (None, true) => "ok",
            (None, false) => "stopped",
        };
        table.add_row([
            register.register.to_string(),
            register.mode.as_str().to_owned(),
            counts.fetched.to_string(),
            counts.applied.to_string(),
            counts.unchanged.to_string(),
            counts.deleted.to_string(),
            counts.swept.to_string(),
            counts.quarantined.to_string(),
            counts.flagged.to_string(),
            format!("{:.1}s", register.duration.as_secs_f64()),
            result.to_owned(),
        ]);
    }
    for column in 2..10 {
        if let Some(column) = table.column_mut(column) {
            column.set_cell_alignment(CellAlignment::Right);
        }
    }
    writeln!(out, "{table}")?;
    for register in &report.registers {
        let name = register.register;
        if let Some(reason) = &register.resnapshot_reason {
            writeln!(
                out,
                "{name}: re-snapshot ({reason}); {} records no longer upstream were removed (history kept)",
                register.counts.swept
            )?;
        }
        if let Some(reconciliation) = register.reconciliation {
            if reconciliation.agrees() {
                writeln!(
                    out,
                    "{name}: mirror holds {} records, as upstream's snapshot ({}{})",
                    reconciliation.mirror,
                    reconciliation.upstream,
                    quarantined_note(reconciliation.quarantined)
                )?;
            } else {
                writeln!(
                    out,
                    "{name}: COUNT DIFFERS: upstream's snapshot has {}, the mirror holds {}{}",
                    reconciliation.upstream,
                    reconciliation.mirror,
                    quarantined_note(reconciliation.quarantined)
                )?;
            }
        }
        if register.counts.quarantined > 0 {
            writeln!(
                out,
                "{name}: {} malformed records quarantined; see `grunndata status` and `grunndata check`",
                register.counts.quarantined
            )?;
        }
        if register.counts.sequence_gaps > 0 {
            writeln!(
                out,
                "{name}: {} sequence numbers missing from the feed; the pages were applied (a gap is not an expired cursor)",
                register.counts.sequence_gaps
            )?;
        }
        if let Some(error) = &register.error {
            writeln!(out, "{name}: {error}")?;
        }
    }
    if report.interrupted {
        writeln!(
            out,
            "stopped on request after the last whole batch; run again to continue"
        )?;
    }
    Ok(())
}

fn quarantined_note(quarantined: u64) -> String {
    if quarantined == 0 {
        String::new()
    } else {
        format!(", {quarantined} quarantined")
    }
}
