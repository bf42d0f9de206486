-- The coordinator rotation of a project's team (issue 10): reports nobody
-- took up after `idle_days` without activity go to the next coordinator in
-- turn, skipping those away.
CREATE TABLE coordinator_rotations (
    project_id TEXT PRIMARY KEY REFERENCES projects (id),
    idle_days  INTEGER NOT NULL,
    next_turn  INTEGER NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE coordinator_rotation_members (
    project_id TEXT NOT NULL REFERENCES projects (id),
    position   INTEGER NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    away       INTEGER NOT NULL,
    PRIMARY KEY (project_id, position)
);
