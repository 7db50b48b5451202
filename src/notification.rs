//! Webhook notifications.
