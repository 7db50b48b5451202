//! `completions/` and `man/` are generated from the clap definitions; this test fails
//! (and rewrites them) when the checked-in files differ from what the CLI generates now.

use std::path::Path;

use clap_complete::Shell;
use wa_cloud::cli;

fn check(path: &Path, generated: &[u8], stale: &mut Vec<String>) {
    if std::fs::read(path).ok().as_deref() != Some(generated) {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, generated).unwrap();
        stale.push(path.display().to_string());
    }
}

#[test]
fn completions_and_man_pages_are_up_to_date() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut stale = Vec::new();
    for shell in [
        Shell::Bash,
        Shell::Zsh,
        Shell::Fish,
        Shell::PowerShell,
        Shell::Elvish,
    ] {
        let mut script = Vec::new();
        cli::write_completions(shell, &mut script);
        check(
            &root
                .join("completions")
                .join(cli::completion_file_name(shell)),
            &script,
            &mut stale,
        );
    }
    for (name, page) in cli::man_pages().unwrap() {
        check(&root.join("man").join(name), &page, &mut stale);
    }
    assert!(
        stale.is_empty(),
        "out of date, now regenerated; review and commit: {stale:?}"
    );
}

#[test]
fn completions_command_prints_the_checked_in_script() {
    let run = crate::harness::wa_cloud(&["completions", "bash"]).run();
    run.success();
    let mut script = Vec::new();
    cli::write_completions(Shell::Bash, &mut script);
    assert_eq!(run.stdout.as_bytes(), script.as_slice());
}
