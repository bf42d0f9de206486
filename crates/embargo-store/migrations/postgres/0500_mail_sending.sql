-- Jobs after a crash (issue 13): a notification mail is noted as being sent
-- before the relay is contacted, and the note is replaced by its `mail_sent`
-- row once the relay accepted it (or removed when the relay refused it).
-- A note left behind means a worker died or lost its lease mid-delivery:
-- the mail may have gone out, so it is not sent again (at most once).
CREATE TABLE mail_sending (
    job_id     UUID NOT NULL,
    recipient  TEXT NOT NULL,
    started_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (job_id, recipient)
);
