//! Progress bars on a terminal (indicatif), one per register.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use grunndata_sync::engine::{Progress, RegisterReport, SyncMode};
use grunndata_sync::store::Register;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};

/// Bars drawn on stderr while registers sync.
pub struct Bars {
    multi: MultiProgress,
    bars: Mutex<HashMap<Register, ProgressBar>>,
}

impl Bars {
    /// Bars on stderr.
    pub fn new() -> Self {
        Self {
            multi: MultiProgress::new(),
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn with_bar(&self, register: Register, change: impl FnOnce(&ProgressBar)) {
        if let Ok(mut bars) = self.bars.lock() {
            let bar = bars.entry(register).or_insert_with(|| {
                let bar = self.multi.add(ProgressBar::new_spinner());
                bar.enable_steady_tick(Duration::from_millis(120));
                bar
            });
            change(bar);
        }
    }
}

fn style(template: &str) -> ProgressStyle {
    ProgressStyle::with_template(template).unwrap_or_else(|_| ProgressStyle::default_bar())
}

impl Progress for Bars {
    fn started(&self, register: Register, mode: SyncMode, expected: Option<u64>) {
        self.with_bar(register, |bar| {
            bar.set_position(0);
            bar.set_prefix(format!("{register:<5} {:<11}", mode.as_str()));
            if let Some(total) = expected {
                bar.set_length(total);
                bar.set_style(style(
                    "{prefix} [{bar:30}] {human_pos}/{human_len} {per_sec} eta {eta}",
                ));
            } else {
                bar.unset_length();
                bar.set_style(style("{prefix} {spinner} {human_pos} read, {per_sec}"));
            }
        });
    }

    fn advanced(&self, register: Register, done: u64) {
        self.with_bar(register, |bar| bar.set_position(done));
    }

    fn finished(&self, report: &RegisterReport) {
        self.with_bar(report.register, |bar| {
            bar.set_style(style("{prefix} {msg}"));
            let message = match &report.error {
                Some(error) => format!("failed: {error}"),
                None if report.caught_up => format!("done, {} applied", report.counts.applied),
                None => "stopped".to_owned(),
            };
            bar.finish_with_message(message);
        });
    }
}
