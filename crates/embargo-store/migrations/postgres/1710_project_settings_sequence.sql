-- Issue 15, item 3: the project settings sequence, a counter that moves in
-- the same transaction as every change of what intake reads about a project
-- before it files a report: its organisation, the project and its packages,
-- both levels of policy, and the release lines. Intake keeps what it read per
-- project in memory (on every replica) and reads this one row to know whether
-- that is stale. Triggers keep it, so that no write path can forget to.
CREATE TABLE project_settings_sequence (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO project_settings_sequence (id, value) VALUES (1, 0);

CREATE FUNCTION project_settings_sequence_bump() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
    RETURN NULL;
END
$$;

CREATE TRIGGER project_settings_organisations AFTER INSERT OR UPDATE OR DELETE ON organisations
    FOR EACH STATEMENT EXECUTE FUNCTION project_settings_sequence_bump();

CREATE TRIGGER project_settings_projects AFTER INSERT OR UPDATE OR DELETE ON projects
    FOR EACH STATEMENT EXECUTE FUNCTION project_settings_sequence_bump();

CREATE TRIGGER project_settings_project_packages AFTER INSERT OR UPDATE OR DELETE ON project_packages
    FOR EACH STATEMENT EXECUTE FUNCTION project_settings_sequence_bump();

CREATE TRIGGER project_settings_org_policies AFTER INSERT OR UPDATE OR DELETE ON org_policies
    FOR EACH STATEMENT EXECUTE FUNCTION project_settings_sequence_bump();

CREATE TRIGGER project_settings_project_policies AFTER INSERT OR UPDATE OR DELETE ON project_policies
    FOR EACH STATEMENT EXECUTE FUNCTION project_settings_sequence_bump();

CREATE TRIGGER project_settings_release_lines AFTER INSERT OR UPDATE OR DELETE ON release_lines
    FOR EACH STATEMENT EXECUTE FUNCTION project_settings_sequence_bump();
