-- A folder move must not lengthen any path beyond the 1024 bytes a path may have: the guard
-- that refuses it needs its own column (see the guard table in 0001_init.sql).
ALTER TABLE guard ADD COLUMN path_too_long INTEGER CONSTRAINT path_too_long CHECK (path_too_long IS NULL);
