-- Model versions: trained artifacts with their lineage and status.
CREATE TABLE model_versions (
    id            INTEGER PRIMARY KEY,
    model_id      INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    number        INTEGER NOT NULL,           -- v1, v2, ... per model
    created_at    INTEGER NOT NULL,
    trainer       TEXT    NOT NULL,           -- builtin-gbdt, online-ftrl, external
    update_kind   TEXT    NOT NULL DEFAULT 'full' CHECK (update_kind IN ('full', 'warm_start', 'online')),
    format        TEXT    NOT NULL,           -- lightgbm-text (what leaves serves)
    artifact      BLOB    NOT NULL,
    sha256        TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    params        TEXT    NOT NULL DEFAULT '{}',
    metrics       TEXT    NOT NULL DEFAULT '{}',
    importance    TEXT    NOT NULL DEFAULT '[]',
    data_from_id  INTEGER NOT NULL DEFAULT 0,  -- observation ids trained on
    data_to_id    INTEGER NOT NULL DEFAULT 0,
    data_rows     INTEGER NOT NULL DEFAULT 0,
    parent_id     INTEGER REFERENCES model_versions (id),
    job_id        INTEGER,
    status        TEXT    NOT NULL CHECK (status IN ('candidate', 'champion', 'retired', 'rejected', 'rolled_back')),
    note          TEXT    NOT NULL DEFAULT '',
    UNIQUE (model_id, number)
);
-- One champion per model, enforced by the database.
CREATE UNIQUE INDEX model_versions_one_champion ON model_versions (model_id) WHERE status = 'champion';
