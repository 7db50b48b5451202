//! Help, version and usage errors, without configuration.

use crate::harness::wa_cloud;

#[test]
fn dev_needs_a_bot_that_can_run() {
    wa_cloud(&["dev"])
        .run()
        .status(2)
        .stderr_has("`wa-cloud dev` needs your bot: --handler CMD");
    wa_cloud(&["dev", "--handler", "./bot.py"])
        .run()
        .status(2)
        .stderr_has("`./bot.py` cannot be run: no such file");
}

#[test]
fn help_lists_the_commands() {
    let run = wa_cloud(&["--help"]).run();
    run.success()
        .stdout_has("send ")
        .stdout_has("Develop a bot locally");
}

#[test]
fn unknown_flags_are_usage_errors() {
    wa_cloud(&["send", "--no-such-flag"])
        .run()
        .status(2)
        .stderr_has("--no-such-flag");
}

#[test]
fn version_names_the_program() {
    wa_cloud(&["--version"]).run().success().stdout_is(concat!(
        "wa-cloud ",
        env!("CARGO_PKG_VERSION"),
        "\n"
    ));
}

/// Log lines are coloured on a terminal, unless NO_COLOR is set (no-color.org).
#[test]
fn no_color_turns_off_colour_in_log_lines() {
    let warning = |no_color: Option<&str>| {
        let mut command = wa_cloud(&["config"])
            .env("WHATSAPP_CLOUD_UNKNOWN_KEY", "1")
            .on_a_terminal();
        if let Some(value) = no_color {
            command = command.env("NO_COLOR", value);
        }
        let run = command.run();
        run.success()
            .stdout_has("ignoring unknown environment variable");
        run.stdout.clone()
    };
    assert!(warning(None).contains('\x1b'), "coloured on a terminal");
    assert!(!warning(Some("1")).contains('\x1b'), "NO_COLOR=1");
}

/// `-h` shows a subcommand's own options; `--help` also the global ones.
#[test]
fn short_help_leaves_the_global_options_to_long_help() {
    let short = wa_cloud(&["upload", "-h"]).run();
    short
        .success()
        .stdout_has("--force")
        .stdout_has("see more with '--help'");
    assert!(!short.stdout.contains("--db"), "{}", short.stdout);
    assert!(!short.stdout.contains("--log-format"), "{}", short.stdout);
    wa_cloud(&["upload", "--help"])
        .run()
        .success()
        .stdout_has("--db <PATH>")
        .stdout_has("--log-format <FORMAT>");
}

/// A failing command whose stderr is a pipe nobody reads exits with its own status, not
/// the 101 of a panic while reporting the error.
#[test]
fn a_closed_stderr_keeps_the_exit_status() {
    // python3 closes the pipe's reading end before wa-cloud starts: no race.
    let run = wa_cloud(&[])
        .file(
            "closed.py",
            "import os, subprocess, sys\nr, w = os.pipe()\nos.close(r)\n\
             sys.exit(subprocess.run(sys.argv[1:], stderr=w).returncode)\n",
        )
        .run_program(
            "python3",
            &[
                "closed.py",
                env!("CARGO_BIN_EXE_wa-cloud"),
                "upload",
                "missing.png",
            ],
        );
    run.status(2);
}
