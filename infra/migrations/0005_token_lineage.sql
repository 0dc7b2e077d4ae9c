-- Which token created a token: null for one made by the admin token from the environment (or
-- before this migration). Revoking a token revokes the tokens it created, down the line, and
-- ends the share links any of them made (shares.created_by); both walks need an index.
ALTER TABLE tokens ADD COLUMN created_by TEXT;
CREATE INDEX tokens_by_creator ON tokens (created_by);
CREATE INDEX shares_by_creator ON shares (created_by);
