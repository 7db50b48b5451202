//! `wa-cloud dev`: the whole loop on one machine, driven by `--script` with the example
//! bots, as a bot author would use it in CI.

use std::path::Path;

use crate::harness::wa_cloud;

fn example(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples")
        .join(name)
        .display()
        .to_string()
}

/// A 1×1 PNG.
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde\0\0\0\x0cIDATx\x9cc\xf8\xcf\xc0\0\0\x03\x01\x01\0\xc9\xfe\x92\xef\0\0\0\0IEND\xaeB`\x82";

#[test]
fn echo_bot_transcript() {
    let run = wa_cloud(&[
        "dev",
        "--handler",
        &example("echo.py"),
        "--script",
        "chat.txt",
    ])
    .file(
        "chat.txt",
        "# a comment\nhello\nexpect: You said: hello\nGrüße ☕\nexpect: You said: Grüße ☕\n",
    )
    .run();
    run.success().stdout_is(
        "> hello\n< You said: hello\n  ✓ expect: You said: hello\n> Grüße ☕\n< You said: Grüße ☕\n  ✓ expect: You said: Grüße ☕\n",
    );
}

#[test]
fn button_round_trip() {
    let run = wa_cloud(&[
        "dev",
        "--handler",
        &example("buttons_media.py"),
        "--script",
        "chat.txt",
    ])
    .file(
        "chat.txt",
        "menu\nexpect: What would you like?\n2\nexpect: One coffee, coming up.\n",
    )
    .run();
    run.success()
        .stdout_has("< What would you like?\n  1. Tea\n  2. Coffee\n")
        .stdout_has("> 2\n< One coffee, coming up.\n");
}

#[test]
fn media_round_trip_through_upload_and_download() {
    let command = wa_cloud(&[
        "dev",
        "--handler",
        &example("buttons_media.py"),
        "--script",
        "chat.txt",
    ]);
    let picture = command.dir().join("cat.png");
    std::fs::write(&picture, PNG).unwrap();
    let script = format!("/image {}\n", picture.display());
    let run = command.file("chat.txt", &script).run();
    run.success();
    let line = run
        .stdout
        .lines()
        .find(|l| l.starts_with("< [image] Right back at you "))
        .unwrap_or_else(|| panic!("{}", run.stdout));
    // The user's picture went up to the local Graph API, down to the bot (--download-media),
    // and back up through the bot's upload: same type, same size.
    assert!(
        line.ends_with(&format!("(image/png, {} bytes)", PNG.len())),
        "{line}"
    );
}

#[test]
fn a_bot_that_crashes_once_is_restarted_and_dev_exits_1() {
    let command = wa_cloud(&["dev", "--handler", "./flaky.py", "--script", "chat.txt"]);
    let bot = command.dir().join("flaky.py");
    std::fs::write(
        &bot,
        "#!/usr/bin/env python3\nimport json, os, sys\nfor line in sys.stdin:\n    ev = json.loads(line)\n    \
         if not os.path.exists('crashed'):\n        open('crashed', 'w').close()\n        sys.exit('boom')\n    \
         print(json.dumps({'to': ev['from'], 'text': ev['text']}), flush=True)\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bot, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = command
        .file("chat.txt", "first\nexpect: first\nsecond\nexpect: second\n")
        .run();
    // The message the bot crashed on is handed over again and answered.
    run.status(1)
        .stdout_has("< first\n  ✓ expect: first\n")
        .stdout_has("> second\n< second\n  ✓ expect: second\n")
        .stderr_has("the bot crashed 1 time");
    assert!(
        run.stderr.contains("boom"),
        "the bot's stderr is shown:\n{}",
        run.stderr
    );
}

#[test]
fn a_mismatched_expectation_fails_the_script() {
    wa_cloud(&[
        "dev",
        "--handler",
        &example("echo.py"),
        "--script",
        "chat.txt",
    ])
    .file("chat.txt", "hi\nexpect: something else\n")
    .run()
    .status(1)
    .stdout_has("✗ expect: something else (line 2)\n    but the bot said: You said: hi")
    .stderr_has("the script failed at line(s) 2")
    .stderr_has("did not match");
}

#[test]
fn a_per_message_shell_bot() {
    wa_cloud(&[
        "dev",
        "--per-message",
        "--handler",
        &example("echo.sh"),
        "--script",
        "chat.txt",
    ])
    .file("chat.txt", "hi there\nexpect: Echo: hi there\n")
    .run()
    .success();
}

#[test]
fn commands_for_other_kinds_of_messages() {
    let run = wa_cloud(&["dev", "--handler", &example("echo.py"), "--script", "chat.txt"])
        .file("chat.txt", "hi\n/location 52.52,13.40\n/react 👍\n/reply quoted\n/as 4915100000099\nnew me\n/quit\nnever sent\n")
        .run();
    run.success()
        .stdout_has("> /location 52.52,13.40\n< You sent a location\n")
        .stdout_has("> /react 👍\n< You said: 👍\n")
        .stdout_has("> /reply quoted\n< You said: quoted\n")
        .stdout_has("  (now chatting as 4915100000099)\n> new me\n< You said: new me\n");
    assert!(!run.stdout.contains("never sent"), "/quit ends the script");
}

/// The README's first command, as written, from the repository's root.
#[test]
fn the_readme_first_command_works() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md")).unwrap();
    let first = readme
        .lines()
        .find(|l| l.starts_with("cargo run"))
        .expect("a cargo run line");
    let command = first.split('#').next().unwrap().trim();
    let args: Vec<&str> = command
        .split_whitespace()
        .skip_while(|w| *w != "--")
        .skip(1)
        .collect();
    assert_eq!(
        args.first(),
        Some(&"dev"),
        "the first command runs `wa-cloud dev`: {command}"
    );
    wa_cloud(&args)
        .in_repository()
        .stdin("hello\n")
        .run()
        .success()
        .stdout_has("< You said: hello");
}

/// Every `examples/*.chat` passes, run as its first line says.
#[test]
fn the_example_scripts_pass() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut scripts: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "chat"))
        .collect();
    scripts.sort();
    assert!(scripts.len() >= 3, "{scripts:?}");
    for script in scripts {
        let text = std::fs::read_to_string(&script).unwrap();
        let command = text
            .lines()
            .next()
            .and_then(|l| l.strip_prefix("# wa-cloud "))
            .unwrap_or_else(|| {
                panic!(
                    "{}: the first line is `# wa-cloud dev ...`",
                    script.display()
                )
            });
        let args: Vec<&str> = command.split_whitespace().collect();
        let named = format!("examples/{}", script.file_name().unwrap().to_str().unwrap());
        assert!(
            args.contains(&named.as_str()),
            "{}: {command}",
            script.display()
        );
        let run = wa_cloud(&args).in_repository().run();
        run.success();
        let checks = text.lines().filter(|l| l.starts_with("expect")).count();
        assert_eq!(
            run.stdout.matches("  ✓ expect").count(),
            checks,
            "{}",
            run.stdout
        );
    }
}

fn echo_script(script: &str) -> crate::harness::Run {
    wa_cloud(&[
        "dev",
        "--handler",
        &example("echo.py"),
        "--script",
        "chat.txt",
    ])
    .file("chat.txt", script)
    .run()
}

/// The issue's example: an expectation checks the replies to the input just above it,
/// not the oldest reply not yet checked; the reply to `hello` is then unaccounted for.
#[test]
fn an_expectation_checks_the_replies_to_the_input_above_it() {
    echo_script("hello\nmenu\nexpect: You said: hello\n")
        .status(1)
        .stdout_has("> hello\n< You said: hello\n  ✗ no expect line accounts for this reply to line 1: You said: hello\n")
        .stdout_has("> menu\n< You said: menu\n  ✗ expect: You said: hello (line 3)\n    but the bot said: You said: menu\n")
        .stderr_has("the script failed at line(s) 1, 3");
}

#[test]
fn a_script_without_expectations_is_only_played() {
    echo_script("hello\nagain\n")
        .success()
        .stdout_is("> hello\n< You said: hello\n> again\n< You said: again\n");
}

#[test]
fn bad_lines_are_refused_before_the_bot_starts() {
    let command = wa_cloud(&["dev", "--handler", "./bot.sh", "--script", "chat.txt"]);
    let started = command.dir().join("started");
    let bot = format!("#!/bin/sh\ntouch '{}'\ncat >/dev/null\n", started.display());
    let run = command
        .file("bot.sh", &bot)
        .file(
            "chat.txt",
            "hi\nExpect: hi\n/location x\n/image missing.png\nexpect-media: gif\n",
        )
        .run();
    run.status(2)
        .stderr_has(
            "the script `chat.txt` cannot be played:\n  line 2: unknown directive `Expect:`",
        )
        .stderr_has("\n  line 3: /location needs LAT,LON")
        .stderr_has("\n  line 4: /image missing.png: there is no file `missing.png`")
        .stderr_has("\n  line 5: expect-media: needs a kind")
        .stdout_is("");
    assert!(!started.exists(), "the bot was started");
}

/// A bot that answers at once ("Thinking…", which acknowledges the message) and again a
/// second later: the second reply still belongs to the input, however loaded the machine.
#[test]
fn a_later_second_reply_is_waited_for_and_multi_line_text_matches() {
    let command = wa_cloud(&["dev", "--handler", "./slow.py", "--script", "chat.txt"]);
    executable(
        &command.dir().join("slow.py"),
        "#!/usr/bin/env python3\nimport json, sys, time\nfor line in sys.stdin:\n    ev = json.loads(line)\n    \
         print(json.dumps({'to': ev['from'], 'text': 'Thinking…'}), flush=True)\n    time.sleep(1)\n    \
         print(json.dumps({'to': ev['from'], 'text': 'Two\\nlines: ' + ev['text']}), flush=True)\n",
    );
    command
        .file(
            "chat.txt",
            "one\nexpect: Thinking…\nexpect: Two\\nlines: one\ntwo\nexpect~: ^Think\nexpect~: (?s)Two.lines: two$\n",
        )
        .run()
        .success()
        .stdout_has("< Two\n  lines: one\n  ✓ expect: Two\\nlines: one\n")
        .stdout_has("  ✓ expect~: (?s)Two.lines: two$\n");
}

/// A bot that holds its replies in its output buffer says nothing; the script fails at
/// the input it did not deal with, and says why that may be.
#[test]
fn a_bot_that_does_not_flush_fails_the_script_with_a_hint() {
    let command = wa_cloud(&[
        "dev",
        "--handler",
        "./buffered.py",
        "--script",
        "chat.txt",
        "--timeout",
        "2",
    ]);
    executable(
        &command.dir().join("buffered.py"),
        "#!/usr/bin/env python3\nimport json, sys\nfor line in sys.stdin:\n    ev = json.loads(line)\n    \
         print(json.dumps({'to': ev['from'], 'text': 'hi'}))\n",
    );
    command
        .file("chat.txt", "# first\nhello\nexpect: hi\n")
        .run()
        .status(1)
        .stderr_has("line 2: the bot did not deal with \"hello\" within 2 s")
        .stderr_has("does it flush its output after each line?");
}

#[test]
fn the_chat_hints_at_flushing_when_the_bot_says_nothing() {
    let command = wa_cloud(&["dev", "--handler", "./buffered.py", "--timeout", "2"]);
    executable(
        &command.dir().join("buffered.py"),
        "#!/usr/bin/env python3\nimport json, sys\nfor line in sys.stdin:\n    ev = json.loads(line)\n    \
         print(json.dumps({'to': ev['from'], 'text': 'hi'}))\n",
    );
    command
        .stdin("hello\n")
        .run()
        .success()
        .stdout_has("(the bot has not dealt with your messages after 2 s. Is the bot running, and does it flush");
}

fn executable(path: &Path, text: &str) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::write(path, text).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
fn the_chat_refuses_unknown_commands_and_sends_escaped_text() {
    wa_cloud(&["dev", "--handler", &example("echo.py")])
        .stdin("/shout hi\n\\/help\n")
        .run()
        .success()
        .stdout_has("  unknown command /shout; the commands are /image PATH")
        .stdout_has("< You said: /help\n");
}

#[test]
fn a_timeout_of_zero_is_a_usage_error() {
    wa_cloud(&["dev", "--handler", &example("echo.py"), "--timeout", "0"])
        .run()
        .status(2)
        .stderr_has("--timeout 0 would not wait for the bot at all");
}

/// A bot sends templates in the short form: the local Graph API holds `order_update`,
/// accepts the one that fits and shows it with its parameters filled in, and refuses
/// the one that does not with Meta's code.
#[test]
fn a_bot_sends_a_template_and_the_chat_shows_it_filled_in() {
    let command = wa_cloud(&["dev", "--handler", "./shop.py", "--script", "chat.txt"]);
    let bot = command.dir().join("shop.py");
    std::fs::write(
        &bot,
        r#"#!/usr/bin/env python3
import json, sys
for line in sys.stdin:
    ev = json.loads(line)
    if ev["text"] == "order":
        print(json.dumps({"to": ev["from"], "template": "order_update",
            "params": {"name": "Ada", "order_id": "A-17"},
            "header": {"image": {"link": "https://shop.example/receipt.png"}}, "buttons": {"0": "A-17"}}), flush=True)
    else:
        # Meta's full shape, without the order_id the template needs.
        print(json.dumps({"to": ev["from"], "type": "template", "template": {"name": "order_update",
            "language": {"code": "en_US"}, "components": [
                {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://shop.example/r.png"}}]},
                {"type": "body", "parameters": [{"type": "text", "text": "Ada", "parameter_name": "name"}]},
                {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "1"}]}]}}), flush=True)
        print(json.dumps({"to": ev["from"], "text": "sent the wrong one"}), flush=True)
"#,
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&bot, std::fs::Permissions::from_mode(0o755)).unwrap();
    let run = command
        .file(
            "chat.txt",
            "wrong\nexpect: sent the wrong one\norder\nexpect~: ^\\[template order_update\\]\n",
        )
        .run();
    run.success().stdout_has(
        "> order\n< [template order_update]\n  [image https://shop.example/receipt.png]\n  \
         Hi Ada, your order A-17 is on its way.\n  Reply STOP to opt out\n  \
         [Track order] → https://shop.example/track/A-17\n  [Stop updates]\n",
    );
    // Refused by the local Graph API as Meta would, naming what is missing.
    run.stdout_has("> wrong\n< sent the wrong one\n")
        .stderr_has("(#132000)")
        .stderr_has("body parameter {{order_id}}` is missing");
}
