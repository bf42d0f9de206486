-- Sign-up mails per address are capped (issue 12): requests are counted by
-- address, in any letter case.
CREATE INDEX signup_requests_email ON signup_requests (LOWER(email), created_at);
