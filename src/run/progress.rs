//! The live progress bar: done/total, failures, requests per second and ETA. Drawn only
//! on a terminal and never in `--quiet` or `--json` mode. A run that is one cell of a grid
//! (`evalkit decouple`) gets a label in front, e.g. `cell 2/6 ocr -> smollm2`.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::schedule::Counters;

/// Progress of one run.
pub struct Progress {
    bar: ProgressBar,
    started: Instant,
    label: Option<String>,
}

impl Progress {
    pub fn new(visible: bool, label: Option<String>) -> Self {
        let target = if visible {
            ProgressDrawTarget::stderr_with_hz(10)
        } else {
            ProgressDrawTarget::hidden()
        };
        let bar = ProgressBar::with_draw_target(Some(0), target);
        let style = ProgressStyle::with_template(
            "{bar:30.cyan/blue} {pos}/{len} {msg} [{elapsed_precise} eta {eta}]",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.enable_steady_tick(Duration::from_millis(250));
        if let Some(label) = &label {
            bar.set_message(label.clone());
        }
        Self {
            bar,
            started: Instant::now(),
            label,
        }
    }

    /// At least `n` items are known to exist.
    pub fn grow_to(&self, n: u64) {
        if self.bar.length().unwrap_or(0) < n {
            self.bar.set_length(n);
        }
    }

    /// One item finished.
    pub fn item_done(&self, counters: &Counters, failed_items: u64) {
        self.bar.inc(1);
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        let rps = counters.sent.load(Ordering::Relaxed) as f64 / secs;
        let prefix = self
            .label
            .as_ref()
            .map(|l| format!("{l} · "))
            .unwrap_or_default();
        self.bar
            .set_message(format!("{prefix}{failed_items} failed, {rps:.1} req/s"));
    }

    /// Prints a line above the bar (or to stderr when hidden and `always`).
    pub fn println(&self, line: &str) {
        if self.bar.is_hidden() {
            eprintln!("{line}");
        } else {
            self.bar.println(line);
        }
    }

    pub fn finish(&self) {
        self.bar.finish_and_clear();
    }
}
