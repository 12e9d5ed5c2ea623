-- Nodes this node pulls from (federation). Their credentials are secrets
-- kept in <data-dir>/peers/ (0600), never here.
CREATE TABLE peers (
    id      TEXT   PRIMARY KEY,
    url     TEXT   NOT NULL,
    partner TEXT   NOT NULL,
    ca_pem  TEXT,
    created BIGINT NOT NULL
);
