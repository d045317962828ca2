-- Active learning: query batches, their items (leased to one annotator
-- at a time) and the annotations people give.
CREATE TABLE query_batches (
    id         INTEGER PRIMARY KEY,
    model_id   INTEGER NOT NULL REFERENCES models (id) ON DELETE CASCADE,
    strategy   TEXT    NOT NULL,
    size       INTEGER NOT NULL,
    overlap    INTEGER NOT NULL DEFAULT 1,
    pool_rows  INTEGER NOT NULL DEFAULT 0,
    created_by TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    state      TEXT    NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'closed')),
    done       INTEGER NOT NULL DEFAULT 0,  -- items with all their labels
    given      INTEGER NOT NULL DEFAULT 0   -- labels (not undone)
);
CREATE INDEX query_batches_model ON query_batches (model_id, id);

CREATE TABLE label_items (
    id          INTEGER PRIMARY KEY,
    batch_id    INTEGER NOT NULL REFERENCES query_batches (id) ON DELETE CASCADE,
    model_id    INTEGER NOT NULL,
    obs_id      INTEGER NOT NULL,
    position    INTEGER NOT NULL,
    uncertainty REAL    NOT NULL DEFAULT 0,
    why         TEXT    NOT NULL DEFAULT '',
    score       REAL    NOT NULL DEFAULT 0,
    needed      INTEGER NOT NULL DEFAULT 1,
    given       INTEGER NOT NULL DEFAULT 0,
    final       REAL,
    leased_to   TEXT,
    lease_until INTEGER,
    UNIQUE (batch_id, obs_id)
);
-- The queue: open items in order (a partial index, so finished items
-- cost nothing to skip).
CREATE INDEX label_items_queue ON label_items (batch_id, position) WHERE given < needed;

CREATE TABLE annotations (
    id       INTEGER PRIMARY KEY,
    item_id  INTEGER NOT NULL REFERENCES label_items (id) ON DELETE CASCADE,
    batch_id INTEGER NOT NULL,
    model_id INTEGER NOT NULL,
    user     TEXT    NOT NULL,
    label    REAL    NOT NULL,
    at       INTEGER NOT NULL,
    undone   INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX annotations_model_at ON annotations (model_id, at);
CREATE INDEX annotations_batch_user ON annotations (batch_id, user, id);
CREATE INDEX annotations_item ON annotations (item_id, user);
CREATE INDEX label_items_model_lease ON label_items (model_id, lease_until);

CREATE TABLE label_skips (
    item_id INTEGER NOT NULL REFERENCES label_items (id) ON DELETE CASCADE,
    user    TEXT    NOT NULL,
    PRIMARY KEY (item_id, user)
) WITHOUT ROWID;
