//! Message templates in the local Graph API of `wa-cloud dev`: it holds Meta's
//! `hello_world` and `order_update` (an image header, named parameters, a URL button
//! with a variable and a quick reply), answers the Message Template API as Meta does
//! (list with paging, create, delete by name; TEMPLATES.md §1), and refuses a template
//! message that does not fit with Meta's codes (132001 unknown name or language, 132000
//! parameter count, 132012 parameter format, 132015 paused). The chat shows a template
//! with its parameters filled in ([`render`]).

use std::sync::{Arc, Mutex};

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

use crate::templates::Spec;
use crate::templates::spec::Header;

/// The templates every local Graph API starts with.
pub(crate) fn builtin() -> Vec<Value> {
    vec![
        json!({"id": "100000000000101", "name": "hello_world", "language": "en_US", "status": "APPROVED",
            "category": "UTILITY", "parameter_format": "POSITIONAL",
            "components": [
                {"type": "HEADER", "format": "TEXT", "text": "Hello World"},
                {"type": "BODY", "text": "Welcome and congratulations!! This message demonstrates your ability to send a WhatsApp message notification from the Cloud API, hosted by Meta. Thank you for taking the time to test with us."},
                {"type": "FOOTER", "text": "WhatsApp Business Platform sample message"}]}),
        json!({"id": "100000000000102", "name": "order_update", "language": "en_US", "status": "APPROVED",
            "category": "UTILITY", "parameter_format": "NAMED", "quality_score": {"score": "GREEN"},
            "components": [
                {"type": "HEADER", "format": "IMAGE", "example": {"header_handle": ["4::aW1hZ2U="]}},
                {"type": "BODY", "text": "Hi {{name}}, your order {{order_id}} is on its way.",
                 "example": {"body_text_named_params": [{"param_name": "name", "example": "Ada"},
                                                        {"param_name": "order_id", "example": "A-17"}]}},
                {"type": "FOOTER", "text": "Reply STOP to opt out"},
                {"type": "BUTTONS", "buttons": [
                    {"type": "URL", "text": "Track order", "url": "https://shop.example/track/{{1}}", "example": ["A-17"]},
                    {"type": "QUICK_REPLY", "text": "Stop updates"}]}]}),
    ]
}

/// The templates a local Graph API holds.
pub(crate) struct Book {
    templates: Mutex<Vec<Value>>,
    next_id: Mutex<u64>,
}

impl Default for Book {
    fn default() -> Self {
        Book {
            templates: Mutex::new(builtin()),
            next_id: Mutex::new(100_000_000_000_200),
        }
    }
}

impl Book {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Value>> {
        self.templates.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Refuses a template message as Meta would, with its error; `None` when it fits.
    pub(crate) fn refuse(&self, message: &Value) -> Option<Response> {
        let mut template = message["template"].clone();
        let name = template["name"].as_str().unwrap_or_default().to_string();
        let language = template["language"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let found = self
            .lock()
            .iter()
            .find(|t| t["name"] == name.as_str() && t["language"] == language.as_str())
            .cloned();
        let Some(object) = found else {
            return Some(error(
                StatusCode::NOT_FOUND,
                132001,
                "(#132001) Template name does not exist in the translation",
                &format!("template name ({name}) does not exist in {language}"),
            ));
        };
        let spec = Spec::from_graph(&object);
        if spec.status == "PAUSED" {
            return Some(error(
                StatusCode::BAD_REQUEST,
                132015,
                "(#132015) Template is Paused",
                "Template is paused due to low quality",
            ));
        }
        match crate::templates::check::check(&spec, &mut template) {
            Ok(_) => None,
            Err(invalid) => {
                let problem = invalid.to_string();
                // A number of values that differs from the template's is 132000; any other
                // misfit is a parameter format mismatch.
                let counting = problem.contains(" parameters; ")
                    || problem.contains("is missing")
                    || problem.contains("needs");
                let (code, title) = match counting {
                    true => (
                        132000,
                        "(#132000) Number of parameters does not match the expected number of params",
                    ),
                    false => (
                        132012,
                        "(#132012) Parameter format does not match format in the created template",
                    ),
                };
                Some(error(StatusCode::BAD_REQUEST, code, title, &problem))
            }
        }
    }
}

fn error(status: StatusCode, code: i64, message: &str, details: &str) -> Response {
    let error = json!({"error": {"message": message, "type": "OAuthException", "code": code,
        "error_data": {"messaging_product": "whatsapp", "details": details}, "fbtrace_id": "AdevTemplates"}});
    (status, axum::Json(error)).into_response()
}

/// The Message Template API routes, for the local Graph API's router (behind its token check).
pub(crate) fn router<S>(book: Arc<Book>) -> Router<S> {
    Router::new()
        .route(
            "/{version}/{waba}/message_templates",
            get(list).post(create).delete(delete),
        )
        .with_state(book)
}

async fn list(
    State(book): State<Arc<Book>>,
    UrlPath((version, waba)): UrlPath<(String, String)>,
    Query(query): Query<std::collections::HashMap<String, String>>,
    headers: axum::http::HeaderMap,
) -> Response {
    // `paging.next` is a whole URL at Meta: on the host the request came to.
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1")
        .to_string();
    let limit: usize = query
        .get("limit")
        .and_then(|l| l.parse().ok())
        .filter(|l| *l > 0)
        .unwrap_or(25);
    let after: usize = query.get("after").and_then(|a| a.parse().ok()).unwrap_or(0);
    let status = query.get("status").map(|s| s.to_ascii_uppercase());
    let name = query.get("name");
    let matching: Vec<Value> = book
        .lock()
        .iter()
        .filter(|t| status.as_ref().is_none_or(|s| t["status"] == s.as_str()))
        .filter(|t| {
            name.is_none_or(|n| t["name"].as_str().unwrap_or_default().contains(n.as_str()))
        })
        .cloned()
        .collect();
    let page: Vec<Value> = matching.iter().skip(after).take(limit).cloned().collect();
    let mut reply = json!({"data": page, "paging": {"cursors": {"before": after.to_string(), "after": (after + limit).to_string()}}});
    if after + limit < matching.len() {
        let mut next = format!(
            "http://{host}/{version}/{waba}/message_templates?limit={limit}&after={}",
            after + limit
        );
        for key in ["fields", "status", "name"] {
            if let Some(value) = query.get(key) {
                next.push_str(&format!("&{key}={value}"));
            }
        }
        reply["paging"]["next"] = json!(next);
    }
    axum::Json(reply).into_response()
}

async fn create(State(book): State<Arc<Book>>, body: Bytes) -> Response {
    let mut template: Value = serde_json::from_slice(&body).unwrap_or_default();
    if let Err(problems) = crate::templates::check_create(&template) {
        return error(
            StatusCode::BAD_REQUEST,
            100,
            "(#100) Invalid parameter",
            &problems.join("; "),
        );
    }
    let mut templates = book.lock();
    if templates
        .iter()
        .any(|t| t["name"] == template["name"] && t["language"] == template["language"])
    {
        let error = json!({"error": {"message": "Invalid parameter", "type": "OAuthException", "code": 100,
            "error_subcode": 2388024, "error_user_title": "Content in This Language Already Exists",
            "fbtrace_id": "AdevTemplates"}});
        return (StatusCode::BAD_REQUEST, axum::Json(error)).into_response();
    }
    let id = {
        let mut next = book.next_id.lock().unwrap_or_else(|p| p.into_inner());
        *next += 1;
        next.to_string()
    };
    let category = template["category"]
        .as_str()
        .unwrap_or_default()
        .to_ascii_uppercase();
    // No reviewer here: a template that passes the checks is approved at once.
    template["id"] = json!(id);
    template["status"] = json!("APPROVED");
    template["category"] = json!(category);
    templates.push(template);
    axum::Json(json!({"id": id, "status": "APPROVED", "category": category})).into_response()
}

async fn delete(
    State(book): State<Arc<Book>>,
    Query(query): Query<std::collections::HashMap<String, String>>,
) -> Response {
    let name = query.get("name").cloned().unwrap_or_default();
    let mut templates = book.lock();
    let before = templates.len();
    templates.retain(|t| t["name"] != name.as_str());
    if templates.len() == before {
        return error(
            StatusCode::BAD_REQUEST,
            100,
            "(#100) Invalid parameter",
            &format!("no template named {name:?}"),
        );
    }
    axum::Json(json!({"success": true})).into_response()
}

/// A template message as the chat shows it: the built-in template's header, body and
/// buttons with the parameters sent filled in; `[template NAME]` for one it does not know.
pub(crate) fn render(template: &Value) -> String {
    let name = template["name"].as_str().unwrap_or_default();
    let language = template["language"]["code"].as_str().unwrap_or_default();
    let Some(object) = builtin()
        .into_iter()
        .find(|t| t["name"] == name && t["language"] == language)
    else {
        return format!("[template {name}]");
    };
    let spec = Spec::from_graph(&object);
    let components = template["components"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let params = |kind: &str| -> Vec<Value> {
        components
            .iter()
            .find(|c| c["type"] == kind)
            .and_then(|c| c["parameters"].as_array().cloned())
            .unwrap_or_default()
    };
    let shown = |param: &Value| match param["type"].as_str().unwrap_or_default() {
        "currency" => param["currency"]["fallback_value"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        "date_time" => param["date_time"]["fallback_value"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        _ => param["text"].as_str().unwrap_or_default().to_string(),
    };
    let fill = |text: &str, values: &[Value], names: &[String]| {
        Spec::render(text, |placeholder| {
            let by_name = values.iter().find(|v| v["parameter_name"] == placeholder);
            let by_position = names
                .iter()
                .position(|n| n == placeholder)
                .and_then(|i| values.get(i));
            by_name.or(by_position).map(shown)
        })
    };
    let mut lines = vec![format!("[template {name}]")];
    match &spec.header {
        Some(Header::Text {
            text,
            params: names,
        }) => lines.push(fill(text, &params("header"), names)),
        Some(Header::Media(format)) => {
            let header = params("header");
            let media = &header
                .first()
                .map(|p| p[format.as_str()].clone())
                .unwrap_or_default();
            let source = media["link"]
                .as_str()
                .or(media["id"].as_str())
                .unwrap_or("?");
            lines.push(format!("[{format} {source}]"));
        }
        Some(Header::Location) => lines.push("[location]".to_string()),
        None => {}
    }
    lines.push(fill(&spec.body, &params("body"), &spec.body_params));
    if let Some(footer) = &spec.footer {
        lines.push(footer.clone());
    }
    for button in &spec.buttons {
        let sent = components.iter().find(|c| {
            c["type"] == "button"
                && (c["index"] == button.index.to_string().as_str() || c["index"] == button.index)
        });
        let value = sent.map(|c| shown(&c["parameters"][0])).unwrap_or_default();
        let target = match &button.url {
            Some(url) => format!(" → {}", url.replace("{{1}}", &value)),
            None => String::new(),
        };
        lines.push(format!("[{}]{target}", button.text));
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_template_is_rendered_with_its_parameters() {
        let shown = render(
            &json!({"name": "order_update", "language": {"code": "en_US"}, "components": [
            {"type": "header", "parameters": [{"type": "image", "image": {"link": "https://x.example/r.png"}}]},
            {"type": "body", "parameters": [{"type": "text", "text": "Ada", "parameter_name": "name"},
                                            {"type": "text", "text": "A-17", "parameter_name": "order_id"}]},
            {"type": "button", "sub_type": "url", "index": "0", "parameters": [{"type": "text", "text": "A-17"}]}]}),
        );
        assert_eq!(
            shown,
            "[template order_update]\n[image https://x.example/r.png]\nHi Ada, your order A-17 is on its way.\n\
             Reply STOP to opt out\n[Track order] → https://shop.example/track/A-17\n[Stop updates]"
        );
    }

    #[test]
    fn sends_that_do_not_fit_get_metas_codes() {
        let book = Book::default();
        let code = |message: Value| {
            book.refuse(&json!({"template": message}))
                .map(|r| r.status().as_u16())
        };
        assert_eq!(
            code(json!({"name": "hello_world", "language": {"code": "en_US"}})),
            None
        );
        assert_eq!(
            code(json!({"name": "hello_world", "language": {"code": "de"}})),
            Some(404)
        );
        assert_eq!(
            code(json!({"name": "order_update", "language": {"code": "en_US"}})),
            Some(400)
        );
    }
}
