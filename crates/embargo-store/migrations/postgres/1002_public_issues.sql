-- A public issue made from a declined report (issue 10, item 6). The text is
-- not stored: it is made from the report each time, with what the team chose
-- to include (`include_poc`) and the reporter's answer (`pending`, `named`,
-- `anonymous`, `objected`). `url` is the public issue, once made public.
CREATE TABLE public_issues (
    report_id    UUID PRIMARY KEY REFERENCES reports (id),
    include_poc  BOOLEAN NOT NULL,
    answer       TEXT NOT NULL,
    drafted_by   UUID REFERENCES users (id),
    drafted_at   TIMESTAMPTZ NOT NULL,
    answered_at  TIMESTAMPTZ,
    url          TEXT,
    published_at TIMESTAMPTZ
);
