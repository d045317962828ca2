package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/freshet/freshet/ml"
)

const gateCols = `g.id, g.model_id, m.name, g.challenger_id, c.number, COALESCE(g.champion_id, 0), COALESCE(p.number, 0), COALESCE(g.job_id, 0),
	g.created_at, g.pass, g.status, g.mode, g.holdout_rows, g.summary, g.report, g.decided_by, g.decided_at, g.comment`

const gateFrom = ` FROM gate_decisions g JOIN models m ON m.id = g.model_id JOIN model_versions c ON c.id = g.challenger_id
	LEFT JOIN model_versions p ON p.id = g.champion_id`

func scanGate(r rowScanner, withReport bool) (*ml.GateDecision, error) {
	var d ml.GateDecision
	var created int64
	var decided sql.NullInt64
	var report string
	if err := r.Scan(&d.ID, &d.ModelID, &d.Model, &d.ChallengerID, &d.ChallengerNumber, &d.ChampionID, &d.ChampionNumber, &d.JobID,
		&created, &d.Pass, &d.Status, &d.Mode, &d.HoldoutRows, &d.Summary, &report, &d.DecidedBy, &decided, &d.Comment); err != nil {
		return nil, err
	}
	d.CreatedAt, d.DecidedAt = time.UnixMilli(created).UTC(), msTime(decided)
	if withReport {
		d.Report = json.RawMessage(report)
	}
	return &d, nil
}

// GateFilter selects gate decisions.
type GateFilter struct {
	ModelID int64
	Status  string
	Limit   int
}

// FindGates lists gate decisions, newest first, without their reports.
func (db *DB) FindGates(ctx context.Context, f GateFilter) ([]*ml.GateDecision, error) {
	where, args := "1 = 1", []any{}
	if f.ModelID != 0 {
		where, args = where+" AND g.model_id = ?", append(args, f.ModelID)
	}
	if f.Status != "" {
		where, args = where+" AND g.status = ?", append(args, f.Status)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT `+gateCols+gateFrom+` WHERE `+where+` ORDER BY g.id DESC LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: find gates: %w", err)
	}
	defer rows.Close()
	out := []*ml.GateDecision{}
	for rows.Next() {
		d, err := scanGate(rows, false)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// FindGate returns one decision with its report.
func (db *DB) FindGate(ctx context.Context, id int64) (*ml.GateDecision, error) {
	d, err := scanGate(db.Read.QueryRowContext(ctx, `SELECT `+gateCols+gateFrom+` WHERE g.id = ?`, id), true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "gate decision %d not found", id)
	}
	return d, err
}

// insertGateTx stores a decision for the challenger v.
func (db *DB) insertGateTx(ctx context.Context, tx *sql.Tx, m *ml.Model, v *ml.Version, d *ml.GateDecision) error {
	now := db.now()
	d.ModelID, d.Model, d.ChallengerID, d.ChallengerNumber, d.CreatedAt = m.ID, m.Name, v.ID, v.Number, time.UnixMilli(now).UTC()
	if len(d.Report) == 0 {
		d.Report = json.RawMessage("{}")
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO gate_decisions (model_id, challenger_id, champion_id, job_id, created_at, pass, status, mode, holdout_rows, summary, report)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, v.ID, nullInt(d.ChampionID), nullInt(d.JobID), now, d.Pass, d.Status, d.Mode, d.HoldoutRows, d.Summary, string(d.Report))
	if err != nil {
		return fmt.Errorf("store: gate decision: %w", err)
	}
	d.ID, _ = res.LastInsertId()
	// A newer challenger supersedes older pending ones.
	if _, err := tx.ExecContext(ctx, `UPDATE gate_decisions SET status = 'rejected', decided_by = 'system', decided_at = ?, comment = ?
		WHERE model_id = ? AND status = 'pending' AND id != ?`, now, fmt.Sprintf("superseded by v%d", v.Number), m.ID, d.ID); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE model_versions SET status = 'rejected' WHERE model_id = ? AND status = 'candidate' AND id != ?
		AND id IN (SELECT challenger_id FROM gate_decisions WHERE model_id = ? AND status = 'rejected')`, m.ID, v.ID, m.ID); err != nil {
		return err
	}
	if !d.Pass {
		if _, err := tx.ExecContext(ctx, `UPDATE model_versions SET status = 'rejected' WHERE id = ?`, v.ID); err != nil {
			return err
		}
		v.Status = ml.StatusRejected
	}
	return db.audit(ctx, tx, ml.Actor{Kind: "system", Name: "gate"}, "gate.verdict", "model:"+m.Name, fmt.Sprintf("v%d: %s (%s)", v.Number, d.Status, d.Summary))
}

// PromoteOptions say why a version is promoted.
type PromoteOptions struct {
	Kind       string // ml.DeployPromote (default), DeployRollback, DeployAutoRollback
	Reason     string
	DecisionID int64
	// WatchLabels > 0 starts the post-deploy watch over that many labels.
	WatchLabels int
}

// promoteTx makes v the champion: the old champion is retired (or, for a
// rollback, marked rolled back), and the change is recorded as a
// deployment. The unique index on champions makes it atomic.
func (db *DB) promoteTx(ctx context.Context, tx *sql.Tx, actor ml.Actor, m *ml.Model, v *ml.Version, o PromoteOptions) (*ml.Deployment, error) {
	if o.Kind == "" {
		o.Kind = ml.DeployPromote
	}
	var prev int64
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE((SELECT id FROM model_versions WHERE model_id = ? AND status = 'champion'), 0)`, m.ID).Scan(&prev); err != nil {
		return nil, err
	}
	if prev == v.ID {
		return nil, ml.Errorf(ml.ECONFLICT, "v%d is already the champion", v.Number)
	}
	oldStatus := ml.StatusRetired
	if o.Kind != ml.DeployPromote {
		oldStatus = ml.StatusRolledBack
	}
	if _, err := tx.ExecContext(ctx, `UPDATE model_versions SET status = ? WHERE id = ?`, oldStatus, prev); err != nil {
		return nil, fmt.Errorf("store: promote: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE model_versions SET status = 'champion' WHERE id = ?`, v.ID); err != nil {
		return nil, fmt.Errorf("store: promote: %w", err)
	}
	v.Status = ml.StatusChampion
	now := db.now()
	dep := &ml.Deployment{ModelID: m.ID, VersionID: v.ID, PreviousID: prev, At: time.UnixMilli(now).UTC(), Kind: o.Kind, By: actor.String(), Reason: o.Reason,
		DecisionID: o.DecisionID, Watch: ml.WatchNone}
	if o.WatchLabels > 0 && prev != 0 && o.Kind == ml.DeployPromote {
		dep.Watch = ml.WatchWatching
		if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(first_id + n - 1), 0) FROM obs_chunks WHERE model_id = ?`, m.ID).Scan(&dep.WatchFromID); err != nil {
			return nil, err
		}
	}
	// A new deployment ends the watch of the one before it.
	if _, err := tx.ExecContext(ctx, `UPDATE deployments SET watch = 'passed', watch_result = json_object('ended', 'superseded') WHERE model_id = ? AND watch = 'watching'`, m.ID); err != nil {
		return nil, err
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO deployments (model_id, version_id, previous_id, at, kind, by, reason, decision_id, watch, watch_from_id)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, v.ID, nullInt(prev), now, o.Kind, dep.By, o.Reason, nullInt(o.DecisionID), dep.Watch, dep.WatchFromID)
	if err != nil {
		return nil, fmt.Errorf("store: deployment: %w", err)
	}
	dep.ID, _ = res.LastInsertId()
	action := "version.promote"
	if o.Kind != ml.DeployPromote {
		action = "version.rollback"
	}
	detail := fmt.Sprintf("v%d is the champion", v.Number)
	if o.Reason != "" {
		detail += ": " + o.Reason
	}
	if err := db.audit(ctx, tx, actor, action, "model:"+m.Name, detail); err != nil {
		return nil, err
	}
	return dep, nil
}

// Promote makes a version the champion (a lead's or a tool's decision).
func (db *DB) Promote(ctx context.Context, actor ml.Actor, m *ml.Model, versionID int64, o PromoteOptions) (dep *ml.Deployment, err error) {
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		dep, err = db.PromoteTx(ctx, tx, actor, m, versionID, o)
		return err
	})
	return dep, err
}

// PromoteTx is Promote inside tx, so that what reports the promotion (a
// webhook queued in the same transaction) is committed with it or not at
// all.
func (db *DB) PromoteTx(ctx context.Context, tx *sql.Tx, actor ml.Actor, m *ml.Model, versionID int64, o PromoteOptions) (*ml.Deployment, error) {
	v, err := scanVersion(tx.QueryRowContext(ctx, `SELECT `+versionCols+` FROM model_versions WHERE id = ? AND model_id = ?`, versionID, m.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "version %d of %s not found", versionID, m.Name)
	} else if err != nil {
		return nil, err
	}
	dep, err := db.promoteTx(ctx, tx, actor, m, v, o)
	if err != nil {
		return nil, err
	}
	// A pending decision on this version is settled by the promotion.
	if _, err := tx.ExecContext(ctx, `UPDATE gate_decisions SET status = 'approved', decided_by = ?, decided_at = ?, comment = CASE WHEN comment = '' THEN ? ELSE comment END
		WHERE challenger_id = ? AND status IN ('pending', 'failed')`, actor.String(), db.now(), "promoted directly", v.ID); err != nil {
		return nil, err
	}
	return dep, nil
}

// Rollback makes the champion before the current one serve again. The
// current champion is marked rolled back.
func (db *DB) Rollback(ctx context.Context, actor ml.Actor, m *ml.Model, kind, reason string) (dep *ml.Deployment, target *ml.Version, err error) {
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		dep, target, err = db.RollbackTx(ctx, tx, actor, m, kind, reason)
		return err
	})
	return dep, target, err
}

// WatchRollbackTx ends deployment depID's watch as rolled back, with its
// result, rolls the model back, and records ev, the trigger event that
// tells why, all inside tx: a crash leaves either all of them or none (a
// rollback without its reason on the timeline, or a reason for a rollback
// that never happened, would mislead whoever reads it).
func (db *DB) WatchRollbackTx(ctx context.Context, tx *sql.Tx, actor ml.Actor, m *ml.Model, depID int64, result any, ev *ml.TriggerEvent) (*ml.Deployment, *ml.Version, error) {
	b, err := json.Marshal(result)
	if err != nil {
		return nil, nil, fmt.Errorf("store: watch result of deployment %d: %w", depID, err)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE deployments SET watch = 'rolled_back', watch_result = ? WHERE id = ?`, string(b), depID); err != nil {
		return nil, nil, err
	}
	reason := strings.Join(ev.Reasons, "; ")
	dep, target, err := db.RollbackTx(ctx, tx, actor, m, ml.DeployAutoRollback, reason)
	if err != nil {
		return nil, nil, err
	}
	ev.ModelID, ev.Outcome = m.ID, ml.OutcomeFired
	if err := db.RecordTriggerTx(ctx, tx, ev); err != nil {
		return nil, nil, err
	}
	return dep, target, nil
}

// RollbackTx is Rollback inside tx.
func (db *DB) RollbackTx(ctx context.Context, tx *sql.Tx, actor ml.Actor, m *ml.Model, kind, reason string) (*ml.Deployment, *ml.Version, error) {
	var cur, prev int64
	var err error
	err = tx.QueryRowContext(ctx, `SELECT d.version_id, COALESCE(d.previous_id, 0) FROM deployments d JOIN model_versions v ON v.id = d.version_id
		WHERE d.model_id = ? AND v.status = 'champion' ORDER BY d.id DESC LIMIT 1`, m.ID).Scan(&cur, &prev)
	if errors.Is(err, sql.ErrNoRows) || prev == 0 {
		return nil, nil, ml.Errorf(ml.ECONFLICT, "model %s has no previous champion to roll back to", m.Name)
	} else if err != nil {
		return nil, nil, err
	}
	// A rollback only ever goes one deployment back. When the champion
	// before this one was itself rolled back (a rollback of a rollback,
	// or a promotion after one), it is refused rather than guessed: the
	// lead promotes the version they want by hand.
	target, err := scanVersion(tx.QueryRowContext(ctx, `SELECT `+versionCols+` FROM model_versions WHERE id = ?`, prev))
	if err != nil {
		return nil, nil, err
	}
	if target.Status == ml.StatusRolledBack {
		return nil, nil, ml.Errorf(ml.ECONFLICT, "the previous champion v%d was itself rolled back: promote the version that should serve instead", target.Number)
	}
	if kind == "" {
		kind = ml.DeployRollback
	}
	dep, err := db.promoteTx(ctx, tx, actor, m, target, PromoteOptions{Kind: kind, Reason: reason})
	if err != nil {
		return nil, nil, err
	}
	return dep, target, nil
}

// DecideGate records a lead's approval or rejection of a pending decision;
// an approval promotes the challenger in the same transaction.
func (db *DB) DecideGate(ctx context.Context, actor ml.Actor, m *ml.Model, id int64, approve bool, comment string, watchLabels int) (d *ml.GateDecision, dep *ml.Deployment, err error) {
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		d, dep, err = db.DecideGateTx(ctx, tx, actor, m, id, approve, comment, watchLabels)
		return err
	})
	return d, dep, err
}

// DecideGateTx is DecideGate inside tx.
func (db *DB) DecideGateTx(ctx context.Context, tx *sql.Tx, actor ml.Actor, m *ml.Model, id int64, approve bool, comment string, watchLabels int) (*ml.GateDecision, *ml.Deployment, error) {
	d, err := scanGate(tx.QueryRowContext(ctx, `SELECT `+gateCols+gateFrom+` WHERE g.id = ? AND g.model_id = ?`, id, m.ID), true)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ml.Errorf(ml.ENOTFOUND, "gate decision %d of %s not found", id, m.Name)
	} else if err != nil {
		return nil, nil, err
	}
	if d.Status != ml.GatePending {
		return nil, nil, ml.Errorf(ml.ECONFLICT, "decision %d is already %s", id, d.Status)
	}
	now := db.now()
	status := ml.GateRejected
	if approve {
		status = ml.GateApproved
	}
	if _, err := tx.ExecContext(ctx, `UPDATE gate_decisions SET status = ?, decided_by = ?, decided_at = ?, comment = ? WHERE id = ?`,
		status, actor.String(), now, comment, id); err != nil {
		return nil, nil, err
	}
	var dep *ml.Deployment
	if approve {
		v, err := scanVersion(tx.QueryRowContext(ctx, `SELECT `+versionCols+` FROM model_versions WHERE id = ?`, d.ChallengerID))
		if err != nil {
			return nil, nil, err
		}
		if dep, err = db.promoteTx(ctx, tx, actor, m, v, PromoteOptions{Reason: "approved: " + comment, DecisionID: id, WatchLabels: watchLabels}); err != nil {
			return nil, nil, err
		}
	} else if _, err := tx.ExecContext(ctx, `UPDATE model_versions SET status = 'rejected' WHERE id = ? AND status = 'candidate'`, d.ChallengerID); err != nil {
		return nil, nil, err
	}
	if err := db.audit(ctx, tx, actor, "gate."+map[bool]string{true: "approve", false: "reject"}[approve], "model:"+m.Name,
		fmt.Sprintf("decision %d (v%d): %s", id, d.ChallengerNumber, comment)); err != nil {
		return nil, nil, err
	}
	d.Status, d.DecidedBy, d.Comment = status, actor.String(), comment
	t := time.UnixMilli(now).UTC()
	d.DecidedAt = &t
	return d, dep, nil
}

const deployCols = `id, model_id, version_id, COALESCE(previous_id, 0), at, kind, by, reason, COALESCE(decision_id, 0), watch, watch_from_id, watch_result`

func scanDeployment(r rowScanner) (*ml.Deployment, error) {
	var d ml.Deployment
	var at int64
	var result string
	if err := r.Scan(&d.ID, &d.ModelID, &d.VersionID, &d.PreviousID, &at, &d.Kind, &d.By, &d.Reason, &d.DecisionID, &d.Watch, &d.WatchFromID, &result); err != nil {
		return nil, err
	}
	d.At, d.WatchResult = time.UnixMilli(at).UTC(), json.RawMessage(result)
	return &d, nil
}

// FindDeployments lists a model's deployments, newest first (modelID 0:
// every model's that is being watched).
func (db *DB) FindDeployments(ctx context.Context, modelID int64, limit int) ([]*ml.Deployment, error) {
	q, args := `SELECT `+deployCols+` FROM deployments WHERE model_id = ? ORDER BY id DESC LIMIT ?`, []any{modelID, limit}
	if modelID == 0 {
		q, args = `SELECT `+deployCols+` FROM deployments WHERE watch = 'watching' ORDER BY id`, nil
	}
	rows, err := db.Read.QueryContext(ctx, q, args...)
	if err != nil {
		return nil, fmt.Errorf("store: find deployments: %w", err)
	}
	defer rows.Close()
	out := []*ml.Deployment{}
	for rows.Next() {
		d, err := scanDeployment(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}

// EndWatch records the outcome of a deployment's watch.
func (db *DB) EndWatch(ctx context.Context, id int64, state string, result any) error {
	b, err := json.Marshal(result)
	if err != nil {
		// An empty watch_result would hide what the watch found.
		return fmt.Errorf("store: watch result of deployment %d: %w", id, err)
	}
	_, err = db.Write.ExecContext(ctx, `UPDATE deployments SET watch = ?, watch_result = ? WHERE id = ? AND watch = 'watching'`, state, string(b), id)
	return err
}

// FindVersion returns one version of a model.
func (db *DB) FindVersion(ctx context.Context, modelID, id int64) (*ml.Version, error) {
	v, err := scanVersion(db.Read.QueryRowContext(ctx, `SELECT `+versionCols+` FROM model_versions WHERE id = ? AND model_id = ?`, id, modelID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "version %d not found", id)
	}
	return v, err
}

// InsertShadowScores logs a challenger's scores of observations
// firstID, firstID+1, ... (one per score).
func (db *DB) InsertShadowScores(ctx context.Context, versionID, firstID int64, scores []float64) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	st, err := tx.PrepareContext(ctx, `INSERT OR REPLACE INTO shadow_scores (version_id, obs_id, score) VALUES (?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for i, s := range scores {
		if _, err := st.ExecContext(ctx, versionID, firstID+int64(i), s); err != nil {
			return fmt.Errorf("store: shadow scores: %w", err)
		}
	}
	return tx.Commit()
}

// FindShadowScores returns a version's shadow scores by observation id.
func (db *DB) FindShadowScores(ctx context.Context, versionID int64) (map[int64]float64, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT obs_id, score FROM shadow_scores WHERE version_id = ?`, versionID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64]float64{}
	for rows.Next() {
		var id int64
		var s float64
		if err := rows.Scan(&id, &s); err != nil {
			return nil, err
		}
		out[id] = s
	}
	return out, rows.Err()
}
