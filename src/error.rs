//! Exit statuses and the one place where a failed command is reported.
//!
//! 0 success, 2 a usage or configuration error (nothing was sent), 1 any other failure.
//! Errors travel as `anyhow::Error`; a [`UsageError`] anywhere in the chain makes the exit
//! status 2, and a broken pipe (`wa-cloud send ... | head -1`) is not an error at all.

use std::io::{self, Write};
use std::process::ExitCode;

use crate::graph::GraphError;

pub(crate) use crate::usage_error::UsageError;

/// The first `max` characters of `text`, quoted, with `…` when there were more: an error
/// about a long value names it without repeating all of it (`{:.20?}` does not cut a
/// string).
pub(crate) fn excerpt(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((end, _)) => format!("{:?}…", &text[..end]),
        None => format!("{text:?}"),
    }
}

pub(crate) fn exit_code(err: &anyhow::Error) -> ExitCode {
    if is_broken_pipe(err) {
        ExitCode::SUCCESS
    } else if err.chain().any(|cause| cause.is::<UsageError>()) {
        ExitCode::from(2)
    } else {
        ExitCode::FAILURE
    }
}

fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain()
        .filter_map(|cause| cause.downcast_ref::<io::Error>())
        .any(|io| io.kind() == io::ErrorKind::BrokenPipe)
}

/// Prints the error once, on stderr: the whole chain on one line, then any hint.
pub(crate) fn report(err: &anyhow::Error, json: bool) {
    if is_broken_pipe(err) {
        return;
    }
    let hint = err
        .chain()
        .find_map(|cause| cause.downcast_ref::<GraphError>())
        .and_then(GraphError::hint);
    // Not eprintln!, which panics (exit 101) when stderr is a pipe nobody reads: the exit
    // status must still be the documented one.
    let mut stderr = io::stderr().lock();
    let _ = if json {
        let line = serde_json::json!({"level": "ERROR", "error": format!("{err:#}"), "hint": hint});
        writeln!(stderr, "{line}")
    } else {
        writeln!(stderr, "wa-cloud: error: {err:#}").and_then(|()| match hint {
            Some(hint) => writeln!(stderr, "wa-cloud: hint: {hint}"),
            None => Ok(()),
        })
    };
}
