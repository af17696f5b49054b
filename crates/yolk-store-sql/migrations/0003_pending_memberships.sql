-- An invitation of an existing account makes a pending membership: the user is listed in the tenant but gets no
-- access to it until the mailbox owner accepts the invitation (issue 6, account pre-takeover).
ALTER TABLE memberships ADD COLUMN pending BIGINT NOT NULL DEFAULT 0;
