-- dfs file index: one schema for Cloudflare D1 and node:sqlite.
-- Paths compare in SQLite's BINARY collation, which is UTF-8 byte order: the listing order.

-- The current version of every path.
CREATE TABLE files (
  path TEXT PRIMARY KEY NOT NULL,
  version TEXT NOT NULL,
  object_key TEXT NOT NULL,
  size INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  sha256 TEXT,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL
) WITHOUT ROWID;

-- Every version still retained, current or not; history follows a file when it moves.
CREATE TABLE versions (
  id TEXT PRIMARY KEY NOT NULL,
  path TEXT NOT NULL,
  object_key TEXT NOT NULL,
  size INTEGER NOT NULL,
  content_type TEXT NOT NULL,
  sha256 TEXT,
  created_at TEXT NOT NULL,
  superseded_at TEXT
);
CREATE INDEX versions_by_path ON versions (path, created_at);
CREATE INDEX versions_by_object ON versions (object_key);
CREATE INDEX versions_superseded ON versions (superseded_at) WHERE superseded_at IS NOT NULL;

CREATE TABLE uploads (
  id TEXT PRIMARY KEY NOT NULL,
  path TEXT NOT NULL,
  object_key TEXT NOT NULL,
  multipart_id TEXT,
  size INTEGER NOT NULL,
  part_size INTEGER,
  content_type TEXT NOT NULL,
  sha256 TEXT,
  if_match TEXT,
  if_none_match INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL CHECK (state IN ('pending', 'completed', 'aborted')),
  version TEXT,
  created_by TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);
CREATE INDEX uploads_by_expiry ON uploads (state, expires_at);
CREATE INDEX uploads_by_object ON uploads (object_key);

-- Objects to delete from the store (and multipart uploads to abort) once due and unreferenced.
CREATE TABLE garbage (
  object_key TEXT PRIMARY KEY NOT NULL,
  multipart_id TEXT,
  due_at TEXT NOT NULL
) WITHOUT ROWID;
CREATE INDEX garbage_by_due ON garbage (due_at);

CREATE TABLE tokens (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  hash TEXT NOT NULL UNIQUE,
  scopes TEXT NOT NULL,
  prefix TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT
);

CREATE TABLE shares (
  id TEXT PRIMARY KEY NOT NULL,
  path TEXT NOT NULL,
  disposition TEXT NOT NULL,
  created_by TEXT,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL
);

-- Conditional commits without interactive transactions (D1 has only atomic batches): a batch
-- starts with guard statements that insert a row here when their condition fails; each column's
-- CHECK then aborts the whole batch, and the constraint name says which guard failed.
CREATE TABLE guard (
  upload_gone INTEGER CONSTRAINT upload_gone CHECK (upload_gone IS NULL),
  source_gone INTEGER CONSTRAINT source_gone CHECK (source_gone IS NULL),
  precondition_failed INTEGER CONSTRAINT precondition_failed CHECK (precondition_failed IS NULL),
  target_exists INTEGER CONSTRAINT target_exists CHECK (target_exists IS NULL),
  name_clash INTEGER CONSTRAINT name_clash CHECK (name_clash IS NULL),
  not_found INTEGER CONSTRAINT not_found CHECK (not_found IS NULL)
);
