-- Monitoring: reference summaries (per champion version) and window
-- profiles. Both hold JSON written by ml/monitor; the store does not
-- interpret them.
CREATE TABLE monitor_refs (
    id         INTEGER PRIMARY KEY,
    model_id   INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    version_id INTEGER NOT NULL REFERENCES model_versions (id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    rows       INTEGER NOT NULL,
    data       BLOB    NOT NULL,
    UNIQUE (model_id, version_id)
);

CREATE TABLE profiles (
    model_id     INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    window_start INTEGER NOT NULL,
    window_end   INTEGER NOT NULL,
    rows         INTEGER NOT NULL,
    labeled      INTEGER NOT NULL,
    ref_id       INTEGER NOT NULL REFERENCES monitor_refs (id) ON DELETE CASCADE,
    computed_at  INTEGER NOT NULL,
    data         BLOB    NOT NULL,
    PRIMARY KEY (model_id, window_start)
) WITHOUT ROWID;
