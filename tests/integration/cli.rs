//! Parts not built yet say so; help and version work without configuration.

use crate::harness::wa_cloud;

#[test]
fn dev_without_graph_only_says_it_is_not_built_yet_and_fails() {
    wa_cloud(&["dev", "--handler", "./bot.py"])
        .run()
        .status(1)
        .stderr_has("only `wa-cloud dev --graph-only` (the local Graph API alone) is built so far");
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
