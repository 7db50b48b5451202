//! Logs through `tracing`, always on stderr: stdout carries only data.
//!
//! `-v`/`-q` pick the level, `RUST_LOG` overrides it, `--log-format json` writes one JSON
//! object a line for log collectors. ureq is never allowed below `debug`: its `trace`
//! level dumps requests unredacted, Authorization header included.

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

use crate::cli::{GlobalArgs, LogFormat};

/// `default` is the level used without -v, -q or RUST_LOG.
pub(crate) fn init(args: &GlobalArgs, default: &str) {
    let level = match (args.quiet, args.verbose) {
        (true, _) => "error",
        (false, 0) => default,
        (false, 1) => "debug",
        (false, _) => "trace",
    };
    let mut filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new(format!("warn,wa_cloud={level}")));
    if filter.max_level_hint() == Some(tracing::level_filters::LevelFilter::TRACE) {
        // Keep ureq's wire dumps (which include the Authorization header) out, whatever the level.
        for directive in ["ureq=debug", "ureq_proto=debug"] {
            filter = filter.add_directive(directive.parse().expect("a valid directive"));
        }
    }
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match args.log_format {
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
        LogFormat::Text => builder
            .with_target(false)
            .with_ansi(colour(
                std::io::stderr().is_terminal(),
                std::env::var_os("NO_COLOR"),
            ))
            .try_init(),
    };
}

/// Whether log lines may be coloured: only on a terminal, and not when `NO_COLOR` is set
/// to anything but the empty string (no-color.org).
fn colour(terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    terminal && no_color.is_none_or(|value| value.is_empty())
}

#[cfg(test)]
mod tests {
    use super::colour;

    #[test]
    fn no_color_turns_colour_off_on_a_terminal() {
        assert!(colour(true, None));
        assert!(colour(true, Some("".into())));
        assert!(!colour(true, Some("1".into())));
        assert!(!colour(false, None));
    }
}
