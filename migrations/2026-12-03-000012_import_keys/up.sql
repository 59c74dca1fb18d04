-- Imported history is idempotent: each imported row is identified by a key (its `source_id` in
-- the tool it came from, or else a digest of when, who, to whom, which value and what was said),
-- claimed once. A second import of the same file finds its keys taken and creates nothing; two
-- imports racing wait on each other's keys at the primary key, and the loser creates nothing.
CREATE TABLE imported_shoutouts (
    import_key bytea PRIMARY KEY CHECK (octet_length(import_key) = 32),
    -- Checked at commit: the key is claimed before the shout-out it names is inserted.
    shoutout_id uuid NOT NULL REFERENCES shoutouts (id) ON DELETE CASCADE
        DEFERRABLE INITIALLY DEFERRED,
    source_id text CHECK (source_id IS NULL OR char_length(source_id) BETWEEN 1 AND 200),
    imported_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX imported_shoutouts_shoutout ON imported_shoutouts (shoutout_id);
