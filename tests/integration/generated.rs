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

/// Every page a man page names (`wa-cloud-media-list(1)`) is in `man/`, and `man/` holds
/// no page that is not generated.
#[test]
fn man_pages_name_only_pages_that_exist() {
    let pages: Vec<String> = cli::man_pages()
        .unwrap()
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    for (name, page) in cli::man_pages().unwrap() {
        let text = String::from_utf8(page).unwrap().replace("\\-", "-");
        for word in text.split_whitespace() {
            if let Some(named) = word.strip_suffix("(1)") {
                assert!(
                    pages.contains(&format!("{named}.1")),
                    "{name} names {named}(1), which does not exist"
                );
            }
        }
    }
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("man");
    for entry in std::fs::read_dir(dir).unwrap() {
        let file = entry.unwrap().file_name().into_string().unwrap();
        assert!(
            pages.contains(&file),
            "man/{file} is not generated any more"
        );
    }
}

/// Bash completes after the subcommand, as `wa-cloud send --im<TAB>`: the checked-in
/// script, loaded in bash, offers `--image` (clap-rs/clap#6421 broke this for programs
/// with a hyphen in their name).
#[test]
fn bash_completes_the_options_of_a_subcommand() {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("completions/wa-cloud.bash");
    let complete = |words: &str| {
        let test = format!(
            "source '{}'\nCOMP_WORDS=({words})\nCOMP_CWORD=$(( ${{#COMP_WORDS[@]}} - 1 ))\n\
             _wa__cloud wa-cloud \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"\n\
             printf '%s\\n' \"${{COMPREPLY[@]}}\"\n",
            script.display()
        );
        let run = crate::harness::wa_cloud(&[]).run_program("bash", &["-c", &test]);
        run.success();
        run.stdout.clone()
    };
    assert_eq!(complete("wa-cloud send --im"), "--image\n");
    assert!(complete("wa-cloud media ''").contains("list\n"));
    assert!(complete("wa-cloud media list --j").contains("--json"));
    assert!(complete("wa-cloud dev --graph-p").contains("--graph-port"));
}
