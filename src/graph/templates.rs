//! The Message Template API (TEMPLATES.md §1): list (walking `paging.next`), read one,
//! create, delete by name. Same client, token handling and retries as messages.

use serde_json::Value;

use super::{Client, GraphError, abbreviate};

/// The fields asked for when listing: `quality_score` is not in Meta's default set.
const FIELDS: &str = "id,name,language,status,category,sub_category,parameter_format,components,quality_score,rejected_reason";
/// Page size asked for; Meta's largest allowed value is unconfirmed, pages are walked anyway.
const PAGE: u32 = 100;
/// A bound on pages, so that a server that always answers `next` cannot loop forever.
const MAX_PAGES: usize = 1000;

impl Client {
    fn get_json(&self, url: &str) -> Result<Value, GraphError> {
        self.with_retries(self.retry, url, || {
            self.agent
                .get(url)
                .header("Authorization", self.authorization.expose())
                .call()
        })
    }

    /// Every template of the WhatsApp Business Account `waba_id`, page after page until
    /// `paging.next` is gone (a short or empty page does not end the list).
    pub(crate) fn list_templates(&self, waba_id: &str) -> Result<Vec<Value>, GraphError> {
        self.list_templates_from(format!(
            "{}/{waba_id}/message_templates?fields={FIELDS}&limit={PAGE}",
            self.base_url
        ))
    }

    /// The templates Meta's `name` filter finds for `name` (names are `[a-z0-9_]`).
    pub(crate) fn list_templates_named(
        &self,
        waba_id: &str,
        name: &str,
    ) -> Result<Vec<Value>, GraphError> {
        self.list_templates_from(format!(
            "{}/{waba_id}/message_templates?fields={FIELDS}&limit={PAGE}&name={name}",
            self.base_url
        ))
    }

    fn list_templates_from(&self, mut url: String) -> Result<Vec<Value>, GraphError> {
        let mut templates = Vec::new();
        for _ in 0..MAX_PAGES {
            let page = self.get_json(&url)?;
            let Some(data) = page["data"].as_array() else {
                return Err(GraphError::Unexpected(abbreviate(&page.to_string())));
            };
            templates.extend(data.iter().cloned());
            match page["paging"]["next"].as_str() {
                // The token goes only where the base URL points: a `next` elsewhere is not
                // followed with it.
                Some(next) if self.same_origin(next) => url = next.to_string(),
                Some(next) => {
                    return Err(GraphError::Unexpected(format!(
                        "paging.next points away from the Graph API: {}",
                        abbreviate(next)
                    )));
                }
                None => return Ok(templates),
            }
        }
        Err(GraphError::Unexpected(format!(
            "more than {MAX_PAGES} pages of templates"
        )))
    }

    /// One template by its id (`GET /{TEMPLATE_ID}`).
    pub(crate) fn get_template(&self, id: &str) -> Result<Value, GraphError> {
        self.get_json(&format!("{}/{id}?fields={FIELDS}", self.base_url))
    }

    /// Submits a template for review; Meta answers `{id, status, category}`.
    pub(crate) fn create_template(
        &self,
        waba_id: &str,
        template: &Value,
    ) -> Result<Value, GraphError> {
        let url = format!("{}/{waba_id}/message_templates", self.base_url);
        // Not retried: a create that timed out may have been taken, and a second one would
        // be refused as a duplicate (subcode 2388024) at best.
        self.with_retries(super::Retry::Once, &url, || {
            self.agent
                .post(&url)
                .header("Authorization", self.authorization.expose())
                .send_json(template)
        })
    }

    /// Deletes every language of template `name` (names are `[a-z0-9_]`: nothing to
    /// escape in the query).
    pub(crate) fn delete_template(&self, waba_id: &str, name: &str) -> Result<(), GraphError> {
        let url = format!("{}/{waba_id}/message_templates?name={name}", self.base_url);
        self.with_retries(self.retry, &url, || {
            self.agent
                .delete(&url)
                .header("Authorization", self.authorization.expose())
                .call()
        })
        .map(drop)
    }

    fn same_origin(&self, url: &str) -> bool {
        let origin = |u: &str| {
            let rest = u.split_once("://").map_or(u, |(_, rest)| rest);
            let scheme = u.split_once("://").map_or("", |(scheme, _)| scheme);
            format!("{scheme}://{}", rest.split('/').next().unwrap_or_default())
        };
        origin(url) == origin(&self.base_url)
    }
}
