-- The coordinator rotation of a project's team (issue 10): reports nobody
-- took up after `idle_days` without activity go to the next coordinator in
-- turn, skipping those away.
CREATE TABLE coordinator_rotations (
    project_id UUID PRIMARY KEY REFERENCES projects (id),
    idle_days  BIGINT NOT NULL,
    next_turn  BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL
);
CREATE TABLE coordinator_rotation_members (
    project_id UUID NOT NULL REFERENCES projects (id),
    position   BIGINT NOT NULL,
    user_id    UUID NOT NULL REFERENCES users (id),
    away       BOOLEAN NOT NULL,
    PRIMARY KEY (project_id, position)
);
