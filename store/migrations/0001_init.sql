-- freshet schema, version 1: models, observations, users, sessions, tokens,
-- audit log, uploads and a small key/value table.
-- Times are unix milliseconds (UTC) throughout.

CREATE TABLE models (
    id             INTEGER PRIMARY KEY,
    name           TEXT    NOT NULL UNIQUE,
    task           TEXT    NOT NULL CHECK (task IN ('binary', 'multiclass', 'regression')),
    label          TEXT    NOT NULL,
    time_col       TEXT    NOT NULL DEFAULT '',
    entity_col     TEXT    NOT NULL DEFAULT '',
    features       TEXT    NOT NULL,               -- JSON array of ml.Feature
    classes        TEXT    NOT NULL DEFAULT '[]',  -- JSON array of class names
    metric         TEXT    NOT NULL,
    description    TEXT    NOT NULL DEFAULT '',
    config         TEXT    NOT NULL DEFAULT '{}',  -- JSON ml.ModelConfig
    created_at     INTEGER NOT NULL,
    -- running counts, kept in the same transaction as the rows they count
    next_obs_id    INTEGER NOT NULL DEFAULT 1,
    n_obs          INTEGER NOT NULL DEFAULT 0,
    n_labeled      INTEGER NOT NULL DEFAULT 0,
    first_ts       INTEGER,
    last_ts        INTEGER,
    last_ingest_at INTEGER
);

-- Dictionary of categorical values: codes are dense per (model, feature).
CREATE TABLE categories (
    model_id INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    feature  INTEGER NOT NULL,
    code     INTEGER NOT NULL,
    value    TEXT    NOT NULL,
    PRIMARY KEY (model_id, feature, value)
) WITHOUT ROWID;

-- Observations are stored in column-encoded chunks (see store/chunk.go):
-- observation ids first_id .. first_id+n-1 of one model. A scan reads a
-- few hundred blobs per million rows instead of a million rows.
CREATE TABLE obs_chunks (
    id         INTEGER PRIMARY KEY,
    model_id   INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    first_id   INTEGER NOT NULL,
    n          INTEGER NOT NULL CHECK (n > 0),
    t_min      INTEGER NOT NULL,
    t_max      INTEGER NOT NULL,
    n_labeled  INTEGER NOT NULL,
    source     TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    data       BLOB    NOT NULL
);
CREATE UNIQUE INDEX obs_chunks_model_first ON obs_chunks (model_id, first_id);
CREATE INDEX obs_chunks_model_time ON obs_chunks (model_id, t_min, t_max);

-- Entity ids, so late labels find their row.
CREATE TABLE entities (
    model_id INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    entity   TEXT    NOT NULL,
    obs_id   INTEGER NOT NULL,
    ts       INTEGER NOT NULL,
    labeled  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (model_id, entity)
) WITHOUT ROWID;

-- Labels that arrived after their observation; they override the chunk.
CREATE TABLE labels (
    model_id INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    obs_id   INTEGER NOT NULL,
    value    REAL    NOT NULL,
    at       INTEGER NOT NULL,
    source   TEXT    NOT NULL,
    actor    TEXT    NOT NULL,
    PRIMARY KEY (model_id, obs_id)
) WITHOUT ROWID;

-- Observation and label counts per hour of observation time.
CREATE TABLE obs_hourly (
    model_id INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    hour     INTEGER NOT NULL,
    n        INTEGER NOT NULL,
    labeled  INTEGER NOT NULL,
    PRIMARY KEY (model_id, hour)
) WITHOUT ROWID;

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    name          TEXT    NOT NULL UNIQUE,
    role          TEXT    NOT NULL CHECK (role IN ('admin', 'lead', 'annotator')),
    password_hash TEXT    NOT NULL,
    must_change   INTEGER NOT NULL DEFAULT 0,
    disabled      INTEGER NOT NULL DEFAULT 0,
    created_at    INTEGER NOT NULL
);

-- Server-side sessions; the cookie carries a random secret, the table its
-- sha256, so a leaked database does not leak live sessions.
CREATE TABLE sessions (
    hash         BLOB    PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    last_seen_at INTEGER NOT NULL,
    ip           TEXT    NOT NULL DEFAULT '',
    user_agent   TEXT    NOT NULL DEFAULT ''
) WITHOUT ROWID;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT    NOT NULL UNIQUE,
    hash         BLOB    NOT NULL UNIQUE,
    prefix       TEXT    NOT NULL,
    scopes       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);

CREATE TABLE audit_log (
    id     INTEGER PRIMARY KEY,
    at     INTEGER NOT NULL,
    actor  TEXT    NOT NULL,
    action TEXT    NOT NULL,
    target TEXT    NOT NULL DEFAULT '',
    detail TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX audit_log_at ON audit_log (at);

-- Files uploaded in the browser between "preview" and "create".
CREATE TABLE uploads (
    id         TEXT    PRIMARY KEY,
    user_id    INTEGER NOT NULL,
    name       TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    data       BLOB    NOT NULL
);

CREATE TABLE kv (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
) WITHOUT ROWID;
