-- Listing a folder's share links walks them in path order; cleanup finds expired ones by date.
CREATE INDEX shares_by_path ON shares (path, id);
CREATE INDEX shares_by_expiry ON shares (expires_at);
