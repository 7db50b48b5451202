//! Layered configuration: built-in defaults < configuration file < environment < flags.
//!
//! Keys, file names and environment variables follow @chatally/whatsapp-cloud so that its
//! users keep their `whatsapp-cloud.config.yaml`. Every key is declared once in [`KEYS`]
//! with its type, default and environment variable; each layer is checked against that
//! table, so a value of the wrong type is reported with its key and where it came from
//! before any command does any work. Nothing outside this module reads `WHATSAPP_CLOUD_*`.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};
use serde_json::{Value, json};

pub(crate) use crate::secret::Secret;
use crate::usage_error::UsageError;

/// The prefix of every environment variable that configures wa-cloud.
pub(crate) const ENV_PREFIX: &str = "WHATSAPP_CLOUD_";

/// File names looked for in the working directory, in this order.
pub(crate) const FILE_NAMES: [&str; 4] = [
    "whatsapp-cloud.config",
    "whatsapp-cloud.config.json",
    "whatsapp-cloud.config.yaml",
    "whatsapp-cloud.config.yml",
];

/// What a configuration value is, which decides how it is parsed and shown.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Text,
    /// Never printed, logged or handed to the handler.
    Secret,
    Path,
    Bool,
    Port,
    Count,
    /// A Graph API version: `25`, `25.0` or `v25.0`, kept as `v25.0`.
    Version,
    /// `true`, `false` or a timeout in milliseconds.
    Sequential,
    /// A list of handler event names.
    Events,
    /// A length of time: milliseconds as a number, or a string with a unit (`500ms`,
    /// `30s`, `5m`, `24h`); kept in milliseconds.
    Duration,
    /// `graphApi.numbers`: business numbers and their own settings (see [`Numbers`]);
    /// may hold access tokens, so it is shown and reported like a secret's holder.
    Numbers,
}

impl Kind {
    fn expected(self) -> &'static str {
        match self {
            Kind::Text | Kind::Secret => "a string",
            Kind::Path => "a path",
            Kind::Bool => "true or false",
            Kind::Port => "a port number (0 to 65535)",
            Kind::Count => "a whole number of 0 or more",
            Kind::Version => "a Graph API version such as 25, 25.0 or v25.0",
            Kind::Sequential => "true, false or a timeout in milliseconds",
            Kind::Events => "a list of events from message, status, update, error",
            Kind::Duration => {
                "a duration such as 500ms, 30s, 5m or 24h (a bare number is milliseconds)"
            }
            Kind::Numbers => NUMBERS_EXPECTED,
        }
    }
}

struct Key {
    path: &'static str,
    env: &'static str,
    kind: Kind,
    default: Option<&'static str>,
}

const fn key(
    path: &'static str,
    env: &'static str,
    kind: Kind,
    default: Option<&'static str>,
) -> Key {
    Key {
        path,
        env,
        kind,
        default,
    }
}

/// Every configuration key. Defaults are JSON literals.
const KEYS: &[Key] = &[
    key(
        "name",
        "WHATSAPP_CLOUD_NAME",
        Kind::Text,
        Some(r#""WhatsAppCloud""#),
    ),
    key(
        "immediate",
        "WHATSAPP_CLOUD_IMMEDIATE",
        Kind::Bool,
        Some("true"),
    ),
    key(
        "webhooks.port",
        "WHATSAPP_CLOUD_WEBHOOKS_PORT",
        Kind::Port,
        Some("3000"),
    ),
    key(
        "webhooks.path",
        "WHATSAPP_CLOUD_WEBHOOKS_PATH",
        Kind::Text,
        Some(r#""/""#),
    ),
    key(
        "webhooks.verifyToken",
        "WHATSAPP_CLOUD_WEBHOOKS_VERIFY_TOKEN",
        Kind::Secret,
        None,
    ),
    key(
        "webhooks.secret",
        "WHATSAPP_CLOUD_WEBHOOKS_SECRET",
        Kind::Secret,
        None,
    ),
    key(
        "webhooks.assetsDir",
        "WHATSAPP_CLOUD_WEBHOOKS_ASSETS_DIR",
        Kind::Path,
        None,
    ),
    key(
        "webhooks.assetsPath",
        "WHATSAPP_CLOUD_WEBHOOKS_ASSETS_PATH",
        Kind::Text,
        Some(r#""/assets""#),
    ),
    key(
        "webhooks.headerTimeout",
        "WHATSAPP_CLOUD_WEBHOOKS_HEADER_TIMEOUT",
        Kind::Duration,
        Some(r#""10s""#),
    ),
    key(
        "webhooks.bodyTimeout",
        "WHATSAPP_CLOUD_WEBHOOKS_BODY_TIMEOUT",
        Kind::Duration,
        Some(r#""30s""#),
    ),
    key(
        "webhooks.bodyBudget",
        "WHATSAPP_CLOUD_WEBHOOKS_BODY_BUDGET",
        Kind::Count,
        Some("67108864"),
    ),
    key(
        "webhooks.maxConnections",
        "WHATSAPP_CLOUD_WEBHOOKS_MAX_CONNECTIONS",
        Kind::Count,
        Some("1000"),
    ),
    key(
        "webhooks.shutdownGrace",
        "WHATSAPP_CLOUD_WEBHOOKS_SHUTDOWN_GRACE",
        Kind::Duration,
        Some(r#""5s""#),
    ),
    key(
        "webhooks.metrics",
        "WHATSAPP_CLOUD_WEBHOOKS_METRICS",
        Kind::Bool,
        Some("false"),
    ),
    key(
        "webhooks.tls.cert",
        "WHATSAPP_CLOUD_WEBHOOKS_TLS_CERT",
        Kind::Path,
        None,
    ),
    key(
        "webhooks.tls.key",
        "WHATSAPP_CLOUD_WEBHOOKS_TLS_KEY",
        Kind::Path,
        None,
    ),
    key(
        "graphApi.baseUrl",
        "WHATSAPP_CLOUD_GRAPHAPI_BASE_URL",
        Kind::Text,
        Some(r#""graph.facebook.com""#),
    ),
    key(
        "graphApi.basePort",
        "WHATSAPP_CLOUD_GRAPHAPI_BASE_PORT",
        Kind::Port,
        None,
    ),
    key(
        "graphApi.version",
        "WHATSAPP_CLOUD_GRAPHAPI_VERSION",
        Kind::Version,
        Some(r#""v25.0""#),
    ),
    key(
        "graphApi.phoneNumberId",
        "WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID",
        Kind::Text,
        None,
    ),
    key(
        "graphApi.businessAccountId",
        "WHATSAPP_CLOUD_GRAPHAPI_BUSINESS_ACCOUNT_ID",
        Kind::Text,
        None,
    ),
    key(
        "graphApi.appId",
        "WHATSAPP_CLOUD_GRAPHAPI_APP_ID",
        Kind::Text,
        None,
    ),
    key(
        "graphApi.accessToken",
        "WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN",
        Kind::Secret,
        None,
    ),
    key(
        "graphApi.numbers",
        "WHATSAPP_CLOUD_GRAPHAPI_NUMBERS",
        Kind::Numbers,
        None,
    ),
    key(
        "graphApi.timeout",
        "WHATSAPP_CLOUD_GRAPHAPI_TIMEOUT",
        Kind::Duration,
        Some(r#""15s""#),
    ),
    key(
        "media.downloadDir",
        "WHATSAPP_CLOUD_MEDIA_DOWNLOAD_DIR",
        Kind::Path,
        Some(r#""./media""#),
    ),
    key(
        "media.dbPath",
        "WHATSAPP_CLOUD_MEDIA_DB_PATH",
        Kind::Path,
        Some(r#""./media/media-ids.db""#),
    ),
    key(
        "messages.sequential",
        "WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL",
        Kind::Sequential,
        Some("true"),
    ),
    key(
        "messages.markAsRead",
        "WHATSAPP_CLOUD_MESSAGES_MARK_AS_READ",
        Kind::Bool,
        Some("true"),
    ),
    key(
        "messages.checkWindow",
        "WHATSAPP_CLOUD_MESSAGES_CHECK_WINDOW",
        Kind::Bool,
        Some("true"),
    ),
    key(
        "messages.maxPerSecond",
        "WHATSAPP_CLOUD_MESSAGES_MAX_PER_SECOND",
        Kind::Count,
        Some("80"),
    ),
    key(
        "messages.maxInFlight",
        "WHATSAPP_CLOUD_MESSAGES_MAX_IN_FLIGHT",
        Kind::Count,
        Some("256"),
    ),
    key(
        "messages.giveUpAfter",
        "WHATSAPP_CLOUD_MESSAGES_GIVE_UP_AFTER",
        Kind::Duration,
        Some(r#""24h""#),
    ),
    key(
        "messages.inDoubtWait",
        "WHATSAPP_CLOUD_MESSAGES_IN_DOUBT_WAIT",
        Kind::Duration,
        Some(r#""30s""#),
    ),
    key(
        "dispatch.workers",
        "WHATSAPP_CLOUD_DISPATCH_WORKERS",
        Kind::Count,
        Some("1"),
    ),
    key(
        "dispatch.events",
        "WHATSAPP_CLOUD_DISPATCH_EVENTS",
        Kind::Events,
        Some(r#"["message"]"#),
    ),
    key(
        "dispatch.retries",
        "WHATSAPP_CLOUD_DISPATCH_RETRIES",
        Kind::Count,
        Some("2"),
    ),
    key(
        "dispatch.window",
        "WHATSAPP_CLOUD_DISPATCH_WINDOW",
        Kind::Count,
        Some("16"),
    ),
    key(
        "dispatch.maxLineBytes",
        "WHATSAPP_CLOUD_DISPATCH_MAX_LINE_BYTES",
        Kind::Count,
        Some("1048576"),
    ),
    key(
        "dispatch.ackTimeout",
        "WHATSAPP_CLOUD_DISPATCH_ACK_TIMEOUT",
        Kind::Duration,
        Some(r#""60s""#),
    ),
];

fn find_key(path: &str) -> Option<&'static Key> {
    KEYS.iter().find(|k| k.path == path)
}

/// The known name closest to `unknown`, if one is close enough to be a likely typo.
fn closest<'a>(unknown: &str, known: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    known
        .map(|k| {
            (
                strsim::jaro_winkler(&unknown.to_lowercase(), &k.to_lowercase()),
                k,
            )
        })
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, k)| k)
}

/// Where a value came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Origin {
    Default,
    File(PathBuf),
    Env(String),
    Flag(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => write!(f, "default"),
            Origin::File(path) => write!(f, "file {}", path.display()),
            Origin::Env(var) => write!(f, "env {var}"),
            Origin::Flag(flag) => write!(f, "flag {flag}"),
        }
    }
}

/// Which configuration file to read.
#[derive(Clone, Debug)]
pub(crate) enum FileChoice {
    /// `--config FILE`: this file, which must exist.
    Explicit(PathBuf),
    /// The first of [`FILE_NAMES`] in `cwd`, else `config.yaml` in `config_dir`.
    Search {
        cwd: PathBuf,
        config_dir: Option<PathBuf>,
    },
    /// `--no-config-file`.
    None,
}

impl FileChoice {
    /// The default search: the working directory, then the platform's config directory.
    pub(crate) fn search() -> Result<Self> {
        let cwd = std::env::current_dir().context("cannot read the working directory")?;
        let config_dir = directories::ProjectDirs::from("", "", "wa-cloud")
            .map(|dirs| dirs.config_dir().to_path_buf());
        Ok(FileChoice::Search { cwd, config_dir })
    }

    fn locate(&self) -> Result<Option<PathBuf>> {
        match self {
            FileChoice::None => Ok(None),
            FileChoice::Explicit(path) => {
                if path.is_file() {
                    Ok(Some(path.clone()))
                } else {
                    Err(UsageError::new(format!(
                        "config file `{}` does not exist: check the path given to --config",
                        path.display()
                    ))
                    .into())
                }
            }
            FileChoice::Search { cwd, config_dir } => Ok(FILE_NAMES
                .iter()
                .map(|name| cwd.join(name))
                .chain(config_dir.iter().map(|dir| dir.join("config.yaml")))
                .find(|path| path.is_file())),
        }
    }
}

/// A value given on the command line, for the flags layer.
pub(crate) struct FlagValue {
    pub key: &'static str,
    pub flag: &'static str,
    pub value: Value,
}

/// Everything configuration is read from; tests build one by hand.
pub(crate) struct Sources {
    pub file: FileChoice,
    /// The environment, or `None` for `--no-env`.
    pub env: Option<Vec<(String, String)>>,
    pub flags: Vec<FlagValue>,
}

impl Sources {
    /// The process environment as a layer.
    pub(crate) fn process_env() -> Vec<(String, String)> {
        std::env::vars_os()
            .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?)))
            .filter(|(k, _)| k.starts_with(ENV_PREFIX))
            .collect()
    }
}

/// One resolved value and its origin.
#[derive(Clone, Debug)]
struct Entry {
    value: Value,
    origin: Origin,
}

/// The effective configuration: every key's value with its origin, checked for type.
pub struct Config {
    entries: BTreeMap<&'static str, Entry>,
    /// The configuration file that was read, if any.
    pub file: Option<PathBuf>,
    /// Likely mistakes that did not stop loading (unknown keys), for the caller to log.
    pub warnings: Vec<String>,
}

/// What talking to the Graph API needs.
#[derive(Clone, Debug)]
pub struct GraphConfig {
    /// `https://graph.facebook.com/v25.0`, without a trailing slash.
    pub(crate) base_url: String,
    pub(crate) phone_number_id: String,
    pub(crate) access_token: Secret,
    /// How long one request may take, connecting and waiting for the answer.
    pub(crate) timeout: Duration,
}

impl Config {
    pub(crate) fn load(sources: &Sources) -> Result<Config> {
        let mut entries = defaults();
        let mut warnings = Vec::new();

        let file = sources.file.locate()?;
        if let Some(path) = &file {
            let text = std::fs::read_to_string(path).map_err(|err| {
                UsageError::new(format!(
                    "cannot read config file `{}`: {err}",
                    path.display()
                ))
            })?;
            apply_file(path, &text, &mut entries, &mut warnings)?;
        }

        for (var, raw) in sources.env.iter().flatten() {
            if !var.starts_with(ENV_PREFIX) {
                continue;
            }
            let Some(spec) = KEYS.iter().find(|k| k.env == var) else {
                let known = KEYS.iter().map(|k| k.env);
                let hint = closest(var, known)
                    .map(|k| format!(" (did you mean `{k}`?)"))
                    .unwrap_or_default();
                warnings.push(format!(
                    "ignoring unknown environment variable `{var}`{hint}"
                ));
                continue;
            };
            if raw.is_empty() {
                continue;
            }
            let value = parse_value(spec, &Value::String(raw.clone())).map_err(|expected| {
                let shown = match spec.kind {
                    Kind::Secret => "********".to_string(),
                    Kind::Numbers => masked_numbers(&Value::String(raw.clone())),
                    _ => format!("{raw:?}"),
                };
                UsageError::new(format!(
                    "environment variable `{var}` (`{}`) must be {expected}, but is {shown}; correct or unset it",
                    spec.path
                ))
            })?;
            entries.insert(
                spec.path,
                Entry {
                    value,
                    origin: Origin::Env(var.clone()),
                },
            );
        }

        for flag in &sources.flags {
            let spec = find_key(flag.key).expect("flags name known keys");
            let value = parse_value(spec, &flag.value).map_err(|expected| {
                UsageError::new(format!(
                    "{} must be {expected}, but is {}",
                    flag.flag, flag.value
                ))
            })?;
            entries.insert(
                spec.path,
                Entry {
                    value,
                    origin: Origin::Flag(flag.flag.to_string()),
                },
            );
        }

        Ok(Config {
            entries,
            file,
            warnings,
        })
    }

    fn entry(&self, key: &str) -> Option<&Entry> {
        debug_assert!(find_key(key).is_some(), "unknown key {key}");
        self.entries.get(key)
    }

    fn text(&self, key: &str) -> Option<&str> {
        self.entry(key).and_then(|e| e.value.as_str())
    }

    fn number(&self, key: &str) -> Option<u64> {
        self.entry(key).and_then(|e| e.value.as_u64())
    }

    /// The value of a key that has a default in [`KEYS`]. Entries always hold one: they
    /// start from the defaults and `null` in a file puts the default back, so a default
    /// is written in one place only, the table.
    fn defaulted(&self, key: &str) -> &Value {
        match self.entry(key) {
            Some(entry) => &entry.value,
            None => panic!("`{key}` has no default in KEYS"),
        }
    }

    /// A text key with a default.
    fn text_or_default(&self, key: &str) -> &str {
        let value = self.defaulted(key);
        value
            .as_str()
            .unwrap_or_else(|| panic!("`{key}` is text: {value}"))
    }

    /// A count (or port) with a default.
    fn count(&self, key: &str) -> u64 {
        let value = self.defaulted(key);
        value
            .as_u64()
            .unwrap_or_else(|| panic!("`{key}` is a count: {value}"))
    }

    /// A count with a default, as a size in memory.
    fn size(&self, key: &str) -> usize {
        usize::try_from(self.count(key)).unwrap_or(usize::MAX)
    }

    /// A boolean with a default.
    fn flag(&self, key: &str) -> bool {
        let value = self.defaulted(key);
        value
            .as_bool()
            .unwrap_or_else(|| panic!("`{key}` is a boolean: {value}"))
    }

    /// A `Kind::Duration` key with a default.
    fn duration(&self, key: &str) -> Duration {
        let value = self.defaulted(key);
        let ms = value.as_str().and_then(parse_duration_ms);
        Duration::from_millis(ms.unwrap_or_else(|| panic!("`{key}` is a duration: {value}")))
    }

    /// Where `key`'s value came from, if it has one.
    pub(crate) fn origin(&self, key: &str) -> Option<&Origin> {
        self.entry(key).map(|e| &e.origin)
    }

    /// A required value, or an error that says every way to set it.
    fn required(&self, key: &str, flag: Option<&str>) -> Result<&str> {
        match self.text(key) {
            Some(value) if !value.is_empty() => Ok(value),
            _ => {
                let spec = find_key(key).expect("known key");
                let flag = flag.map(|f| format!(", or pass {f}")).unwrap_or_default();
                Err(UsageError::new(format!(
                    "`{key}` is not set: set `{key}` in the config file ({}), or the environment variable `{}`{flag}",
                    FILE_NAMES[2], spec.env
                ))
                .into())
            }
        }
    }

    /// The Graph API settings, or an error naming the first missing one.
    pub fn graph(&self) -> Result<GraphConfig> {
        let phone_number_id = self.required("graphApi.phoneNumberId", Some("--phone-number-id"))?;
        // A number of `graphApi.numbers` with a token of its own needs no `accessToken`.
        let access_token = match self.numbers().token_of(phone_number_id) {
            Some(token) => token.clone(),
            None => Secret::new(self.required("graphApi.accessToken", None)?),
        };
        if !phone_number_id.chars().all(|c| c.is_ascii_digit()) {
            return Err(UsageError::new(format!(
                "`graphApi.phoneNumberId` ({}) must be the numeric id of the business phone number \
                 (App Dashboard > WhatsApp > API Setup), not the phone number itself",
                self.origin("graphApi.phoneNumberId").expect("set")
            ))
            .into());
        }
        Ok(GraphConfig {
            base_url: self.graph_base_url(),
            phone_number_id: phone_number_id.to_string(),
            access_token,
            timeout: self.duration("graphApi.timeout"),
        })
    }

    /// `graphApi.businessAccountId`, the WhatsApp Business Account that owns the templates,
    /// or an error that says where to find it.
    pub(crate) fn business_account_id(&self) -> Result<String> {
        let id = self.text("graphApi.businessAccountId").unwrap_or_default();
        if id.is_empty() {
            return Err(UsageError::new(
                "`graphApi.businessAccountId` is not set: templates belong to your WhatsApp Business \
                 Account (WABA). Find its id in the App Dashboard under WhatsApp > API Setup (\"WhatsApp \
                 Business Account ID\"), or in WhatsApp Manager > Account tools; then set \
                 WHATSAPP_CLOUD_GRAPHAPI_BUSINESS_ACCOUNT_ID or `graphApi.businessAccountId` in the config file",
            )
            .into());
        }
        if !id.chars().all(|c| c.is_ascii_digit()) {
            return Err(UsageError::new(format!(
                "`graphApi.businessAccountId` ({}) must be the numeric id of the WhatsApp Business Account \
                 (App Dashboard > WhatsApp > API Setup), such as 102290129340398",
                self.origin("graphApi.businessAccountId").expect("set")
            ))
            .into());
        }
        Ok(id.to_string())
    }

    /// `graphApi.businessAccountId` when it is set and valid, for lookups that do without.
    pub(crate) fn business_account_id_if_set(&self) -> Option<String> {
        self.business_account_id().ok()
    }

    /// `graphApi.phoneNumberId` when it is set, for a command with a default of its own
    /// (`dev`); with its origin, for an error that says where a wrong value came from.
    pub(crate) fn phone_number_id(&self) -> Option<(&str, &Origin)> {
        let entry = self.entry("graphApi.phoneNumberId")?;
        let id = entry.value.as_str().filter(|id| !id.is_empty())?;
        Some((id, &entry.origin))
    }

    /// `graphApi.version`, such as `v25.0`.
    pub(crate) fn graph_version(&self) -> &str {
        self.text_or_default("graphApi.version")
    }

    /// `https://baseUrl/version`, or `http://baseUrl:basePort/version` when `basePort` is set.
    pub(crate) fn graph_base_url(&self) -> String {
        let host = self.text_or_default("graphApi.baseUrl");
        let version = self.graph_version();
        let root = match (host.contains("://"), self.number("graphApi.basePort")) {
            (true, None) => host.to_string(),
            (true, Some(port)) => format!("{}:{port}", host.trim_end_matches('/')),
            (false, None) => format!("https://{host}"),
            (false, Some(port)) => format!("http://{host}:{port}"),
        };
        format!("{}/{version}", root.trim_end_matches('/'))
    }

    /// Where media and the database live.
    pub fn media(&self) -> MediaConfig {
        MediaConfig {
            download_dir: PathBuf::from(self.text_or_default("media.downloadDir")),
            db_path: PathBuf::from(self.text_or_default("media.dbPath")),
        }
    }

    /// What `serve` needs to answer WhatsApp.
    pub fn webhooks(&self) -> WebhooksConfig {
        let secret = |key| self.text(key).filter(|s| !s.is_empty()).map(Secret::new);
        WebhooksConfig {
            // A port is checked to be at most 65535 when it is read.
            port: u16::try_from(self.count("webhooks.port")).unwrap_or(u16::MAX),
            path: self.text_or_default("webhooks.path").to_string(),
            verify_token: secret("webhooks.verifyToken"),
            secret: secret("webhooks.secret"),
            assets_dir: self.text("webhooks.assetsDir").map(PathBuf::from),
            assets_path: self.text_or_default("webhooks.assetsPath").to_string(),
            header_timeout: self.duration("webhooks.headerTimeout"),
            body_timeout: self.duration("webhooks.bodyTimeout"),
            body_budget: self.size("webhooks.bodyBudget"),
            max_connections: self.size("webhooks.maxConnections").max(1),
            shutdown_grace: self.duration("webhooks.shutdownGrace"),
        }
    }

    /// Whether `serve` answers `/metrics` on the webhooks port (`webhooks.metrics`).
    pub(crate) fn metrics_on_webhooks_port(&self) -> bool {
        self.flag("webhooks.metrics")
    }

    /// A text key's value, when it is set and not empty.
    pub(crate) fn optional_text(&self, key: &str) -> Option<&str> {
        self.text(key).filter(|value| !value.is_empty())
    }

    /// The certificate and key `serve` speaks HTTPS with (`webhooks.tls.cert` and `.key`,
    /// or the flags), or `None` for plain HTTP. One without the other is a usage error.
    pub(crate) fn tls(
        &self,
        cert_flag: Option<&Path>,
        key_flag: Option<&Path>,
    ) -> Result<Option<(PathBuf, PathBuf)>> {
        let cert = cert_flag
            .map(Path::to_path_buf)
            .or_else(|| self.text("webhooks.tls.cert").map(PathBuf::from));
        let key = key_flag
            .map(Path::to_path_buf)
            .or_else(|| self.text("webhooks.tls.key").map(PathBuf::from));
        match (cert, key) {
            (Some(cert), Some(key)) => Ok(Some((cert, key))),
            (None, None) => Ok(None),
            (Some(_), None) => Err(UsageError::new(
                "a TLS certificate is given but no key: set `webhooks.tls.key` (or --tls-key) to the certificate's \
                 PEM private key, or unset the certificate to serve plain HTTP",
            )
            .into()),
            (None, Some(_)) => Err(UsageError::new(
                "a TLS key is given but no certificate: set `webhooks.tls.cert` (or --tls-cert) to the PEM \
                 certificate chain, or unset the key to serve plain HTTP",
            )
            .into()),
        }
    }

    /// How replies are sent (`messages.*`) and handed over (`immediate`, `dispatch.*`).
    pub fn messages(&self) -> MessagesConfig {
        // `true` (the default) waits for a delivery at most DEFAULT_SEQUENTIAL_TIMEOUT.
        let sequential = match self.defaulted("messages.sequential") {
            Value::Bool(false) => None,
            Value::Number(ms) => Some(Duration::from_millis(ms.as_u64().unwrap_or(0))),
            _ => Some(DEFAULT_SEQUENTIAL_TIMEOUT),
        };
        let clamped = |key| u32::try_from(self.count(key)).unwrap_or(u32::MAX);
        MessagesConfig {
            sequential,
            mark_as_read: self.flag("messages.markAsRead"),
            check_window: self.flag("messages.checkWindow"),
            max_per_second: clamped("messages.maxPerSecond"),
            max_in_flight: self.size("messages.maxInFlight").max(1),
            immediate: self.flag("immediate"),
            workers: self.size("dispatch.workers").max(1),
            retries: clamped("dispatch.retries"),
            window: Window {
                events: self.size("dispatch.window").max(1),
                max_line_bytes: self.size("dispatch.maxLineBytes").max(1),
            },
            ack_timeout: Some(self.duration("dispatch.ackTimeout")).filter(|d| !d.is_zero()),
            give_up_after: self.duration("messages.giveUpAfter"),
            in_doubt_wait: self.duration("messages.inDoubtWait"),
        }
    }

    /// The handler events asked for (`dispatch.events`).
    pub fn events(&self) -> Vec<String> {
        let events = self
            .entry("dispatch.events")
            .and_then(|e| e.value.as_array());
        events
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_string))
            .collect()
    }

    /// Every key with its shown value (secrets masked) and origin, for `wa-cloud config`.
    pub fn describe(&self) -> Vec<Described> {
        KEYS.iter()
            .map(|spec| {
                let entry = self.entries.get(spec.path);
                let value = match entry {
                    None => Value::Null,
                    Some(_) if spec.kind == Kind::Secret => json!("********"),
                    Some(e) if spec.kind == Kind::Numbers => mask_tokens(&e.value),
                    Some(e) => e.value.clone(),
                };
                Described {
                    key: spec.path,
                    env: spec.env,
                    value,
                    origin: entry.map(|e| e.origin.clone()),
                }
            })
            .collect()
    }
}

/// Shows what `wa-cloud config` shows: secrets stay masked.
impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut map = f.debug_map();
        for d in self.describe() {
            map.entry(&d.key, &d.value);
        }
        map.finish()
    }
}

/// How long `messages.sequential: true` waits for a message's delivery before sending
/// the next one to the same recipient.
pub(crate) const DEFAULT_SEQUENTIAL_TIMEOUT: Duration = Duration::from_secs(10);

/// How replies are sent and events handed over.
#[derive(Clone, Debug)]
pub struct MessagesConfig {
    /// `None`: send without waiting; else wait for the previous message's delivery at most this long.
    pub(crate) sequential: Option<Duration>,
    pub(crate) mark_as_read: bool,
    /// Refuse a free-form reply outside the contact's 24-hour window before sending it.
    pub(crate) check_window: bool,
    /// 0: no ceiling.
    pub(crate) max_per_second: u32,
    /// Graph API calls (sends and read marks) in flight at once, at least 1.
    pub(crate) max_in_flight: usize,
    pub(crate) immediate: bool,
    pub(crate) workers: usize,
    /// How many crashes an event may cause before it is parked.
    pub(crate) retries: u32,
    /// What a worker's handler may hold unacknowledged, and write in one line.
    pub(crate) window: Window,
    /// After this long without an acknowledgement an event counts as dealt with; `None`: never.
    pub(crate) ack_timeout: Option<Duration>,
    /// A reply that could not be sent for this long fails for good.
    pub(crate) give_up_after: Duration,
    /// After a restart, how long a reply whose send was in flight waits for a status.
    pub(crate) in_doubt_wait: Duration,
}

/// The flow control of one worker's pipes: how many events its handler may hold
/// unacknowledged (`dispatch.window`) and how long a line it may write
/// (`dispatch.maxLineBytes`); a longer line is skipped, so a runaway handler cannot make
/// `serve` hold more than this in memory per pipe.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Window {
    pub events: usize,
    pub max_line_bytes: usize,
}

/// Where media and the database live.
#[derive(Clone, Debug)]
pub struct MediaConfig {
    pub(crate) download_dir: PathBuf,
    pub(crate) db_path: PathBuf,
}

/// The webhooks endpoint's settings.
#[derive(Clone, Debug)]
pub struct WebhooksConfig {
    pub(crate) port: u16,
    pub(crate) path: String,
    pub(crate) verify_token: Option<Secret>,
    pub(crate) secret: Option<Secret>,
    pub(crate) assets_dir: Option<PathBuf>,
    pub(crate) assets_path: String,
    /// How long a client may take to send a request's line and headers; also how long an
    /// idle connection stays open.
    pub(crate) header_timeout: Duration,
    /// How long a client may take to send a notification's body.
    pub(crate) body_timeout: Duration,
    /// Bytes of bodies not yet authenticated held at once, all requests together.
    pub(crate) body_budget: usize,
    /// Connections open at once (fewer when the open-files limit is low).
    pub(crate) max_connections: usize,
    /// After a stop signal, how long requests in flight may take to finish.
    pub(crate) shutdown_grace: Duration,
}

/// One line of `wa-cloud config`.
pub struct Described {
    pub key: &'static str,
    pub(crate) env: &'static str,
    /// The value, `"********"` for a secret that is set, null when unset.
    pub value: Value,
    pub(crate) origin: Option<Origin>,
}

/// Every key's default value.
fn defaults() -> BTreeMap<&'static str, Entry> {
    KEYS.iter()
        .filter_map(|key| Some((key.path, default_entry(key)?)))
        .collect()
}

/// A key's default value from [`KEYS`], if it has one.
fn default_entry(key: &Key) -> Option<Entry> {
    let literal = key.default?;
    let value = serde_json::from_str(literal).expect("defaults are valid JSON");
    Some(Entry {
        value,
        origin: Origin::Default,
    })
}

/// The configuration file layer: the text of the file at `path`, checked key by key,
/// over `entries`.
fn apply_file(
    path: &Path,
    text: &str,
    entries: &mut BTreeMap<&'static str, Entry>,
    warnings: &mut Vec<String>,
) -> Result<()> {
    for (key, value) in parse_file(path, text)? {
        let Some(spec) = find_key(&key) else {
            warnings.push(unknown_key_warning(
                &key,
                &format!("config file `{}`", path.display()),
            ));
            continue;
        };
        if value.is_null() {
            // Unset: back to the default, or to no value for a key without one.
            match default_entry(spec) {
                Some(default) => entries.insert(spec.path, default),
                None => entries.remove(spec.path),
            };
            continue;
        }
        let value = parse_value(spec, &value).map_err(|expected| {
            UsageError::new(format!(
                "config file `{}`: `{}` must be {expected}, but is {}; correct or remove it",
                path.display(),
                spec.path,
                shown(spec, &value)
            ))
        })?;
        let origin = Origin::File(path.to_path_buf());
        entries.insert(spec.path, Entry { value, origin });
    }
    Ok(())
}

impl Config {
    /// The configuration that a file named `name` holding `text` gives, over the
    /// defaults (no environment, no flags): what [`Config::load`] does with a file, without
    /// reading one. For fuzzing and tests.
    pub fn from_file_text(name: &str, text: &str) -> Result<Config> {
        let mut entries = defaults();
        let mut warnings = Vec::new();
        let path = PathBuf::from(name);
        apply_file(&path, text, &mut entries, &mut warnings)?;
        Ok(Config {
            entries,
            file: Some(path),
            warnings,
        })
    }
}

/// A value of the wrong type, as an error shows it: a secret's by its type only, since
/// it may still be the secret, put in the wrong shape.
fn shown(spec: &Key, value: &Value) -> String {
    if spec.kind == Kind::Numbers {
        return masked_numbers(value);
    }
    if spec.kind != Kind::Secret {
        return value.to_string();
    }
    let hint = match value {
        Value::Number(_) | Value::Bool(_) => "; put it in quotes",
        _ => "",
    };
    format!(
        "{} (not shown: it may be the secret{hint})",
        type_name(value)
    )
}

/// What kind of JSON or YAML value this is, in words.
fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "a mapping",
    }
}

fn unknown_key_warning(key: &str, source: &str) -> String {
    match closest(key, KEYS.iter().map(|k| k.path)) {
        Some(known) => format!("{source}: ignoring unknown key `{key}` (did you mean `{known}`?)"),
        None => format!("{source}: ignoring unknown key `{key}`"),
    }
}

/// The text of a JSON or YAML file as `(dotted key, value)` pairs, in file order. Errors
/// show where the file is wrong and what kind of value it has there, never the value: a
/// mistyped section may hold a secret.
fn parse_file(path: &Path, text: &str) -> Result<Vec<(String, Value)>> {
    let is_json = match path.extension().and_then(|e| e.to_str()) {
        Some("json") => true,
        Some("yaml" | "yml") => false,
        _ => text.trim_start().starts_with('{'),
    };
    let document: Value = if is_json {
        serde_json::from_str(text).map_err(|err| {
            UsageError::new(format!(
                "config file `{}` is not valid JSON: {err}; fix the file, or skip it with --no-config-file",
                path.display()
            ))
        })?
    } else {
        serde_yaml::from_str(text).map_err(|err| {
            UsageError::new(format!(
                "config file `{}` is not valid YAML: {err}; fix the file, or skip it with --no-config-file",
                path.display()
            ))
        })?
    };
    let sections = match document {
        Value::Object(map) => map,
        Value::Null => return Ok(Vec::new()),
        other => {
            return Err(UsageError::new(format!(
                "config file `{}` must hold a mapping of keys (webhooks, graphApi, media, ...), not {}",
                path.display(),
                type_name(&other)
            ))
            .into());
        }
    };
    let mut pairs = Vec::new();
    for (section, value) in sections {
        let is_section = KEYS
            .iter()
            .any(|k| k.path.starts_with(&format!("{section}.")));
        match value {
            Value::Object(map) if is_section => {
                for (k, v) in map {
                    flatten_subsection(format!("{section}.{k}"), v, &mut pairs);
                }
            }
            Value::Null if is_section => {}
            other if is_section => {
                return Err(UsageError::new(format!(
                    "config file `{}`: `{section}` must be a mapping of keys, but is {}",
                    path.display(),
                    type_name(&other)
                ))
                .into());
            }
            other => pairs.push((section, other)),
        }
    }
    Ok(pairs)
}

/// `key: value`, or the keys of a mapping under a key that is itself a section of known
/// keys (`webhooks: {tls: {cert: ...}}` gives `webhooks.tls.cert`).
fn flatten_subsection(key: String, value: Value, pairs: &mut Vec<(String, Value)>) {
    let prefix = format!("{key}.");
    match value {
        Value::Object(map) if KEYS.iter().any(|k| k.path.starts_with(&prefix)) => {
            for (k, v) in map {
                flatten_subsection(format!("{prefix}{k}"), v, pairs);
            }
        }
        other => pairs.push((key, other)),
    }
}

/// Checks `value` against the key's kind and returns it in canonical form, or what was expected.
fn parse_value(spec: &Key, value: &Value) -> Result<Value, &'static str> {
    let expected = spec.kind.expected();
    let text = value.as_str().map(str::trim);
    let parsed = match spec.kind {
        Kind::Text | Kind::Secret | Kind::Path => match value {
            Value::String(s) => Some(json!(s)),
            Value::Number(n) if spec.kind == Kind::Text => Some(json!(n.to_string())),
            _ => None,
        },
        Kind::Bool => value
            .as_bool()
            .or_else(|| text.and_then(parse_bool))
            .map(Value::Bool),
        Kind::Port => unsigned(value).filter(|n| *n <= 65535).map(|n| json!(n)),
        Kind::Count => unsigned(value).map(|n| json!(n)),
        Kind::Version => parse_version(value).map(Value::String),
        Kind::Sequential => value
            .as_bool()
            .or_else(|| text.and_then(parse_bool))
            .map(Value::Bool)
            .or_else(|| unsigned(value).map(|n| json!(n))),
        Kind::Events => {
            let names: Option<Vec<String>> = match value {
                Value::Array(items) => items
                    .iter()
                    .map(|v| v.as_str().map(|s| s.trim().to_string()))
                    .collect(),
                Value::String(s) => Some(
                    s.split(',')
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect(),
                ),
                _ => None,
            };
            names
                .filter(|names| {
                    names
                        .iter()
                        .all(|n| ["message", "status", "update", "error"].contains(&n.as_str()))
                })
                .map(|names| json!(names))
        }
        Kind::Duration => unsigned(value)
            .or_else(|| text.and_then(parse_duration_ms))
            .map(|ms| json!(show_duration_ms(ms))),
        Kind::Numbers => parse_numbers(value),
    };
    parsed.ok_or(expected)
}

/// Milliseconds in the largest unit that shows them exactly: `24h`, `90s`, `1500ms`.
fn show_duration_ms(ms: u64) -> String {
    for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1_000)] {
        if ms >= size && ms.is_multiple_of(size) {
            return format!("{}{unit}", ms / size);
        }
    }
    format!("{ms}ms")
}

/// `500ms`, `30s`, `5m`, `24h` or a bare number of milliseconds, in milliseconds.
pub(crate) fn parse_duration_ms(text: &str) -> Option<u64> {
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (number, unit) = text.split_at(split);
    let number: u64 = number.parse().ok()?;
    let factor = match unit.trim() {
        "" | "ms" => 1,
        "s" => 1_000,
        "m" | "min" => 60_000,
        "h" => 3_600_000,
        _ => return None,
    };
    number.checked_mul(factor)
}

fn parse_bool(s: &str) -> Option<bool> {
    match s.to_ascii_lowercase().as_str() {
        "true" | "yes" | "on" | "1" => Some(true),
        "false" | "no" | "off" | "0" => Some(false),
        _ => None,
    }
}

fn unsigned(value: &Value) -> Option<u64> {
    match value {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// `25`, `25.0`, `"v25"` and `"v25.0"` all mean `v25.0`.
fn parse_version(value: &Value) -> Option<String> {
    let text = match value {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.trim().trim_start_matches(['v', 'V']).to_string(),
        _ => return None,
    };
    let (major, minor) = text.split_once('.').unwrap_or((&text, "0"));
    let major: u32 = major.parse().ok()?;
    let minor: u32 = minor.parse().ok()?;
    (major > 0).then(|| format!("v{major}.{minor}"))
}

/// What `graphApi.numbers` must be, for errors.
const NUMBERS_EXPECTED: &str = "a mapping of phone number ids (digits) to their settings (`accessToken`: a string, \
     `maxPerSecond`: a whole number; both optional), or a list of phone number ids; in an environment \
     variable the same as JSON, or ids separated by commas";

/// `graphApi.numbers` in canonical form (`{"ID": {"accessToken": .., "maxPerSecond": ..}}`,
/// only the settings given), from a mapping, a list of ids, or either as JSON text or ids
/// separated by commas (the environment's forms).
fn parse_numbers(value: &Value) -> Option<Value> {
    let is_id = |id: &str| !id.is_empty() && id.chars().all(|c| c.is_ascii_digit());
    let id_of = |v: &Value| match v {
        Value::String(s) if is_id(s.trim()) => Some(s.trim().to_string()),
        Value::Number(n) => n.as_u64().map(|n| n.to_string()),
        _ => None,
    };
    let mut numbers = serde_json::Map::new();
    match value {
        Value::String(text) => {
            let text = text.trim();
            if text.starts_with(['{', '[']) {
                return parse_numbers(&serde_json::from_str(text).ok()?);
            }
            for id in text.split(',').map(str::trim).filter(|id| !id.is_empty()) {
                numbers.insert(id_of(&json!(id))?, json!({}));
            }
        }
        Value::Array(ids) => {
            for id in ids {
                numbers.insert(id_of(id)?, json!({}));
            }
        }
        Value::Object(map) => {
            for (id, settings) in map {
                let id = id_of(&json!(id))?;
                let settings = match settings {
                    Value::Null => serde_json::Map::new(),
                    Value::Object(settings) => settings.clone(),
                    _ => return None,
                };
                let mut canonical = serde_json::Map::new();
                for (key, setting) in settings {
                    let setting = match key.as_str() {
                        _ if setting.is_null() => continue,
                        "accessToken" => json!(setting.as_str().filter(|t| !t.trim().is_empty())?),
                        "maxPerSecond" => json!(unsigned(&setting)?),
                        _ => return None,
                    };
                    canonical.insert(key, setting);
                }
                numbers.insert(id, Value::Object(canonical));
            }
        }
        _ => return None,
    }
    Some(Value::Object(numbers))
}

/// `graphApi.numbers` (or what was given for it) as an error or `wa-cloud config` may show
/// it: every string inside a number's settings masked, since it may be a token, maybe
/// under a misspelt key.
fn mask_tokens(value: &Value) -> Value {
    match value {
        Value::Object(numbers) => Value::Object(
            numbers
                .iter()
                .map(|(id, settings)| {
                    let masked = match settings {
                        Value::Object(settings) => Value::Object(
                            settings
                                .iter()
                                .map(|(k, v)| {
                                    let v = if v.is_string() {
                                        json!("********")
                                    } else {
                                        v.clone()
                                    };
                                    (k.clone(), v)
                                })
                                .collect(),
                        ),
                        Value::String(_) => json!("********"),
                        other => other.clone(),
                    };
                    (id.clone(), masked)
                })
                .collect(),
        ),
        other => other.clone(),
    }
}

/// A value given for `graphApi.numbers`, for an error: JSON text is masked as parsed;
/// other text that is not a list of ids is not shown at all.
fn masked_numbers(value: &Value) -> String {
    match value {
        Value::String(text) => match serde_json::from_str::<Value>(text.trim()) {
            Ok(parsed) if parsed.is_object() => mask_tokens(&parsed).to_string(),
            _ if text
                .chars()
                .all(|c| c.is_ascii_digit() || c == ',' || c.is_whitespace()) =>
            {
                format!("{text:?}")
            }
            _ => "a string (not shown: it may hold an access token)".to_string(),
        },
        other => mask_tokens(other).to_string(),
    }
}

/// The business numbers of `graphApi.numbers`, each with the settings it has of its own.
/// When the key is set it is also the allow-list of `serve`: events that came to another
/// number (than these and `graphApi.phoneNumberId`) are stored but not handed over.
#[derive(Clone, Debug, Default)]
pub(crate) struct Numbers {
    listed: BTreeMap<String, NumberSettings>,
    /// Whether `graphApi.numbers` is set (an empty mapping allows the default number only).
    set: bool,
    /// `graphApi.phoneNumberId`, always allowed.
    default: Option<String>,
}

/// What a business number may set for itself in `graphApi.numbers`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct NumberSettings {
    /// Used for every call through this number instead of `graphApi.accessToken`.
    pub access_token: Option<Secret>,
    /// This number's ceiling instead of `messages.maxPerSecond`.
    pub max_per_second: Option<u32>,
}

impl Numbers {
    /// The numbers events are handed over for, when `graphApi.numbers` is set: those
    /// listed and `graphApi.phoneNumberId`; `None`: every number.
    pub(crate) fn allowed(&self) -> Option<Vec<String>> {
        self.set.then(|| {
            let mut ids: Vec<String> = self.listed.keys().cloned().collect();
            ids.extend(
                self.default
                    .iter()
                    .filter(|d| !self.listed.contains_key(*d))
                    .cloned(),
            );
            ids
        })
    }

    /// The access token of number `id`, when it has its own.
    pub(crate) fn token_of(&self, id: &str) -> Option<&Secret> {
        self.listed.get(id)?.access_token.as_ref()
    }

    /// Every access token of a number of its own, with its number.
    pub(crate) fn tokens(&self) -> impl Iterator<Item = (&str, &Secret)> {
        self.listed
            .iter()
            .filter_map(|(id, s)| Some((id.as_str(), s.access_token.as_ref()?)))
    }

    /// The rate ceilings that differ from `messages.maxPerSecond`, by number.
    pub(crate) fn max_per_second(&self) -> impl Iterator<Item = (&str, u32)> {
        self.listed
            .iter()
            .filter_map(|(id, s)| Some((id.as_str(), s.max_per_second?)))
    }
}

impl Config {
    /// `graphApi.numbers` (empty, allowing every number, when unset).
    pub(crate) fn numbers(&self) -> Numbers {
        let value = self.entry("graphApi.numbers").map(|e| &e.value);
        let listed = value
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
            .map(|(id, settings)| {
                let settings = NumberSettings {
                    access_token: settings["accessToken"].as_str().map(Secret::new),
                    max_per_second: settings["maxPerSecond"]
                        .as_u64()
                        .map(|n| u32::try_from(n).unwrap_or(u32::MAX)),
                };
                (id.clone(), settings)
            })
            .collect();
        Numbers {
            listed,
            set: value.is_some(),
            default: self.phone_number_id().map(|(id, _)| id.to_string()),
        }
    }

    /// [`Config::graph`] for calls through business number `id` (`send --from`): with its
    /// own access token when `graphApi.numbers` gives it one (then nothing else is needed),
    /// else with the default one.
    pub(crate) fn graph_for(&self, id: &str) -> Result<GraphConfig> {
        let Some(token) = self.numbers().token_of(id).cloned() else {
            let mut graph = self.graph()?;
            graph.phone_number_id = id.to_string();
            return Ok(graph);
        };
        Ok(GraphConfig {
            base_url: self.graph_base_url(),
            phone_number_id: id.to_string(),
            access_token: token,
            timeout: self.duration("graphApi.timeout"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sources(file: Option<&Path>, env: &[(&str, &str)], flags: Vec<FlagValue>) -> Sources {
        Sources {
            file: file.map_or(FileChoice::None, |p| FileChoice::Explicit(p.to_path_buf())),
            env: Some(
                env.iter()
                    .map(|(k, v)| (k.to_string(), v.to_string()))
                    .collect(),
            ),
            flags,
        }
    }

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// Everything the accessors give, to compare two configurations by.
    fn settings(config: &Config) -> String {
        format!(
            "{:?} {:?} {:?} {} {} {:?}",
            config.webhooks(),
            config.messages(),
            config.media(),
            config.graph_base_url(),
            config.metrics_on_webhooks_port(),
            config.events(),
        )
    }

    #[test]
    fn defaults_come_from_the_table_and_null_puts_them_back() {
        let defaults = Config::from_file_text("empty.yaml", "").unwrap();
        // The accessors give what KEYS says, in the type each reads it as.
        let webhooks = defaults.webhooks();
        assert_eq!((webhooks.port, webhooks.path.as_str()), (3000, "/"));
        assert_eq!(webhooks.header_timeout, Duration::from_secs(10));
        assert_eq!(webhooks.body_budget, 64 << 20);
        let messages = defaults.messages();
        assert_eq!(messages.max_in_flight, 256);
        assert_eq!(messages.window.max_line_bytes, 1 << 20);
        assert_eq!(messages.ack_timeout, Some(Duration::from_secs(60)));
        assert_eq!(messages.sequential, Some(DEFAULT_SEQUENTIAL_TIMEOUT));
        assert_eq!(
            defaults.graph_base_url(),
            "https://graph.facebook.com/v25.0"
        );
        // Every key unset with null in a file: the same settings as with no file, and
        // `wa-cloud config` shows the defaults as defaults.
        let nulls: String = KEYS
            .iter()
            .map(|key| format!("{}: null\n", key.path))
            .collect();
        let unset = Config::from_file_text("nulls.yaml", &nulls).unwrap();
        assert_eq!(unset.warnings, Vec::<String>::new());
        assert_eq!(settings(&unset), settings(&defaults));
        for (with_null, default) in unset.describe().iter().zip(defaults.describe()) {
            assert_eq!(with_null.value, default.value, "{}", default.key);
            assert_eq!(with_null.origin, default.origin, "{}", default.key);
        }
        // A value given wins over the table's.
        let given = Config::from_file_text(
            "given.yaml",
            "webhooks:\n  port: 8080\n  headerTimeout: 2s\nmessages:\n  maxInFlight: 3\n",
        )
        .unwrap();
        assert_eq!(given.webhooks().port, 8080);
        assert_eq!(given.webhooks().header_timeout, Duration::from_secs(2));
        assert_eq!(given.messages().max_in_flight, 3);
    }

    #[test]
    fn precedence_is_default_then_file_then_env_then_flag() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "whatsapp-cloud.config.yaml",
            "webhooks:\n  port: 4000\n  path: /hook\ngraphApi:\n  version: 23\n  phoneNumberId: '111'\n",
        );
        let env = [
            ("WHATSAPP_CLOUD_WEBHOOKS_PATH", "/env-hook"),
            ("WHATSAPP_CLOUD_GRAPHAPI_VERSION", "24.0"),
        ];
        let flags = vec![FlagValue {
            key: "graphApi.version",
            flag: "--api-version",
            value: json!("v25"),
        }];
        let config = Config::load(&sources(Some(&file), &env, flags)).unwrap();

        let described: BTreeMap<_, _> = config
            .describe()
            .into_iter()
            .map(|d| (d.key, (d.value, d.origin)))
            .collect();
        assert_eq!(
            described["media.downloadDir"],
            (json!("./media"), Some(Origin::Default))
        );
        assert_eq!(
            described["webhooks.port"],
            (json!(4000), Some(Origin::File(file.clone())))
        );
        assert_eq!(
            described["graphApi.phoneNumberId"],
            (json!("111"), Some(Origin::File(file.clone())))
        );
        assert_eq!(
            described["webhooks.path"],
            (
                json!("/env-hook"),
                Some(Origin::Env("WHATSAPP_CLOUD_WEBHOOKS_PATH".into()))
            )
        );
        assert_eq!(
            described["graphApi.version"],
            (json!("v25.0"), Some(Origin::Flag("--api-version".into())))
        );
    }

    #[test]
    fn no_env_ignores_the_environment() {
        let mut s = sources(None, &[("WHATSAPP_CLOUD_WEBHOOKS_PORT", "1")], vec![]);
        s.env = None;
        let config = Config::load(&s).unwrap();
        assert_eq!(config.origin("webhooks.port"), Some(&Origin::Default));
    }

    #[test]
    fn versions_are_normalised() {
        for (given, want) in [
            (json!(25), "v25.0"),
            (json!(25.0), "v25.0"),
            (json!("v24.0"), "v24.0"),
            (json!("23"), "v23.0"),
        ] {
            assert_eq!(parse_version(&given).as_deref(), Some(want), "{given}");
        }
        for bad in [json!("latest"), json!(true), json!("v0"), json!("25.x")] {
            assert_eq!(parse_version(&bad), None, "{bad}");
        }
    }

    #[test]
    fn base_url_follows_base_port() {
        let env = [
            ("WHATSAPP_CLOUD_GRAPHAPI_BASE_URL", "127.0.0.1"),
            ("WHATSAPP_CLOUD_GRAPHAPI_BASE_PORT", "8080"),
        ];
        let config = Config::load(&sources(None, &env, vec![])).unwrap();
        assert_eq!(config.graph_base_url(), "http://127.0.0.1:8080/v25.0");
        let config = Config::load(&sources(None, &[], vec![])).unwrap();
        assert_eq!(config.graph_base_url(), "https://graph.facebook.com/v25.0");
    }

    #[test]
    fn unknown_keys_warn_with_the_closest_known_key() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "c.yaml", "graphApi:\n  acessToken: x\n");
        let config = Config::load(&sources(
            Some(&file),
            &[("WHATSAPP_CLOUD_GRAPHAPI_TOKEN", "x")],
            vec![],
        ))
        .unwrap();
        assert!(
            config.warnings[0]
                .contains("`graphApi.acessToken` (did you mean `graphApi.accessToken`?)"),
            "{:?}",
            config.warnings
        );
        assert!(
            config.warnings[1].contains("`WHATSAPP_CLOUD_GRAPHAPI_TOKEN`"),
            "{:?}",
            config.warnings
        );
    }

    #[test]
    fn wrong_types_name_key_and_source() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(dir.path(), "c.json", r#"{"webhooks":{"port":"many"}}"#);
        let err = Config::load(&sources(Some(&file), &[], vec![]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("`webhooks.port` must be a port number"),
            "{err}"
        );
        assert!(err.contains("c.json"), "{err}");

        let err = Config::load(&sources(
            None,
            &[("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "sometimes")],
            vec![],
        ))
        .unwrap_err()
        .to_string();
        assert!(
            err.contains("`WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL`"),
            "{err}"
        );
    }

    #[test]
    fn numbers_take_a_mapping_a_list_or_the_environment_s_text() {
        let dir = tempfile::tempdir().unwrap();
        let file = write(
            dir.path(),
            "c.yaml",
            "graphApi:\n  phoneNumberId: '111'\n  numbers:\n    222:\n      accessToken: EAAG-two\n      maxPerSecond: 5\n    '333':\n",
        );
        let config = Config::load(&sources(Some(&file), &[], vec![])).unwrap();
        let numbers = config.numbers();
        assert_eq!(numbers.allowed().unwrap(), ["222", "333", "111"]);
        assert_eq!(numbers.token_of("222").unwrap().expose(), "EAAG-two");
        assert_eq!(numbers.max_per_second().collect::<Vec<_>>(), [("222", 5)]);
        // The default number has no token of its own: graphApi.accessToken is required.
        let err = config.graph().unwrap_err().to_string();
        assert!(err.contains("`graphApi.accessToken` is not set"), "{err}");
        // Through a number with its own token, nothing else is needed.
        assert_eq!(
            config.graph_for("222").unwrap().access_token.expose(),
            "EAAG-two"
        );
        assert!(config.graph_for("333").is_err());
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("EAAG-two") && shown.contains("********"),
            "{shown}"
        );

        let env = [
            ("WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID", "222"),
            (
                "WHATSAPP_CLOUD_GRAPHAPI_NUMBERS",
                r#"{"222":{"accessToken":"EAAG-env"}}"#,
            ),
        ];
        let config = Config::load(&sources(None, &env, vec![])).unwrap();
        assert_eq!(config.graph().unwrap().access_token.expose(), "EAAG-env");
        let env = [("WHATSAPP_CLOUD_GRAPHAPI_NUMBERS", "222, 333")];
        let config = Config::load(&sources(None, &env, vec![])).unwrap();
        assert_eq!(config.numbers().allowed().unwrap(), ["222", "333"]);
        assert!(
            Config::load(&sources(None, &[], vec![]))
                .unwrap()
                .numbers()
                .allowed()
                .is_none()
        );
    }

    #[test]
    fn wrong_numbers_are_refused_without_showing_a_token() {
        let dir = tempfile::tempdir().unwrap();
        for text in [
            r#"{"graphApi":{"numbers":{"+1 555":{}}}}"#,
            r#"{"graphApi":{"numbers":{"222":{"acessToken":"EAAG-typo"}}}}"#,
            r#"{"graphApi":{"numbers":{"222":{"maxPerSecond":"fast"}}}}"#,
            r#"{"graphApi":{"numbers":"EAAG-typo"}}"#,
        ] {
            let file = write(dir.path(), "c.json", text);
            let err = Config::load(&sources(Some(&file), &[], vec![]))
                .unwrap_err()
                .to_string();
            assert!(
                err.contains("`graphApi.numbers` must be a mapping of phone number ids"),
                "{err}"
            );
            assert!(!err.contains("EAAG-typo"), "{err}");
        }
        let env = [(
            "WHATSAPP_CLOUD_GRAPHAPI_NUMBERS",
            r#"{"222":{"token":"EAAG-typo"}}"#,
        )];
        let err = Config::load(&sources(None, &env, vec![]))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("WHATSAPP_CLOUD_GRAPHAPI_NUMBERS") && !err.contains("EAAG-typo"),
            "{err}"
        );
        assert!(err.contains(r#"{"222":{"token":"********"}}"#), "{err}");
    }

    #[test]
    fn secrets_are_masked_in_errors_and_descriptions() {
        let env = [("WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN", "EAAG-very-secret")];
        let config = Config::load(&sources(None, &env, vec![])).unwrap();
        let shown: Vec<_> = config
            .describe()
            .into_iter()
            .map(|d| d.value.to_string())
            .collect();
        assert!(!shown.concat().contains("very-secret"));
        assert!(!format!("{config:?}").contains("very-secret"));
    }
}
