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

const backtestCols = `b.id, b.model_id, m.name, b.state, b.settings, b.progress_done, b.progress_total, b.progress_policy, b.cancel_requested,
	b.error, b.created_by, b.created_at, b.started_at, b.finished_at, b.heartbeat_at, b.recommended, b.applied, b.applied_by, b.applied_at, b.report`

func scanBacktest(r rowScanner) (*ml.Backtest, error) {
	var b ml.Backtest
	var settings string
	var report sql.NullString
	var created int64
	var started, finished, beat, applied sql.NullInt64
	if err := r.Scan(&b.ID, &b.ModelID, &b.Model, &b.State, &settings, &b.Progress.Done, &b.Progress.Total, &b.Progress.Policy, &b.CancelRequested,
		&b.Error, &b.CreatedBy, &created, &started, &finished, &beat, &b.Recommended, &b.Applied, &b.AppliedBy, &applied, &report); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(settings), &b.Settings); err != nil {
		return nil, fmt.Errorf("store: backtest %d settings: %w", b.ID, err)
	}
	b.CreatedAt = time.UnixMilli(created).UTC()
	b.StartedAt, b.FinishedAt, b.HeartbeatAt, b.AppliedAt = msTime(started), msTime(finished), msTime(beat), msTime(applied)
	if report.Valid && report.String != "" {
		b.Report = json.RawMessage(report.String)
	}
	return &b, nil
}

// CreateBacktestTx records a queued backtest (its ID is the queue's)
// inside tx, and audits it.
func (db *DB) CreateBacktestTx(ctx context.Context, tx *sql.Tx, actor ml.Actor, m *ml.Model, b *ml.Backtest) error {
	b.ModelID, b.Model, b.State, b.CreatedBy = m.ID, m.Name, ml.JobQueued, actor.String()
	now := db.now()
	b.CreatedAt = time.UnixMilli(now).UTC()
	settings, err := json.Marshal(b.Settings)
	if err != nil {
		return fmt.Errorf("store: create backtest: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO backtests (id, model_id, state, settings, created_by, created_at) VALUES (?, ?, 'queued', ?, ?, ?)`,
		b.ID, m.ID, string(settings), b.CreatedBy, now); err != nil {
		return fmt.Errorf("store: create backtest: %w", formatError(err))
	}
	s := b.Settings
	return db.audit(ctx, tx, actor, "backtest.create", "model:"+m.Name, fmt.Sprintf("backtest %d: %d-row batches, %d rounds, window %d rows, alpha %g; %s",
		b.ID, s.Batch, s.Rounds, s.Window, s.Alpha, strings.Join(s.Policies, ",")))
}

// FindBacktest returns one backtest with its report.
func (db *DB) FindBacktest(ctx context.Context, id int64) (*ml.Backtest, error) {
	b, err := scanBacktest(db.Read.QueryRowContext(ctx, `SELECT `+backtestCols+` FROM backtests b JOIN models m ON m.id = b.model_id WHERE b.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "backtest %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: find backtest: %w", err)
	}
	return b, nil
}

// BacktestFilter selects backtests.
type BacktestFilter struct {
	ModelID int64
	// Active keeps queued and running backtests only.
	Active bool
	Limit  int
}

// FindBacktests lists backtests, newest first, without their reports.
func (db *DB) FindBacktests(ctx context.Context, f BacktestFilter) ([]*ml.Backtest, error) {
	tail, args := newestFirst("b", f.ModelID, f.Active, f.Limit)
	cols := strings.Replace(backtestCols, "b.report", "NULL", 1)
	rows, err := db.Read.QueryContext(ctx, `SELECT `+cols+` FROM backtests b JOIN models m ON m.id = b.model_id `+tail, args...)
	out, err := collect(rows, err, "find backtests", scanBacktest)
	return orEmpty(out), err
}

// StartBacktest marks a backtest running for an attempt. It fails with
// ECONFLICT when the backtest is no longer runnable (cancelled, or
// finished).
func (db *DB) StartBacktest(ctx context.Context, id int64, attempt int) (*ml.Backtest, error) {
	now := db.now()
	res, err := db.Write.ExecContext(ctx, `UPDATE backtests SET state = 'running', attempt = ?, started_at = ?, heartbeat_at = ?, progress_done = 0,
		progress_policy = '', error = '' WHERE id = ? AND state IN ('queued', 'running') AND cancel_requested = 0`, attempt, now, now, id)
	if err != nil {
		return nil, fmt.Errorf("store: start backtest: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		b, err := db.FindBacktest(ctx, id)
		if err != nil {
			return nil, err
		}
		return b, ml.Errorf(ml.ECONFLICT, "backtest %d is %s", id, b.State)
	}
	return db.FindBacktest(ctx, id)
}

// BacktestProgress records how far a running backtest got and beats its
// heartbeat. It reports whether someone asked to cancel it.
func (db *DB) BacktestProgress(ctx context.Context, id int64, p ml.BacktestProgress) (cancel bool, err error) {
	err = db.Write.QueryRowContext(ctx, `UPDATE backtests SET progress_done = ?, progress_total = ?, progress_policy = ?, heartbeat_at = ? WHERE id = ?
		RETURNING cancel_requested`, p.Done, p.Total, p.Policy, db.now(), id).Scan(&cancel)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ml.Errorf(ml.ENOTFOUND, "backtest %d not found", id)
	}
	if err != nil {
		return false, fmt.Errorf("store: backtest progress: %w", err)
	}
	return cancel, nil
}

// BacktestOutcome is what a finished attempt records.
type BacktestOutcome struct {
	// State is succeeded, failed, cancelled, or queued (to be retried).
	State string
	Error string
	// Report (JSON) and Recommended are set when it succeeded.
	Report      []byte
	Recommended string
}

// FinishBacktest records an attempt's end. A backtest that is already
// finished is not changed (ECONFLICT).
func (db *DB) FinishBacktest(ctx context.Context, id int64, o BacktestOutcome) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var state string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM backtests WHERE id = ?`, id).Scan(&state); errors.Is(err, sql.ErrNoRows) {
		return ml.Errorf(ml.ENOTFOUND, "backtest %d not found", id)
	} else if err != nil {
		return fmt.Errorf("store: finish backtest: %w", err)
	}
	if state != ml.JobRunning && state != ml.JobQueued {
		return ml.Errorf(ml.ECONFLICT, "backtest %d is already %s", id, state)
	}
	now := db.now()
	sets := []string{"state = ?", "error = ?", "heartbeat_at = ?"}
	args := []any{o.State, o.Error, now}
	if o.State != ml.JobQueued {
		sets, args = append(sets, "finished_at = ?"), append(args, now)
	}
	if o.State == ml.JobSucceeded {
		sets, args = append(sets, "report = ?", "recommended = ?", "progress_done = progress_total", "progress_policy = ''"), append(args, string(o.Report), o.Recommended)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE backtests SET `+strings.Join(sets, ", ")+` WHERE id = ?`, append(args, id)...); err != nil {
		return fmt.Errorf("store: finish backtest: %w", err)
	}
	if o.State == ml.JobFailed || o.State == ml.JobCancelled {
		if err := db.audit(ctx, tx, ml.Actor{Kind: "system", Name: "jobs"}, "backtest."+o.State, fmt.Sprintf("backtest:%d", id), o.Error); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// RequestBacktestCancel marks a backtest for cancellation. A queued one
// is cancelled at once; a running one is stopped by its worker, which
// reads the flag with every progress write. It returns the backtest as
// it now is.
func (db *DB) RequestBacktestCancel(ctx context.Context, actor ml.Actor, id int64) (*ml.Backtest, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var state string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM backtests WHERE id = ?`, id).Scan(&state); errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "backtest %d not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("store: cancel backtest: %w", err)
	}
	switch state {
	case ml.JobQueued:
		if _, err := tx.ExecContext(ctx, `UPDATE backtests SET cancel_requested = 1, state = 'cancelled', finished_at = ?, error = ? WHERE id = ?`,
			db.now(), "cancelled by "+actor.String()+" before it started", id); err != nil {
			return nil, fmt.Errorf("store: cancel backtest: %w", err)
		}
	case ml.JobRunning:
		if _, err := tx.ExecContext(ctx, `UPDATE backtests SET cancel_requested = 1 WHERE id = ?`, id); err != nil {
			return nil, fmt.Errorf("store: cancel backtest: %w", err)
		}
	default:
		return nil, ml.Errorf(ml.ECONFLICT, "backtest %d is already %s", id, state)
	}
	if err := db.audit(ctx, tx, actor, "backtest.cancel", fmt.Sprintf("backtest:%d", id), "was "+state); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return db.FindBacktest(ctx, id)
}

// StaleBacktests lists running backtests whose heartbeat is older than
// before: their worker died.
func (db *DB) StaleBacktests(ctx context.Context, before time.Time) ([]int64, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT id FROM backtests WHERE state = 'running' AND COALESCE(heartbeat_at, started_at, created_at) < ?`, before.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("store: stale backtests: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// ApplyBacktestPolicy makes policy, the replayed configuration of the
// backtest's result name, the model's live retraining policy (through
// ml.PolicyConfig.Adopt: the model keeps its budgets, priority,
// cooldown, time zone and validation), records it on the backtest and
// audits the change, in one transaction. It returns the model as it now
// is.
func (db *DB) ApplyBacktestPolicy(ctx context.Context, actor ml.Actor, id int64, name string, policy ml.PolicyConfig) (*ml.Model, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var state string
	var modelID int64
	if err := tx.QueryRowContext(ctx, `SELECT state, model_id FROM backtests WHERE id = ?`, id).Scan(&state, &modelID); errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "backtest %d not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("store: apply backtest: %w", err)
	}
	if state != ml.JobSucceeded {
		return nil, ml.Errorf(ml.ECONFLICT, "backtest %d is %s; only a finished backtest's policies can be applied", id, state)
	}
	m, err := scanModel(tx.QueryRowContext(ctx, `SELECT `+modelCols+` FROM models WHERE id = ?`, modelID))
	if err != nil {
		return nil, fmt.Errorf("store: apply backtest: %w", err)
	}
	old, _ := json.Marshal(m.Config.Policy)
	m.Config.Policy = m.Config.Policy.Adopt(policy)
	if err := m.Validate(); err != nil {
		return nil, err
	}
	cfg, _ := json.Marshal(m.Config)
	if _, err := tx.ExecContext(ctx, `UPDATE models SET config = ? WHERE id = ?`, string(cfg), m.ID); err != nil {
		return nil, fmt.Errorf("store: apply backtest: %w", err)
	}
	now := db.now()
	if _, err := tx.ExecContext(ctx, `UPDATE backtests SET applied = ?, applied_by = ?, applied_at = ? WHERE id = ?`, name, actor.String(), now, id); err != nil {
		return nil, fmt.Errorf("store: apply backtest: %w", err)
	}
	pol, _ := json.Marshal(m.Config.Policy)
	if err := db.audit(ctx, tx, actor, "backtest.apply", "model:"+m.Name, fmt.Sprintf("policy %s of backtest %d: %s → %s", name, id, old, pol)); err != nil {
		return nil, err
	}
	return m, tx.Commit()
}
