//! Media ids in the database: what was uploaded, keyed by content, and what was downloaded.
//!
//! An upload is found again by the SHA-256 of its content, its media type and the phone
//! number it was uploaded for (ids belong to a number), never by its path: an edited file
//! is uploaded anew, a renamed copy is not. Uploaded ids expire after WhatsApp's 30 days;
//! expired rows stay (for `media list`) but are never returned as a cache hit.

use anyhow::Result;
use rusqlite::{OptionalExtension, Row, params};

use super::{Store, explain};

/// Migration 1.
pub(super) const SCHEMA: &str = "
CREATE TABLE media (
    id              TEXT NOT NULL,              -- WhatsApp media id (digits)
    direction       TEXT NOT NULL CHECK (direction IN ('upload', 'download')),
    phone_number_id TEXT NOT NULL,              -- the business number it was uploaded for or fetched with
    sha256          TEXT NOT NULL,              -- lowercase hex SHA-256 of the content
    mime_type       TEXT NOT NULL,
    size            INTEGER NOT NULL,           -- bytes
    path            TEXT NOT NULL,              -- source of an upload as given; absolute target of a download
    created_at      INTEGER NOT NULL,           -- unix seconds
    expires_at      INTEGER,                    -- unix seconds; uploads only
    PRIMARY KEY (id, direction)
);
CREATE INDEX media_by_content ON media (direction, phone_number_id, sha256, mime_type, expires_at);
";

/// How long WhatsApp keeps an uploaded media id (WHATSAPP.md §7).
pub(crate) const UPLOAD_LIFETIME_SECS: i64 = 30 * 24 * 60 * 60;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Direction {
    Upload,
    Download,
}

impl Direction {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Direction::Upload => "upload",
            Direction::Download => "download",
        }
    }
}

/// One row of the media table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct MediaRecord {
    pub id: String,
    pub direction: Direction,
    pub phone_number_id: String,
    pub sha256: String,
    pub mime_type: String,
    pub size: u64,
    pub path: String,
    pub created_at: i64,
    pub expires_at: Option<i64>,
}

const COLUMNS: &str =
    "id, direction, phone_number_id, sha256, mime_type, size, path, created_at, expires_at";

fn record(row: &Row<'_>) -> rusqlite::Result<MediaRecord> {
    let direction: String = row.get(1)?;
    Ok(MediaRecord {
        id: row.get(0)?,
        direction: if direction == "upload" {
            Direction::Upload
        } else {
            Direction::Download
        },
        phone_number_id: row.get(2)?,
        sha256: row.get(3)?,
        mime_type: row.get(4)?,
        size: row.get::<_, i64>(5)?.max(0) as u64,
        path: row.get(6)?,
        created_at: row.get(7)?,
        expires_at: row.get(8)?,
    })
}

impl Store {
    fn explained<T>(&self, result: rusqlite::Result<T>) -> Result<T> {
        result.map_err(|err| explain(err, &self.path.display().to_string()))
    }

    /// The newest upload of this content for this number that is still valid at `now`.
    pub(crate) fn cached_upload(
        &self,
        phone_number_id: &str,
        sha256: &str,
        mime_type: &str,
        now: i64,
    ) -> Result<Option<MediaRecord>> {
        let sql = format!(
            "SELECT {COLUMNS} FROM media
             WHERE direction = 'upload' AND phone_number_id = ?1 AND sha256 = ?2
               AND mime_type = ?3 AND expires_at > ?4
             ORDER BY created_at DESC LIMIT 1"
        );
        let found = self
            .conn
            .query_row(
                &sql,
                params![phone_number_id, sha256, mime_type, now],
                record,
            )
            .optional();
        self.explained(found)
    }

    /// What is known about a download of media `id`.
    pub(crate) fn downloaded(&self, id: &str) -> Result<Option<MediaRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM media WHERE id = ?1 AND direction = 'download'");
        let found = self.conn.query_row(&sql, params![id], record).optional();
        self.explained(found)
    }

    /// Records an upload or download, replacing an earlier row for the same id.
    pub(crate) fn record_media(&self, media: &MediaRecord) -> Result<()> {
        let sql = format!(
            "INSERT OR REPLACE INTO media ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        );
        let done = self.conn.execute(
            &sql,
            params![
                media.id,
                media.direction.as_str(),
                media.phone_number_id,
                media.sha256,
                media.mime_type,
                i64::try_from(media.size).unwrap_or(i64::MAX),
                media.path,
                media.created_at,
                media.expires_at,
            ],
        );
        self.explained(done).map(drop)
    }

    /// Every row, oldest first.
    pub(crate) fn list_media(&self) -> Result<Vec<MediaRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM media ORDER BY created_at, id, direction");
        let rows = self.conn.prepare(&sql).and_then(|mut statement| {
            statement
                .query_map([], record)?
                .collect::<rusqlite::Result<Vec<_>>>()
        });
        self.explained(rows)
    }

    /// Forgets media `id` (upload and download rows); returns how many rows went.
    pub(crate) fn forget_media(&self, id: &str) -> Result<usize> {
        let done = self
            .conn
            .execute("DELETE FROM media WHERE id = ?1", params![id]);
        self.explained(done)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn upload(id: &str, sha256: &str, created_at: i64) -> MediaRecord {
        MediaRecord {
            id: id.into(),
            direction: Direction::Upload,
            phone_number_id: "1065".into(),
            sha256: sha256.into(),
            mime_type: "image/png".into(),
            size: 3,
            path: "a.png".into(),
            created_at,
            expires_at: Some(created_at + UPLOAD_LIFETIME_SECS),
        }
    }

    #[test]
    fn uploads_are_found_by_content_type_and_number_while_valid() {
        let store = Store::open_in_memory().unwrap();
        store.record_media(&upload("1", "aa", 100)).unwrap();
        store.record_media(&upload("2", "aa", 200)).unwrap();
        let hit = |number: &str, sha: &str, mime: &str, now: i64| {
            store
                .cached_upload(number, sha, mime, now)
                .unwrap()
                .map(|r| r.id)
        };
        assert_eq!(hit("1065", "aa", "image/png", 300), Some("2".into()));
        assert_eq!(hit("1065", "bb", "image/png", 300), None);
        assert_eq!(hit("1065", "aa", "image/jpeg", 300), None);
        assert_eq!(hit("9999", "aa", "image/png", 300), None);
        assert_eq!(
            hit("1065", "aa", "image/png", 200 + UPLOAD_LIFETIME_SECS),
            None
        );
    }

    #[test]
    fn downloads_are_found_by_id_and_forgotten_with_uploads() {
        let store = Store::open_in_memory().unwrap();
        let mut download = upload("7", "cc", 100);
        download.direction = Direction::Download;
        download.expires_at = None;
        store.record_media(&download).unwrap();
        store.record_media(&upload("7", "cc", 100)).unwrap();
        assert_eq!(store.downloaded("7").unwrap(), Some(download));
        assert_eq!(store.list_media().unwrap().len(), 2);
        assert_eq!(store.forget_media("7").unwrap(), 2);
        assert_eq!(store.downloaded("7").unwrap(), None);
    }
}
