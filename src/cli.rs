//! The command line: clap definitions only, also the source of `completions/` and `man/`.
//!
//! Values here are raw as typed; `config` resolves them against the file and the
//! environment, and `send` turns them into messages.

use std::io::{self, Write};
use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;

const AFTER_HELP: &str = "\
Configuration comes from built-in defaults, then a whatsapp-cloud.config{,.json,.yaml,.yml} file
in the working directory (or config.yaml in the platform's config directory), then
WHATSAPP_CLOUD_* environment variables, then flags. `wa-cloud config` shows the result.

Exit status: 0 success, 1 failure, 2 usage or configuration error.";

#[derive(Debug, Parser)]
#[command(
    name = "wa-cloud",
    version,
    about = "The WhatsApp Cloud API behind a few commands",
    long_about = "The WhatsApp Cloud API behind a few commands: a webhooks endpoint that pipes \
                  messages to your bot as JSON lines, and one-off calls to send messages and \
                  upload or download media from shell scripts.",
    after_help = AFTER_HELP,
    propagate_version = true
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Read the configuration from FILE (JSON or YAML) instead of searching for one
    #[arg(
        long,
        global = true,
        value_name = "FILE",
        help_heading = "Configuration"
    )]
    pub config: Option<PathBuf>,
    /// Read no configuration file
    #[arg(
        long,
        global = true,
        conflicts_with = "config",
        help_heading = "Configuration"
    )]
    pub no_config_file: bool,
    /// Ignore WHATSAPP_CLOUD_* environment variables
    #[arg(long, global = true, help_heading = "Configuration")]
    pub no_env: bool,
    /// The business phone number's id (graphApi.phoneNumberId); `dev` takes it twice to
    /// simulate two business numbers
    #[arg(long, global = true, value_name = "ID", help_heading = "Configuration")]
    pub phone_number_id: Vec<String>,
    /// Graph API version, such as 25, 25.0 or v25.0 (graphApi.version)
    #[arg(
        long,
        global = true,
        value_name = "VERSION",
        help_heading = "Configuration"
    )]
    pub api_version: Option<String>,
    /// Graph API host, such as graph.facebook.com (graphApi.baseUrl)
    #[arg(
        long,
        global = true,
        value_name = "HOST",
        help_heading = "Configuration"
    )]
    pub base_url: Option<String>,
    /// Talk plain HTTP to this port of the Graph API host, for local emulators (graphApi.basePort)
    #[arg(
        long,
        global = true,
        value_name = "PORT",
        help_heading = "Configuration"
    )]
    pub base_port: Option<u16>,
    /// The SQLite database of media ids, inbox and outbox (media.dbPath)
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        help_heading = "Configuration"
    )]
    pub db: Option<PathBuf>,

    /// Print JSON objects, one a line, instead of plain values
    #[arg(long, global = true, help_heading = "Output")]
    pub json: bool,
    /// Log more (-v: debug, -vv: trace); RUST_LOG overrides
    #[arg(short, long, global = true, action = clap::ArgAction::Count, conflicts_with = "quiet", help_heading = "Output")]
    pub verbose: u8,
    /// Log only errors, and show no progress
    #[arg(short, long, global = true, help_heading = "Output")]
    pub quiet: bool,
    /// Log format on stderr
    #[arg(long, global = true, value_enum, default_value_t = LogFormat::Text, value_name = "FORMAT", help_heading = "Output")]
    pub log_format: LogFormat,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Send messages and print their wamids, one a line
    Send(Box<SendArgs>),
    /// Print the effective configuration, each value with where it came from
    Config,
    /// Print a shell completion script
    Completions {
        /// The shell to complete for
        shell: Shell,
    },
    /// Run the webhooks endpoint: store every notification, print messages as JSON lines
    Serve(ServeArgs),
    /// Upload media files through the media cache; print their ids, one a line
    Upload(UploadArgs),
    /// Download media by id into media.downloadDir; print the paths, one a line
    Download(DownloadArgs),
    /// List or delete what the media database holds
    Media {
        #[command(subcommand)]
        command: MediaCommand,
    },
    /// Develop a bot locally: serve, a built-in Graph API and a chat in the terminal
    Dev(DevArgs),
    /// Show what waits in the inbox: events handed over, unacknowledged or parked
    Inbox {
        #[command(subcommand)]
        command: Option<InboxCommand>,
    },
    /// Show the people serve has heard from, their identifiers and their 24-hour windows
    Contacts {
        #[command(subcommand)]
        command: Option<ContactsCommand>,
    },
    /// Check the setup at Meta: token, phone number, API version, app subscription, callback URL
    Doctor(DoctorArgs),
    /// Ask a running serve for /healthz; exit 0 when it answers 200 (for container health checks)
    Healthcheck(HealthcheckArgs),
    /// List, show, sync, create and delete message templates (graphApi.businessAccountId)
    Templates {
        #[command(subcommand)]
        command: TemplatesCommand,
    },
}

#[derive(Debug, Args)]
#[command(after_help = "\
Each check prints ✔ or ✘, what it found and, when it fails, how to fix it; exit status 1
when a check fails. The app id (graphApi.appId) lets the token check ask Meta what the
token may do; the business account id (graphApi.businessAccountId) is needed for the
subscription and callback checks. Examples:
  wa-cloud doctor
  wa-cloud doctor --url https://bot.example.com/webhook
  wa-cloud doctor --url https://bot.example.com/webhook --fix
  wa-cloud doctor --json")]
pub(crate) struct DoctorArgs {
    /// The public callback URL: check that a verification request through it reaches this
    /// configuration's verify token, and that it is the callback URL in effect
    #[arg(long, value_name = "URL")]
    pub url: Option<String>,
    /// Subscribe the app to the business account, and with --url make it the phone
    /// number's callback URL (an override, with this configuration's verify token)
    #[arg(long)]
    pub fix: bool,
}

#[derive(Debug, Args)]
pub(crate) struct HealthcheckArgs {
    /// The URL to ask [default: http://127.0.0.1:<webhooks.port>/healthz, https with webhooks.tls.*]
    #[arg(long, value_name = "URL", conflicts_with = "port")]
    pub url: Option<String>,
    /// The port serve listens on [default: webhooks.port]
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// How long to wait for the answer
    #[arg(long, value_name = "DURATION", default_value = "5s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

#[derive(Debug, Subcommand)]
pub(crate) enum ContactsCommand {
    /// One line per contact, the most recently seen first (the default)
    List,
    /// Everything known of one contact
    Show {
        /// Its contact key, phone number, business-scoped user id or parent user id
        #[arg(value_name = "ID")]
        id: String,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum TemplatesCommand {
    /// Fetch the templates from Meta into the database, then list them: name, language,
    /// category, status, quality
    List {
        /// Only templates of this status (APPROVED, PENDING, REJECTED, PAUSED, ...)
        #[arg(long, value_name = "STATUS")]
        status: Option<String>,
        /// List what the database holds, without asking Meta
        #[arg(long)]
        cached: bool,
    },
    /// Show a template's components and a `send` command line that fills every parameter
    Show {
        /// The template's name
        name: String,
        /// Its language, such as en_US (needed when it has several)
        #[arg(long, value_name = "CODE")]
        lang: Option<String>,
    },
    /// Fetch every template from Meta into the database (send checks against it)
    Sync,
    /// Delete a template at Meta (every language of it) and in the database
    Delete {
        /// The template's name
        name: String,
    },
    /// Check a template (Meta's create shape, JSON or YAML) and submit it for review
    Create {
        /// The template as JSON or YAML: name, language, category, components
        #[arg(long, value_name = "FILE")]
        file: PathBuf,
        /// Check the file only; submit nothing
        #[arg(long)]
        check: bool,
    },
}

#[derive(Debug, Subcommand)]
pub(crate) enum InboxCommand {
    /// Count the events waiting, handed over but not acknowledged, and parked (the default)
    Status,
    /// List the parked events: those a handler crashed on too often
    Parked,
    /// Hand parked events over again (all of them without SEQ)
    Retry {
        /// The inbox numbers (`seq`) of the events to hand over again
        #[arg(value_name = "SEQ")]
        seqs: Vec<i64>,
    },
}

#[derive(Debug, Args)]
pub(crate) struct ServeArgs {
    /// Port to listen on; 0 picks a free one (webhooks.port)
    #[arg(long, value_name = "PORT")]
    pub port: Option<u16>,
    /// Address to listen on
    #[arg(long, value_name = "ADDRESS", default_value = "0.0.0.0")]
    pub host: std::net::IpAddr,
    /// Path of the webhooks endpoint (webhooks.path)
    #[arg(long, value_name = "PATH")]
    pub path: Option<String>,
    /// Events to write: message, status, update, error (dispatch.events)
    #[arg(long, value_name = "EVENTS", value_delimiter = ',')]
    pub events: Vec<String>,
    /// Run CMD (split like a shell would, no other shell features) and write each event to
    /// its stdin as a JSON line; its stdout lines are the replies (see docs/PROTOCOL.md)
    #[arg(long, value_name = "CMD")]
    pub handler: Option<String>,
    /// Handler copies to run; events of one sender always go to the same one (dispatch.workers)
    #[arg(long, value_name = "N", requires = "handler")]
    pub workers: Option<usize>,
    /// Start the handler anew for each event, with that one event on stdin
    #[arg(long, requires = "handler")]
    pub per_message: bool,
    /// Download media before handing a message over; its path is in media.file
    #[arg(long, requires = "handler")]
    pub download_media: bool,
    /// Hand these environment variables to the handler even if they hold secrets
    #[arg(
        long,
        value_name = "NAME,...",
        value_delimiter = ',',
        requires = "handler"
    )]
    pub pass_env: Vec<String>,
    /// Accept notifications without checking their signature (no app secret needed). Only
    /// for local experiments: anyone who can reach the port can then post messages
    #[arg(long)]
    pub insecure_skip_signature: bool,
    #[command(flatten)]
    pub tls: TlsArgs,
    #[command(flatten)]
    pub metrics: MetricsArgs,
}

/// `/metrics` for Prometheus.
#[derive(Debug, Default, Args)]
pub(crate) struct MetricsArgs {
    /// Serve /metrics (Prometheus) on 127.0.0.1:PORT, apart from the webhooks; 0 picks a
    /// free port. (webhooks.metrics: true serves it on the webhooks port instead)
    #[arg(long, value_name = "PORT", help_heading = "Metrics")]
    pub metrics_port: Option<u16>,
}

/// HTTPS for `serve`: both or neither.
#[derive(Debug, Default, Args)]
pub(crate) struct TlsArgs {
    /// Serve HTTPS with this PEM certificate chain, such as certbot's fullchain.pem
    /// (webhooks.tls.cert); SIGHUP reads it again
    #[arg(long, value_name = "FILE", help_heading = "HTTPS")]
    pub tls_cert: Option<PathBuf>,
    /// The certificate's PEM private key (webhooks.tls.key); SIGHUP reads it again
    #[arg(long, value_name = "FILE", help_heading = "HTTPS")]
    pub tls_key: Option<PathBuf>,
}

#[derive(Debug, Args)]
pub(crate) struct UploadArgs {
    /// Files to upload
    #[arg(required = true, value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Upload even when the media database holds a valid id for the file's content
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Args)]
pub(crate) struct DownloadArgs {
    /// Media ids (digits), as received in messages
    #[arg(required = true, value_name = "MEDIA_ID")]
    pub ids: Vec<String>,
    /// Write the file here instead of media.downloadDir/<id>.<extension> (one MEDIA_ID only)
    #[arg(short, long, value_name = "PATH")]
    pub output: Option<PathBuf>,
    /// Directory to download into (media.downloadDir)
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

#[derive(Debug, Subcommand)]
pub(crate) enum MediaCommand {
    /// List uploads and downloads with their age and expiry
    List,
    /// Delete media at WhatsApp and in the database
    Delete {
        /// Media ids to delete
        #[arg(required = true, value_name = "MEDIA_ID")]
        ids: Vec<String>,
    },
}

#[derive(Debug, Args)]
#[command(after_help = "\
Nothing here talks to Meta, and the tokens and secrets it uses are valid nowhere else.
A --script has one input a line (text, a button's number, /image PATH, ...) and checks the
replies to the input above with `expect: TEXT`, `expect~: REGEX` and `expect-media: KIND`;
every reply must be checked (see examples/*.chat). The bot protocol: docs/PROTOCOL.md.
--phone-number-id A --phone-number-id B simulates an app with two business numbers: the
chat writes to A until `/to B`, and each reply shows the number it came from.
--graph-only runs the local Graph API alone and prints its base URL; point wa-cloud at it:
  wa-cloud dev --graph-only --graph-port 3001 &
  WHATSAPP_CLOUD_GRAPHAPI_BASE_URL=127.0.0.1 WHATSAPP_CLOUD_GRAPHAPI_BASE_PORT=3001 \\
  WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN=wa-cloud-dev-token \\
  WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID=100000000000001 wa-cloud send 4915112345678 hi")]
pub(crate) struct DevArgs {
    /// The bot: run CMD as `serve --handler CMD` would
    #[arg(long, value_name = "CMD")]
    pub handler: Option<String>,
    /// Chat as this WhatsApp user: a phone number with country code, or a business-scoped
    /// user id (US.13491208655302741918) for a user known only by their username
    #[arg(long = "as", value_name = "NUMBER", default_value = "4915112345678")]
    pub as_number: String,
    /// Chat as a user with this WhatsApp username and no phone number, as WhatsApp sends
    /// users with a username: only their business-scoped user id (derived from NAME
    /// unless --as gives one)
    #[arg(long, value_name = "NAME")]
    pub username: Option<String>,
    /// Your profile name in the chat
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// Play the conversation in FILE (one input a line) and print the transcript
    #[arg(long, value_name = "FILE")]
    pub script: Option<PathBuf>,
    /// Start the bot anew for each message, as `serve --per-message` does
    #[arg(long, requires = "handler")]
    pub per_message: bool,
    /// Seconds to wait for the bot to deal with each message (reply or `{"done":ID}`)
    /// before a script fails
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 30,
        conflicts_with = "graph_only"
    )]
    pub timeout: u64,
    /// Run only the local Graph API, for other programs (and tests) to use as a fake
    #[arg(long, conflicts_with_all = ["handler", "script"])]
    pub graph_only: bool,
    /// Port of the local Graph API (on 127.0.0.1); 0 picks a free one [default: 3001].
    /// Named apart from `serve --port`, the webhooks port; `--port` is still accepted
    #[arg(long, alias = "port", value_name = "PORT", requires = "graph_only")]
    pub graph_port: Option<u16>,
    /// Post signed sent/delivered/read statuses of each message to this webhook URL
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// App secret to sign the statuses with [default: webhooks.secret]
    #[arg(long, value_name = "SECRET")]
    pub secret: Option<String>,
    /// The access token the local Graph API accepts [default: wa-cloud-dev-token]
    #[arg(long, value_name = "TOKEN")]
    pub token: Option<String>,
}

#[derive(Debug, Args)]
#[command(group = clap::ArgGroup::new("any_location").args(["location", "header_location"]).multiple(true))]
#[command(after_help = "\
Messages are sent in the order given, each after the previous one was accepted; if any
is invalid, none is sent. Examples:
  wa-cloud send 4915112345678 \"Hello\" \"How are you?\"
  wa-cloud send 4915112345678 --image --link https://example.com/cat.jpg --caption \"A cat\"
  wa-cloud send 4915112345678 \"Continue?\" --button yes:Yes --button no:No
  wa-cloud send 4915112345678 --template hello_world --lang en_US
  echo '{\"text\":\"hi\"}' | wa-cloud send 4915112345678 --raw -")]
pub(crate) struct SendArgs {
    /// Recipient: a phone number with country code (4915112345678, +49 151 12345678), a
    /// business-scoped user id (US.13491208655302741918) or a parent one (US.ENT.5912873465)
    pub to: String,
    /// Text messages, one message each; `-` reads stdin, one message a line. With
    /// --button or a list, the one TEXT is the message's body
    #[arg(value_name = "TEXT")]
    pub text: Vec<String>,
    /// Show a preview of the first URL in text messages
    #[arg(long)]
    pub preview_url: bool,
    /// Quote this message (its wamid) in every message sent
    #[arg(long, value_name = "WAMID")]
    pub reply_to: Option<String>,
    /// Send through this business number (its phone number id) instead of
    /// graphApi.phoneNumberId
    #[arg(long, value_name = "PHONE_NUMBER_ID")]
    pub from: Option<String>,
    /// A Graph API message object as JSON (type may be left out, text may be a string);
    /// `-` reads one or more from stdin
    #[arg(long, value_name = "MESSAGE")]
    pub raw: Vec<String>,

    /// Send an image: FILE, or the media given by --link or --id
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "", help_heading = "Media")]
    pub image: Option<String>,
    /// Send an audio file: FILE, or the media given by --link or --id
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "", help_heading = "Media")]
    pub audio: Option<String>,
    /// Send a video: FILE, or the media given by --link or --id
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "", help_heading = "Media")]
    pub video: Option<String>,
    /// Send a document: FILE, or the media given by --link or --id
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "", help_heading = "Media")]
    pub document: Option<String>,
    /// Send a sticker (WebP): FILE, or the media given by --link or --id
    #[arg(long, value_name = "FILE", num_args = 0..=1, default_missing_value = "", help_heading = "Media")]
    pub sticker: Option<String>,
    /// The media's public http(s) URL
    #[arg(
        long,
        value_name = "URL",
        conflicts_with = "id",
        help_heading = "Media"
    )]
    pub link: Option<String>,
    /// The media's id, from an upload
    #[arg(long, value_name = "MEDIA_ID", help_heading = "Media")]
    pub id: Option<String>,
    /// Caption of an image, video or document
    #[arg(long, help_heading = "Media")]
    pub caption: Option<String>,
    /// File name shown for a document
    #[arg(long, help_heading = "Media")]
    pub filename: Option<String>,

    /// Send a location
    #[arg(
        long,
        value_name = "LAT,LON",
        allow_hyphen_values = true,
        help_heading = "Location"
    )]
    pub location: Option<String>,
    /// Name of the location
    #[arg(long, requires = "any_location", help_heading = "Location")]
    pub name: Option<String>,
    /// Address of the location
    #[arg(long, requires = "any_location", help_heading = "Location")]
    pub address: Option<String>,

    /// Send contacts from a JSON file (`-`: stdin): one contact or an array, in WhatsApp's
    /// shape or as {"name":"Ada Lovelace","phone":"+44...","email":"..."}
    #[arg(long, value_name = "FILE", help_heading = "Contacts")]
    pub contacts: Option<String>,

    /// A reply button, up to 3; TEXT is the message body
    #[arg(long, value_name = "ID:TITLE", help_heading = "Buttons and lists")]
    pub button: Vec<String>,
    /// Start a list section with this title; the --row flags after it belong to it
    #[arg(
        long,
        value_name = "TITLE",
        requires = "row",
        help_heading = "Buttons and lists"
    )]
    pub section: Vec<String>,
    /// A list row, up to 10 in all sections; TEXT is the message body
    #[arg(
        long,
        value_name = "ID:TITLE[:DESCRIPTION]",
        help_heading = "Buttons and lists"
    )]
    pub row: Vec<String>,
    /// A list as JSON, or a JSON file: an array of sections or the whole `action` object
    #[arg(
        long,
        value_name = "JSON|FILE",
        conflicts_with = "row",
        help_heading = "Buttons and lists"
    )]
    pub list: Option<String>,
    /// Label of the button that opens a list
    #[arg(
        long,
        value_name = "LABEL",
        default_value = "Options",
        help_heading = "Buttons and lists"
    )]
    pub list_button: String,
    /// Header text of a button or list message
    #[arg(long, value_name = "TEXT", help_heading = "Buttons and lists")]
    pub header: Option<String>,
    /// Footer text of a button or list message
    #[arg(long, value_name = "TEXT", help_heading = "Buttons and lists")]
    pub footer: Option<String>,

    /// React to a message with this emoji ("" removes the reaction)
    #[arg(
        long,
        value_name = "EMOJI",
        requires = "to_message",
        help_heading = "Reactions"
    )]
    pub react: Option<String>,
    /// The wamid of the message to react to
    #[arg(
        long,
        value_name = "WAMID",
        requires = "react",
        help_heading = "Reactions"
    )]
    pub to_message: Option<String>,

    /// Send the approved template NAME
    #[arg(long, value_name = "NAME", help_heading = "Templates")]
    pub template: Option<String>,
    /// Language code of the template, exactly as approved (en_US, de, ...)
    #[arg(
        long,
        value_name = "CODE",
        default_value = "en_US",
        help_heading = "Templates"
    )]
    pub lang: String,
    /// A body parameter of the template: TEXT in order, or NAME=TEXT for named parameters
    #[arg(
        long,
        value_name = "[NAME=]TEXT",
        requires = "template",
        help_heading = "Templates"
    )]
    pub param: Vec<String>,
    /// A currency body parameter, such as EUR:12.50 or total=USD:100.99:$100.99
    #[arg(
        long,
        value_name = "[NAME=]CODE:AMOUNT[:SHOWN]",
        requires = "template",
        help_heading = "Templates"
    )]
    pub currency_param: Vec<String>,
    /// A date-time body parameter, shown as given, such as "February 25, 1977"
    #[arg(
        long,
        value_name = "[NAME=]TEXT",
        requires = "template",
        help_heading = "Templates"
    )]
    pub date_param: Vec<String>,
    /// The template's header image: FILE (uploaded through the media cache), URL or media id
    #[arg(
        long,
        value_name = "FILE|URL|ID",
        requires = "template",
        help_heading = "Templates"
    )]
    pub header_image: Option<String>,
    /// The template's header video: FILE, URL or media id
    #[arg(
        long,
        value_name = "FILE|URL|ID",
        requires = "template",
        help_heading = "Templates"
    )]
    pub header_video: Option<String>,
    /// The template's header document (PDF): FILE, URL or media id; --filename names it
    #[arg(
        long,
        value_name = "FILE|URL|ID",
        requires = "template",
        help_heading = "Templates"
    )]
    pub header_document: Option<String>,
    /// The template's header location; --name and --address describe it
    #[arg(
        long,
        value_name = "LAT,LON",
        allow_hyphen_values = true,
        requires = "template",
        help_heading = "Templates"
    )]
    pub header_location: Option<String>,
    /// A button's value: the URL's variable part, a quick reply's payload, a coupon code
    /// or a flow token, by the button's position from 0
    #[arg(
        long,
        value_name = "INDEX:VALUE",
        requires = "template",
        help_heading = "Templates"
    )]
    pub button_param: Vec<String>,

    /// How long to keep retrying while the Graph API cannot be reached or asks to wait
    /// (60s, 5m, or milliseconds); 0 tries once
    #[arg(long, value_name = "DURATION", default_value = "60s", value_parser = parse_duration)]
    pub timeout: std::time::Duration,
}

/// `500ms`, `30s`, `5m`, `24h`, or a bare number of milliseconds.
pub(crate) fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    crate::config::parse_duration_ms(text.trim())
        .map(std::time::Duration::from_millis)
        .ok_or_else(|| {
            format!("{text:?} is not a duration: give one such as 500ms, 30s, 5m or 24h")
        })
}

/// The clap command, for parsing and for generating completions and man pages.
///
/// The global options are left out of `-h`, so that each subcommand's short help shows its
/// own options rather than the same twelve again; `--help`, the man pages and the shell
/// completions still have them all.
pub(crate) fn command() -> clap::Command {
    Cli::command().mut_args(|arg| {
        if arg.is_global_set() {
            arg.hide_short_help(true)
        } else {
            arg
        }
    })
}

/// Writes the completion script for `shell`.
pub fn write_completions(shell: Shell, out: &mut dyn Write) {
    if shell != Shell::Bash {
        clap_complete::generate(shell, &mut command(), "wa-cloud", out);
        return;
    }
    // clap_complete's bash script names a subcommand's state `wa__cloud__subcmd__send`
    // where it is set but `wa__subcmd__cloud__subcmd__send` where it is matched, when the
    // program's name has a hyphen (clap-rs/clap#6421): nothing after the subcommand would
    // complete. Spelling the matches as the assignments are mends it.
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut command(), "wa-cloud", &mut script);
    let script = String::from_utf8_lossy(&script).replace("wa__subcmd__cloud__", "wa__cloud__");
    let _ = out.write_all(script.as_bytes());
}

/// The file name under `completions/` for `shell`'s script.
pub fn completion_file_name(shell: Shell) -> String {
    match shell {
        Shell::Bash => "wa-cloud.bash".into(),
        Shell::Zsh => "_wa-cloud".into(),
        Shell::Fish => "wa-cloud.fish".into(),
        Shell::PowerShell => "_wa-cloud.ps1".into(),
        Shell::Elvish => "wa-cloud.elv".into(),
        other => format!("wa-cloud.{other}"),
    }
}

const MAN_EXTRA: &str = r#".SH "EXIT STATUS"
.TP
\fB0\fR
Success.
.TP
\fB1\fR
A failure: the Graph API refused a request or could not be reached, a file could not be read.
.TP
\fB2\fR
A usage or configuration error, or an invalid message; nothing was sent.
.SH ENVIRONMENT
Every configuration key can be set as \fBWHATSAPP_CLOUD_\fR followed by its path in upper snake case,
for example \fBWHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN\fR, \fBWHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID\fR,
\fBWHATSAPP_CLOUD_WEBHOOKS_SECRET\fR. \fBwa\-cloud config\fR lists them all.
\fBRUST_LOG\fR sets the log filter.
.SH FILES
.TP
\fBwhatsapp\-cloud.config\fR, \fB.json\fR, \fB.yaml\fR, \fB.yml\fR
The configuration file, looked for in the working directory in this order.
.TP
\fB~/.config/wa\-cloud/config.yaml\fR
The configuration file when the working directory has none (the platform's config directory).
"#;

/// The man pages: `wa-cloud.1`, and `wa-cloud-SUBCOMMAND.1` for each subcommand, as
/// (file name, roff) pairs.
pub fn man_pages() -> io::Result<Vec<(String, Vec<u8>)>> {
    // No `help` subcommand in the pages: it would be listed as a page `wa-cloud-help(1)`
    // that does not exist, and `--help` says the same.
    let command = command().disable_help_subcommand(true);
    let mut main = Vec::new();
    let man = clap_mangen::Man::new(command.clone());
    man.render_title(&mut main)?;
    man.render_name_section(&mut main)?;
    man.render_synopsis_section(&mut main)?;
    man.render_description_section(&mut main)?;
    man.render_options_section(&mut main)?;
    man.render_subcommands_section(&mut main)?;
    main.extend_from_slice(MAN_EXTRA.as_bytes());
    man.render_version_section(&mut main)?;
    let mut pages = vec![("wa-cloud.1".to_string(), main)];

    for sub in command.get_subcommands() {
        sub_pages(sub, "wa-cloud", "wa-cloud", &mut pages)?;
    }
    Ok(pages)
}

/// The page of `sub` (`PREFIX-NAME.1`) and of each of its own subcommands, so that every
/// page a SUBCOMMANDS section names exists (`wa-cloud-media-list(1)`).
fn sub_pages(
    sub: &clap::Command,
    prefix: &str,
    bin: &str,
    pages: &mut Vec<(String, Vec<u8>)>,
) -> io::Result<()> {
    let name = format!("{prefix}-{}", sub.get_name());
    let bin = format!("{bin} {}", sub.get_name());
    let sub = sub
        .clone()
        .disable_help_subcommand(true)
        .name(name.clone())
        .bin_name(bin.clone());
    let mut page = Vec::new();
    clap_mangen::Man::new(sub.clone()).render(&mut page)?;
    pages.push((format!("{name}.1"), page));
    for nested in sub.get_subcommands() {
        sub_pages(nested, &name, &bin, pages)?;
    }
    Ok(())
}
