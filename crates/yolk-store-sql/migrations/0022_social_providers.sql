-- Social login providers: the built-in ones the environment configured (id = their type: google, github, ...) and
-- its custom OAuth providers (id = a random UUID, custom = 1). `secret` is the OAuth client secret, kept in clear
-- because the server must present it to the provider's token endpoint (it is never returned by the API).
-- `authorization_url`, `token_url` and `user_info_url` override a built-in provider's well-known endpoints.
CREATE TABLE social_providers (
    id TEXT PRIMARY KEY,
    custom BIGINT NOT NULL,
    kind TEXT NOT NULL,
    client_id TEXT NOT NULL,
    secret TEXT NOT NULL,
    redirect_url TEXT NOT NULL,
    authorization_url TEXT,
    token_url TEXT,
    user_info_url TEXT,
    scopes TEXT NOT NULL,
    logo_url TEXT,
    display_name TEXT,
    active BIGINT NOT NULL,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
