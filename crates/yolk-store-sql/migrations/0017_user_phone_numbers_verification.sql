-- A user's own phone numbers (identity.json tag SMS): a number is added unverified and proved by a texted code.
--
-- As for `user_emails`, `claim` is the number's one spelling (`phone_norm`: without dashes) while the user holds
-- it (verified) and NULL while it waits for its code, so the UNIQUE index on `claim` makes a number belong to at
-- most one user without letting an unproved number block its owner. A user lists a number once (`user_id`,
-- `phone_norm`). The codes themselves are `mfa_challenges` rows (kind `code`), named by the `otcToken` they answer.
-- Pages sort by user (the unique `(user_id, phone_norm)`) or by number (`user_phone_numbers_by_number`).
CREATE TABLE user_phone_numbers_0017 AS SELECT id, user_id, phone_number, verified, created_at FROM user_phone_numbers;
DROP TABLE user_phone_numbers;
CREATE TABLE user_phone_numbers (
    id TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    phone_number TEXT NOT NULL,
    phone_norm TEXT NOT NULL,
    claim TEXT UNIQUE,
    verified BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (user_id, phone_norm)
);
CREATE INDEX user_phone_numbers_by_number ON user_phone_numbers (phone_norm, user_id);
-- Every former row was set by the environment (verified). Spellings that differ only by dashes become one number:
-- a user keeps its first row of it, and only the first user of it holds it.
INSERT INTO user_phone_numbers (id, user_id, phone_number, phone_norm, claim, verified, created_at, updated_at)
SELECT t.id, t.user_id, t.phone_number, REPLACE(t.phone_number, '-', ''),
       CASE WHEN t.id = (SELECT MIN(o.id) FROM user_phone_numbers_0017 o
                         WHERE REPLACE(o.phone_number, '-', '') = REPLACE(t.phone_number, '-', ''))
            THEN REPLACE(t.phone_number, '-', '') ELSE NULL END,
       CASE WHEN t.id = (SELECT MIN(o.id) FROM user_phone_numbers_0017 o
                         WHERE REPLACE(o.phone_number, '-', '') = REPLACE(t.phone_number, '-', ''))
            THEN 1 ELSE 0 END,
       t.created_at, t.created_at
FROM user_phone_numbers_0017 t
WHERE t.id = (SELECT MIN(o.id) FROM user_phone_numbers_0017 o
              WHERE o.user_id = t.user_id AND REPLACE(o.phone_number, '-', '') = REPLACE(t.phone_number, '-', ''));
DROP TABLE user_phone_numbers_0017;
