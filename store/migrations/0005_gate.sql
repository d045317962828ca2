-- The gate's decisions and the history of what served.
CREATE TABLE gate_decisions (
    id            INTEGER PRIMARY KEY,
    model_id      INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    challenger_id INTEGER NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
    champion_id   INTEGER REFERENCES model_versions (id) ON DELETE SET NULL,
    job_id        INTEGER,
    created_at    INTEGER NOT NULL,
    pass          INTEGER NOT NULL,
    status        TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'auto-promoted', 'failed')),
    mode          TEXT    NOT NULL,
    holdout_rows  INTEGER NOT NULL DEFAULT 0,
    summary       TEXT    NOT NULL DEFAULT '',
    report        TEXT    NOT NULL DEFAULT '{}',
    decided_by    TEXT    NOT NULL DEFAULT '',
    decided_at    INTEGER,
    comment       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX gate_decisions_model ON gate_decisions (model_id, id);
CREATE INDEX gate_decisions_status ON gate_decisions (status);

CREATE TABLE deployments (
    id            INTEGER PRIMARY KEY,
    model_id      INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    version_id    INTEGER NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
    previous_id   INTEGER REFERENCES model_versions (id) ON DELETE SET NULL,
    at            INTEGER NOT NULL,
    kind          TEXT    NOT NULL CHECK (kind IN ('promote', 'rollback', 'auto-rollback')),
    by            TEXT    NOT NULL,
    reason        TEXT    NOT NULL DEFAULT '',
    decision_id   INTEGER,
    watch         TEXT    NOT NULL DEFAULT 'none' CHECK (watch IN ('none', 'watching', 'passed', 'rolled_back')),
    watch_from_id INTEGER NOT NULL DEFAULT 0,
    watch_result  TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX deployments_model ON deployments (model_id, id);

-- Shadow scores: a pending challenger's scores on live traffic (logged,
-- not returned), to compare with the champion's once labels arrive.
CREATE TABLE shadow_scores (
    version_id INTEGER NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
    obs_id     INTEGER NOT NULL,
    score      REAL    NOT NULL,
    PRIMARY KEY (version_id, obs_id)
) WITHOUT ROWID;
