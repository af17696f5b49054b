-- Invisible users are few: a partial index over just them lets a tenant's visible-member count be computed as
-- (members) - (invisible members) from indexes, instead of probing every member's user row.
CREATE INDEX users_invisible ON users (id) WHERE invisible = 1;
