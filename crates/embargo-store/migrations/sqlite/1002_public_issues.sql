-- A public issue made from a declined report (issue 10, item 6). The text is
-- not stored: it is made from the report each time, with what the team chose
-- to include (`include_poc`) and the reporter's answer (`pending`, `named`,
-- `anonymous`, `objected`). `url` is the public issue, once made public.
CREATE TABLE public_issues (
    report_id    TEXT PRIMARY KEY REFERENCES reports (id),
    include_poc  INTEGER NOT NULL,
    answer       TEXT NOT NULL,
    drafted_by   TEXT REFERENCES users (id),
    drafted_at   TEXT NOT NULL,
    answered_at  TEXT,
    url          TEXT,
    published_at TEXT
);
