//! `wa-cloud serve`.

use std::io::Write;

use anyhow::Result;

use crate::cli::ServeArgs;
use crate::config::Config;

pub fn run(_args: &ServeArgs, _config: &Config, _out: &mut dyn Write) -> Result<()> {
    anyhow::bail!("`wa-cloud serve` is not built yet")
}
