package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/freshet/freshet/ml"
)

// Decisions the gate makes after the job: on a version that waited for
// labeled rows it never learned from, and again on a pending challenger's
// labeled shadow rows. Both run inside the caller's transaction, so the
// notifications queued with them commit with them or not at all.

// RecordGateTx stores the gate's decision d on version v, which a job
// stored without one, inside tx, and promotes v when promote. It returns
// the deployment (nil without a promotion).
func (db *DB) RecordGateTx(ctx context.Context, tx *sql.Tx, m *ml.Model, v *ml.Version, d *ml.GateDecision, promote bool, po PromoteOptions) (*ml.Deployment, error) {
	var decided int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM gate_decisions WHERE challenger_id = ?`, v.ID).Scan(&decided); err != nil {
		return nil, fmt.Errorf("store: record gate: %w", err)
	}
	if decided > 0 {
		return nil, ml.Errorf(ml.ECONFLICT, "v%d already has a gate decision", v.Number)
	}
	// The judging ran outside tx and takes seconds: what it judged must
	// still hold. The version is still a candidate (a lead may have
	// promoted, then rolled it back), and the champion it was judged
	// against still serves (a newer version may have been promoted).
	var status string
	var champ int64
	if err := tx.QueryRowContext(ctx, `SELECT status, COALESCE((SELECT id FROM model_versions WHERE model_id = ? AND status = 'champion'), 0)
		FROM model_versions WHERE id = ?`, m.ID, v.ID).Scan(&status, &champ); err != nil {
		return nil, fmt.Errorf("store: record gate: %w", err)
	}
	if status != ml.StatusCandidate {
		return nil, ml.Errorf(ml.ECONFLICT, "v%d is %s now, no longer a candidate", v.Number, status)
	}
	if champ != d.ChampionID {
		return nil, ml.Errorf(ml.ECONFLICT, "the champion changed while v%d was judged", v.Number)
	}
	d.JobID = v.JobID
	if err := db.insertGateTx(ctx, tx, m, v, d); err != nil {
		return nil, err
	}
	if !promote {
		return nil, nil
	}
	po.DecisionID = d.ID
	return db.promoteTx(ctx, tx, ml.Actor{Kind: "system", Name: "gate"}, m, v, po)
}

// RejudgeGateTx replaces the verdict of pending decision d (its Pass,
// Status, Summary and Report, as the caller set them) inside tx: a failed
// verdict rejects the challenger, and promote makes it the champion. The
// change is audited. A decision that is no longer pending is an
// ECONFLICT: a lead decided meanwhile, and the lead's word stands.
func (db *DB) RejudgeGateTx(ctx context.Context, tx *sql.Tx, m *ml.Model, d *ml.GateDecision, promote bool, po PromoteOptions) (*ml.Deployment, error) {
	if len(d.Report) == 0 {
		d.Report = json.RawMessage("{}")
	}
	res, err := tx.ExecContext(ctx, `UPDATE gate_decisions SET pass = ?, status = ?, summary = ?, report = ? WHERE id = ? AND model_id = ? AND status = 'pending'`,
		d.Pass, d.Status, d.Summary, string(d.Report), d.ID, m.ID)
	if err != nil {
		return nil, fmt.Errorf("store: rejudge gate: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return nil, ml.Errorf(ml.ECONFLICT, "decision %d is no longer pending", d.ID)
	}
	v, err := scanVersion(tx.QueryRowContext(ctx, `SELECT `+versionCols+` FROM model_versions WHERE id = ?`, d.ChallengerID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "version %d not found", d.ChallengerID)
	} else if err != nil {
		return nil, err
	}
	if !d.Pass {
		if _, err := tx.ExecContext(ctx, `UPDATE model_versions SET status = 'rejected' WHERE id = ? AND status = 'candidate'`, v.ID); err != nil {
			return nil, err
		}
	}
	if err := db.audit(ctx, tx, ml.Actor{Kind: "system", Name: "gate"}, "gate.rejudge", "model:"+m.Name,
		fmt.Sprintf("decision %d (v%d): %s (%s)", d.ID, v.Number, d.Status, d.Summary)); err != nil {
		return nil, err
	}
	if !promote {
		return nil, nil
	}
	po.DecisionID = d.ID
	return db.promoteTx(ctx, tx, ml.Actor{Kind: "system", Name: "gate"}, m, v, po)
}
