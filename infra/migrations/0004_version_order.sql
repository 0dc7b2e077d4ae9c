-- A path's history needs an order that does not depend on the clock: versions superseded in the
-- same millisecond (a batch completing many uploads to one path) compared equal by time, and
-- random ids decided which ones retention kept. `seq` numbers versions in the order they stopped
-- being current (null while current): the statement that supersedes a version sets it to the
-- largest in the index plus one. The counter is index-wide, so histories a move merges stay
-- comparable; writes commit one after another (D1 and SQLite both have one writer), so a version
-- superseded later always gets a larger seq than every version still kept.
ALTER TABLE versions ADD COLUMN seq INTEGER;
-- Versions superseded before this migration: numbered in the order the index sorted them until now.
UPDATE versions SET seq = ordered.n
  FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY superseded_at, created_at, id) AS n FROM versions WHERE superseded_at IS NOT NULL) AS ordered
  WHERE versions.id = ordered.id;
-- Every supersession reads max(seq). (A path's history is found by versions_by_path and is
-- short: DFS_KEEP_VERSIONS bounds it.)
CREATE INDEX versions_by_seq ON versions (seq);
