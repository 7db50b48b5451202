//! wa-cloud: the WhatsApp Cloud API behind a few commands.
//!
//! [`run`] is the whole program: it parses the command line, resolves the configuration,
//! runs one subcommand, and turns the outcome into an exit status. Only the commands that
//! need it build an async runtime; the one-off commands stay blocking and start fast.

// The modules the integration tests (completions and man pages) and the fuzz targets reach;
// inside them only what those use is `pub`. Everything else is private to the crate, and
// `unreachable_pub` (Cargo.toml) keeps it so.
pub mod cli;

/// The fuzz targets' way in (`fuzz/`): not part of the API.
#[doc(hidden)]
pub mod fuzzing {
    pub use crate::config::Config;
    pub use crate::dev::graph::fuzzing::multipart;
    pub use crate::message::{Recipient, normalize};
    pub use crate::notification::{Kind, parse as parse_notification};
}

mod config;
mod dev;
mod error;
mod graph;
mod message;
mod notification;
mod store;
mod templates;

mod secret;
mod signature;
mod usage_error;

mod contacts;
mod dispatch;
mod doctor;
mod health;
mod healthcheck;
mod inbox;
mod intake;
mod logging;
mod media;
mod metrics;
mod outbox;
mod send;
mod serve;
mod tls;
mod webhooks;

use std::ffi::OsString;
use std::io::{self, Write};
use std::process::ExitCode;

use anyhow::Result;
use clap::{ArgMatches, FromArgMatches};
use serde_json::json;

use cli::{Cli, Command, GlobalArgs};
use config::{Config, FileChoice, FlagValue, Sources};

/// Runs wa-cloud with these arguments (the program name first) and returns its exit status.
pub fn run(args: impl IntoIterator<Item = impl Into<OsString> + Clone>) -> ExitCode {
    let matches = match cli::command().try_get_matches_from(args) {
        Ok(matches) => matches,
        Err(err) => {
            let _ = err.print();
            return ExitCode::from(u8::try_from(err.exit_code()).unwrap_or(2));
        }
    };
    let cli = Cli::from_arg_matches(&matches).expect("clap checked the arguments");
    // The chat of `wa-cloud dev` owns the terminal: only warnings and the bot's own stderr.
    let quiet_chat = matches!(&cli.command, Command::Dev(dev) if !dev.graph_only);
    logging::init(
        &cli.global,
        if quiet_chat {
            "warn,wa_cloud::dispatch=info"
        } else {
            "info"
        },
    );
    match run_command(&cli, &matches) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            error::report(&err, cli.global.log_format == cli::LogFormat::Json);
            error::exit_code(&err)
        }
    }
}

fn run_command(cli: &Cli, matches: &ArgMatches) -> Result<()> {
    // Not locked here: `serve` writes events to stdout from its own thread.
    let mut stdout = io::stdout();
    let numbers = &cli.global.phone_number_id;
    if numbers.len() > 1 && !matches!(&cli.command, Command::Dev(_)) {
        usage!(
            "--phone-number-id is given {} times: only `wa-cloud dev` simulates several business numbers; \
             give one here (serve answers each message from the number it came to, and graphApi.numbers \
             lists the numbers it answers for)",
            numbers.len()
        );
    }
    match &cli.command {
        Command::Completions { shell } => {
            cli::write_completions(*shell, &mut stdout);
            Ok(())
        }
        Command::Config => {
            let config = load_config(&cli.global)?;
            print_config(&config, cli.global.json, &mut stdout)
        }
        Command::Serve(args) => {
            let config = load_config(&cli.global)?;
            serve::run(args, &config)
        }
        Command::Upload(args) => {
            let config = load_config(&cli.global)?;
            media::commands::upload(args, &config, &cli.global, &mut stdout)
        }
        Command::Download(args) => {
            let config = load_config(&cli.global)?;
            media::commands::download(args, &config, &cli.global, &mut stdout)
        }
        Command::Media { command } => {
            let config = load_config(&cli.global)?;
            media::commands::manage(command, &config, &cli.global, &mut stdout)
        }
        Command::Send(args) => {
            let config = load_config(&cli.global)?;
            let (_, sub_matches) = matches.subcommand().expect("a subcommand was parsed");
            send::run(
                args,
                sub_matches,
                &config,
                cli.global.json,
                &mut io::stdin().lock(),
                &mut stdout,
            )
        }
        Command::Inbox { command } => {
            let config = load_config(&cli.global)?;
            let command = command.as_ref().unwrap_or(&cli::InboxCommand::Status);
            inbox::run(command, &config, cli.global.json, &mut stdout)
        }
        Command::Contacts { command } => {
            let config = load_config(&cli.global)?;
            let command = command.as_ref().unwrap_or(&cli::ContactsCommand::List);
            contacts::run(command, &config, cli.global.json, &mut stdout)
        }
        Command::Dev(args) => {
            let config = load_config(&cli.global)?;
            dev::run(args, &config, &cli.global, &mut stdout)
        }
        Command::Doctor(args) => {
            let config = load_config(&cli.global)?;
            doctor::run(args, &config, cli.global.json, &mut stdout)
        }
        Command::Healthcheck(args) => {
            let config = load_config(&cli.global)?;
            healthcheck::run(args, &config, &mut stdout)
        }
        Command::Templates { command } => {
            let config = load_config(&cli.global)?;
            templates::run(command, &config, cli.global.json, &mut stdout)
        }
    }
}

/// The configuration as the global flags ask for it; warnings go to the log.
fn load_config(global: &GlobalArgs) -> Result<Config> {
    let file = match (&global.config, global.no_config_file) {
        (_, true) => FileChoice::None,
        (Some(path), false) => FileChoice::Explicit(path.clone()),
        (None, false) => FileChoice::search()?,
    };
    let mut flags = Vec::new();
    let mut flag = |key, flag, value: Option<serde_json::Value>| {
        if let Some(value) = value {
            flags.push(FlagValue { key, flag, value });
        }
    };
    flag(
        "graphApi.phoneNumberId",
        "--phone-number-id",
        global.phone_number_id.first().map(|v| json!(v)),
    );
    flag(
        "graphApi.version",
        "--api-version",
        global.api_version.as_ref().map(|v| json!(v)),
    );
    flag(
        "graphApi.baseUrl",
        "--base-url",
        global.base_url.as_ref().map(|v| json!(v)),
    );
    flag(
        "graphApi.basePort",
        "--base-port",
        global.base_port.map(|v| json!(v)),
    );
    flag("media.dbPath", "--db", global.db.as_ref().map(|v| json!(v)));
    let env = (!global.no_env).then(Sources::process_env);
    let config = Config::load(&Sources { file, env, flags })?;
    for warning in &config.warnings {
        tracing::warn!("{warning}");
    }
    Ok(config)
}

fn print_config(config: &Config, as_json: bool, out: &mut dyn Write) -> Result<()> {
    let described = config.describe();
    if as_json {
        let values: Vec<_> = described
            .iter()
            .map(|d| json!({"key": d.key, "value": d.value, "origin": d.origin.as_ref().map(ToString::to_string), "env": d.env}))
            .collect();
        writeln!(out, "{}", json!({"file": config.file, "values": values}))?;
        return Ok(());
    }
    match &config.file {
        Some(path) => writeln!(out, "# configuration file: {}", path.display())?,
        None => writeln!(out, "# no configuration file")?,
    }
    let width = described.iter().map(|d| d.key.len()).max().unwrap_or(0);
    for d in &described {
        let value = match &d.value {
            serde_json::Value::Null => "(unset)".to_string(),
            serde_json::Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let origin = d
            .origin
            .as_ref()
            .map_or_else(|| format!("(set with {})", d.env), ToString::to_string);
        writeln!(out, "{:width$}  {value:24}  {origin}", d.key)?;
    }
    Ok(())
}
