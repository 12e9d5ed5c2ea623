//! Progress bars on a terminal, silence elsewhere (pipes, CI logs).

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

fn target() -> ProgressDrawTarget {
    if std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    }
}

/// A bar over `len` bytes of input, showing objects per second and the ETA.
pub fn bytes(len: u64, label: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(Some(len), target());
    bar.set_style(
        ProgressStyle::with_template(
            "{prefix} [{bar:30}] {bytes}/{total_bytes} {msg} eta {eta}",
        )
        .expect("valid template")
        .progress_chars("=> "),
    );
    bar.set_prefix(label.to_owned());
    bar
}

/// A counter of items with their rate, when the total is unknown.
pub fn counter(label: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, target());
    bar.set_style(
        ProgressStyle::with_template("{prefix} {spinner} {human_pos} objects ({per_sec}) {msg}")
            .expect("valid template"),
    );
    bar.set_prefix(label.to_owned());
    bar
}
