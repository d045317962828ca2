-- Training jobs as freshet sees them (River keeps the queue; this keeps
-- what a person asks about a job: why, on what data, what it cost, what
-- it made), and trigger events: every decision to retrain or not.
CREATE TABLE train_jobs (
    id               INTEGER PRIMARY KEY,         -- River's job id
    model_id         INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    trigger_id       INTEGER,
    strategy         TEXT    NOT NULL,            -- full, warm_start, online
    priority         INTEGER NOT NULL DEFAULT 2,
    reason           TEXT    NOT NULL DEFAULT '',
    requested_by     TEXT    NOT NULL DEFAULT '',
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    attempt          INTEGER NOT NULL DEFAULT 0,
    phase            TEXT    NOT NULL DEFAULT '',
    progress         REAL    NOT NULL DEFAULT 0,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    heartbeat_at     INTEGER,
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    cpu_seconds      REAL    NOT NULL DEFAULT 0,
    wall_seconds     REAL    NOT NULL DEFAULT 0,
    peak_rss         INTEGER NOT NULL DEFAULT 0,
    rows             INTEGER NOT NULL DEFAULT 0,
    rounds           INTEGER NOT NULL DEFAULT 0,
    data             TEXT    NOT NULL DEFAULT '{}',   -- ml.DataVersion
    validation       TEXT    NOT NULL DEFAULT '[]',   -- data checks
    log              TEXT    NOT NULL DEFAULT '',
    error            TEXT    NOT NULL DEFAULT '',
    version_id       INTEGER REFERENCES model_versions (id) ON DELETE SET NULL
);
CREATE INDEX train_jobs_model ON train_jobs (model_id, created_at);
CREATE INDEX train_jobs_state ON train_jobs (state);

CREATE TABLE trigger_events (
    id           INTEGER PRIMARY KEY,
    model_id     INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    at           INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    repeats      INTEGER NOT NULL DEFAULT 1,
    outcome      TEXT    NOT NULL CHECK (outcome IN ('fired', 'suppressed')),
    triggers     TEXT    NOT NULL,                -- comma-separated kinds
    reasons      TEXT    NOT NULL DEFAULT '[]',
    suppressed   TEXT    NOT NULL DEFAULT '',
    strategy     TEXT    NOT NULL DEFAULT '',
    strategy_why TEXT    NOT NULL DEFAULT '',
    cost         TEXT    NOT NULL DEFAULT '{}',
    gain         TEXT    NOT NULL DEFAULT 'null',
    gap          REAL,                            -- champion's baseline minus recent metric when decided
    recent       REAL,                            -- champion's recent metric when decided (for the gain model)
    job_id       INTEGER,
    data_at      INTEGER                          -- observation time (end of the newest profiled window) when decided
);
CREATE INDEX trigger_events_model ON trigger_events (model_id, at);

-- Per-model policy bookkeeping: the last profiled window the triggers
-- have seen and the last time the schedule fired.
CREATE TABLE policy_state (
    model_id       INTEGER PRIMARY KEY REFERENCES models (id) ON DELETE CASCADE,
    window_cursor  INTEGER NOT NULL DEFAULT 0,
    last_scheduled INTEGER NOT NULL DEFAULT 0,
    online_cursor  INTEGER NOT NULL DEFAULT 0,
    online_since   INTEGER NOT NULL DEFAULT 0,
    online_state   BLOB,
    online_cpu     REAL    NOT NULL DEFAULT 0,    -- CPU-seconds spent learning since the last snapshot
    online_snapshot TEXT                          -- a snapshot waiting to become a version (JSON)
);

-- The whole data version (window, holdout, hash) as JSON.
ALTER TABLE model_versions ADD COLUMN data TEXT NOT NULL DEFAULT '{}';
