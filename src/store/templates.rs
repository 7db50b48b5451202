//! The message templates cache: every template of a WhatsApp Business Account as the Graph
//! API last described it, keyed by (account, name, language) as Meta keys them
//! (TEMPLATES.md §6). `templates sync` replaces an account's rows; a webhook about a
//! template, or a send refused because a template changed, updates one row.

use anyhow::Result;
use rusqlite::{Row, params};
use serde_json::Value;

use super::inbox::unix_now;
use super::{Store, explain};

/// Migration 6.
pub(super) const SCHEMA: &str = "
CREATE TABLE templates (
    waba_id    TEXT NOT NULL,              -- the WhatsApp Business Account that owns it
    name       TEXT NOT NULL,
    language   TEXT NOT NULL,              -- as Meta returned it: en_US, de
    id         TEXT NOT NULL,              -- Meta's template id (a string of digits)
    status     TEXT NOT NULL,              -- APPROVED, PENDING, PAUSED, ... (upper case)
    category   TEXT NOT NULL,              -- UTILITY, MARKETING, AUTHENTICATION
    quality    TEXT,                       -- GREEN, YELLOW, RED, UNKNOWN; NULL when not known
    object     TEXT NOT NULL,              -- the template object as the Graph API returned it (JSON)
    synced_at  INTEGER NOT NULL,           -- unix seconds
    PRIMARY KEY (waba_id, name, language)
);
CREATE INDEX templates_by_id ON templates (id);
";

/// One cached template.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct TemplateRow {
    pub waba_id: String,
    pub name: String,
    pub language: String,
    pub id: String,
    pub status: String,
    pub category: String,
    pub quality: Option<String>,
    /// The template object as the Graph API returned it.
    pub object: Value,
    pub synced_at: i64,
}

impl TemplateRow {
    /// A row for a template object of the Graph API (list or read answer). Enum values
    /// are kept in upper case: Meta answers so, and compares case-insensitively.
    pub(crate) fn from_graph(waba_id: &str, object: &Value) -> Option<TemplateRow> {
        let text = |key: &str| object[key].as_str().map(str::to_string);
        let quality = match &object["quality_score"] {
            Value::Object(score) => score.get("score").and_then(Value::as_str),
            Value::String(score) => Some(score.as_str()),
            _ => None,
        };
        Some(TemplateRow {
            waba_id: waba_id.to_string(),
            name: text("name")?,
            language: text("language")?,
            id: match &object["id"] {
                Value::String(id) => id.clone(),
                Value::Number(id) => id.to_string(),
                _ => return None,
            },
            status: text("status").unwrap_or_default().to_ascii_uppercase(),
            category: text("category").unwrap_or_default().to_ascii_uppercase(),
            quality: quality.map(str::to_ascii_uppercase),
            object: object.clone(),
            synced_at: unix_now(),
        })
    }
}

const COLUMNS: &str = "waba_id, name, language, id, status, category, quality, object, synced_at";

fn row(row: &Row<'_>) -> rusqlite::Result<TemplateRow> {
    let object: String = row.get(7)?;
    Ok(TemplateRow {
        waba_id: row.get(0)?,
        name: row.get(1)?,
        language: row.get(2)?,
        id: row.get(3)?,
        status: row.get(4)?,
        category: row.get(5)?,
        quality: row.get(6)?,
        object: serde_json::from_str(&object).unwrap_or(Value::Null),
        synced_at: row.get(8)?,
    })
}

/// What a webhook says changed about a template.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct TemplateChange {
    pub status: Option<String>,
    pub quality: Option<String>,
    pub category: Option<String>,
}

impl Store {
    /// Replaces the cached templates of `waba_id` with `rows` (a full sync): templates
    /// no longer listed are forgotten.
    pub(crate) fn replace_templates(&mut self, waba_id: &str, rows: &[TemplateRow]) -> Result<()> {
        let path = self.path().display().to_string();
        let run = |conn: &mut rusqlite::Connection| -> rusqlite::Result<()> {
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM templates WHERE waba_id = ?1", params![waba_id])?;
            for template in rows {
                upsert(&tx, template)?;
            }
            tx.commit()
        };
        run(self.conn_mut()).map_err(|err| explain(err, &path))
    }

    /// Adds or replaces one cached template.
    pub(crate) fn put_template(&self, template: &TemplateRow) -> Result<()> {
        explained(self, upsert(self.conn(), template))
    }

    /// The cached templates, of `waba_id` when given, by name and language.
    pub(crate) fn templates(&self, waba_id: Option<&str>) -> Result<Vec<TemplateRow>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM templates WHERE ?1 IS NULL OR waba_id = ?1 ORDER BY name, language"
        );
        let result = (|| {
            let mut statement = self.conn().prepare(&sql)?;
            let rows = statement.query_map(params![waba_id], row)?;
            rows.collect::<rusqlite::Result<Vec<_>>>()
        })();
        explained(self, result)
    }

    /// The cached languages of template `name`.
    pub(crate) fn templates_named(
        &self,
        waba_id: Option<&str>,
        name: &str,
    ) -> Result<Vec<TemplateRow>> {
        Ok(self
            .templates(waba_id)?
            .into_iter()
            .filter(|t| t.name == name)
            .collect())
    }

    /// The cached template `name` in `language`.
    #[cfg(test)]
    pub(crate) fn template(
        &self,
        waba_id: Option<&str>,
        name: &str,
        language: &str,
    ) -> Result<Option<TemplateRow>> {
        use rusqlite::OptionalExtension;
        let sql = format!(
            "SELECT {COLUMNS} FROM templates WHERE (?1 IS NULL OR waba_id = ?1) AND name = ?2 AND language = ?3 \
             ORDER BY synced_at DESC LIMIT 1"
        );
        let result = self
            .conn()
            .query_row(&sql, params![waba_id, name, language], row)
            .optional();
        explained(self, result)
    }

    /// Forgets every language of template `name`.
    pub(crate) fn forget_template(&self, waba_id: &str, name: &str) -> Result<usize> {
        explained(
            self,
            self.conn().execute(
                "DELETE FROM templates WHERE waba_id = ?1 AND name = ?2",
                params![waba_id, name],
            ),
        )
    }

    /// Applies what a webhook says about a template, found by id, else by name and
    /// language; returns whether a cached row was changed.
    pub(crate) fn change_template(
        &self,
        id: Option<&str>,
        name: Option<&str>,
        language: Option<&str>,
        change: &TemplateChange,
    ) -> Result<bool> {
        let set = "UPDATE templates SET status = coalesce(?2, status), quality = coalesce(?3, quality), \
                   category = coalesce(?4, category), synced_at = ?5";
        let values = (
            &change.status,
            &change.quality,
            &change.category,
            unix_now(),
        );
        if let Some(id) = id {
            let changed = self.conn().execute(
                &format!("{set} WHERE id = ?1"),
                params![id, values.0, values.1, values.2, values.3],
            );
            if explained(self, changed)? > 0 {
                return Ok(true);
            }
        }
        let (Some(name), Some(language)) = (name, language) else {
            return Ok(false);
        };
        let changed = self.conn().execute(
            &format!("{set} WHERE name = ?1 AND language = ?6"),
            params![name, values.0, values.1, values.2, values.3, language],
        );
        Ok(explained(self, changed)? > 0)
    }
}

fn explained<T>(store: &Store, result: rusqlite::Result<T>) -> Result<T> {
    result.map_err(|err| explain(err, &store.path().display().to_string()))
}

fn upsert(conn: &rusqlite::Connection, t: &TemplateRow) -> rusqlite::Result<()> {
    conn.execute(
        &format!(
            "INSERT OR REPLACE INTO templates ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        ),
        params![
            t.waba_id,
            t.name,
            t.language,
            t.id,
            t.status,
            t.category,
            t.quality,
            t.object.to_string(),
            t.synced_at
        ],
    )
    .map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn sync_replaces_and_webhooks_change_one_row() {
        let mut store = Store::open_in_memory().unwrap();
        let object = json!({"id": "1", "name": "order_update", "language": "en_US",
            "status": "APPROVED", "category": "UTILITY", "components": []});
        let row = TemplateRow::from_graph("9", &object).unwrap();
        store.replace_templates("9", &[row]).unwrap();
        assert_eq!(
            store
                .template(None, "order_update", "en_US")
                .unwrap()
                .unwrap()
                .status,
            "APPROVED"
        );
        let change = TemplateChange {
            status: Some("PAUSED".into()),
            ..TemplateChange::default()
        };
        assert!(
            store
                .change_template(Some("1"), None, None, &change)
                .unwrap()
        );
        assert_eq!(
            store
                .template(Some("9"), "order_update", "en_US")
                .unwrap()
                .unwrap()
                .status,
            "PAUSED"
        );
        assert!(
            !store
                .change_template(Some("2"), Some("x"), Some("de"), &change)
                .unwrap()
        );
        store.replace_templates("9", &[]).unwrap();
        assert!(store.templates(None).unwrap().is_empty());
    }
}
