//! `wa-cloud healthcheck`: asks a running `serve` for `/healthz`, for container health
//! checks and service supervisors that have no curl (the Docker image has none).
//!
//! Exit 0 when serve answers 200, 1 otherwise (503 while storage trouble lasts, refused,
//! timed out). The answer's JSON is printed on stdout either way, when there is one.

use std::io::Write;
use std::time::Duration;

use anyhow::{Context, Result, bail};

use crate::cli::HealthcheckArgs;
use crate::config::Config;

pub(crate) fn run(args: &HealthcheckArgs, config: &Config, out: &mut dyn Write) -> Result<()> {
    let url = match &args.url {
        Some(url) => url.clone(),
        None => {
            let port = args.port.unwrap_or(config.webhooks().port);
            let scheme = if config.tls(None, None)?.is_some() {
                "https"
            } else {
                "http"
            };
            format!("{scheme}://127.0.0.1:{port}/healthz")
        }
    };
    if !url.starts_with("http://") && !url.starts_with("https://") {
        crate::usage!(
            "--url {url:?} must start with http:// or https://, such as http://127.0.0.1:3000/healthz"
        );
    }
    let agent = agent(&url, args.timeout);
    let mut response = agent
        .get(&url)
        .call()
        .with_context(|| format!("serve did not answer {url}: is it running on that port?"))?;
    let status = response.status().as_u16();
    let body = response.body_mut().read_to_string().unwrap_or_default();
    if !body.is_empty() {
        writeln!(out, "{}", body.trim_end())?;
    }
    if status != 200 {
        bail!("{url} answered {status}: serve is not healthy (its `problems` say why)");
    }
    Ok(())
}

/// A client for one probe. On loopback the certificate is not checked: it was made for
/// the public name, not 127.0.0.1, and the probe sends nothing secret; any other host is
/// checked as usual.
fn agent(url: &str, timeout: Duration) -> ureq::Agent {
    let loopback = ["https://127.0.0.1:", "https://localhost:", "https://[::1]:"]
        .iter()
        .any(|prefix| url.starts_with(prefix));
    let mut builder = ureq::Agent::config_builder()
        .http_status_as_error(false)
        .user_agent(crate::graph::USER_AGENT)
        .timeout_global(Some(timeout).filter(|t| !t.is_zero()));
    if loopback {
        builder = builder.tls_config(
            ureq::tls::TlsConfig::builder()
                .disable_verification(true)
                .build(),
        );
    }
    builder.build().into()
}
