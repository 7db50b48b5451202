//! The lines of `wa-cloud dev`: what the user types in the chat, and the directives of a
//! `--script` that check the bot's replies. Parsing is kept apart from running so that a
//! script is refused, with the number of its bad line, before any bot starts, and so that
//! a new chat command is one more arm here.

use std::path::{Path, PathBuf};

use regex::Regex;

use crate::message::Recipient;

/// One line the user typed (or a script played).
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Command {
    /// Chat text; a number may also pick a button or list row the bot offered.
    Text(String),
    /// `/image PATH`, `/document PATH`.
    Media { kind: &'static str, path: PathBuf },
    /// `/location LAT,LON`.
    Location { latitude: f64, longitude: f64 },
    /// `/react EMOJI`: a reaction to the bot's last message.
    React(String),
    /// `/reply TEXT`: a reply quoting the bot's last message.
    Reply(String),
    /// `/as NUMBER`: chat as another user from now on (digits, or a user id).
    As(String),
    /// `/to PHONE_NUMBER_ID`: write to this business number from now on.
    To(String),
    /// `/quit`.
    Quit,
}

/// The chat commands, as the help line and errors list them.
pub(super) const COMMANDS: &str = "/image PATH, /document PATH, /location LAT,LON, /react EMOJI, \
                                   /reply TEXT, /as NUMBER, /to PHONE_NUMBER_ID, /quit";

/// A check of one reply of the bot, from a script.
#[derive(Clone, Debug)]
pub(super) enum Expectation {
    /// `expect: TEXT`: the reply reads exactly TEXT (`\n` stands for a line break).
    Text(String),
    /// `expect~: REGEX`: the reply's text matches REGEX somewhere.
    Matches(Regex),
    /// `expect-media: KIND [CAPTION]`: the reply is media of KIND, with that caption if given.
    Media {
        kind: String,
        caption: Option<String>,
    },
}

/// A line of a script that does something.
#[derive(Clone, Debug)]
pub(super) enum Step {
    Input(Command),
    Expect(Expectation),
}

/// A step and the number of its line in the script, from 1.
#[derive(Clone, Debug)]
pub(super) struct Line {
    pub number: usize,
    pub text: String,
    pub step: Step,
}

const MEDIA_KINDS: &[&str] = &["image", "video", "audio", "document", "sticker"];

/// Parses what the user typed. Chat text is anything that does not start with `/`; a line
/// that starts with `\` is sent as the text after it (`\/help` sends `/help`).
pub(super) fn parse_command(line: &str) -> Result<Command, String> {
    if let Some(text) = line.strip_prefix('\\') {
        return Ok(Command::Text(text.to_string()));
    }
    if !line.starts_with('/') {
        return Ok(Command::Text(line.to_string()));
    }
    let (command, rest) = match line.split_once(char::is_whitespace) {
        Some((command, rest)) => (command, rest.trim()),
        None => (line, ""),
    };
    match command {
        "/quit" => Ok(Command::Quit),
        "/as" => match Recipient::parse(rest) {
            // A user id: a user known only by their username, with no phone.
            Ok(Recipient::Phone(id) | Recipient::UserId(id)) => Ok(Command::As(id)),
            _ => Err(format!(
                "/as needs a phone number with country code, such as /as 4915112345678, or a \
                 business-scoped user id, such as /as US.13491208655302741918 (got {rest:?})"
            )),
        },
        "/to" if !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(Command::To(rest.to_string()))
        }
        "/to" => Err(format!(
            "/to needs the phone number id of a business number of this chat, such as /to 100000000000001 \
             (got {rest:?})"
        )),
        "/image" | "/document" => {
            let kind = if command == "/image" {
                "image"
            } else {
                "document"
            };
            if rest.is_empty() {
                return Err(format!(
                    "{command} needs the path of a file, such as {command} ./cat.jpg"
                ));
            }
            let path = PathBuf::from(rest);
            if !Path::new(rest).is_file() {
                return Err(format!(
                    "{command} {rest}: there is no file `{rest}` (a relative path is taken from the \
                     directory wa-cloud runs in)"
                ));
            }
            Ok(Command::Media { kind, path })
        }
        "/location" => {
            let parsed = rest.split_once(',').and_then(|(lat, lon)| {
                Some((
                    lat.trim().parse::<f64>().ok()?,
                    lon.trim().parse::<f64>().ok()?,
                ))
            });
            match parsed {
                Some((latitude, longitude))
                    if (-90.0..=90.0).contains(&latitude)
                        && (-180.0..=180.0).contains(&longitude) =>
                {
                    Ok(Command::Location {
                        latitude,
                        longitude,
                    })
                }
                _ => Err(format!(
                    "/location needs LAT,LON in degrees, such as /location 52.5163,13.3777 (got {rest:?})"
                )),
            }
        }
        "/react" if rest.is_empty() => Err("/react needs an emoji, such as /react 👍".to_string()),
        "/react" => Ok(Command::React(rest.to_string())),
        "/reply" if rest.is_empty() => {
            Err("/reply needs the text to send, such as /reply sounds good".to_string())
        }
        "/reply" => Ok(Command::Reply(rest.to_string())),
        other => Err(format!(
            "unknown command {other}; the commands are {COMMANDS} (to send text that starts with /, \
             write \\ before it)"
        )),
    }
}

/// Parses a whole script: every step with its line number, or every bad line at once.
pub(super) fn parse_script(script: &str) -> Result<Vec<Line>, Vec<String>> {
    let mut lines = Vec::new();
    let mut errors = Vec::new();
    let mut seen_input = false;
    for (index, raw) in script.lines().enumerate() {
        let number = index + 1;
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let step = match parse_directive(text) {
            Some(Ok(_)) if !seen_input => Err(format!(
                "{} comes before any input: each expect line checks the replies to the input above it",
                text.split(':').next().unwrap_or(text)
            )),
            Some(Ok(expectation)) => Ok(Step::Expect(expectation)),
            Some(Err(err)) => Err(err),
            None => parse_command(text).map(Step::Input),
        };
        match step {
            Ok(step) => {
                seen_input |= matches!(step, Step::Input(_));
                lines.push(Line {
                    number,
                    text: text.to_string(),
                    step,
                });
            }
            Err(err) => errors.push(format!("line {number}: {err}")),
        }
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

/// An expect line: `None` when the line is chat text. A word before `:` that looks like
/// `expect` but is not one of the directives (`Expect:`, `expects:`, `expect-image:`) is an
/// error, so that a misspelt check is not sent to the bot as text and passed over.
fn parse_directive(line: &str) -> Option<Result<Expectation, String>> {
    let (word, rest) = line.split_once(':')?;
    let rest = rest.trim();
    let known = "expect: TEXT, expect~: REGEX, expect-media: KIND [CAPTION]";
    match word {
        "expect" => Some(Ok(Expectation::Text(unescape(rest)))),
        "expect~" => Some(
            Regex::new(rest)
                .map(Expectation::Matches)
                .map_err(|e| format!("expect~: {rest:?} is not a valid regular expression: {e}")),
        ),
        "expect-media" => {
            let (kind, caption) = match rest.split_once(char::is_whitespace) {
                Some((kind, caption)) => (kind, Some(caption.trim().to_string())),
                None => (rest, None),
            };
            if MEDIA_KINDS.contains(&kind) {
                Some(Ok(Expectation::Media {
                    kind: kind.to_string(),
                    caption,
                }))
            } else {
                Some(Err(format!(
                    "expect-media: needs a kind, one of {}, then optionally the caption (got {kind:?})",
                    MEDIA_KINDS.join(", ")
                )))
            }
        }
        other if other.trim().to_lowercase().starts_with("expect") => Some(Err(format!(
            "unknown directive `{}:`; the directives are {known} (to send this as text, write \\ before it)",
            other.trim()
        ))),
        _ => None,
    }
}

/// `\n` in an expected text stands for a line break, and `\\` for a backslash.
fn unescape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        match (c, chars.clone().next()) {
            ('\\', Some('n')) => {
                out.push('\n');
                chars.next();
            }
            ('\\', Some('\\')) => {
                out.push('\\');
                chars.next();
            }
            _ => out.push(c),
        }
    }
    out
}

/// A message of the bot, as a script checks it.
#[derive(Clone, Debug)]
pub(super) struct Reply {
    /// The message type: text, image, interactive, ...
    pub kind: String,
    /// What the chat shows for it (without the local path of media).
    pub text: String,
    /// The caption of media.
    pub caption: Option<String>,
}

impl Expectation {
    pub(super) fn matches(&self, reply: &Reply) -> bool {
        match self {
            Expectation::Text(text) => reply.text == *text,
            Expectation::Matches(regex) => regex.is_match(&reply.text),
            Expectation::Media { kind, caption } => {
                reply.kind == *kind
                    && caption
                        .as_ref()
                        .is_none_or(|c| reply.caption.as_deref() == Some(c.as_str()))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn errors(script: &str) -> Vec<String> {
        parse_script(script).expect_err("the script is refused")
    }

    #[test]
    fn steps_keep_their_line_numbers() {
        let lines = parse_script("# comment\n\nhello\nexpect: You said: hello\n/quit\n").unwrap();
        let numbers: Vec<usize> = lines.iter().map(|l| l.number).collect();
        assert_eq!(numbers, [3, 4, 5]);
        assert!(matches!(&lines[0].step, Step::Input(Command::Text(t)) if t == "hello"));
        assert!(
            matches!(&lines[1].step, Step::Expect(Expectation::Text(t)) if t == "You said: hello")
        );
        assert!(matches!(&lines[2].step, Step::Input(Command::Quit)));
    }

    #[test]
    fn misspelt_directives_and_bad_commands_are_refused_with_their_line() {
        let found = errors(
            "hi\nExpect: hi\n/location x\n/image ./no-such-file.png\n/shout hi\nexpect-media: gif\nexpect~: (\n",
        );
        assert_eq!(found.len(), 6, "{found:#?}");
        assert!(
            found[0].starts_with("line 2: unknown directive `Expect:`"),
            "{}",
            found[0]
        );
        assert!(
            found[1].starts_with("line 3: /location needs LAT,LON"),
            "{}",
            found[1]
        );
        assert!(
            found[2].starts_with("line 4: /image ./no-such-file.png: there is no file"),
            "{}",
            found[2]
        );
        assert!(
            found[3].starts_with("line 5: unknown command /shout"),
            "{}",
            found[3]
        );
        assert!(
            found[4].starts_with("line 6: expect-media: needs a kind"),
            "{}",
            found[4]
        );
        assert!(
            found[5].starts_with("line 7: expect~: \"(\" is not a valid regular expression"),
            "{}",
            found[5]
        );
    }

    #[test]
    fn an_expectation_before_any_input_is_refused() {
        assert_eq!(
            errors("expect: hi\nhi\n"),
            [
                "line 1: expect comes before any input: each expect line checks the replies to the input above it"
            ]
        );
    }

    #[test]
    fn text_that_only_looks_like_a_command_can_be_sent() {
        assert_eq!(
            parse_command("\\/help").unwrap(),
            Command::Text("/help".into())
        );
        assert_eq!(
            parse_command("Note: 3 apples").unwrap(),
            Command::Text("Note: 3 apples".into())
        );
        assert_eq!(
            parse_command("\\Expect: this").unwrap(),
            Command::Text("Expect: this".into())
        );
    }

    #[test]
    fn expectations_match_text_patterns_and_media_kinds() {
        let text = |t: &str| Reply {
            kind: "text".into(),
            text: t.into(),
            caption: None,
        };
        let expect = |line: &str| match parse_directive(line) {
            Some(Ok(e)) => e,
            other => panic!("{line}: {other:?}"),
        };
        assert!(expect("expect: two\\nlines").matches(&text("two\nlines")));
        assert!(!expect("expect: two").matches(&text("two\nlines")));
        assert!(expect("expect~: ^You said: \\d+$").matches(&text("You said: 42")));
        assert!(!expect("expect~: ^You said: \\d+$").matches(&text("You said: many")));
        let image = Reply {
            kind: "image".into(),
            text: "[image] Right back at you".into(),
            caption: Some("Right back at you".into()),
        };
        assert!(expect("expect-media: image").matches(&image));
        assert!(expect("expect-media: image Right back at you").matches(&image));
        assert!(!expect("expect-media: image Something else").matches(&image));
        assert!(!expect("expect-media: document").matches(&image));
        assert!(!expect("expect-media: image").matches(&text("[image]")));
    }
}
