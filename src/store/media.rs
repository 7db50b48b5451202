//! Media ids in the database: what was uploaded (keyed by content hash) and downloaded.

/// Migration 1.
pub(super) const SCHEMA: &str = "
CREATE TABLE media (
    id          TEXT NOT NULL,                  -- WhatsApp media id
    direction   TEXT NOT NULL CHECK (direction IN ('upload', 'download')),
    sha256      TEXT,                           -- hex SHA-256 of the content
    mime_type   TEXT,
    size        INTEGER,
    path        TEXT,                           -- source of an upload, target of a download
    created_at  INTEGER NOT NULL,               -- unix seconds
    expires_at  INTEGER,                        -- unix seconds
    PRIMARY KEY (id, direction)
);
CREATE INDEX media_by_hash ON media (sha256, mime_type);
";
