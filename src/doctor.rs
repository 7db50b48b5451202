//! `wa-cloud doctor`: checks the setup at Meta that decides whether a bot hears anything,
//! the causes of "my webhook never fires": a token that expired or lacks a permission, a
//! number that is not registered, an API version past its end of life, an app that is not
//! subscribed to the WhatsApp Business Account, the `messages` field not ticked, a callback
//! URL that points elsewhere, a public URL that does not reach this configuration.
//!
//! Each check ends ✔ (pass), ✘ (fail: what was found and how to fix it) or – (skipped:
//! what it needs). `--fix` does what the configuration allows: subscribe the app to the
//! business account, subscribe the app to the `messages` field with `--url` as its callback
//! URL, and make `--url` the phone number's callback URL (an override). Exit status 1 when a
//! check fails after that. Nothing here prints the access token or the app secret: both
//! travel in `Authorization` headers, except the token that `/debug_token` must be given as
//! a query parameter, and every error text is scrubbed of both.

use std::io::Write;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Result, bail};
use serde_json::{Value, json};

use crate::cli::DoctorArgs;
use crate::config::{Config, Secret};
use crate::graph::ApiError;

/// Each Graph API version and the day it stops working (Meta's changelog; WHATSAPP.md).
/// A version newer than the newest here is taken as current.
/// The last day of a version (year, month, day), when Meta has announced it.
type EndOfLife = Option<(i32, u32, u32)>;

const VERSIONS: &[(u32, EndOfLife)] = &[
    (20, Some((2026, 9, 24))),
    (21, Some((2027, 1, 21))),
    (22, Some((2027, 5, 20))),
    (23, Some((2027, 10, 8))),
    (24, Some((2028, 2, 18))),
    (25, Some((2028, 7, 29))),
    (26, None),
];
/// The version to move to: the newest with a known long life.
const RECOMMENDED_VERSION: &str = "v25.0";
/// A version that ends within this many days is a failing check: time to move.
const VERSION_WARNING_DAYS: i64 = 90;
/// How long one request of the doctor may take.
const TIMEOUT: Duration = Duration::from_secs(15);
/// The permissions a bot's token needs.
const MESSAGING: &str = "whatsapp_business_messaging";
const MANAGEMENT: &str = "whatsapp_business_management";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Pass,
    Fail,
    Skip,
}

#[derive(Debug)]
struct Check {
    name: &'static str,
    status: Status,
    found: String,
    fix: Option<String>,
}

impl Check {
    fn pass(name: &'static str, found: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Pass,
            found: found.into(),
            fix: None,
        }
    }

    fn fail(name: &'static str, found: impl Into<String>, fix: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Fail,
            found: found.into(),
            fix: Some(fix.into()),
        }
    }

    fn skip(name: &'static str, why: impl Into<String>) -> Check {
        Check {
            name,
            status: Status::Skip,
            found: why.into(),
            fix: None,
        }
    }
}

pub(crate) fn run(
    args: &DoctorArgs,
    config: &Config,
    as_json: bool,
    out: &mut dyn Write,
) -> Result<()> {
    if let Some(url) = &args.url
        && !(url.starts_with("https://") || url.starts_with("http://"))
    {
        crate::usage!(
            "--url {url:?} is not a URL: give the public callback URL, such as https://bot.example.com/webhook"
        );
    }
    if args.fix && args.url.is_none() {
        tracing::info!(
            "--fix without --url subscribes the app to the business account only: give --url to set the callback URL too"
        );
    }
    let checks = Doctor::new(args, config).checks();
    print(&checks, as_json, out)?;
    let failed = checks.iter().filter(|c| c.status == Status::Fail).count();
    if failed > 0 {
        bail!(
            "{failed} of {} checks failed (see the fixes above)",
            checks.len()
        );
    }
    Ok(())
}

fn print(checks: &[Check], as_json: bool, out: &mut dyn Write) -> Result<()> {
    if as_json {
        let checks: Vec<Value> = checks
            .iter()
            .map(|c| {
                let status = match c.status {
                    Status::Pass => "pass",
                    Status::Fail => "fail",
                    Status::Skip => "skip",
                };
                json!({"check": c.name, "status": status, "found": c.found, "fix": c.fix})
            })
            .collect();
        let ok = !checks.iter().any(|c| c["status"] == "fail");
        writeln!(out, "{}", json!({"ok": ok, "checks": checks}))?;
        return Ok(());
    }
    for check in checks {
        let mark = match check.status {
            Status::Pass => "✔",
            Status::Fail => "✘",
            Status::Skip => "–",
        };
        writeln!(out, "{mark} {}: {}", check.name, check.found)?;
        if let Some(fix) = &check.fix {
            writeln!(out, "  fix: {fix}")?;
        }
    }
    Ok(())
}

/// The configuration's values, and a client for the Graph API.
struct Doctor<'a> {
    args: &'a DoctorArgs,
    /// `https://graph.facebook.com/v25.0`.
    base_url: String,
    version: String,
    phone_number_id: Option<String>,
    token: Option<Secret>,
    app_id: Option<String>,
    app_secret: Option<Secret>,
    business_account_id: Option<String>,
    verify_token: Option<Secret>,
    agent: ureq::Agent,
}

/// A failed call: Meta's error, or no usable answer.
enum Failure {
    Meta(Box<ApiError>),
    Other(String),
}

impl Failure {
    fn code(&self) -> Option<i64> {
        match self {
            Failure::Meta(api) => Some(api.code),
            Failure::Other(_) => None,
        }
    }

    fn text(&self) -> String {
        match self {
            Failure::Meta(api) => api.to_string(),
            Failure::Other(text) => text.clone(),
        }
    }
}

impl<'a> Doctor<'a> {
    fn new(args: &'a DoctorArgs, config: &Config) -> Self {
        let text = |key| config.optional_text(key).map(str::to_string);
        let webhooks = config.webhooks();
        Doctor {
            args,
            base_url: config.graph_base_url(),
            version: config.graph_version().to_string(),
            phone_number_id: text("graphApi.phoneNumberId"),
            token: text("graphApi.accessToken").map(Secret::new),
            app_id: text("graphApi.appId"),
            app_secret: webhooks.secret,
            business_account_id: config.business_account_id_if_set(),
            verify_token: webhooks.verify_token,
            agent: ureq::Agent::config_builder()
                .http_status_as_error(false)
                .user_agent(crate::graph::USER_AGENT)
                .timeout_global(Some(TIMEOUT))
                .build()
                .into(),
        }
    }

    fn checks(&self) -> Vec<Check> {
        let mut checks = vec![self.version_check()];
        let (Some(phone_number_id), Some(token)) = (&self.phone_number_id, &self.token) else {
            let mut missing = Vec::new();
            if self.phone_number_id.is_none() {
                missing.push("graphApi.phoneNumberId (WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID)");
            }
            if self.token.is_none() {
                missing.push("graphApi.accessToken (WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN)");
            }
            checks.push(Check::fail(
                "configuration",
                format!("{} not set", missing.join(" and ")),
                "copy the phone number id and a token from App Dashboard > WhatsApp > API Setup (a System User \
                 token from Business Settings > System users does not expire)",
            ));
            return checks;
        };
        let phone = self.get(
            phone_number_id,
            &[(
                "fields",
                "id,display_phone_number,verified_name,status,quality_rating,name_status,code_verification_status,\
                 platform_type,throughput,messaging_limit_tier,webhook_configuration",
            )],
            token.expose(),
        );
        checks.push(self.token_check(&phone));
        checks.push(phone_check(phone_number_id, &self.version, &phone));
        if let Err(Failure::Meta(api)) = &phone
            && api.code == 190
        {
            // Nothing else can be asked with a token Meta refuses.
            return checks;
        }
        checks.push(self.subscription_check(token));
        checks.push(self.fields_check());
        checks.push(self.handshake_check());
        // A fix above may have changed the callback URL: read it again then.
        let phone = phone.ok().filter(|_| !self.args.fix);
        checks.push(self.callback_check(phone_number_id, token, phone));
        checks
    }

    // -- the checks -------------------------------------------------------------------

    fn version_check(&self) -> Check {
        let name = "api version";
        let number = self
            .version
            .trim_start_matches('v')
            .split('.')
            .next()
            .and_then(|n| n.parse::<u32>().ok())
            .unwrap_or(0);
        let newest = VERSIONS.last().map_or(0, |(v, _)| *v);
        let fix = format!(
            "set graphApi.version to {RECOMMENDED_VERSION} (WHATSAPP_CLOUD_GRAPHAPI_VERSION, --api-version) and \
             test your bot with it"
        );
        match VERSIONS.iter().find(|(v, _)| *v == number) {
            None if number > newest => Check::pass(
                name,
                format!("{} (newer than wa-cloud knows)", self.version),
            ),
            None => Check::fail(
                name,
                format!(
                    "{} is past its end of life: Meta no longer answers it",
                    self.version
                ),
                fix,
            ),
            Some((_, None)) => Check::pass(
                name,
                format!("{} (the newest; no end of life announced)", self.version),
            ),
            Some((_, Some((y, m, d)))) => {
                let left = days_from_civil(*y, *m, *d) - today();
                let end = format!("{y}-{m:02}-{d:02}");
                if left <= 0 {
                    Check::fail(
                        name,
                        format!("{} ended on {end}: Meta no longer answers it", self.version),
                        fix,
                    )
                } else if left <= VERSION_WARNING_DAYS {
                    Check::fail(
                        name,
                        format!("{} ends on {end}, in {left} days", self.version),
                        fix,
                    )
                } else {
                    Check::pass(
                        name,
                        format!("{} (works until {end}, {left} days from now)", self.version),
                    )
                }
            }
        }
    }

    /// What `/debug_token` says of the token when an app token can be made (app id and
    /// app secret), else only whether the phone number could be read with it.
    fn token_check(&self, phone: &Result<Value, Failure>) -> Check {
        let name = "access token";
        let new_token = "make a new token: Business Settings > System users > Generate new token, with \
                         whatsapp_business_messaging and whatsapp_business_management (it does not expire), then \
                         set WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN";
        if let Err(failure) = phone
            && failure.code() == Some(190)
        {
            return Check::fail(
                name,
                format!("Meta refuses it: {}", failure.text()),
                new_token,
            );
        }
        let (Some(app_id), Some(app_token), Some(token)) =
            (&self.app_id, self.app_token(), &self.token)
        else {
            return match phone {
                Ok(_) => Check::pass(
                    name,
                    "works (set graphApi.appId to see its permissions and expiry)",
                ),
                Err(failure) => Check::fail(
                    name,
                    format!("cannot tell: {}", failure.text()),
                    "see the phone number check",
                ),
            };
        };
        let debug = match self.get(
            "debug_token",
            &[("input_token", token.expose())],
            &app_token,
        ) {
            Ok(debug) => debug,
            Err(failure) => {
                return Check::fail(
                    name,
                    format!(
                        "cannot ask Meta about it with the app token: {}",
                        failure.text()
                    ),
                    format!(
                        "graphApi.appId ({app_id}) and webhooks.secret must be the app id and app secret of the \
                         same app: App Dashboard > App settings > Basic"
                    ),
                );
            }
        };
        let data = &debug["data"];
        if data["is_valid"] != json!(true) {
            let why = data["error"]["message"].as_str().unwrap_or("invalid");
            return Check::fail(name, format!("not valid: {why}"), new_token);
        }
        let scopes: Vec<&str> = data["scopes"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .filter(|s| s.starts_with("whatsapp_"))
            .collect();
        let kind = data["type"].as_str().unwrap_or("a");
        let expires = match data["expires_at"].as_i64() {
            None | Some(0) => "never expires".to_string(),
            Some(at) => {
                let left = (at - unix_now()) / 86_400;
                format!("expires in {left} days")
            }
        };
        let found = format!(
            "valid {kind} token of app {}, {expires}; may: {}",
            data["app_id"].as_str().unwrap_or(app_id),
            if scopes.is_empty() {
                "nothing of WhatsApp".to_string()
            } else {
                scopes.join(", ")
            }
        );
        let missing: Vec<&str> = [MESSAGING, MANAGEMENT]
            .into_iter()
            .filter(|s| !scopes.contains(s))
            .collect();
        if !missing.is_empty() {
            return Check::fail(
                name,
                format!("{found}; lacks {}", missing.join(" and ")),
                new_token,
            );
        }
        if data["app_id"].as_str().is_some_and(|id| id != app_id) {
            return Check::fail(
                name,
                format!("{found}; but graphApi.appId is {app_id}"),
                "use a token of the app that receives the webhooks, or correct graphApi.appId",
            );
        }
        if data["expires_at"]
            .as_i64()
            .is_some_and(|at| at != 0 && at - unix_now() < 7 * 86_400)
        {
            return Check::fail(name, found, new_token);
        }
        Check::pass(name, found)
    }

    fn subscription_check(&self, token: &Secret) -> Check {
        let name = "app subscribed to the business account";
        let Some(waba) = &self.business_account_id else {
            return Check::skip(
                name,
                "set graphApi.businessAccountId (WhatsApp > API Setup, \"WhatsApp Business Account ID\") to check it",
            );
        };
        let path = format!("{waba}/subscribed_apps");
        let check = |fixed: &str| match self.get(&path, &[], token.expose()) {
            Err(failure) => Check::fail(
                name,
                format!(
                    "cannot read the subscriptions of {waba}: {}",
                    failure.text()
                ),
                "check graphApi.businessAccountId, and that the token has whatsapp_business_management",
            ),
            Ok(answer) => {
                let apps: Vec<(&str, &str)> = answer["data"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|app| {
                        let data = &app["whatsapp_business_api_data"];
                        (
                            data["id"].as_str().unwrap_or("?"),
                            data["name"].as_str().unwrap_or("?"),
                        )
                    })
                    .collect();
                let listed = apps
                    .iter()
                    .map(|(id, app)| format!("{app} ({id})"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let ours = match &self.app_id {
                    Some(app_id) => apps.iter().any(|(id, _)| id == app_id),
                    None => !apps.is_empty(),
                };
                if ours {
                    Check::pass(name, format!("{fixed}subscribed: {listed}"))
                } else {
                    let found = if apps.is_empty() {
                        format!(
                            "no app is subscribed to {waba}: WhatsApp sends its webhooks nowhere"
                        )
                    } else {
                        format!(
                            "{waba} has {listed}, not app {}",
                            self.app_id.as_deref().unwrap_or("?")
                        )
                    };
                    Check::fail(
                        name,
                        found,
                        format!(
                            "run `wa-cloud doctor --fix`, or POST /{waba}/subscribed_apps with the token"
                        ),
                    )
                }
            }
        };
        let first = check("");
        if first.status != Status::Fail || !self.args.fix {
            return first;
        }
        match self.post(&path, &json!({}), token.expose()) {
            Ok(_) => check("fixed: "),
            Err(failure) => with_fix_failure(first, &failure),
        }
    }

    /// The app's own subscription: its callback URL and the `messages` field.
    fn fields_check(&self) -> Check {
        let name = "messages field";
        let (Some(app_id), Some(app_token)) = (&self.app_id, self.app_token()) else {
            return Check::skip(
                name,
                "set graphApi.appId (App Dashboard > App settings > Basic) and webhooks.secret to check it",
            );
        };
        let path = format!("{app_id}/subscriptions");
        let check = |fixed: &str| match self.get(&path, &[], &app_token) {
            Err(failure) => Check::fail(
                name,
                format!(
                    "cannot read the webhook subscriptions of app {app_id}: {}",
                    failure.text()
                ),
                "graphApi.appId and webhooks.secret must be the app id and app secret of the same app",
            ),
            Ok(answer) => {
                let waba = answer["data"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|s| s["object"] == "whatsapp_business_account");
                let fields: Vec<&str> = waba
                    .and_then(|s| s["fields"].as_array())
                    .into_iter()
                    .flatten()
                    .filter_map(|f| f["name"].as_str().or(f.as_str()))
                    .collect();
                let callback = waba
                    .and_then(|s| s["callback_url"].as_str())
                    .unwrap_or("none");
                if fields.contains(&"messages") {
                    Check::pass(
                        name,
                        format!(
                            "{fixed}ticked (fields: {}; app callback URL {callback})",
                            fields.join(", ")
                        ),
                    )
                } else {
                    let found = if waba.is_none() {
                        "the app has no WhatsApp Business Account webhook".to_string()
                    } else {
                        format!("not ticked (fields: {})", fields.join(", "))
                    };
                    Check::fail(
                        name,
                        found,
                        "App Dashboard > WhatsApp > Configuration > Webhook fields: subscribe to `messages`; or \
                         `wa-cloud doctor --url https://<public host><path> --fix`",
                    )
                }
            }
        };
        let first = check("");
        let (true, Some(url), Some(verify_token)) = (
            first.status == Status::Fail && self.args.fix,
            &self.args.url,
            &self.verify_token,
        ) else {
            return first;
        };
        let body = json!({"object": "whatsapp_business_account", "callback_url": url, "fields": "messages",
            "verify_token": verify_token.expose(), "include_values": true});
        match self.post(&path, &body, &app_token) {
            Ok(_) => check("fixed: "),
            Err(failure) => with_fix_failure(first, &failure),
        }
    }

    /// A verification request through the public URL, as Meta sends it.
    fn handshake_check(&self) -> Check {
        let name = "verification through the URL";
        let Some(url) = &self.args.url else {
            return Check::skip(
                name,
                "give --url https://<public host><webhooks.path> to check it",
            );
        };
        let Some(verify_token) = &self.verify_token else {
            return Check::fail(
                name,
                "webhooks.verifyToken is not set: serve refuses every verification",
                "set WHATSAPP_CLOUD_WEBHOOKS_VERIFY_TOKEN (any string) for serve and here, and type the same into \
                 App Dashboard > WhatsApp > Configuration",
            );
        };
        let challenge = format!("wa-cloud-doctor-{}", fastrand::u64(..));
        let answer = self
            .agent
            .get(url)
            .query("hub.mode", "subscribe")
            .query("hub.verify_token", verify_token.expose())
            .query("hub.challenge", &challenge)
            .call();
        let mut answer = match answer {
            Ok(answer) => answer,
            Err(err) => {
                return Check::fail(
                    name,
                    format!("no answer from {url}: {}", self.scrub(&err.to_string())),
                    "make the URL public: serve behind a reverse proxy or tunnel with a valid HTTPS certificate \
                     (Meta refuses self-signed ones), or serve --tls-cert/--tls-key",
                );
            }
        };
        let status = answer.status().as_u16();
        let body = answer.body_mut().read_to_string().unwrap_or_default();
        let plain_http = url.starts_with("http://");
        if status == 200 && body == challenge {
            let local = if plain_http {
                " (plain HTTP: Meta calls only HTTPS URLs, so this checks the server, not the public URL)"
            } else {
                ""
            };
            return Check::pass(
                name,
                format!(
                    "{url} answered the challenge with this configuration's verify token{local}"
                ),
            );
        }
        let fix = match status {
            403 => {
                "the server there has another verify token: give serve and doctor the same \
                    webhooks.verifyToken"
            }
            404 | 405 => {
                "the URL does not reach serve's webhooks path: check the proxy's route and webhooks.path"
            }
            _ => {
                "the URL must reach `wa-cloud serve` (its webhooks.path), which answers the challenge"
            }
        };
        Check::fail(
            name,
            format!("{url} answered {status} instead of the challenge"),
            fix,
        )
    }

    /// Which callback URL WhatsApp calls for this number: its override, else the
    /// business account's, else the app's.
    fn callback_check(&self, phone_number_id: &str, token: &Secret, phone: Option<Value>) -> Check {
        let name = "callback URL";
        let read = |fixed: &str, phone: Option<Value>| -> Check {
            let phone = match phone {
                Some(phone) => Ok(phone),
                None => self.get(
                    phone_number_id,
                    &[("fields", "webhook_configuration")],
                    token.expose(),
                ),
            };
            let config = match phone {
                Ok(phone) => phone["webhook_configuration"].clone(),
                Err(failure) => {
                    return Check::fail(
                        name,
                        format!("cannot read it: {}", failure.text()),
                        "see the phone number check",
                    );
                }
            };
            let in_effect = [
                ("phone_number", "the phone number's override"),
                (
                    "whatsapp_business_account",
                    "the business account's override",
                ),
                ("application", "the app's"),
            ]
            .into_iter()
            .find_map(|(key, whose)| {
                config[key]
                    .as_str()
                    .filter(|u| !u.is_empty())
                    .map(|u| (u.to_string(), whose))
            });
            let Some((url, whose)) = in_effect else {
                return Check::fail(
                    name,
                    "none: WhatsApp has nowhere to send webhooks",
                    "App Dashboard > WhatsApp > Configuration > Callback URL: https://<public host><webhooks.path> \
                     with your verify token; or `wa-cloud doctor --url https://... --fix`",
                );
            };
            match &self.args.url {
                Some(wanted) if *wanted != url => Check::fail(
                    name,
                    format!("{url} ({whose}), not {wanted}"),
                    "`wa-cloud doctor --url ... --fix` makes it the phone number's override; or change it in \
                     App Dashboard > WhatsApp > Configuration",
                ),
                _ => Check::pass(name, format!("{fixed}{url} ({whose})")),
            }
        };
        let first = read("", phone);
        let (true, Some(url), Some(verify_token)) = (
            first.status == Status::Fail && self.args.fix,
            &self.args.url,
            &self.verify_token,
        ) else {
            return first;
        };
        let body = json!({"webhook_configuration": {"override_callback_uri": url,
            "verify_token": verify_token.expose()}});
        match self.post(phone_number_id, &body, token.expose()) {
            Ok(_) => read("fixed: ", None),
            Err(failure) => with_fix_failure(first, &failure),
        }
    }

    // -- the Graph API ----------------------------------------------------------------

    /// `APP_ID|APP_SECRET`, Meta's app access token, when both are configured.
    fn app_token(&self) -> Option<String> {
        let (id, secret) = (self.app_id.as_ref()?, self.app_secret.as_ref()?);
        Some(format!("{id}|{}", secret.expose()))
    }

    fn get(&self, path: &str, query: &[(&str, &str)], bearer: &str) -> Result<Value, Failure> {
        let mut request = self
            .agent
            .get(format!("{}/{path}", self.base_url))
            .header("authorization", format!("Bearer {bearer}"));
        for (key, value) in query {
            request = request.query(*key, *value);
        }
        self.answer(request.call())
    }

    fn post(&self, path: &str, body: &Value, bearer: &str) -> Result<Value, Failure> {
        let request = self
            .agent
            .post(format!("{}/{path}", self.base_url))
            .header("authorization", format!("Bearer {bearer}"));
        self.answer(request.send_json(body))
    }

    fn answer(
        &self,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<Value, Failure> {
        let mut response = result.map_err(|err| {
            Failure::Other(format!(
                "the Graph API at {} did not answer: {}",
                self.base_url,
                self.scrub(&err.to_string())
            ))
        })?;
        let status = response.status().as_u16();
        let body = response.body_mut().read_to_string().unwrap_or_default();
        if (200..300).contains(&status) {
            return serde_json::from_str(&body).map_err(|_| {
                Failure::Other(format!(
                    "the Graph API answered {status} with something that is not JSON"
                ))
            });
        }
        match ApiError::parse(status, &body) {
            Some(mut api) => {
                api.message = self.scrub(&api.message);
                Err(Failure::Meta(Box::new(api)))
            }
            None => Err(Failure::Other(format!("the Graph API answered {status}"))),
        }
    }

    /// `text` with the token and the app secret masked, should an error ever echo them.
    fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        for secret in [&self.token, &self.app_secret, &self.verify_token]
            .into_iter()
            .flatten()
        {
            if !secret.expose().is_empty() {
                text = text.replace(secret.expose(), "********");
            }
        }
        text
    }
}

/// The phone number: registered with the Cloud API, connected, its quality and limits.
fn phone_check(id: &str, version: &str, phone: &Result<Value, Failure>) -> Check {
    let name = "phone number";
    let phone = match phone {
        Ok(phone) => phone,
        Err(failure) if failure.code() == Some(100) => {
            return Check::fail(
                name,
                format!(
                    "{id} is not a phone number this token can see: {}",
                    failure.text()
                ),
                "copy the phone number id (not the number) from App Dashboard > WhatsApp > API Setup into \
                 graphApi.phoneNumberId, and give the token access to its business account",
            );
        }
        Err(failure) => {
            return Check::fail(
                name,
                format!("cannot read {id}: {}", failure.text()),
                "see the error; `wa-cloud doctor` again once the Graph API answers",
            );
        }
    };
    let field = |key: &str| phone[key].as_str().unwrap_or("unknown").to_string();
    let number = phone["display_phone_number"].as_str().unwrap_or(id);
    let throughput = phone["throughput"]["level"].as_str().unwrap_or("unknown");
    let found = format!(
        "{number} \"{}\": status {}, registered with {}, quality {}, name {}, throughput {throughput}, limit {}",
        field("verified_name"),
        field("status"),
        field("platform_type"),
        field("quality_rating"),
        field("name_status"),
        field("messaging_limit_tier"),
    );
    let platform = phone["platform_type"].as_str();
    if platform.is_some_and(|p| p != "CLOUD_API") {
        return Check::fail(
            name,
            format!("{found}: not registered with the Cloud API"),
            format!(
                "register it with a 6-digit PIN of your choosing: POST /{version}/{id}/register with \
                 {{\"messaging_product\":\"whatsapp\",\"pin\":\"123456\"}} (WhatsApp Manager > Phone numbers \
                 shows its state)"
            ),
        );
    }
    let status = phone["status"].as_str();
    if status.is_some_and(|s| !matches!(s, "CONNECTED" | "FLAGGED")) {
        return Check::fail(
            name,
            found,
            "WhatsApp Manager > Phone numbers says why the number is not connected (pending verification, \
             restricted, banned) and what to do",
        );
    }
    if phone["quality_rating"] == "RED" {
        return Check::fail(
            name,
            found,
            "quality is low: users block or report its messages; send fewer unrequested messages (WhatsApp \
             Manager > Insights), or its limit will be lowered",
        );
    }
    Check::pass(name, found)
}

/// A failed check whose fix was tried and refused.
fn with_fix_failure(mut check: Check, failure: &Failure) -> Check {
    check.found = format!("{}; --fix was refused: {}", check.found, failure.text());
    check
}

fn unix_now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// Days since 1970-01-01 of today (UTC).
fn today() -> i64 {
    unix_now().div_euclid(86_400)
}

/// Days since 1970-01-01 of a date (Howard Hinnant's algorithm).
fn days_from_civil(year: i32, month: u32, day: u32) -> i64 {
    let year = i64::from(year) - i64::from(month <= 2);
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month = i64::from(month);
    let day_of_year =
        (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_count_days_from_the_epoch() {
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2000, 3, 1), 11_017);
        assert_eq!(days_from_civil(2026, 9, 24), 20_720);
    }
}
