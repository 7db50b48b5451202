//! `wa-cloud dev`: the whole bot loop on one laptop, without a Meta account.
//!
//! This module owns the command and its defaults; [`graph`] is the local Graph API it is
//! built on, usable alone (`--graph-only`) as a fake of Meta's for other programs and for
//! wa-cloud's own tests. The defaults are fixed and public on purpose — a development
//! token and phone number id that are valid nowhere else — so that nothing has to be
//! configured, and nothing real can leak through them.

mod chat;
mod doctor;
pub(crate) mod graph;
mod script;
pub(crate) mod templates;

use std::io::Write;

use anyhow::Result;
use serde_json::json;

pub(crate) use graph::{LocalGraph, LocalGraphConfig, Webhook};

use crate::cli::{DevArgs, GlobalArgs};
use crate::config::{Config, Secret};
use crate::usage;

/// The access token the local Graph API accepts unless `--token` says otherwise. It is
/// valid nowhere else.
pub(crate) const DEV_TOKEN: &str = "wa-cloud-dev-token";
/// The business phone number id when none is configured; no real number has it.
pub(crate) const DEV_PHONE_NUMBER_ID: &str = "100000000000001";
/// `--graph-only`'s port when none is given: a fixed one, so that a configuration can
/// name it; next to `serve`'s 3000.
pub(crate) const DEFAULT_GRAPH_PORT: u16 = 3001;

pub(crate) fn run(
    args: &DevArgs,
    config: &Config,
    global: &GlobalArgs,
    out: &mut dyn Write,
) -> Result<()> {
    let other_numbers = other_numbers(&global.phone_number_id)?;
    if !args.graph_only {
        return chat::run(args, config, &global.phone_number_id, out);
    }
    graph_only(args, config, other_numbers, global.json, out)
}

/// The business numbers after the first of `--phone-number-id` given more than once: as
/// one app with several numbers, each with its own id.
fn other_numbers(given: &[String]) -> Result<Vec<String>> {
    let mut others: Vec<String> = Vec::new();
    for (i, id) in given.iter().enumerate() {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()) {
            usage!(
                "--phone-number-id {id:?} is not a phone number id: give digits, such as {DEV_PHONE_NUMBER_ID}"
            );
        }
        if given[..i].contains(id) {
            usage!("--phone-number-id {id} is given twice: give each business number once");
        }
        if i > 0 {
            others.push(id.clone());
        }
    }
    Ok(others)
}

/// `--graph-only`: the local Graph API until SIGINT or SIGTERM; its URL on stdout.
fn graph_only(
    args: &DevArgs,
    config: &Config,
    other_numbers: Vec<String>,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    let phone_number_id = match config.phone_number_id() {
        Some((id, origin)) if !id.bytes().all(|b| b.is_ascii_digit()) => usage!(
            "`graphApi.phoneNumberId` ({origin}) is {id:?}: it must be digits, like a real phone number id; \
             leave it unset for the development id {DEV_PHONE_NUMBER_ID}"
        ),
        Some((id, _)) => id.to_string(),
        None => DEV_PHONE_NUMBER_ID.to_string(),
    };
    let token = match &args.token {
        Some(token) if token.trim().is_empty() => {
            usage!(
                "--token is empty: give the token clients will send, or leave it out for {DEV_TOKEN}"
            )
        }
        Some(token) => token.trim().to_string(),
        None => DEV_TOKEN.to_string(),
    };
    let webhook = match &args.webhook {
        None => {
            if args.secret.is_some() {
                tracing::warn!("--secret is unused without --webhook: no statuses are posted");
            }
            None
        }
        Some(url) => {
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                usage!(
                    "--webhook {url:?} is not an http:// or https:// URL; give the full URL of the webhooks \
                     endpoint, such as http://127.0.0.1:3000/"
                );
            }
            let secret = match (&args.secret, config.webhooks().secret) {
                (Some(secret), _) if !secret.is_empty() => Secret::new(secret.clone()),
                (None, Some(secret)) => secret,
                _ => usage!(
                    "--webhook needs the app secret to sign statuses with: pass --secret, or set \
                     webhooks.secret (WHATSAPP_CLOUD_WEBHOOKS_SECRET), the secret the webhook checks with"
                ),
            };
            Some(Webhook {
                url: url.clone(),
                app_secret: secret,
            })
        }
    };
    let webhook_url = webhook.as_ref().map(|w| w.url.clone());
    let default_token = args.token.is_none();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let graph = LocalGraph::start(LocalGraphConfig {
            port: args.graph_port.unwrap_or(DEFAULT_GRAPH_PORT),
            phone_number_id: phone_number_id.clone(),
            other_numbers: other_numbers.clone(),
            access_token: Secret::new(token),
            webhook,
        })?;
        let url = graph.url().to_string();
        if as_json {
            writeln!(
                out,
                "{}",
                json!({"url": url, "phone_number_id": phone_number_id})
            )?;
        } else {
            writeln!(out, "{url}")?;
        }
        out.flush()?;
        tracing::info!(
            "local Graph API on {url} (phone number id {phone_number_id}{}); statuses {}",
            other_numbers
                .iter()
                .map(|n| format!(", {n}"))
                .collect::<String>(),
            match &webhook_url {
                Some(webhook) => format!("are posted to {webhook}"),
                None => "are not posted (no --webhook)".to_string(),
            }
        );
        tracing::info!(
            "point wa-cloud at it: WHATSAPP_CLOUD_GRAPHAPI_BASE_URL=127.0.0.1 WHATSAPP_CLOUD_GRAPHAPI_BASE_PORT={} \
             WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID={phone_number_id} WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN={}",
            graph.addr().port(),
            if default_token {
                DEV_TOKEN
            } else {
                "<the --token>"
            }
        );
        let signal = crate::serve::shutdown_signal().await;
        tracing::info!("{signal}: stopping");
        graph.shutdown().await;
        tracing::info!("stopped");
        anyhow::Ok(())
    })
}
