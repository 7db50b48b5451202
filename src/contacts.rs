//! `wa-cloud contacts`: the people `serve` has heard from, under the key it files them by,
//! with every identifier WhatsApp gave (phone, business-scoped user id, parent one,
//! username, profile name) and the time left in each business number's 24-hour
//! customer-service window. It reads the shared database, so it works beside a running
//! server.

use std::io::Write;

use anyhow::Result;

use crate::cli::ContactsCommand;
use crate::config::Config;
use crate::store::Store;
use crate::store::contacts::Contact;
use crate::store::inbox::unix_now;

pub(crate) fn run(
    command: &ContactsCommand,
    config: &Config,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let db = config.media().db_path;
    let store = Store::open_existing(&db)?;
    let now = unix_now();
    match command {
        ContactsCommand::List => {
            for contact in store.contacts()? {
                if as_json {
                    writeln!(out, "{}", contact.to_json(now))?;
                } else {
                    writeln!(out, "{}", line(&contact, now))?;
                }
            }
        }
        ContactsCommand::Show { id } => {
            let Some(contact) = store.contact(id)? else {
                anyhow::bail!(
                    "no contact {id:?} in `{}`: give a contact key, phone number or user id that `wa-cloud contacts` lists",
                    db.display()
                );
            };
            if as_json {
                writeln!(out, "{}", contact.to_json(now))?;
            } else {
                show(&contact, now, out)?;
            }
        }
    }
    Ok(())
}

/// `KEY  PHONE  USER_ID  USERNAME  NAME  WINDOWS`, tab-separated, `-` for what is unknown.
fn line(contact: &Contact, now: i64) -> String {
    let or_dash = |v: &Option<String>| v.clone().unwrap_or_else(|| "-".into());
    format!(
        "{}\t{}\t{}\t{}\t{}\t{}",
        contact.key,
        or_dash(&contact.phone),
        or_dash(&contact.user_id),
        or_dash(&contact.username),
        or_dash(&contact.name),
        windows(contact, now)
    )
}

fn show(contact: &Contact, now: i64, out: &mut dyn Write) -> Result<()> {
    writeln!(out, "contact         {}", contact.key)?;
    for (label, value) in [
        ("phone", &contact.phone),
        ("user id", &contact.user_id),
        ("parent user id", &contact.parent_user_id),
        ("username", &contact.username),
        ("name", &contact.name),
    ] {
        writeln!(out, "{label:<16}{}", value.as_deref().unwrap_or("-"))?;
    }
    for (number, last) in &contact.numbers {
        writeln!(
            out,
            "window of {number}: {} (last message {} ago)",
            window(contact, number, now),
            duration(now - last)
        )?;
    }
    if contact.numbers.is_empty() {
        writeln!(out, "window          closed: they never wrote")?;
    }
    Ok(())
}

/// Each business number's window, `NUMBER: open 3h12m` or `NUMBER: closed`.
fn windows(contact: &Contact, now: i64) -> String {
    if contact.numbers.is_empty() {
        return "never wrote".into();
    }
    contact
        .numbers
        .iter()
        .map(|(number, _)| format!("{number}: {}", window(contact, number, now)))
        .collect::<Vec<_>>()
        .join(", ")
}

fn window(contact: &Contact, number: &str, now: i64) -> String {
    match contact.window_left(number, now) {
        Some(left) if left > 0 => format!("open, {} left", duration(left)),
        _ => "closed".into(),
    }
}

/// `2h05m`, `7m`, `40s`, `3d4h`.
fn duration(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3600 => format!("{}m", s / 60),
        3600..=86400 => format!("{}h{:02}m", s / 3600, s % 3600 / 60),
        _ => format!("{}d{}h", s / 86400, s % 86400 / 3600),
    }
}
