//! `wa-cloud doctor` against the local Graph API of `wa-cloud dev --graph-only`, which
//! keeps the app's, the business account's and the number's setup as Meta does, and a real
//! `wa-cloud serve` as the webhook that `--url` reaches.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;

use crate::harness::{Run, TOKEN, WaCloud, wa_cloud};
use crate::server::{Options, SECRET, Server, VERIFY_TOKEN};

const PHONE_NUMBER_ID: &str = "100000000000001";
const APP_ID: &str = "100000000000003";
const BUSINESS_ACCOUNT_ID: &str = "100000000000002";

/// A local Graph API whose app secret is `SECRET` (the webhook's) and whose token is the
/// test token, beside a serve with the same secret and verify token.
struct Meta {
    graph: Child,
    port: u16,
    serve: Server,
    _dir: tempfile::TempDir,
}

impl Meta {
    fn start() -> Meta {
        let dir = tempfile::tempdir().unwrap();
        let serve = Options::new(dir.path()).start();
        let webhook = serve.url("/");
        let mut graph = Command::new(env!("CARGO_BIN_EXE_wa-cloud"))
            .args(["dev", "--graph-only", "--port", "0", "--token", TOKEN])
            .args(["--webhook", &webhook, "--secret", SECRET])
            .current_dir(dir.path())
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", dir.path())
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = graph.stdout.take().unwrap();
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let url = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("the local Graph API prints its URL");
        let port = url.rsplit(':').next().unwrap().parse().unwrap();
        Meta {
            graph,
            port,
            serve,
            _dir: dir,
        }
    }

    /// `wa-cloud doctor ARGS` configured for this Meta: token, number, app, account.
    fn doctor(&self, args: &[&str]) -> WaCloud {
        let mut all = vec!["doctor"];
        all.extend_from_slice(args);
        wa_cloud(&all)
            .env("WHATSAPP_CLOUD_GRAPHAPI_BASE_URL", "127.0.0.1")
            .env("WHATSAPP_CLOUD_GRAPHAPI_BASE_PORT", &self.port.to_string())
            .env("WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN", TOKEN)
            .env("WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID", PHONE_NUMBER_ID)
            .env("WHATSAPP_CLOUD_GRAPHAPI_APP_ID", APP_ID)
            .env(
                "WHATSAPP_CLOUD_GRAPHAPI_BUSINESS_ACCOUNT_ID",
                BUSINESS_ACCOUNT_ID,
            )
            .env("WHATSAPP_CLOUD_WEBHOOKS_SECRET", SECRET)
            .env("WHATSAPP_CLOUD_WEBHOOKS_VERIFY_TOKEN", VERIFY_TOKEN)
    }

    fn webhook(&self) -> String {
        self.serve.url("/")
    }

    /// A raw POST to the local Graph API with the test token.
    fn post(&self, path: &str, body: &str) -> u16 {
        ureq::post(&format!("http://127.0.0.1:{}/v25.0/{path}", self.port))
            .header("authorization", &format!("Bearer {TOKEN}"))
            .config()
            .http_status_as_error(false)
            .build()
            .send(body)
            .unwrap()
            .status()
            .as_u16()
    }
}

impl Drop for Meta {
    fn drop(&mut self) {
        let _ = self.graph.kill();
        let _ = self.graph.wait();
    }
}

/// The line of check `name`, which must be there.
fn line<'a>(run: &'a Run, name: &str) -> &'a str {
    run.stdout
        .lines()
        .find(|l| l[l.find(' ').map_or(0, |i| i + 1)..].starts_with(&format!("{name}:")))
        .unwrap_or_else(|| panic!("no {name:?} check in\n{}", run.stdout))
}

fn passed(run: &Run, name: &str) {
    let line = line(run, name);
    assert!(
        line.starts_with("✔ "),
        "{name} did not pass: {line}\n{}",
        run.stdout
    );
}

fn failed(run: &Run, name: &str, found: &str) {
    let line = line(run, name);
    assert!(
        line.starts_with("✘ "),
        "{name} did not fail: {line}\n{}",
        run.stdout
    );
    assert!(line.contains(found), "{name}: {line:?} lacks {found:?}");
}

fn no_secrets(run: &Run) {
    run.keeps_secrets();
    for stream in [&run.stdout, &run.stderr] {
        assert!(!stream.contains(SECRET), "the app secret leaked:\n{stream}");
        assert!(
            !stream.contains(VERIFY_TOKEN),
            "the verify token leaked:\n{stream}"
        );
    }
}

#[test]
fn a_new_app_fails_the_webhook_checks_and_fix_sets_them_up() {
    let meta = Meta::start();
    let url = meta.webhook();

    let before = meta.doctor(&["--url", &url]).run();
    before.status(1).stderr_has("3 of 7 checks failed");
    no_secrets(&before);
    passed(&before, "api version");
    passed(&before, "access token");
    assert!(
        line(&before, "access token")
            .contains("valid SYSTEM_USER token of app 100000000000003, never expires")
    );
    assert!(
        line(&before, "access token")
            .contains("whatsapp_business_messaging, whatsapp_business_management")
    );
    passed(&before, "phone number");
    assert!(
        line(&before, "phone number")
            .contains("status CONNECTED, registered with CLOUD_API, quality GREEN")
    );
    passed(&before, "verification through the URL");
    failed(
        &before,
        "app subscribed to the business account",
        "no app is subscribed",
    );
    failed(
        &before,
        "messages field",
        "no WhatsApp Business Account webhook",
    );
    failed(
        &before,
        "callback URL",
        "none: WhatsApp has nowhere to send webhooks",
    );
    assert!(before.stdout.contains("  fix: run `wa-cloud doctor --fix`"));

    let fixed = meta.doctor(&["--url", &url, "--fix"]).run();
    fixed.success();
    no_secrets(&fixed);
    assert!(
        line(&fixed, "app subscribed to the business account")
            .contains("fixed: subscribed: wa-cloud dev (100000000000003)")
    );
    assert!(
        line(&fixed, "messages field")
            .contains("fixed: ticked (fields: messages; app callback URL")
    );
    // Subscribing the app's field set the app's callback URL: no override was needed.
    assert!(line(&fixed, "callback URL").contains(&format!("{url} (the app's)")));

    let after = meta.doctor(&["--url", &url, "--json"]).run();
    after.success();
    let report: Value = serde_json::from_str(after.stdout.trim()).unwrap();
    assert_eq!(report["ok"], true);
    let statuses: Vec<&str> = report["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["pass"; 7], "{report}");
    assert!(
        report["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["fix"].is_null())
    );
}

#[test]
fn fix_makes_the_url_the_numbers_override_when_the_app_calls_elsewhere() {
    let meta = Meta::start();
    let url = meta.webhook();
    // The app's callback URL is another server of ours (serve's /?x=1 answers too).
    let elsewhere = format!("{url}?elsewhere=1");
    meta.doctor(&["--url", &elsewhere, "--fix"]).run().success();

    let run = meta.doctor(&["--url", &url]).run();
    run.status(1);
    failed(
        &run,
        "callback URL",
        &format!("{elsewhere} (the app's), not {url}"),
    );

    let run = meta.doctor(&["--url", &url, "--fix"]).run();
    run.success();
    assert!(
        line(&run, "callback URL").contains(&format!("fixed: {url} (the phone number's override)"))
    );
}

#[test]
fn a_url_that_does_not_reach_this_verify_token_fails_and_fix_is_refused() {
    let meta = Meta::start();
    let run = meta
        .doctor(&["--url", &meta.webhook(), "--fix"])
        .env(
            "WHATSAPP_CLOUD_WEBHOOKS_VERIFY_TOKEN",
            "another-verify-token",
        )
        .run();
    run.status(1);
    failed(
        &run,
        "verification through the URL",
        "answered 403 instead of the challenge",
    );
    assert!(
        run.stdout
            .contains("give serve and doctor the same webhooks.verifyToken")
    );
    // Meta (here the local Graph API) verifies the URL too before taking it.
    failed(
        &run,
        "callback URL",
        "--fix was refused: Meta: (#2200) Callback verification failed",
    );
    assert!(!run.stdout.contains("another-verify-token"));

    // Nothing listens there.
    let closed = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let run = meta
        .doctor(&["--url", &format!("http://127.0.0.1:{closed}/")])
        .run();
    failed(&run, "verification through the URL", "no answer from");
}

#[test]
fn a_refused_token_a_wrong_app_secret_and_an_unregistered_number_fail() {
    let meta = Meta::start();
    let run = meta
        .doctor(&[])
        .env("WHATSAPP_CLOUD_GRAPHAPI_ACCESS_TOKEN", "EAAG-expired-token")
        .run();
    run.status(1);
    failed(&run, "access token", "Meta refuses it");
    assert!(run.stdout.contains("code 190"));
    assert!(run.stdout.contains("  fix: make a new token"));
    assert!(
        !run.stdout.contains("app subscribed"),
        "nothing more is asked with a refused token"
    );
    assert!(!run.stdout.contains("EAAG-expired-token"));

    let run = meta
        .doctor(&[])
        .env("WHATSAPP_CLOUD_WEBHOOKS_SECRET", "not-the-app-secret")
        .run();
    failed(
        &run,
        "access token",
        "cannot ask Meta about it with the app token",
    );
    failed(
        &run,
        "messages field",
        "cannot read the webhook subscriptions",
    );
    assert!(!run.stdout.contains("not-the-app-secret"));

    assert_eq!(
        meta.post(&format!("{PHONE_NUMBER_ID}/deregister"), "{}"),
        200
    );
    let run = meta.doctor(&[]).run();
    failed(&run, "phone number", "registered with NOT_APPLICABLE");
    assert!(line(&run, "phone number").contains("not registered with the Cloud API"));
    assert!(
        run.stdout
            .contains("/register with {\"messaging_product\":\"whatsapp\",\"pin\":\"123456\"}")
    );
    let pin = r#"{"messaging_product":"whatsapp","pin":"123456"}"#;
    assert_eq!(meta.post(&format!("{PHONE_NUMBER_ID}/register"), pin), 200);
    passed(&meta.doctor(&[]).run(), "phone number");
}

#[test]
fn an_old_api_version_fails_and_missing_settings_skip_or_fail_their_checks() {
    let meta = Meta::start();
    let run = meta.doctor(&["--api-version", "19"]).run();
    run.status(1);
    failed(&run, "api version", "v19.0 is past its end of life");
    assert!(run.stdout.contains("set graphApi.version to v25.0"));

    // Without the app id and the business account id, their checks are skipped (not failed).
    let run = meta
        .doctor(&[])
        .env("WHATSAPP_CLOUD_GRAPHAPI_APP_ID", "")
        .env("WHATSAPP_CLOUD_GRAPHAPI_BUSINESS_ACCOUNT_ID", "")
        .run();
    passed(&run, "access token");
    assert!(line(&run, "access token").contains("works (set graphApi.appId"));
    for name in [
        "app subscribed to the business account",
        "messages field",
        "verification through the URL",
    ] {
        assert!(line(&run, name).starts_with("– "), "{}", run.stdout);
    }
    failed(&run, "callback URL", "none");

    let run = meta
        .doctor(&[])
        .env("WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID", "")
        .run();
    run.status(1);
    failed(
        &run,
        "configuration",
        "graphApi.phoneNumberId (WHATSAPP_CLOUD_GRAPHAPI_PHONE_NUMBER_ID) not set",
    );

    meta.doctor(&["--url", "bot.example.com"])
        .run()
        .status(2)
        .stderr_has("is not a URL");
}
