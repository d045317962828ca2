-- Policy backtests: a replay of retraining policies on a model's stored,
-- labeled history, run as a River job (the id is River's job id, as for
-- train_jobs). The report is the ml/backtest Report as JSON.
CREATE TABLE backtests (
    id               INTEGER PRIMARY KEY,
    model_id         INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    state            TEXT    NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
    settings         TEXT    NOT NULL,               -- ml.BacktestSettings: batch, policies, rounds, window, alpha
    attempt          INTEGER NOT NULL DEFAULT 0,
    progress_done    INTEGER NOT NULL DEFAULT 0,     -- batches replayed, over every policy
    progress_total   INTEGER NOT NULL DEFAULT 0,
    progress_policy  TEXT    NOT NULL DEFAULT '',    -- the policy being replayed
    cancel_requested INTEGER NOT NULL DEFAULT 0,
    report           TEXT,                           -- ml/backtest Report (JSON) once succeeded
    recommended      TEXT    NOT NULL DEFAULT '',
    error            TEXT    NOT NULL DEFAULT '',
    created_by       TEXT    NOT NULL,
    created_at       INTEGER NOT NULL,
    started_at       INTEGER,
    finished_at      INTEGER,
    heartbeat_at     INTEGER,
    applied          TEXT    NOT NULL DEFAULT '',    -- the last policy applied to the model from this report
    applied_by       TEXT    NOT NULL DEFAULT '',
    applied_at       INTEGER
);
CREATE INDEX backtests_model ON backtests (model_id, id);
CREATE INDEX backtests_state ON backtests (state);
