//! The commands `wa-cloud upload`, `download` and `media list|delete`: the command line's
//! arguments and output around the library in `media` (which `serve` and `send` use
//! without reaching into `cli`).

use std::io::{self, IsTerminal, Write};
use std::path::{Component, Path};

use anyhow::{Context, Result};
use serde_json::json;

use super::{MediaCache, Target, check_media_id, download_one, inspect, now};
use crate::cli::{DownloadArgs, GlobalArgs, MediaCommand, UploadArgs};
use crate::config::Config;
use crate::error::UsageError;
use crate::graph::Client;
use crate::store::Store;
use crate::usage;

/// `wa-cloud upload FILE...`
pub(crate) fn upload(
    args: &UploadArgs,
    config: &Config,
    global: &GlobalArgs,
    out: &mut dyn Write,
) -> Result<()> {
    let files = args
        .files
        .iter()
        .map(|path| inspect(path, None))
        .collect::<Result<Vec<_>>>()
        .map_err(|err| UsageError::new(format!("{err:#}; nothing was uploaded")))?;
    let mut cache = MediaCache::open(config)?.with_progress(show_progress(global));
    for local in &files {
        let uploaded = cache.upload(local, args.force)?;
        if global.json {
            let line = json!({
                "file": local.path.display().to_string(),
                "id": uploaded.id,
                "mime_type": uploaded.mime_type,
                "size": uploaded.size,
                "sha256": uploaded.sha256,
                "cached": uploaded.cached,
            });
            writeln!(out, "{line}")?;
        } else {
            writeln!(out, "{}", uploaded.id)?;
        }
        out.flush()?;
    }
    Ok(())
}

/// `wa-cloud download MEDIA_ID...`
pub(crate) fn download(
    args: &DownloadArgs,
    config: &Config,
    global: &GlobalArgs,
    out: &mut dyn Write,
) -> Result<()> {
    for id in &args.ids {
        check_media_id(id)?;
    }
    let target = match &args.output {
        Some(_) if args.ids.len() > 1 => usage!(
            "-o names one file, but {} media ids were given: use --dir DIR for several",
            args.ids.len()
        ),
        Some(path) => {
            check_output(path)?;
            Target::Output(path.clone())
        }
        None => Target::Dir(args.dir.clone().unwrap_or(config.media().download_dir)),
    };
    let graph = config.graph()?;
    let store = Store::open(&config.media().db_path)?;
    let client = Client::new(&graph);
    let progress = show_progress(global);
    for id in &args.ids {
        let done = download_one(
            id,
            &target,
            &store,
            &client,
            &graph.phone_number_id,
            progress,
        )?;
        if global.json {
            let line = json!({
                "id": id,
                "path": done.path.display().to_string(),
                "mime_type": done.mime_type,
                "size": done.size,
                "sha256": done.sha256,
                "cached": done.cached,
            });
            writeln!(out, "{line}")?;
        } else {
            writeln!(out, "{}", done.path.display())?;
        }
        out.flush()?;
    }
    Ok(())
}

/// `-o PATH` may name any file, but not through `..` and not an existing directory (a
/// download never lands somewhere the path does not spell out).
fn check_output(path: &Path) -> Result<()> {
    let shown = path.display();
    if path.as_os_str().is_empty() {
        usage!("-o needs a file path");
    }
    if path.components().any(|c| c == Component::ParentDir) {
        usage!("-o `{shown}` contains `..`: give the path without `..`");
    }
    let text = path.as_os_str().to_string_lossy();
    if path.is_dir() || text.ends_with('/') || text.ends_with(std::path::MAIN_SEPARATOR) {
        usage!("-o `{shown}` is a directory: give a file path, or use --dir `{shown}`");
    }
    Ok(())
}

/// `wa-cloud media list|delete`
pub(crate) fn manage(
    command: &MediaCommand,
    config: &Config,
    global: &GlobalArgs,
    out: &mut dyn Write,
) -> Result<()> {
    match command {
        MediaCommand::List => list(config, global.json, out),
        MediaCommand::Delete { ids } => delete(ids, config, global.json, out),
    }
}

fn list(config: &Config, as_json: bool, out: &mut dyn Write) -> Result<()> {
    let db_path = config.media().db_path;
    if !db_path.exists() {
        tracing::info!(
            "no media database at `{}` yet: nothing uploaded or downloaded",
            db_path.display()
        );
        return Ok(());
    }
    let records = Store::open(&db_path)?.list_media()?;
    let now = now();
    if as_json {
        for r in &records {
            let line = json!({
                "id": r.id,
                "direction": r.direction.as_str(),
                "phone_number_id": r.phone_number_id,
                "mime_type": r.mime_type,
                "size": r.size,
                "sha256": r.sha256,
                "path": r.path,
                "created_at": r.created_at,
                "expires_at": r.expires_at,
                "expired": r.expires_at.is_some_and(|at| at <= now),
            });
            writeln!(out, "{line}")?;
        }
        return Ok(());
    }
    if records.is_empty() {
        return Ok(());
    }
    let width = records.iter().map(|r| r.id.len()).max().unwrap_or(2).max(2);
    // The header is for a person; a pipe (`| cut`, `| while read`) gets only the rows.
    if io::stdout().is_terminal() {
        writeln!(
            out,
            "{:width$}  {:8}  {:>9}  {:6}  {:10}  {:24}  PATH",
            "ID", "KIND", "SIZE", "AGE", "EXPIRES", "TYPE"
        )?;
    }
    for r in &records {
        let expires = match r.expires_at {
            None => "-".to_string(),
            Some(at) if at <= now => "expired".to_string(),
            Some(at) => format!("in {}", duration(at - now)),
        };
        writeln!(
            out,
            "{:width$}  {:8}  {:>9}  {:6}  {:10}  {:24}  {}",
            r.id,
            r.direction.as_str(),
            short_size(r.size),
            duration(now - r.created_at),
            expires,
            r.mime_type,
            r.path
        )?;
    }
    Ok(())
}

fn delete(ids: &[String], config: &Config, as_json: bool, out: &mut dyn Write) -> Result<()> {
    for id in ids {
        check_media_id(id)?;
    }
    let graph = config.graph()?;
    let store = Store::open(&config.media().db_path)?;
    let client = Client::new(&graph);
    for id in ids {
        client.delete_media(id).with_context(|| {
            format!("media {id} was not deleted (the media database still lists it)")
        })?;
        let forgotten = store.forget_media(id)?;
        if as_json {
            writeln!(
                out,
                "{}",
                json!({"id": id, "deleted": true, "forgotten": forgotten})
            )?;
        } else {
            writeln!(out, "{id}")?;
        }
        out.flush()?;
    }
    Ok(())
}

/// Progress bars only where a person watches: a terminal, without --quiet.
fn show_progress(global: &GlobalArgs) -> bool {
    !global.quiet && io::stderr().is_terminal()
}

/// A duration in its largest whole unit: `45s`, `12m`, `3h`, `29d`.
fn duration(seconds: i64) -> String {
    let seconds = seconds.max(0);
    match seconds {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 => format!("{}m", s / 60),
        s if s < 86400 => format!("{}h", s / 3600),
        s => format!("{}d", s / 86400),
    }
}

fn short_size(bytes: u64) -> String {
    match bytes {
        b if b < 1024 => format!("{b} B"),
        b if b < 1024 * 1024 => format!("{:.1} KB", b as f64 / 1024.0),
        b => format!("{:.1} MB", b as f64 / (1024.0 * 1024.0)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::media::UPLOAD_LIFETIME_SECS;

    #[test]
    fn outputs_through_parent_directories_or_onto_directories_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        assert!(check_output(Path::new("media/x.jpg")).is_ok());
        assert!(check_output(Path::new("../x.jpg")).is_err());
        assert!(check_output(Path::new("a/../../x.jpg")).is_err());
        assert!(check_output(Path::new("new-dir/")).is_err());
        assert!(check_output(dir.path()).is_err());
        assert!(check_output(&dir.path().join("x.jpg")).is_ok());
    }

    #[test]
    fn durations_and_sizes_read_short() {
        assert_eq!(duration(59), "59s");
        assert_eq!(duration(3600 * 5), "5h");
        assert_eq!(duration(UPLOAD_LIFETIME_SECS), "30d");
        assert_eq!(short_size(2048), "2.0 KB");
    }
}
