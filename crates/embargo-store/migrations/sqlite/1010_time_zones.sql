-- Participants' time zones (issue 10): an IANA name per account, per
-- reporter's follow-up link and per invitation link, so that an embargo end
-- is shown to each in their own zone beside UTC. Times stay stored in UTC.
-- owner_kind is user, followup (owner_id: the report) or invitation.
CREATE TABLE participant_zones (
    owner_kind  TEXT NOT NULL,
    owner_id    TEXT NOT NULL,
    zone        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (owner_kind, owner_id)
);
