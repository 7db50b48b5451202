//! The webhooks router.
