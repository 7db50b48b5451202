//! A secret value (access token, app secret, verify token), in a leaf module: the
//! configuration holds secrets, the Graph client and the webhooks router use them, and
//! none of them needs the others for it.

use std::fmt;

/// A secret value (token, app secret). Its `Debug` is masked and it has no `Display`,
/// so that it cannot reach a log line or an error message by accident.
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Secret(String);

impl Secret {
    pub(crate) fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The secret itself, for the one place that must send it (an HTTP header, an HMAC key).
    pub(crate) fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

#[cfg(test)]
mod tests {
    use super::Secret;

    #[test]
    fn debug_never_shows_the_value() {
        assert_eq!(
            format!("{:?}", Secret::new("EAAG-real")),
            "Secret(********)"
        );
    }
}
