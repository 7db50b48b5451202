//! The reply-line protocol (docs/PROTOCOL.md): a handler's stdout split into lines, a
//! line that is too long skipped, and each line read as a reply, a `done`, a read mark or
//! something invalid. Reading a line only looks things up (`Lookups`): it is a pure
//! function of the line, tested without processes.

use std::io::BufRead;

use anyhow::Result;
use serde_json::{Value, json};

use crate::message::{self, Invalid, Outgoing, Recipient};
use crate::outbox::Outbox;
use crate::templates::Prepared;

/// What reading a line looks up: whom a `reply_to` answers, and the templates cache.
/// `serve` asks its database (through the outbox); the tests answer from a table.
pub(super) trait Lookups {
    /// The sender of the message with this wamid; `None` when wa-cloud received none.
    fn sender_of(&self, wamid: &str) -> Result<Option<String>>;
    /// A template reply checked against the cached template (and completed from it).
    fn check_template(&self, body: &mut Value) -> Result<Prepared, Invalid>;
}

impl Lookups for Outbox {
    fn sender_of(&self, wamid: &str) -> Result<Option<String>> {
        Outbox::sender_of(self, wamid)
    }

    fn check_template(&self, body: &mut Value) -> Result<Prepared, Invalid> {
        Outbox::check_template(self, body)
    }
}

/// What one line of the handler's stdout asks for.
#[derive(Debug)]
pub(super) enum Line {
    Reply(Outgoing),
    Done(String),
    Read(String),
    Typing(String),
    /// Not acted on: why, and the line (cut) for the log and the `error` event.
    Invalid {
        reason: String,
        line: String,
    },
    /// Longer than `dispatch.maxLineBytes`: skipped. Why, its size, and its start (cut).
    TooLong {
        reason: String,
        bytes: usize,
        head: String,
    },
}

impl Line {
    /// The `error` event for a line that is not acted on, for a handler that asked for
    /// error events.
    pub(super) fn error_event(&self) -> Option<Value> {
        match self {
            Line::Invalid { reason, line }
            | Line::TooLong {
                reason, head: line, ..
            } => Some(json!({"event": "error", "error": reason, "line": line})),
            _ => None,
        }
    }
}

/// Reads one line of a handler's stdout. `default_to` is whom a reply that names nobody
/// goes to (the sender of the event, in per-message mode); `max` is
/// `dispatch.maxLineBytes`, which `split_lines` already applied.
pub(super) fn read(
    written: &Written,
    max: usize,
    default_to: Option<&Recipient>,
    lookups: &impl Lookups,
) -> Line {
    match written {
        Written::Line(line) => match parse_line(line, default_to, lookups) {
            Ok(line) => line,
            Err(reason) => Line::Invalid {
                reason,
                line: cut(line),
            },
        },
        Written::TooLong { head, bytes } => Line::TooLong {
            reason: format!("a line of more than {max} bytes (dispatch.maxLineBytes) is skipped"),
            bytes: *bytes,
            head: cut(head),
        },
    }
}

/// A line as a reply, a `done`, a read mark; `Err` with the reason it is invalid.
fn parse_line(
    line: &str,
    default_to: Option<&Recipient>,
    lookups: &impl Lookups,
) -> Result<Line, String> {
    let value: Value = serde_json::from_str(line).map_err(|err| format!("not JSON: {err}"))?;
    for (control, make) in [
        ("done", Line::Done as fn(String) -> Line),
        ("read", Line::Read),
        ("typing", Line::Typing),
    ] {
        if let Some(id) = value.get(control) {
            return match id.as_str() {
                Some(id) if value.as_object().is_some_and(|o| o.len() == 1) => {
                    Ok(make(id.to_string()))
                }
                _ => Err(format!(
                    "`{control}` must be the only field, with a message id"
                )),
            };
        }
    }
    // A long-running handler cannot be guessed at: `reply_to` names the message answered.
    let replied = value
        .get("to")
        .is_none()
        .then(|| value.get("reply_to").and_then(Value::as_str))
        .flatten();
    let looked_up = match replied {
        Some(wamid) => match lookups.sender_of(wamid) {
            Ok(Some(sender)) => Recipient::parse(&sender).ok(),
            Ok(None) => {
                return Err(format!(
                    "reply_to {wamid:?} is not a message wa-cloud received"
                ));
            }
            Err(err) => return Err(format!("cannot look up reply_to: {err:#}")),
        },
        None => None,
    };
    let default_to = looked_up.as_ref().or(default_to);
    match message::normalize(&value, default_to) {
        Ok(mut outgoing) => {
            // A template reply is checked against the templates cache like `send` checks.
            check_template(lookups, &mut outgoing.body)?;
            match crate::media::local_file(&outgoing.body) {
                Ok(_) => Ok(Line::Reply(outgoing)),
                Err(err) => Err(format!("{err:#}")),
            }
        }
        // Only a missing `to`: an invalid one says what is wrong with it.
        Err(invalid)
            if invalid.field == "to" && default_to.is_none() && value.get("to").is_none() =>
        {
            Err("reply has no recipient: give `to`, or `reply_to` with the wamid of the message answered".into())
        }
        Err(invalid) => Err(invalid.to_string()),
    }
}

/// Checks a template reply against the cached template; logs what only warrants a warning.
fn check_template(lookups: &impl Lookups, body: &mut Value) -> Result<(), String> {
    match lookups.check_template(body) {
        Ok(Prepared::Checked(warnings)) => {
            warnings.iter().for_each(|w| tracing::warn!("{w}"));
            Ok(())
        }
        Ok(Prepared::NotCached) => Ok(()),
        Err(invalid) => Err(invalid.to_string()),
    }
}

/// At most 200 characters of a line, for logs and error events.
pub(super) fn cut(line: &str) -> String {
    match line.char_indices().nth(200) {
        Some((at, _)) => format!("{}…", &line[..at]),
        None => line.to_string(),
    }
}

/// One line a handler wrote, as read from its stdout or stderr.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Written {
    Line(String),
    /// A line longer than `dispatch.maxLineBytes`: skipped to its end, but for its start.
    TooLong {
        head: String,
        bytes: usize,
    },
}

/// How much of a pipe is read at once.
pub(super) const READ_BUFFER: usize = 64 * 1024;
/// How much of a line that is too long is kept, for the log and the `error` event.
const HEAD_BYTES: usize = 1024;

/// Splits `reader` into lines (without their `\n` or `\r\n`), holding at most `max`
/// bytes of a line besides the reader's buffer: the rest of a longer line is skipped as
/// it is read, and only its length and first bytes are kept.
pub(super) fn split_lines(
    mut reader: impl BufRead,
    max: usize,
    each: &mut impl FnMut(Option<Written>),
) {
    let mut line: Vec<u8> = Vec::new();
    // Once the line is known to be too long: how many bytes it has had so far.
    let mut skipped: Option<usize> = None;
    loop {
        let available = match reader.fill_buf() {
            Ok([]) => break,
            Ok(available) => available,
            Err(err) if err.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => break,
        };
        let end = available.iter().position(|b| *b == b'\n');
        let part = &available[..end.unwrap_or(available.len())];
        // Past the cap, only the line's first `HEAD_BYTES` are kept.
        let keep_head = |line: &mut Vec<u8>| {
            let keep = HEAD_BYTES.saturating_sub(line.len()).min(part.len());
            line.extend_from_slice(&part[..keep]);
        };
        match &mut skipped {
            Some(bytes) => {
                *bytes += part.len();
                keep_head(&mut line);
            }
            None if line.len() + part.len() > max => {
                skipped = Some(line.len() + part.len());
                line.truncate(HEAD_BYTES);
                keep_head(&mut line);
                line.shrink_to(READ_BUFFER);
            }
            None => {
                // Grows by doubling, but never past `max`.
                let needed = line.len() + part.len();
                if needed > line.capacity() {
                    let target = needed.max(line.capacity() * 2).min(max);
                    line.reserve_exact(target - line.len());
                }
                line.extend_from_slice(part);
            }
        }
        let used = part.len() + usize::from(end.is_some());
        reader.consume(used);
        if end.is_some() {
            emit_line(&mut line, &mut skipped, each);
        }
    }
    if !line.is_empty() || skipped.is_some() {
        emit_line(&mut line, &mut skipped, each);
    }
}

fn emit_line(
    line: &mut Vec<u8>,
    skipped: &mut Option<usize>,
    each: &mut impl FnMut(Option<Written>),
) {
    let text = String::from_utf8_lossy(line)
        .trim_end_matches(['\n', '\r'])
        .to_string();
    each(Some(match skipped.take() {
        None => Written::Line(text),
        Some(bytes) => Written::TooLong { head: text, bytes },
    }));
    line.clear();
    line.shrink_to(READ_BUFFER);
}

#[cfg(test)]
mod tests {
    use std::io::BufReader;

    use super::*;

    use std::collections::HashMap;

    use crate::message::Recipient::{Phone, UserId};

    /// The messages wa-cloud received, by wamid, and what the templates cache answers.
    #[derive(Default)]
    struct Table {
        senders: HashMap<&'static str, &'static str>,
        /// The templates cache refuses every template reply with this.
        refuse_templates: Option<Invalid>,
        /// The database cannot be read.
        broken: bool,
    }

    impl Lookups for Table {
        fn sender_of(&self, wamid: &str) -> Result<Option<String>> {
            if self.broken {
                anyhow::bail!("database is locked");
            }
            Ok(self.senders.get(wamid).map(|s| s.to_string()))
        }

        fn check_template(&self, _body: &mut Value) -> Result<Prepared, Invalid> {
            match &self.refuse_templates {
                Some(invalid) => Err(invalid.clone()),
                None => Ok(Prepared::NotCached),
            }
        }
    }

    const MAX: usize = 1024;

    fn table() -> Table {
        Table {
            senders: HashMap::from([("wamid.FROM_ANNA", "4915112345678")]),
            ..Table::default()
        }
    }

    fn read_with(text: &str, default_to: Option<&Recipient>, lookups: &Table) -> Line {
        read(&Written::Line(text.to_string()), MAX, default_to, lookups)
    }

    fn read_line(text: &str, default_to: Option<&Recipient>) -> Line {
        read_with(text, default_to, &table())
    }

    /// The reason a line is not acted on; panics when it is.
    fn reason(line: Line) -> String {
        match line {
            Line::Invalid { reason, .. } => reason,
            other => panic!("expected an invalid line, got {other:?}"),
        }
    }

    fn reply(line: Line) -> Outgoing {
        match line {
            Line::Reply(outgoing) => outgoing,
            other => panic!("expected a reply, got {other:?}"),
        }
    }

    #[test]
    fn a_reply_goes_to_its_to_or_else_to_the_sender_of_the_event() {
        let anna = Phone("4915112345678".into());
        let short = reply(read_line(r#"{"text":"hi"}"#, Some(&anna)));
        assert_eq!(short.recipient, anna);
        assert_eq!(short.kind, "text");
        assert_eq!(short.body["text"]["body"], "hi");
        assert_eq!(short.body["messaging_product"], "whatsapp");

        let named = reply(read_line(
            r#"{"to":"+44 7700 900123","text":"hi"}"#,
            Some(&anna),
        ));
        assert_eq!(named.recipient, Phone("447700900123".into()));

        let user = reply(read_line(
            r#"{"recipient":"US.13491208655302741918","text":"hi"}"#,
            None,
        ));
        assert_eq!(user.recipient, UserId("US.13491208655302741918".into()));
    }

    #[test]
    fn reply_to_names_the_recipient_and_quotes_the_message() {
        let outgoing = reply(read_line(
            r#"{"reply_to":"wamid.FROM_ANNA","text":"yes"}"#,
            None,
        ));
        assert_eq!(outgoing.recipient, Phone("4915112345678".into()));
        assert_eq!(outgoing.body["context"]["message_id"], "wamid.FROM_ANNA");
        // `reply_to` names the sender even when the event's sender is someone else.
        let bob = Phone("447700900123".into());
        let outgoing = reply(read_line(
            r#"{"reply_to":"wamid.FROM_ANNA","text":"yes"}"#,
            Some(&bob),
        ));
        assert_eq!(outgoing.recipient, Phone("4915112345678".into()));
        // With `to`, `reply_to` only quotes.
        let outgoing = reply(read_line(
            r#"{"to":"447700900123","reply_to":"wamid.ELSEWHERE","text":"yes"}"#,
            None,
        ));
        assert_eq!(outgoing.recipient, bob);
        assert_eq!(outgoing.body["context"]["message_id"], "wamid.ELSEWHERE");

        assert_eq!(
            reason(read_line(
                r#"{"reply_to":"wamid.UNKNOWN","text":"x"}"#,
                None
            )),
            r#"reply_to "wamid.UNKNOWN" is not a message wa-cloud received"#
        );
        let broken = Table {
            broken: true,
            ..table()
        };
        let why = reason(read_with(
            r#"{"reply_to":"wamid.FROM_ANNA","text":"x"}"#,
            None,
            &broken,
        ));
        assert!(
            why.starts_with("cannot look up reply_to: database is locked"),
            "{why}"
        );
    }

    #[test]
    fn done_read_and_typing_lines_name_one_message() {
        let anna = Phone("4915112345678".into());
        assert!(
            matches!(read_line(r#"{"done":"wamid.A"}"#, None), Line::Done(id) if id == "wamid.A")
        );
        assert!(
            matches!(read_line(r#"{"read":"wamid.B"}"#, Some(&anna)), Line::Read(id) if id == "wamid.B")
        );
        assert!(
            matches!(read_line(r#" {"typing":"wamid.C"} "#, None), Line::Typing(id) if id == "wamid.C")
        );
        for (line, control) in [
            (r#"{"done":"wamid.A","text":"hi"}"#, "done"),
            (r#"{"done":7}"#, "done"),
            (r#"{"read":null}"#, "read"),
            (r#"{"typing":["wamid.C"]}"#, "typing"),
        ] {
            assert_eq!(
                reason(read_line(line, Some(&anna))),
                format!("`{control}` must be the only field, with a message id"),
                "{line}"
            );
        }
        assert!(
            read_line(r#"{"done":"wamid.A"}"#, None)
                .error_event()
                .is_none()
        );
    }

    #[test]
    fn a_line_that_is_not_json_is_refused_with_an_error_event_quoting_it() {
        let line = read_line("hello bot", None);
        let event = line.error_event().expect("an error event");
        assert!(reason(line).starts_with("not JSON: "));
        assert_eq!(event["event"], "error");
        assert_eq!(event["line"], "hello bot");
        assert!(event["error"].as_str().unwrap().starts_with("not JSON: "));

        // An error event quotes only the start of a long line.
        let long = format!(r#"{{"txt":"{}"}}"#, "é".repeat(500));
        let event = read_line(&long, None).error_event().unwrap();
        let quoted = event["line"].as_str().unwrap();
        assert_eq!(quoted.chars().count(), 201, "200 characters and …");
        assert!(quoted.ends_with('…'));
        assert!(reason(read_line("[1,2]", None)).contains("JSON object"));
        assert!(reason(read_line("", None)).starts_with("not JSON: "));
    }

    #[test]
    fn a_line_over_the_limit_is_skipped_and_reported_with_its_start() {
        let written = Written::TooLong {
            head: "x".repeat(HEAD_BYTES),
            bytes: 5 * MAX,
        };
        let line = read(&written, MAX, None, &table());
        let event = line.error_event().expect("an error event");
        match line {
            Line::TooLong {
                reason,
                bytes,
                head,
            } => {
                assert_eq!(
                    reason,
                    "a line of more than 1024 bytes (dispatch.maxLineBytes) is skipped"
                );
                assert_eq!(bytes, 5 * MAX);
                assert_eq!(head, format!("{}…", "x".repeat(200)));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            event["error"],
            "a line of more than 1024 bytes (dispatch.maxLineBytes) is skipped"
        );
    }

    #[test]
    fn a_missing_recipient_and_an_invalid_one_are_told_apart() {
        assert_eq!(
            reason(read_line(r#"{"text":"hi"}"#, None)),
            "reply has no recipient: give `to`, or `reply_to` with the wamid of the message answered"
        );
        // An invalid `to` says what is wrong with it, even when there is a default.
        let anna = Phone("4915112345678".into());
        for default_to in [None, Some(&anna)] {
            let why = reason(read_line(r#"{"to":"call me","text":"hi"}"#, default_to));
            assert!(why.starts_with("`to` "), "{why}");
            assert!(!why.contains("no recipient"), "{why}");
        }
        let why = reason(read_line(r#"{"to":49151,"text":"hi"}"#, None));
        assert_eq!(why, "`to` must be a string, not a number");
        let why = reason(read_line(r#"{"recipient":"call me","text":"hi"}"#, None));
        assert!(why.starts_with("`recipient` "), "{why}");
    }

    #[test]
    fn replies_that_break_a_rule_say_which() {
        let anna = Phone("4915112345678".into());
        let why = reason(read_line(r#"{"txt":"hi"}"#, Some(&anna)));
        assert!(why.contains("did you mean `text`"), "{why}");
        let why = reason(read_line(
            &format!(r#"{{"text":"{}"}}"#, "a".repeat(4097)),
            Some(&anna),
        ));
        assert!(why.contains("4096"), "{why}");
        // A file to upload must be there when the line is read.
        let why = reason(read_line(
            r#"{"image":{"file":"/no/such/dir/cat.png"}}"#,
            Some(&anna),
        ));
        assert!(why.contains("/no/such/dir/cat.png"), "{why}");
        // A template reply is checked against the templates cache.
        let refusing = Table {
            refuse_templates: Some(Invalid {
                field: "template".into(),
                problem: "has no body parameter 2".into(),
            }),
            ..table()
        };
        let why = reason(read_with(
            r#"{"template":"order_update","params":["Anna"]}"#,
            Some(&anna),
            &refusing,
        ));
        assert_eq!(why, "`template` has no body parameter 2");
        reply(read_line(
            r#"{"template":"order_update","params":["Anna"]}"#,
            Some(&anna),
        ));
    }

    fn lines_of(input: &[u8], max: usize) -> Vec<Written> {
        let mut got = Vec::new();
        // A small buffer, so that lines span many reads.
        let reader = BufReader::with_capacity(7, input);
        split_lines(reader, max, &mut |w| got.extend(w));
        got
    }

    fn line(text: &str) -> Written {
        Written::Line(text.to_string())
    }

    #[test]
    fn lines_longer_than_the_cap_are_skipped_to_their_end_and_reading_goes_on() {
        let long = "x".repeat(100);
        let input = format!("short\r\n{long}\nexactly-10\n\n{long}y\nafter\ntail");
        assert_eq!(
            lines_of(input.as_bytes(), 10),
            [
                line("short"),
                Written::TooLong {
                    head: "x".repeat(100),
                    bytes: 100
                },
                line("exactly-10"),
                line(""),
                Written::TooLong {
                    head: format!("{long}y"),
                    bytes: 101
                },
                line("after"),
                line("tail"),
            ]
        );
        // Only the start of a very long line is kept.
        let huge = "z".repeat(3 * HEAD_BYTES);
        match &lines_of(format!("{huge}\nok\n").as_bytes(), 2 * HEAD_BYTES)[..] {
            [Written::TooLong { head, bytes }, ok] => {
                assert_eq!((head.len(), *bytes), (HEAD_BYTES, 3 * HEAD_BYTES));
                assert_eq!(*ok, line("ok"));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            lines_of(b"\xff\xfe bad\n", 100),
            [line("\u{fffd}\u{fffd} bad")]
        );
        assert_eq!(lines_of(b"", 100), []);
    }

    #[test]
    fn a_line_of_64_mib_passes_through_a_64_kib_cap_as_one_skipped_line() {
        /// Endless `x`s, a few KiB per read, then one newline and `ok`.
        struct Flood(usize);
        impl std::io::Read for Flood {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(4096);
                match self.0 {
                    0 => Ok(0),
                    1 => {
                        self.0 = 0;
                        buf[..4].copy_from_slice(b"\nok\n");
                        Ok(4)
                    }
                    _ => {
                        self.0 -= 1;
                        buf[..n].fill(b'x');
                        Ok(n)
                    }
                }
            }
        }
        let mut got = Vec::new();
        // 64 MiB of one line through a reader capped at 64 KiB.
        split_lines(
            BufReader::with_capacity(READ_BUFFER, Flood(16 * 1024 + 1)),
            64 * 1024,
            &mut |w| got.extend(w),
        );
        assert!(
            matches!(&got[..], [Written::TooLong { bytes, .. }, ok] if *bytes == 64 << 20 && *ok == line("ok")),
            "{got:?}"
        );
    }
}
