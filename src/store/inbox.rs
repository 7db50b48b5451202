//! The inbox: every message, status, update and error of accepted notifications.

/// Migration 2.
pub(super) const SCHEMA: &str = "";
