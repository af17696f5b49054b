-- Every list page costs O(page), whatever the size of the tenant or the store (issue 7). The store keeps, in the
-- same transaction as every write that changes them (code in `src/counts.rs`, no triggers):
--
-- 1. On each membership, its user's sort keys: `user_created_at` (= users.created_at, which never changes) and
--    `user_invisible` (= users.invisible). A tenant's user page by creation time is then one range of the
--    `memberships_page` index, in order, joined to `users` by primary key for the page's rows only.
ALTER TABLE memberships ADD COLUMN user_created_at BIGINT NOT NULL DEFAULT 0;
ALTER TABLE memberships ADD COLUMN user_invisible BIGINT NOT NULL DEFAULT 0;
UPDATE memberships SET user_created_at = users.created_at, user_invisible = users.invisible
    FROM users WHERE users.id = memberships.user_id;
CREATE INDEX memberships_page ON memberships (tenant_id, user_created_at, user_id, user_invisible);

-- 2. Members per tenant (all of them; those whose user is invisible): a page's total without counting. A tenant
--    without a row has no members.
CREATE TABLE tenant_member_counts (
    tenant_id TEXT PRIMARY KEY REFERENCES tenants (tenant_id) ON DELETE CASCADE,
    members BIGINT NOT NULL,
    invisible_members BIGINT NOT NULL
);
INSERT INTO tenant_member_counts (tenant_id, members, invisible_members)
    SELECT tenant_id, COUNT(*), COUNT(CASE WHEN user_invisible = 1 THEN 1 END) FROM memberships GROUP BY tenant_id;

-- 3. Store-wide totals (one row, id 1) for the lists that are not scoped to a tenant.
CREATE TABLE store_counts (
    id BIGINT PRIMARY KEY,
    tenants BIGINT NOT NULL,
    users BIGINT NOT NULL,
    invisible_users BIGINT NOT NULL
);
INSERT INTO store_counts (id, tenants, users, invisible_users)
    SELECT 1, (SELECT COUNT(*) FROM tenants), COUNT(*), COUNT(CASE WHEN invisible = 1 THEN 1 END) FROM users;

-- 4. Tenant pages in order for each sort key, ties broken by tenant id (the unique `tenant_id` index serves the
--    third key).
DROP INDEX tenants_created;
CREATE INDEX tenants_created ON tenants (created_at, tenant_id);
CREATE INDEX tenants_name ON tenants (LOWER(name), tenant_id);

-- Counting visible members no longer probes users: the partial index of 0002 has no reader left.
DROP INDEX users_invisible;
