//! Message templates end to end: `templates list|show|sync|delete|create` against the
//! fake Graph API's Message Template API, `send --template` with every kind of parameter
//! (checked against the cached template, and refused before anything is sent when it
//! does not fit), handler replies in the short form, and the cache kept up to date by
//! template webhooks and by sends Meta refuses because a template changed.

use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::fake_graph::{FakeGraph, meta_error};
use crate::handler::{python_bot, wait_for_messages};
use crate::harness::{Run, wa_cloud_with};
use crate::server::sign;

const WABA: &str = "102290129340398";
const TO: &str = "4915112345678";
const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x02\0\0\0\x90wS\xde\0\0\0\x0cIDATx\x9cc\xf8\xcf\xc0\0\0\x03\x01\x01\0\xc9\xfe\x92\xef\0\0\0\0IEND\xaeB`\x82";

fn hello_world() -> Value {
    json!({"name": "hello_world", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
        "parameter_format": "POSITIONAL",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
            {"type": "BODY", "text": "Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us."},
            {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"}]})
}

/// Named parameters, an image header, a URL button with a variable, a quick reply and a
/// coupon code.
fn order_update() -> Value {
    json!({"name": "order_update", "language": "de", "status": "APPROVED", "category": "UTILITY",
        "parameter_format": "NAMED", "quality_score": {"score": "GREEN", "date": 1732612345},
        "components": [
            {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW"]}},
            {"type": "BODY", "text": "Hallo {{name}}, deine Bestellung {{order_id}} über {{total}} ist unterwegs.",
             "example": {"body_text_named_params": [
                {"param_name": "name", "example": "Ada"}, {"param_name": "order_id", "example": "42"},
                {"param_name": "total", "example": "12,50 €"}]}},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Verfolgen", "url": "https://shop.example/track/{{1}}", "example": ["https://shop.example/track/42"]},
                {"type": "QUICK_REPLY", "text": "Abbestellen"},
                {"type": "COPY_CODE", "example": "SAVE10"}]}]})
}

/// Positional parameters, a text header with a parameter.
fn appointment() -> Value {
    json!({"name": "appointment", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
        "components": [
            {"type": "HEADER", "format": "TEXT", "text": "Hi {{1}}", "example": {"header_text": ["Ada"]}},
            {"type": "BODY", "text": "Your visit on {{1}} costs {{2}}; see you at {{3}}.",
             "example": {"body_text": [["Monday", "$10", "noon"]]}}]})
}

/// A location header.
fn pickup() -> Value {
    json!({"name": "pickup", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
        "components": [{"type": "HEADER", "format": "LOCATION"}, {"type": "BODY", "text": "Pick it up here."}]})
}

fn paused() -> Value {
    json!({"name": "winter_sale", "language": "en_US", "status": "PAUSED", "category": "MARKETING",
        "components": [{"type": "BODY", "text": "Sale!"}]})
}

/// A fake Graph API with the templates above, and a database shared by the commands.
struct Account {
    graph: FakeGraph,
    dir: tempfile::TempDir,
}

impl Account {
    fn new() -> Account {
        let graph = FakeGraph::start();
        for template in [
            hello_world(),
            order_update(),
            appointment(),
            pickup(),
            paused(),
        ] {
            graph.add_template(template);
        }
        Account {
            graph,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn db(&self) -> PathBuf {
        self.dir.path().join("wa.db")
    }

    fn file(&self, name: &str, bytes: &[u8]) -> String {
        let path = self.dir.path().join(name);
        std::fs::write(&path, bytes).unwrap();
        path.display().to_string()
    }

    fn run(&self, args: &[&str]) -> Run {
        wa_cloud_with(&self.graph, args)
            .env("WHATSAPP_CLOUD_GRAPHAPI_BUSINESS_ACCOUNT_ID", WABA)
            .env(
                "WHATSAPP_CLOUD_MEDIA_DB_PATH",
                &self.db().display().to_string(),
            )
            .run()
    }

    fn synced() -> Account {
        let account = Account::new();
        account
            .run(&["templates", "sync"])
            .success()
            .keeps_secrets();
        account
    }

    fn messages(&self) -> Vec<Value> {
        self.graph
            .requests_to("POST", "/messages")
            .iter()
            .map(|r| r.json())
            .collect()
    }
}

#[test]
fn template_commands_say_where_to_find_the_business_account_id() {
    let graph = FakeGraph::start();
    wa_cloud_with(&graph, &["templates", "list"])
        .run()
        .status(2)
        .stderr_has("graphApi.businessAccountId")
        .stderr_has("WhatsApp > API Setup")
        .stderr_has("WHATSAPP_CLOUD_GRAPHAPI_BUSINESS_ACCOUNT_ID");
    assert!(graph.requests().is_empty(), "nothing was asked of Meta");
}

#[test]
fn sync_walks_every_page_and_list_shows_and_filters() {
    let account = Account::new();
    account
        .run(&["templates", "sync"])
        .success()
        .stdout_is("5 templates synced, 4 approved\n");
    let pages = account.graph.requests_to("GET", "/message_templates");
    assert_eq!(pages.len(), 3, "5 templates at 2 a page: 3 pages");
    assert!(
        pages
            .iter()
            .all(|p| p.header("authorization").starts_with("Bearer "))
    );

    let listed = account.run(&[
        "templates",
        "list",
        "--cached",
        "--status",
        "approved",
        "--json",
    ]);
    listed.success();
    let rows: Vec<Value> = listed
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["appointment", "hello_world", "order_update", "pickup"]
    );
    assert_eq!(rows[2]["quality"], "GREEN");
    assert_eq!(rows[2]["language"], "de");
    assert_eq!(
        account.graph.requests_to("GET", "/message_templates").len(),
        3,
        "--cached asks Meta nothing"
    );

    // Without --cached, list asks Meta and shows a table.
    account.graph.add_template(
        json!({"name": "new_one", "language": "fr", "status": "PENDING",
        "category": "MARKETING", "components": [{"type": "BODY", "text": "Bonjour"}]}),
    );
    account
        .run(&["templates", "list"])
        .success()
        .stdout_has("NAME")
        .stdout_has("new_one")
        .stdout_has("PENDING");
}

#[test]
fn show_prints_the_components_and_a_send_line_that_sends() {
    let account = Account::new();
    // Not cached yet: show fetches.
    let shown = account.run(&["templates", "show", "order_update"]);
    shown
        .success()
        .stdout_has("order_update (de): APPROVED UTILITY, quality GREEN")
        .stdout_has("header:   (image)")
        .stdout_has("button 0: URL \"Verfolgen\" https://shop.example/track/{{1}}");
    let line = shown.stdout.lines().last().unwrap().trim().to_string();
    assert_eq!(
        line,
        "wa-cloud send 4915112345678 --template order_update --lang de --header-image photo.jpg \
         --param name=Ada --param order_id=42 --param 'total=12,50 €' --button-param 0:42 --button-param 2:SAVE10"
    );
    // The line sends as printed, with a photo.jpg there.
    let photo = account.file("photo.jpg", PNG);
    let words: Vec<String> = shell_words::split(&line).unwrap();
    let mut args: Vec<&str> = words[1..].iter().map(String::as_str).collect();
    let at = args.iter().position(|a| *a == "photo.jpg").unwrap();
    args[at] = &photo;
    account.run(&args).success();
    let sent = account.messages();
    assert_eq!(sent.len(), 1);
    assert_eq!(
        sent[0]["template"]["components"][1]["parameters"][2],
        json!({"type": "text", "text": "12,50 €", "parameter_name": "total"})
    );

    account
        .run(&["templates", "show", "no_such_template"])
        .status(2)
        .stderr_has("there is no template `no_such_template`");
}

#[test]
fn send_fills_named_parameters_a_header_image_and_every_button_kind() {
    let account = Account::synced();
    let photo = account.file("receipt.png", PNG);
    account
        .run(&[
            "send",
            TO,
            "--template",
            "order_update",
            "--header-image",
            &photo,
            "--param",
            "order_id=A-17",
            "--param",
            "name=Ada Lovelace",
            "--currency-param",
            "total=EUR:12.50:12,50 €",
            "--button-param",
            "0:A-17",
            "--button-param",
            "1:stop-updates",
            "--button-param",
            "2:SAVE10",
        ])
        .success()
        .keeps_secrets();
    let uploads = account.graph.requests_to("POST", "/media");
    assert_eq!(
        uploads.len(),
        1,
        "the header image went through the media cache"
    );
    let sent = account.messages();
    assert_eq!(sent.len(), 1);
    let media_id = account.graph.media_ids()[0].clone();
    assert_eq!(
        sent[0]["template"],
        json!({"name": "order_update", "language": {"code": "de"}, "components": [
            {"type": "header", "parameters": [{"type": "image", "image": {"id": media_id}}]},
            {"type": "body", "parameters": [
                {"type": "text", "text": "A-17", "parameter_name": "order_id"},
                {"type": "text", "text": "Ada Lovelace", "parameter_name": "name"},
                {"type": "currency", "currency": {"fallback_value": "12,50 €", "code": "EUR", "amount_1000": 12500}, "parameter_name": "total"}]},
            {"type": "button", "index": "0", "parameters": [{"type": "text", "text": "A-17"}], "sub_type": "url"},
            {"type": "button", "index": "1", "parameters": [{"type": "payload", "payload": "stop-updates"}], "sub_type": "quick_reply"},
            {"type": "button", "index": "2", "parameters": [{"type": "coupon_code", "coupon_code": "SAVE10"}], "sub_type": "copy_code"}]})
    );
    // The same file again is not uploaded again.
    account
        .run(&[
            "send",
            TO,
            "--template",
            "order_update",
            "--header-image",
            &photo,
            "--param",
            "order_id=1",
            "--param",
            "name=A",
            "--param",
            "total=1 €",
            "--button-param",
            "0:1",
            "--button-param",
            "2:X",
        ])
        .success();
    assert_eq!(account.graph.requests_to("POST", "/media").len(), 1);
}

#[test]
fn send_fills_positional_text_currency_date_and_location_parameters() {
    let account = Account::synced();
    account
        .run(&[
            "send",
            TO,
            "--template",
            "appointment",
            "--header",
            "Ada",
            "--date-param",
            "Monday, 3 March",
            "--currency-param",
            "USD:10",
            "--param",
            "noon",
        ])
        .success();
    account
        .run(&[
            "send",
            TO,
            "--template",
            "pickup",
            "--header-location",
            "52.5163,13.3777",
            "--name",
            "Brandenburg Gate",
            "--address",
            "Pariser Platz",
        ])
        .success();
    // hello_world is the only language of its name: --lang may be left out.
    account
        .run(&["send", TO, "--template", "hello_world"])
        .success();
    let sent = account.messages();
    assert_eq!(
        sent[0]["template"]["components"],
        json!([
            {"type": "header", "parameters": [{"type": "text", "text": "Ada"}]},
            {"type": "body", "parameters": [
                {"type": "date_time", "date_time": {"fallback_value": "Monday, 3 March"}},
                {"type": "currency", "currency": {"fallback_value": "10 USD", "code": "USD", "amount_1000": 10000}},
                {"type": "text", "text": "noon"}]}])
    );
    assert_eq!(
        sent[1]["template"]["components"][0]["parameters"][0],
        json!({"type": "location", "location": {"latitude": 52.5163, "longitude": 13.3777,
            "name": "Brandenburg Gate", "address": "Pariser Platz"}})
    );
    assert_eq!(
        sent[2]["template"],
        json!({"name": "hello_world", "language": {"code": "en_US"}})
    );
}

#[test]
fn a_send_that_does_not_fit_the_cached_template_is_refused_and_nothing_is_sent() {
    let account = Account::synced();
    let photo = account.file("receipt.png", PNG);
    let order = |extra: &[&str]| {
        let mut args = vec![
            "send",
            TO,
            "--template",
            "order_update",
            "--header-image",
            photo.as_str(),
            "--button-param",
            "0:A-17",
            "--button-param",
            "2:SAVE10",
        ];
        args.extend_from_slice(extra);
        args.into_iter().map(str::to_string).collect::<Vec<_>>()
    };
    let all = [
        "--param",
        "name=Ada",
        "--param",
        "order_id=1",
        "--param",
        "total=1 €",
    ];
    let cases: Vec<(Vec<String>, &str)> = vec![
        (
            order(&["--param", "name=Ada", "--param", "order_id=1"]),
            "body parameter {{total}}` is missing",
        ),
        (
            order(&[&all[..], &["--param", "colour=red"]].concat()),
            "body parameter {{colour}}` is not in the template",
        ),
        (
            order(&["--param", "Ada", "--param", "1", "--param", "x"]),
            "takes named parameters",
        ),
        (
            order(&[&all[..], &["--button-param", "5:x"]].concat()),
            "button 5` is not in the template, which has 3 buttons",
        ),
        (
            order(&[&all[..], &["--button-param", "2:THIS-CODE-IS-TOO-LONG"]].concat()),
            "coupon code of 21 characters; at most 15",
        ),
        (
            [
                "send",
                TO,
                "--template",
                "order_update",
                "--param",
                "name=Ada",
                "--param",
                "order_id=1",
                "--param",
                "total=1",
                "--button-param",
                "0:A",
                "--button-param",
                "2:B",
            ]
            .map(str::to_string)
            .to_vec(),
            "`header` needs an image: give --header-image FILE|URL|ID",
        ),
        (
            [
                "send",
                TO,
                "--template",
                "order_update",
                "--header-video",
                "https://x.example/v.mp4",
                "--param",
                "name=Ada",
                "--param",
                "order_id=1",
                "--param",
                "total=1",
                "--button-param",
                "0:A",
                "--button-param",
                "2:B",
            ]
            .map(str::to_string)
            .to_vec(),
            "is a video parameter; the template's header is an image",
        ),
        (
            [
                "send",
                TO,
                "--template",
                "order_update",
                "--header-image",
                "12345",
                "--param",
                "name=Ada",
                "--param",
                "order_id=1",
                "--param",
                "total=1",
                "--button-param",
                "2:B",
            ]
            .map(str::to_string)
            .to_vec(),
            "`button 0` (URL \"Verfolgen\") needs a value",
        ),
        (
            [
                "send",
                TO,
                "--template",
                "appointment",
                "--header",
                "Ada",
                "--param",
                "a",
                "--param",
                "b",
            ]
            .map(str::to_string)
            .to_vec(),
            "`body` has 2 parameters; the template's body takes 3",
        ),
        (
            [
                "send",
                TO,
                "--template",
                "appointment",
                "--header",
                &"x".repeat(61),
                "--param",
                "a",
                "--param",
                "b",
                "--param",
                "c",
            ]
            .map(str::to_string)
            .to_vec(),
            "is 61 characters long; at most 60",
        ),
        (
            ["send", TO, "--template", "winter_sale"]
                .map(str::to_string)
                .to_vec(),
            "is PAUSED: only APPROVED templates can be sent",
        ),
        (
            ["send", TO, "--template", "order_update", "--lang", "en_US"]
                .map(str::to_string)
                .to_vec(),
            "template `order_update` exists in de only: give --lang de",
        ),
    ];
    for (args, expected) in cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        account
            .run(&args)
            .status(2)
            .stderr_has(expected)
            .stderr_has("nothing was sent");
    }
    assert!(account.messages().is_empty(), "no message was sent");
    assert!(
        account.graph.requests_to("POST", "/media").is_empty(),
        "not even the header image was uploaded"
    );
}

#[test]
fn a_template_not_in_the_cache_is_sent_as_given() {
    let graph = FakeGraph::start();
    wa_cloud_with(
        &graph,
        &[
            "send",
            TO,
            "--template",
            "hello_world",
            "--button-param",
            "0:abc",
            "--param",
            "x",
        ],
    )
    .run()
    .success();
    let sent = graph.requests_to("POST", "/messages")[0].json();
    assert_eq!(
        sent["template"]["components"],
        json!([{"type": "body", "parameters": [{"type": "text", "text": "x"}]},
            {"type": "button", "index": "0", "parameters": [{"type": "text", "text": "abc"}], "sub_type": "url"}])
    );
}

#[test]
fn a_send_refused_because_the_template_changed_refreshes_the_cache() {
    let account = Account::synced();
    account
        .graph
        .change_template("hello_world", "en_US", json!({"status": "PAUSED"}));
    account.graph.then_respond(
        400,
        meta_error(
            132015,
            "(#132015) Template is Paused",
            "Template is paused due to low quality",
        ),
    );
    account
        .run(&["send", TO, "--template", "hello_world"])
        .status(1)
        .stderr_has("132015");
    // The cache now knows: the next attempt is refused before sending.
    account
        .run(&["send", TO, "--template", "hello_world"])
        .status(2)
        .stderr_has("is PAUSED");
    assert_eq!(
        account.messages().len(),
        1,
        "only the first attempt reached Meta"
    );
}

#[test]
fn delete_removes_the_template_at_meta_and_in_the_cache() {
    let account = Account::synced();
    account
        .run(&["templates", "delete", "winter_sale"])
        .success()
        .stdout_is("winter_sale\n");
    let deletes = account.graph.requests_to("DELETE", "/message_templates");
    assert_eq!(deletes.len(), 1);
    assert!(
        account
            .graph
            .templates()
            .iter()
            .all(|t| t["name"] != "winter_sale")
    );
    let listed = account.run(&["templates", "list", "--cached", "--json"]);
    assert!(!listed.stdout.contains("winter_sale"), "{}", listed.stdout);
    account
        .run(&["templates", "delete", "winter_sale"])
        .status(1)
        .stderr_has("template `winter_sale` was not deleted");
    account
        .run(&["templates", "delete", "Bad Name"])
        .status(2)
        .stderr_has("not valid");
}

#[test]
fn create_checks_the_file_first_then_submits_it() {
    let account = Account::new();
    let bad = account.file(
        "bad.json",
        br#"{"name": "Order Update", "language": "en_US", "category": "UTILITY",
            "components": [{"type": "BODY", "text": "Hi {{1}}"}]}"#,
    );
    account
        .run(&["templates", "create", "--file", &bad])
        .status(2)
        .stderr_has("`name` \"Order Update\" must be lower-case")
        .stderr_has("BODY has 1 parameters but 0 example values")
        .stderr_has("nothing was submitted");
    assert!(
        account
            .graph
            .requests_to("POST", "/message_templates")
            .is_empty()
    );

    let good = account.file(
        "shipping.yaml",
        b"name: shipping_update\nlanguage: en_US\ncategory: utility\nparameter_format: named\ncomponents:\n  - type: body\n    text: \"Hi {{name}}, it ships today.\"\n    example:\n      body_text_named_params:\n        - {param_name: name, example: Ada}\n  - type: buttons\n    buttons:\n      - {type: url, text: Track, url: \"https://x.example/t/{{1}}\", example: [\"42\"]}\n",
    );
    account
        .run(&["templates", "create", "--file", &good])
        .success()
        .stdout_has("shipping_update PENDING");
    let posted = account.graph.requests_to("POST", "/message_templates");
    assert_eq!(posted.len(), 1);
    assert_eq!(posted[0].json()["name"], "shipping_update");
    assert_eq!(
        posted[0].json()["components"][0]["example"]["body_text_named_params"][0]["example"],
        "Ada"
    );
    // Cached as PENDING: a send is refused until the review approves it.
    account
        .run(&[
            "send",
            TO,
            "--template",
            "shipping_update",
            "--param",
            "name=Ada",
            "--button-param",
            "0:1",
        ])
        .status(2)
        .stderr_has("is PENDING");
    // Meta refuses the same name and language again.
    account
        .run(&["templates", "create", "--file", &good])
        .status(1)
        .stderr_has("2388024");
}

fn template_webhook(value: Value, field: &str) -> Vec<u8> {
    serde_json::to_vec(
        &json!({"object": "whatsapp_business_account", "entry": [{"id": WABA, "time": 1751247548,
        "changes": [{"field": field, "value": value}]}]}),
    )
    .unwrap()
}

fn cached(account: &Account, dir: &Path) -> Vec<Value> {
    let _ = dir;
    let listed = account.run(&["templates", "list", "--cached", "--json"]);
    listed
        .stdout
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn serve_keeps_the_cache_up_to_date_from_template_webhooks_and_checks_handler_replies() {
    let account = Account::synced();
    let photo = account.file("receipt.png", PNG);
    let bot = python_bot(
        account.dir.path(),
        "bot.py",
        &format!(
            r#"
for line in sys.stdin:
    ev = json.loads(line)
    if ev["event"] != "message":
        continue
    if ev["text"] == "bad":
        print(json.dumps({{"to": ev["from"], "template": "order_update", "lang": "de", "params": {{"name": "Ada"}}}}), flush=True)
    print(json.dumps({{"to": ev["from"], "template": "order_update", "lang": "de",
        "params": {{"name": "Ada", "order_id": "42", "total": {{"currency": {{"fallback_value": "12,50 €", "code": "EUR", "amount_1000": 12500}}}}}},
        "header": {{"image": {{"file": {photo:?}}}}}, "buttons": {{"0": "42", "1": "stop", "2": "SAVE10"}}}}), flush=True)
"#
        ),
    );
    let server = crate::handler::against(account.dir.path(), &account.graph)
        .args(&[
            "--handler",
            bot.to_str().unwrap(),
            "--events",
            "message,error",
        ])
        .env("WHATSAPP_CLOUD_MESSAGES_SEQUENTIAL", "false")
        .env(
            "WHATSAPP_CLOUD_MEDIA_DB_PATH",
            account.db().display().to_string(),
        )
        .env("WHATSAPP_CLOUD_GRAPHAPI_BUSINESS_ACCOUNT_ID", WABA)
        .start();
    let message = crate::server::text_notification("wamid.T1", TO, "bad");
    assert_eq!(server.post(&message).status, 200);
    let sent = wait_for_messages(&account.graph, 1, &server);
    let template = &sent[0]["template"];
    assert_eq!(template["components"][0]["parameters"][0]["type"], "image");
    assert!(
        template["components"][0]["parameters"][0]["image"]["id"].is_string(),
        "{template}"
    );
    assert_eq!(template["components"][3]["sub_type"], "quick_reply");
    assert_eq!(
        template["components"][4]["parameters"][0]["coupon_code"],
        "SAVE10"
    );
    // The short reply missing parameters was refused: one message only, and it is logged.
    server.wait_for_log("`header` needs an image");
    assert_eq!(crate::handler::sent_messages(&account.graph).len(), 1);

    // A status webhook pauses hello_world; a quality one marks order_update yellow; a
    // template the cache does not know is fetched.
    let new_id = account.graph.add_template(
        json!({"name": "fresh", "language": "en_US", "status": "APPROVED",
        "category": "UTILITY", "components": [{"type": "BODY", "text": "Fresh"}]}),
    );
    for body in [
        template_webhook(
            json!({"event": "PAUSED", "message_template_id": 1,
            "message_template_name": "hello_world", "message_template_language": "en-US", "reason": "NONE"}),
            "message_template_status_update",
        ),
        template_webhook(
            json!({"previous_quality_score": "GREEN", "new_quality_score": "YELLOW",
            "message_template_id": 2, "message_template_name": "order_update", "message_template_language": "de"}),
            "message_template_quality_update",
        ),
        template_webhook(
            json!({"event": "APPROVED", "message_template_id": new_id.parse::<u64>().unwrap(),
            "message_template_name": "fresh", "message_template_language": "en_US", "reason": "NONE"}),
            "message_template_status_update",
        ),
    ] {
        assert_eq!(
            server
                .post_signed_as(&body, Some(&sign(crate::server::SECRET, &body)))
                .status,
            200
        );
    }
    let rows = crate::harness::poll(
        || {
            format!(
                "the cache was not updated from the webhooks:\n{}",
                server.stderr()
            )
        },
        || {
            let rows = cached(&account, account.dir.path());
            let status = |name: &str| {
                rows.iter()
                    .find(|r| r["name"] == name)
                    .map(|r| r["status"].clone())
            };
            (status("hello_world") == Some(json!("PAUSED"))
                && status("fresh") == Some(json!("APPROVED")))
            .then_some(rows)
        },
    );
    let order = rows.iter().find(|r| r["name"] == "order_update").unwrap();
    assert_eq!(order["quality"], "YELLOW");
    assert_eq!(server.terminate(), Some(0));
}
