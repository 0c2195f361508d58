-- What undoing a merge needs to restore exactly: the surviving record's version right after
-- the merge (a later edit makes the undo refuse rather than lose it), and the departments
-- whose facets the merge copied over.
ALTER TABLE customer_merges ADD COLUMN kept_version_after INTEGER NOT NULL DEFAULT 0;
ALTER TABLE customer_merges ADD COLUMN copied_facets TEXT NOT NULL DEFAULT '[]';
