-- The outbox (issue 8): emails and SMS kept instead of sent when no channel is configured, newest first, by
-- recipient. `recipient_norm` is the address as looked up (trimmed; lower-case for emails).
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    channel TEXT NOT NULL,
    recipient TEXT NOT NULL,
    recipient_norm TEXT NOT NULL,
    subject TEXT,
    body_text TEXT NOT NULL,
    body_html TEXT,
    created_at BIGINT NOT NULL,
    seq BIGINT NOT NULL
);
CREATE INDEX outbox_newest ON outbox (seq);
CREATE INDEX outbox_recipient ON outbox (recipient_norm, seq);
