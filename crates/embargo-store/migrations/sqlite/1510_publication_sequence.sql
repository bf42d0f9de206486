-- Issue 15, item 4: the publication sequence, a counter that moves in the
-- same transaction as every change of what the public reads about an
-- advisory: a published revision, a change of state (published, withdrawn),
-- a withdrawal, and a renamed organisation or project (their names are on
-- the advisory pages). Caches of public answers (the web layer's public
-- cache, on every replica) read this one row to know whether they are stale.
-- Triggers keep it, so that no write path can forget to.
CREATE TABLE publication_sequence (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO publication_sequence (id, value) VALUES (1, 0);

CREATE TRIGGER publication_sequence_revision AFTER INSERT ON advisory_revisions
BEGIN
    UPDATE publication_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_sequence_advisory AFTER UPDATE ON advisories
WHEN NEW.state IS NOT OLD.state
  OR NEW.withdrawn_at IS NOT OLD.withdrawn_at
  OR NEW.first_published_at IS NOT OLD.first_published_at
BEGIN
    UPDATE publication_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_sequence_organisation AFTER UPDATE ON organisations
WHEN NEW.name IS NOT OLD.name OR NEW.slug IS NOT OLD.slug
BEGIN
    UPDATE publication_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER publication_sequence_project AFTER UPDATE ON projects
WHEN NEW.name IS NOT OLD.name OR NEW.slug IS NOT OLD.slug
BEGIN
    UPDATE publication_sequence SET value = value + 1 WHERE id = 1;
END;
