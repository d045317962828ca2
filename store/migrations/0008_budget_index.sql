-- The label budget counts a model's labels in the current period that
-- were not undone, on every label and lease: a partial index covers the
-- count (without it every count read each annotation row's undone flag).
CREATE INDEX annotations_budget ON annotations (model_id, at) WHERE undone = 0;
