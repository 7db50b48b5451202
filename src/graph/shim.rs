//! TEMPORARY: stands in for the single-attempt API being built on branch graph-retry.
use serde_json::Value;

use super::{Client, GraphError, Sent};

impl Client {
    pub fn send_message_once(&self, body: &Value) -> Result<Sent, GraphError> {
        self.send_message(body)
    }
    pub fn mark_read_once(&self, wamid: &str, typing: bool) -> Result<(), GraphError> {
        self.mark_read(wamid, typing)
    }
}

impl GraphError {
    pub fn may_have_arrived(&self) -> bool {
        matches!(self, GraphError::Transport { .. })
    }
}
