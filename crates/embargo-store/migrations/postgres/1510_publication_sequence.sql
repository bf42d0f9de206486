-- Issue 15, item 4: the publication sequence, a counter that moves in the
-- same transaction as every change of what the public reads about an
-- advisory: a published revision, a change of state (published, withdrawn),
-- a withdrawal, and a renamed organisation or project (their names are on
-- the advisory pages). Caches of public answers (the web layer's public
-- cache, on every replica) read this one row to know whether they are stale.
-- Triggers keep it, so that no write path can forget to.
CREATE TABLE publication_sequence (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO publication_sequence (id, value) VALUES (1, 0);

CREATE FUNCTION publication_sequence_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE publication_sequence SET value = value + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER publication_sequence_revision AFTER INSERT ON advisory_revisions
    FOR EACH ROW EXECUTE FUNCTION publication_sequence_bump();

CREATE TRIGGER publication_sequence_advisory AFTER UPDATE ON advisories
    FOR EACH ROW
    WHEN (NEW.state IS DISTINCT FROM OLD.state
          OR NEW.withdrawn_at IS DISTINCT FROM OLD.withdrawn_at
          OR NEW.first_published_at IS DISTINCT FROM OLD.first_published_at)
    EXECUTE FUNCTION publication_sequence_bump();

CREATE TRIGGER publication_sequence_organisation AFTER UPDATE ON organisations
    FOR EACH ROW WHEN (NEW.name IS DISTINCT FROM OLD.name OR NEW.slug IS DISTINCT FROM OLD.slug)
    EXECUTE FUNCTION publication_sequence_bump();

CREATE TRIGGER publication_sequence_project AFTER UPDATE ON projects
    FOR EACH ROW WHEN (NEW.name IS DISTINCT FROM OLD.name OR NEW.slug IS DISTINCT FROM OLD.slug)
    EXECUTE FUNCTION publication_sequence_bump();
