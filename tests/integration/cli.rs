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
