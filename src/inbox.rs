//! `wa-cloud inbox`: what waits in the inbox of `serve --handler`, and a way to hand
//! parked events over again. It reads the shared database, so it works beside a running
//! server, which picks retried events up at once.

use std::io::Write;

use anyhow::Result;
use serde_json::{Value, json};

use crate::cli::InboxCommand;
use crate::config::Config;
use crate::notification::Kind;
use crate::store::Store;
use crate::store::inbox::unix_now;

pub(crate) fn run(
    command: &InboxCommand,
    config: &Config,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let mut store = Store::open_existing(&config.media().db_path)?;
    match command {
        InboxCommand::Status => {
            let kinds: Vec<Kind> = config
                .events()
                .iter()
                .filter_map(|name| Kind::parse(name))
                .collect();
            let counts = store.inbox_counts(&kinds)?;
            if as_json {
                writeln!(out, "{}", serde_json::to_string(&counts)?)?;
            } else {
                writeln!(out, "waiting         {}", counts.waiting)?;
                writeln!(out, "unacknowledged  {}", counts.unacknowledged)?;
                writeln!(out, "parked          {}", counts.parked)?;
            }
        }
        InboxCommand::Parked => {
            let now = unix_now();
            for parked in store.parked()? {
                let event: Value = serde_json::from_str(&parked.event).unwrap_or(Value::Null);
                if as_json {
                    let line = json!({"seq": parked.seq, "kind": parked.kind, "peer": parked.peer,
                        "parked_at": parked.parked_at, "why": parked.why, "event": event});
                    writeln!(out, "{line}")?;
                } else {
                    writeln!(
                        out,
                        "{}\t{}\t{}\t{}\tparked {} ago: {}",
                        parked.seq,
                        parked.kind,
                        parked.peer.as_deref().unwrap_or("-"),
                        event["id"].as_str().unwrap_or("-"),
                        age(now - parked.parked_at),
                        parked.why
                    )?;
                }
            }
        }
        InboxCommand::Retry { seqs } => {
            let count = store.unpark(seqs)?;
            if count == 0 && !seqs.is_empty() {
                anyhow::bail!(
                    "none of {seqs:?} is parked: `wa-cloud inbox parked` lists the parked events"
                );
            }
            if as_json {
                writeln!(out, "{}", json!({"retried": count}))?;
            } else {
                writeln!(
                    out,
                    "{count} events will be handed over again (by the running serve at once, else at its next start)"
                )?;
            }
        }
    }
    Ok(())
}

/// `42s`, `5m`, `3h`, `2d`.
fn age(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match seconds {
        0..60 => format!("{seconds}s"),
        60..3600 => format!("{}m", seconds / 60),
        3600..86400 => format!("{}h", seconds / 3600),
        _ => format!("{}d", seconds / 86400),
    }
}
