-- Issue 15, item 3: the project settings sequence, a counter that moves in
-- the same transaction as every change of what intake reads about a project
-- before it files a report: its organisation, the project and its packages,
-- both levels of policy, and the release lines. Intake keeps what it read per
-- project in memory (on every replica) and reads this one row to know whether
-- that is stale. Triggers keep it, so that no write path can forget to.
CREATE TABLE project_settings_sequence (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO project_settings_sequence (id, value) VALUES (1, 0);

CREATE TRIGGER project_settings_organisations_insert AFTER INSERT ON organisations
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_organisations_update AFTER UPDATE ON organisations
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_organisations_delete AFTER DELETE ON organisations
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_projects_insert AFTER INSERT ON projects
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_projects_update AFTER UPDATE ON projects
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_projects_delete AFTER DELETE ON projects
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_project_packages_insert AFTER INSERT ON project_packages
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_project_packages_update AFTER UPDATE ON project_packages
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_project_packages_delete AFTER DELETE ON project_packages
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_org_policies_insert AFTER INSERT ON org_policies
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_org_policies_update AFTER UPDATE ON org_policies
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_org_policies_delete AFTER DELETE ON org_policies
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_project_policies_insert AFTER INSERT ON project_policies
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_project_policies_update AFTER UPDATE ON project_policies
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_project_policies_delete AFTER DELETE ON project_policies
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_release_lines_insert AFTER INSERT ON release_lines
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_release_lines_update AFTER UPDATE ON release_lines
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;

CREATE TRIGGER project_settings_release_lines_delete AFTER DELETE ON release_lines
BEGIN
    UPDATE project_settings_sequence SET value = value + 1 WHERE id = 1;
END;
