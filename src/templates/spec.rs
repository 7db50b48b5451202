//! What a cached template asks for at send time, read from the Graph API's template
//! object (TEMPLATES.md §1.4): the header's format and parameters, the body's parameters
//! (positional `{{1}}` or named `{{first_name}}`), and the buttons that take a value.

use serde_json::Value;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Format {
    Positional,
    Named,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Header {
    /// A text header and the parameters in it (at most one).
    Text {
        text: String,
        params: Vec<String>,
    },
    /// `image`, `video`, `document` or `gif` (lower case, as sent).
    Media(String),
    Location,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Button {
    pub index: usize,
    /// Meta's type in upper case: QUICK_REPLY, URL, PHONE_NUMBER, COPY_CODE, FLOW, ...
    pub kind: String,
    pub text: String,
    pub url: Option<String>,
    /// An example value of its variable, from the template's definition.
    pub example: Option<String>,
}

impl Button {
    /// The `sub_type` of a send-time button component for this button.
    pub(crate) fn sub_type(&self) -> String {
        match self.kind.as_str() {
            "OTP" => "url".to_string(),
            kind => kind.to_ascii_lowercase(),
        }
    }

    /// Whether a send must give this button a value: a URL with a variable, a coupon code.
    pub(crate) fn needs_value(&self) -> bool {
        match self.kind.as_str() {
            "URL" | "OTP" => self.url.as_deref().is_none_or(|u| u.contains("{{")),
            "COPY_CODE" => true,
            _ => false,
        }
    }

    /// Whether a send may give this button a value at all.
    pub(crate) fn takes_value(&self) -> bool {
        self.needs_value()
            || matches!(
                self.kind.as_str(),
                "QUICK_REPLY" | "FLOW" | "CATALOG" | "MPM"
            )
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Spec {
    pub name: String,
    pub language: String,
    pub status: String,
    pub category: String,
    pub format: Format,
    pub header: Option<Header>,
    pub header_examples: Vec<String>,
    pub body: String,
    pub body_params: Vec<String>,
    pub body_examples: Vec<String>,
    pub footer: Option<String>,
    pub buttons: Vec<Button>,
    /// Component types wa-cloud does not check (carousel, limited-time offer, ...).
    pub unchecked: Vec<String>,
}

impl Spec {
    pub(crate) fn from_graph(object: &Value) -> Spec {
        let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
        let mut spec = Spec {
            name: text(&object["name"]),
            language: text(&object["language"]),
            status: text(&object["status"]).to_ascii_uppercase(),
            category: text(&object["category"]).to_ascii_uppercase(),
            format: Format::Positional,
            header: None,
            header_examples: Vec::new(),
            body: String::new(),
            body_params: Vec::new(),
            body_examples: Vec::new(),
            footer: None,
            buttons: Vec::new(),
            unchecked: Vec::new(),
        };
        let named_format = object["parameter_format"]
            .as_str()
            .is_some_and(|f| f.eq_ignore_ascii_case("named"));
        for component in object["components"].as_array().into_iter().flatten() {
            let kind = text(&component["type"]).to_ascii_uppercase();
            match kind.as_str() {
                "HEADER" => {
                    let format = text(&component["format"]).to_ascii_uppercase();
                    spec.header = Some(match format.as_str() {
                        "TEXT" | "" => {
                            let header = text(&component["text"]);
                            spec.header_examples = examples(
                                &component["example"],
                                "header_text",
                                "header_text_named_params",
                            );
                            Header::Text {
                                params: placeholders(&header),
                                text: header,
                            }
                        }
                        "LOCATION" => Header::Location,
                        media => Header::Media(media.to_ascii_lowercase()),
                    });
                }
                "BODY" => {
                    spec.body = text(&component["text"]);
                    spec.body_params = placeholders(&spec.body);
                    spec.body_examples =
                        examples(&component["example"], "body_text", "body_text_named_params");
                }
                "FOOTER" => spec.footer = Some(text(&component["text"])),
                "BUTTONS" => {
                    for (index, button) in component["buttons"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .enumerate()
                    {
                        let example = match &button["example"] {
                            Value::Array(values) => values.first().and_then(Value::as_str),
                            Value::String(value) => Some(value.as_str()),
                            _ => None,
                        };
                        spec.buttons.push(Button {
                            index,
                            kind: text(&button["type"]).to_ascii_uppercase(),
                            text: text(&button["text"]),
                            url: button["url"].as_str().map(str::to_string),
                            example: example.map(str::to_string),
                        });
                    }
                }
                _ => spec.unchecked.push(kind.to_ascii_lowercase()),
            }
        }
        let all_params = spec.body_params.iter().chain(match &spec.header {
            Some(Header::Text { params, .. }) => params.iter(),
            _ => [].iter(),
        });
        let any_named = all_params.clone().any(|p| !is_number(p));
        if named_format || any_named {
            spec.format = Format::Named;
        }
        spec
    }

    /// Whether the body is the template's only component (its text parameters may then
    /// be 32768 characters long instead of 1024).
    pub(crate) fn body_only(&self) -> bool {
        self.header.is_none()
            && self.footer.is_none()
            && self.buttons.is_empty()
            && self.unchecked.is_empty()
    }

    /// The example value of body parameter `i`, else a made-up one.
    pub(crate) fn body_example(&self, i: usize) -> String {
        self.body_examples
            .get(i)
            .cloned()
            .unwrap_or_else(|| format!("value{}", i + 1))
    }

    /// The body with every parameter filled from `values` (name or position → text).
    pub(crate) fn render(text: &str, value: impl Fn(&str) -> Option<String>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("{{") {
            let Some(len) = rest[start + 2..].find("}}") else {
                break;
            };
            let name = rest[start + 2..start + 2 + len].trim();
            out.push_str(&rest[..start]);
            match value(name) {
                Some(v) => out.push_str(&v),
                None => out.push_str(&rest[start..start + len + 4]),
            }
            rest = &rest[start + len + 4..];
        }
        out.push_str(rest);
        out
    }
}

fn is_number(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_digit())
}

/// The distinct placeholders of a text, in the order they first appear (`{{1}}` gives
/// `1`, `{{first_name}}` gives `first_name`).
pub(crate) fn placeholders(text: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let Some(len) = rest[start + 2..].find("}}") else {
            break;
        };
        let name = rest[start + 2..start + 2 + len].trim().to_string();
        if !name.is_empty() && !found.contains(&name) {
            found.push(name);
        }
        rest = &rest[start + len + 4..];
    }
    // Positional parameters are sent in the order of their numbers.
    if found.iter().all(|p| is_number(p)) {
        found.sort_by_key(|p| p.parse::<u32>().unwrap_or(0));
    }
    found
}

/// Example values of a component: `{"body_text": [["a","b"]]}`, `{"header_text": ["a"]}`
/// or the named forms `[{"param_name": "x", "example": "a"}]`.
fn examples(example: &Value, positional: &str, named: &str) -> Vec<String> {
    if let Some(named) = example[named].as_array() {
        return named
            .iter()
            .map(|p| p["example"].as_str().unwrap_or_default().to_string())
            .collect();
    }
    let values = match &example[positional] {
        Value::Array(outer) if outer.first().is_some_and(Value::is_array) => &outer[0],
        other => other,
    };
    values
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| v.as_str().unwrap_or_default().to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn placeholders_are_found_once_in_order() {
        assert_eq!(placeholders("Hi {{2}}, {{1}} and {{ 2 }}"), ["1", "2"]);
        assert_eq!(
            placeholders("Hi {{name}}, order {{order_id}} for {{name}}"),
            ["name", "order_id"]
        );
        assert!(placeholders("no {{ placeholders").is_empty());
    }

    #[test]
    fn a_template_object_becomes_a_spec() {
        let spec = Spec::from_graph(&json!({
        "name": "order_update", "language": "en_US", "status": "APPROVED", "category": "UTILITY",
        "parameter_format": "NAMED",
        "components": [
            {"type": "HEADER", "format": "IMAGE"},
            {"type": "BODY", "text": "Hi {{name}}, order {{order_id}} ships.",
             "example": {"body_text_named_params": [{"param_name": "name", "example": "Ada"},
                                                    {"param_name": "order_id", "example": "42"}]}},
            {"type": "BUTTONS", "buttons": [
                {"type": "URL", "text": "Track", "url": "https://x.com/t/{{1}}", "example": ["42"]},
                {"type": "QUICK_REPLY", "text": "Stop"}]}
        ]}));
        assert_eq!(spec.format, Format::Named);
        assert_eq!(spec.header, Some(Header::Media("image".into())));
        assert_eq!(spec.body_params, ["name", "order_id"]);
        assert_eq!(spec.body_examples, ["Ada", "42"]);
        assert!(spec.buttons[0].needs_value());
        assert!(!spec.buttons[1].needs_value());
        assert_eq!(spec.buttons[1].sub_type(), "quick_reply");
        assert_eq!(
            Spec::render(&spec.body, |n| (n == "name").then(|| "Ada".to_string())),
            "Hi Ada, order {{order_id}} ships."
        );
    }
}
