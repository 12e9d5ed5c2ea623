-- People who sign in to the pages with a user name and password. Only the
-- password's Argon2id hash (a PHC string) is kept.
CREATE TABLE users (
    name     TEXT    PRIMARY KEY,
    partner  TEXT    NOT NULL,
    role     TEXT    NOT NULL,
    password TEXT    NOT NULL,
    created  INTEGER NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);
