//! Commands that are not built yet say so; help and version work without configuration.

use crate::harness::wa_cloud;

#[test]
fn commands_not_built_yet_say_so_and_fail() {
    wa_cloud(&["dev", "--some-flag", "x"])
        .run()
        .status(1)
        .stderr_has("`wa-cloud dev` is not built yet");
}

#[test]
fn help_marks_coming_commands() {
    let run = wa_cloud(&["--help"]).run();
    run.success()
        .stdout_has("send ")
        .stdout_has("[coming, not built yet] Develop a bot locally");
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
