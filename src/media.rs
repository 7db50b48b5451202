//! `upload`, `download` and `media`: media through the cache in the database.

use std::io::Write;

use anyhow::Result;

use crate::cli::{DownloadArgs, GlobalArgs, MediaCommand, UploadArgs};
use crate::config::Config;

pub fn upload(
    _args: &UploadArgs,
    _config: &Config,
    _global: &GlobalArgs,
    _out: &mut dyn Write,
) -> Result<()> {
    anyhow::bail!("`wa-cloud upload` is not built yet")
}

pub fn download(
    _args: &DownloadArgs,
    _config: &Config,
    _global: &GlobalArgs,
    _out: &mut dyn Write,
) -> Result<()> {
    anyhow::bail!("`wa-cloud download` is not built yet")
}

pub fn manage(
    _command: &MediaCommand,
    _config: &Config,
    _global: &GlobalArgs,
    _out: &mut dyn Write,
) -> Result<()> {
    anyhow::bail!("`wa-cloud media` is not built yet")
}
