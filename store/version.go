package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/freshet/freshet/ml"
)

const versionCols = `id, model_id, number, created_at, trainer, update_kind, format, sha256, size, params, metrics, importance,
	data_from_id, data_to_id, data_rows, parent_id, job_id, status, note, data`

func scanVersion(r rowScanner) (*ml.Version, error) {
	var v ml.Version
	var created int64
	var params, metrics, imp, data string
	var parent, job sql.NullInt64
	if err := r.Scan(&v.ID, &v.ModelID, &v.Number, &created, &v.Trainer, &v.UpdateKind, &v.Format, &v.SHA256, &v.Size, &params, &metrics, &imp,
		&v.Data.FromID, &v.Data.ToID, &v.Data.Rows, &parent, &job, &v.Status, &v.Note, &data); err != nil {
		return nil, err
	}
	v.CreatedAt = time.UnixMilli(created).UTC()
	v.Params = json.RawMessage(params)
	if err := json.Unmarshal([]byte(metrics), &v.Metrics); err != nil {
		return nil, fmt.Errorf("store: version %d metrics: %w", v.ID, err)
	}
	if err := json.Unmarshal([]byte(imp), &v.Importance); err != nil {
		return nil, fmt.Errorf("store: version %d importance: %w", v.ID, err)
	}
	v.ParentID, v.JobID = parent.Int64, job.Int64
	if data != "{}" {
		if err := json.Unmarshal([]byte(data), &v.Data); err != nil {
			return nil, fmt.Errorf("store: version %d data: %w", v.ID, err)
		}
	}
	return &v, nil
}

// CreateVersion stores a trained model version with its artifact. With
// promote, it becomes the champion in the same transaction and the old
// champion is retired. It records no gate decision, so promoting here
// bypasses the gate (jobs.Retrain, for tests and tools, does); the worker
// stores a judged version with its decision through FinishJobGated.
func (db *DB) CreateVersion(ctx context.Context, actor ml.Actor, m *ml.Model, v *ml.Version, artifact []byte, promote bool) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.createVersionTx(ctx, tx, actor, m, v, artifact, promote); err != nil {
		return err
	}
	return tx.Commit()
}

func (db *DB) createVersionTx(ctx context.Context, tx *sql.Tx, actor ml.Actor, m *ml.Model, v *ml.Version, artifact []byte, promote bool) error {
	if len(artifact) == 0 {
		return ml.Errorf(ml.EINVALID, "a version needs an artifact")
	}
	sum := sha256.Sum256(artifact)
	v.SHA256, v.Size, v.ModelID = hex.EncodeToString(sum[:]), int64(len(artifact)), m.ID
	if len(v.Params) == 0 {
		v.Params = json.RawMessage("{}")
	}
	metrics, _ := json.Marshal(orEmptyMap(v.Metrics))
	imp, _ := json.Marshal(orEmpty(v.Importance))
	if v.UpdateKind == "" {
		v.UpdateKind = ml.UpdateFull
	}
	dataJSON, _ := json.Marshal(v.Data)
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(number), 0) + 1 FROM model_versions WHERE model_id = ?`, m.ID).Scan(&v.Number); err != nil {
		return fmt.Errorf("store: create version: %w", err)
	}
	if v.ParentID == 0 {
		// The lineage: the champion it was meant to replace.
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT id FROM model_versions WHERE model_id = ? AND status = 'champion'), 0)`, m.ID).Scan(&v.ParentID); err != nil {
			return err
		}
	}
	if v.Status == "" || promote {
		v.Status = ml.StatusCandidate
	}
	now := db.now()
	res, err := tx.ExecContext(ctx, `INSERT INTO model_versions (model_id, number, created_at, trainer, update_kind, format, artifact, sha256, size, params, metrics, importance,
		data_from_id, data_to_id, data_rows, parent_id, job_id, status, note, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		m.ID, v.Number, now, v.Trainer, v.UpdateKind, v.Format, artifact, v.SHA256, v.Size, string(v.Params), string(metrics), string(imp),
		v.Data.FromID, v.Data.ToID, v.Data.Rows, nullInt(v.ParentID), nullInt(v.JobID), v.Status, v.Note, string(dataJSON))
	if err != nil {
		return fmt.Errorf("store: create version: %w", err)
	}
	v.ID, _ = res.LastInsertId()
	v.CreatedAt = time.UnixMilli(now).UTC()
	detail := fmt.Sprintf("v%d by %s (%s), %d rows", v.Number, v.Trainer, v.UpdateKind, v.Data.Rows)
	if err := db.audit(ctx, tx, actor, "version.create", "model:"+m.Name, detail); err != nil {
		return err
	}
	if promote {
		if _, err := db.promoteTx(ctx, tx, actor, m, v, PromoteOptions{Reason: "trained"}); err != nil {
			return err
		}
	}
	return nil
}

func nullInt(v int64) sql.NullInt64 { return sql.NullInt64{Int64: v, Valid: v != 0} }

func orEmptyMap(m map[string]float64) map[string]float64 {
	if m == nil {
		return map[string]float64{}
	}
	return m
}

// FindVersions lists a model's versions, newest first.
func (db *DB) FindVersions(ctx context.Context, modelID int64, limit int) ([]*ml.Version, error) {
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT `+versionCols+` FROM model_versions WHERE model_id = ? ORDER BY number DESC LIMIT ?`, modelID, limit)
	return collect(rows, err, "find versions", scanVersion)
}

// FindChampion returns a model's champion version, ENOTFOUND when none.
func (db *DB) FindChampion(ctx context.Context, modelID int64) (*ml.Version, error) {
	v, err := scanVersion(db.Read.QueryRowContext(ctx, `SELECT `+versionCols+` FROM model_versions WHERE model_id = ? AND status = 'champion'`, modelID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "the model has no trained version yet")
	}
	if err != nil {
		return nil, fmt.Errorf("store: find champion: %w", err)
	}
	return v, nil
}

// FindVersionArtifact returns a version's artifact bytes.
func (db *DB) FindVersionArtifact(ctx context.Context, versionID int64) ([]byte, error) {
	var b []byte
	err := db.Read.QueryRowContext(ctx, `SELECT artifact FROM model_versions WHERE id = ?`, versionID).Scan(&b)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "version %d not found", versionID)
	}
	return b, err
}

// FindWaitingVersions lists the versions whose gate decision waits: the
// candidates a job made and stored without a decision, because the gate
// had too few labeled rows they never learned from (online snapshots).
// Oldest first.
func (db *DB) FindWaitingVersions(ctx context.Context) ([]*ml.Version, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT `+versionCols+` FROM model_versions v WHERE status = 'candidate' AND job_id IS NOT NULL
		AND NOT EXISTS (SELECT 1 FROM gate_decisions g WHERE g.challenger_id = v.id) ORDER BY id`)
	return collect(rows, err, "find waiting versions", scanVersion)
}

// RejectVersion rejects a candidate version (one that never served), with
// the reason in the audit log. A version that is no longer a candidate is
// an ECONFLICT.
func (db *DB) RejectVersion(ctx context.Context, actor ml.Actor, v *ml.Version, reason string) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var model string
	if err := tx.QueryRowContext(ctx, `SELECT name FROM models WHERE id = ?`, v.ModelID).Scan(&model); errors.Is(err, sql.ErrNoRows) {
		return ml.Errorf(ml.ENOTFOUND, "model %d not found", v.ModelID)
	} else if err != nil {
		return fmt.Errorf("store: reject version: %w", err)
	}
	res, err := tx.ExecContext(ctx, `UPDATE model_versions SET status = 'rejected' WHERE id = ? AND status = 'candidate'`, v.ID)
	if err != nil {
		return fmt.Errorf("store: reject version: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ml.Errorf(ml.ECONFLICT, "v%d is not a candidate", v.Number)
	}
	v.Status = ml.StatusRejected
	if err := db.audit(ctx, tx, actor, "version.reject", "model:"+model, fmt.Sprintf("v%d: %s", v.Number, reason)); err != nil {
		return err
	}
	return tx.Commit()
}
