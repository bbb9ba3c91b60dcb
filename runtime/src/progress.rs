//! What a run shows while it works: a progress bar over the steps, and a
//! spinner for the phases before it. Both draw on stderr only when it is a
//! terminal and the user did not ask for quiet, so a piped or logged run
//! gets no control characters at all.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressState, ProgressStyle};
use std::io::IsTerminal;
use std::time::Duration;

/// Whether to draw: stderr is a terminal and not `quiet`.
fn drawing(quiet: bool) -> bool {
    !quiet && std::io::stderr().is_terminal()
}

/// A progress bar over the steps of a simulation: steps done of total,
/// steps per second, the real-time factor (simulated seconds per wall
/// second: above 1 is faster than real time) and the time left.
pub struct Progress {
    /// `None` when not drawing, so an update costs one branch.
    bar: Option<ProgressBar>,
}

impl Progress {
    /// A bar over `total_steps` steps of `dt` seconds; draws nothing when
    /// `quiet` or when stderr is not a terminal.
    pub fn new(total_steps: u64, dt: f64, quiet: bool) -> Progress {
        if !drawing(quiet) {
            return Progress { bar: None };
        }
        let style = ProgressStyle::with_template(
            "{wide_bar:.cyan/blue} {human_pos}/{human_len} steps · {rate} · {realtime} · ETA {eta}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .with_key(
            "rate",
            |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{:.0} steps/s", state.per_sec());
            },
        )
        .with_key(
            "realtime",
            move |state: &ProgressState, out: &mut dyn std::fmt::Write| {
                let _ = write!(out, "{:.2}× real time", state.per_sec() * dt);
            },
        )
        .progress_chars("█▉▊▋▌▍▎▏ ");
        let bar = ProgressBar::with_draw_target(Some(total_steps), ProgressDrawTarget::stderr())
            .with_style(style);
        Progress { bar: Some(bar) }
    }

    /// Moves the bar to `step` steps done. Cheap enough to call every few
    /// hundred steps: indicatif redraws at most 20 times a second.
    pub fn set_position(&self, step: u64) {
        if let Some(bar) = &self.bar {
            bar.set_position(step);
        }
    }

    /// Completes the bar and leaves its last line (total steps, the final
    /// rate) on the terminal.
    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish();
        }
    }
}

/// A phase before the simulation (parsing, expanding connectivity,
/// compiling kernels), shown as a spinner with a message while it runs.
pub struct Stage;

impl Stage {
    /// Runs `work` with a spinner and `message` (e.g. "expanding
    /// connectivity…") on a terminal unless `quiet`, and clears the spinner
    /// when `work` returns.
    pub fn run<T>(message: &str, quiet: bool, work: impl FnOnce() -> T) -> T {
        if !drawing(quiet) {
            return work();
        }
        let style = ProgressStyle::with_template("{spinner} {msg} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
        let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr())
            .with_style(style)
            .with_message(message.to_owned());
        spinner.enable_steady_tick(Duration::from_millis(100));
        let result = work();
        spinner.finish_and_clear();
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_quiet_bar_draws_nothing_and_takes_updates() {
        let progress = Progress::new(1000, 1e-4, true);
        assert!(progress.bar.is_none());
        progress.set_position(500);
        progress.finish();
        assert_eq!(Stage::run("working…", true, || 42), 42);
    }
}
