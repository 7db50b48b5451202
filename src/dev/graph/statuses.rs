//! The statuses WhatsApp would report, posted to the webhook one at a time from one
//! thread, signed as WhatsApp signs them (`crate::signature`).

use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use super::messages::Recipient;
use super::{DISPLAY_PHONE_NUMBER, WABA_ID, Webhook};
use crate::config::Secret;
use crate::signature::{meta_json, sign};

/// Each status follows the previous one (or its message's acceptance) after this long:
/// long enough for the sender to have read the wamid from the response before the first
/// status about it arrives, short enough not to slow down a bot or a test.
pub(super) const STATUS_STEP: Duration = Duration::from_millis(25);
/// How long a webhook may take to answer one status.
const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per status when the webhook cannot be reached or answers 5xx, as WhatsApp
/// retries too (briefly here: a dev loop wants to hear about a dead webhook soon).
const WEBHOOK_ATTEMPTS: u32 = 3;

/// One status to post, not before its time.
pub(super) struct StatusJob {
    pub(super) body: Value,
    pub(super) wamid: String,
    pub(super) status: &'static str,
    pub(super) not_before: Instant,
}

/// The status thread: posts each status in the order queued, until the server is gone.
pub(super) fn post_statuses(poster: &WebhookPoster, jobs: mpsc::Receiver<StatusJob>) {
    for job in jobs {
        let wait = job.not_before.saturating_duration_since(Instant::now());
        if !wait.is_zero() {
            std::thread::sleep(wait);
        }
        match poster.post(&job.body) {
            Ok(()) => tracing::debug!("posted status {} of {}", job.status, job.wamid),
            Err(err) => tracing::warn!(
                "could not post status `{}` of {} to {}: {err}",
                job.status,
                job.wamid,
                poster.url
            ),
        }
    }
}

/// A status notification in WhatsApp's envelope (the shape of the `status_*.json`
/// fixtures): `conversation` and `pricing` only with `sent` and `delivered`, as WhatsApp
/// sends them with `sent` and one of the later ones.
pub(super) fn status_notification(
    phone_number_id: &str,
    wamid: &str,
    status: &str,
    recipient: &Recipient,
) -> Value {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut entry = json!({"id": wamid, "status": status, "timestamp": now.to_string()});
    match recipient {
        Recipient::WaId(id) => entry["recipient_id"] = json!(id),
        Recipient::UserId(id) => entry["recipient_user_id"] = json!(id),
    }
    // One conversation per recipient, as a service conversation is.
    let conversation_id = hex::encode(&Sha256::digest(recipient.id().as_bytes())[..16]);
    match status {
        "sent" => {
            entry["conversation"] = json!({"id": conversation_id,
                "expiration_timestamp": (now + 24 * 3600).to_string(), "origin": {"type": "service"}});
        }
        "delivered" => {
            entry["conversation"] = json!({"id": conversation_id, "origin": {"type": "service"}});
        }
        _ => {}
    }
    if matches!(status, "sent" | "delivered") {
        entry["pricing"] = json!({"billable": false, "pricing_model": "PMP",
            "type": "free_customer_service", "category": "service"});
    }
    json!({"object": "whatsapp_business_account", "entry": [{"id": WABA_ID, "changes": [{
        "value": {"messaging_product": "whatsapp",
            "metadata": {"display_phone_number": DISPLAY_PHONE_NUMBER, "phone_number_id": phone_number_id},
            "statuses": [entry]},
        "field": "messages"}]}]})
}

/// Posts notifications to a webhook as WhatsApp does: JSON with non-ASCII characters
/// escaped, signed with the app secret. Blocking.
pub(crate) struct WebhookPoster {
    url: String,
    secret: Secret,
    agent: ureq::Agent,
}

impl WebhookPoster {
    pub(crate) fn new(webhook: Webhook) -> WebhookPoster {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(WEBHOOK_TIMEOUT))
            .user_agent("facebookexternalua (wa-cloud dev)")
            .build()
            .into();
        WebhookPoster {
            url: webhook.url,
            secret: webhook.app_secret,
            agent,
        }
    }

    /// Posts one notification; an unreachable webhook or a 5xx is tried again, briefly.
    pub(crate) fn post(&self, notification: &Value) -> Result<(), String> {
        let body = meta_json(notification);
        let signature = sign(&self.secret, body.as_bytes());
        let mut last = String::new();
        for attempt in 1..=WEBHOOK_ATTEMPTS {
            let sent = self
                .agent
                .post(&self.url)
                .header("content-type", "application/json")
                .header("x-hub-signature-256", &signature)
                .send(body.as_bytes());
            match sent {
                Ok(response) if response.status().is_success() => return Ok(()),
                Ok(response) if response.status().is_server_error() => {
                    last = format!("the webhook answered HTTP {}", response.status().as_u16());
                }
                Ok(response) => {
                    let status = response.status().as_u16();
                    let hint = if matches!(status, 401 | 403) {
                        " (is the app secret, --secret, the one the webhook checks signatures with?)"
                    } else {
                        ""
                    };
                    return Err(format!("the webhook answered HTTP {status}{hint}"));
                }
                Err(err) => last = format!("cannot reach the webhook: {err}"),
            }
            if attempt < WEBHOOK_ATTEMPTS {
                std::thread::sleep(Duration::from_millis(100) * attempt);
            }
        }
        Err(format!("{last} (tried {WEBHOOK_ATTEMPTS} times)"))
    }
}
