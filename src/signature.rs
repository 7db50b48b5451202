//! `X-Hub-Signature-256`, both ways: how WhatsApp signs a webhook notification (the local
//! Graph API of `wa-cloud dev` posts statuses and chat messages signed so) and how `serve`
//! checks what it receives (WHATSAPP.md §2.1). One place, so that the two cannot drift.

use hmac::{Hmac, KeyInit, Mac};
use serde_json::Value;
use sha2::Sha256;

use crate::secret::Secret;

/// JSON as Meta serializes notifications: every non-ASCII character escaped as
/// `\uXXXX` (lowercase hex, UTF-16), which is what the signature is computed over
/// (WHATSAPP.md §2.1).
pub(crate) fn meta_json(value: &Value) -> String {
    let plain = value.to_string();
    if plain.is_ascii() {
        return plain;
    }
    let mut escaped = String::with_capacity(plain.len() + 32);
    for c in plain.chars() {
        if c.is_ascii() {
            escaped.push(c);
        } else {
            // Outside strings JSON is all ASCII, so every such character is in a string.
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                escaped.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    escaped
}

/// `sha256=<hex HMAC-SHA256 of body>`: the `X-Hub-Signature-256` header.
pub(crate) fn sign(secret: &Secret, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Checks `X-Hub-Signature-256: sha256=<hex>` against the HMAC-SHA256 of `body` with
/// the app secret, in constant time.
pub(crate) fn check(
    secret: &Secret,
    header: Option<&str>,
    body: &[u8],
) -> Result<(), &'static str> {
    let header = header.ok_or("no X-Hub-Signature-256 header")?;
    let hex_digest = header
        .strip_prefix("sha256=")
        .ok_or("the signature does not start with sha256=")?;
    let given = hex::decode(hex_digest.trim()).map_err(|_| "the signature is not hexadecimal")?;
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.expose().as_bytes())
        .expect("HMAC takes keys of any length");
    mac.update(body);
    mac.verify_slice(&given)
        .map_err(|_| "the signature does not match the body (is webhooks.secret the app secret?)")
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The test vectors of WHATSAPP.md §2.1.
    #[test]
    fn signatures_match_the_documented_vectors() {
        let secret = Secret::new("my_app_secret");
        let empty = br#"{"object":"whatsapp_business_account","entry":[]}"#;
        let signature = "sha256=1e948187320e1d8a8ab09e20b7172f8fe97e79394c0980b59b485e00288e389d";
        assert_eq!(check(&secret, Some(signature), empty), Ok(()));

        let escaped = br#"{"text":{"body":"caf\u00e9"}}"#;
        let signature = "sha256=5088d9ceba546140896900a32299e035f15cc4c732450829ed5b162ad16e2ee3";
        assert_eq!(check(&secret, Some(signature), escaped), Ok(()));
        let utf8 = r#"{"text":{"body":"café"}}"#.as_bytes();
        assert!(check(&secret, Some(signature), utf8).is_err());
    }

    #[test]
    fn malformed_signatures_are_refused() {
        let secret = Secret::new("s");
        assert!(check(&secret, None, b"{}").is_err());
        assert!(check(&secret, Some("sha1=00"), b"{}").is_err());
        assert!(check(&secret, Some("sha256=zz"), b"{}").is_err());
    }

    #[test]
    fn notifications_are_escaped_and_signed_as_meta_does() {
        let secret = Secret::new("my_app_secret");
        let body = meta_json(&json!({"text": {"body": "café"}}));
        assert_eq!(body, r#"{"text":{"body":"caf\u00e9"}}"#);
        assert_eq!(
            sign(&secret, body.as_bytes()),
            "sha256=5088d9ceba546140896900a32299e035f15cc4c732450829ed5b162ad16e2ee3"
        );
        // Outside the Basic Multilingual Plane: a surrogate pair, as JavaScript escapes it.
        assert_eq!(meta_json(&json!("👍")), r#""\ud83d\udc4d""#);
        let signed = sign(&secret, body.as_bytes());
        assert_eq!(check(&secret, Some(&signed), body.as_bytes()), Ok(()));
    }
}
