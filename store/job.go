package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"time"

	"github.com/freshet/freshet/ml"
)

// maxJobLog is how much of a job's log the database keeps (the tail).
const maxJobLog = 64 << 10

const jobCols = `j.id, j.model_id, m.name, COALESCE(j.trigger_id, 0), j.strategy, j.priority, j.reason, j.requested_by, j.state, j.attempt, j.phase,
	j.progress, j.created_at, j.started_at, j.finished_at, j.heartbeat_at, j.cancel_requested, j.cpu_seconds, j.wall_seconds, j.peak_rss,
	j.rows, j.rounds, j.data, j.validation, j.log, j.error, COALESCE(j.version_id, 0)`

func scanJob(r rowScanner) (*ml.Job, error) {
	var j ml.Job
	var created int64
	var started, finished, beat sql.NullInt64
	var data, validation string
	if err := r.Scan(&j.ID, &j.ModelID, &j.Model, &j.TriggerID, &j.Strategy, &j.Priority, &j.Reason, &j.RequestedBy, &j.State, &j.Attempt, &j.Phase,
		&j.Progress, &created, &started, &finished, &beat, &j.CancelRequested, &j.CPUSeconds, &j.WallSeconds, &j.PeakRSS,
		&j.Rows, &j.Rounds, &data, &validation, &j.Log, &j.Error, &j.VersionID); err != nil {
		return nil, err
	}
	j.CreatedAt = time.UnixMilli(created).UTC()
	j.StartedAt, j.FinishedAt, j.HeartbeatAt = msTime(started), msTime(finished), msTime(beat)
	if err := json.Unmarshal([]byte(data), &j.Data); err != nil {
		return nil, fmt.Errorf("store: job %d data: %w", j.ID, err)
	}
	if err := json.Unmarshal([]byte(validation), &j.Validation); err != nil {
		return nil, fmt.Errorf("store: job %d validation: %w", j.ID, err)
	}
	if j.Validation == nil {
		j.Validation = []ml.Check{}
	}
	return &j, nil
}

// InTx runs fn in one write transaction: committed when fn returns nil.
// The queue inserts its job rows through it so a job and its record
// appear together or not at all.
func (db *DB) InTx(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}

// CreateJobTx records a queued job (its ID is the queue's) inside tx, and
// links the trigger event that asked for it.
func (db *DB) CreateJobTx(ctx context.Context, tx *sql.Tx, actor ml.Actor, m *ml.Model, j *ml.Job) error {
	j.ModelID, j.Model, j.State = m.ID, m.Name, ml.JobQueued
	now := db.now()
	j.CreatedAt = time.UnixMilli(now).UTC()
	if _, err := tx.ExecContext(ctx, `INSERT INTO train_jobs (id, model_id, trigger_id, strategy, priority, reason, requested_by, state, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?)`, j.ID, m.ID, nullInt(j.TriggerID), j.Strategy, j.Priority, j.Reason, j.RequestedBy, now); err != nil {
		return fmt.Errorf("store: create job: %w", formatError(err))
	}
	if j.TriggerID != 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE trigger_events SET job_id = ? WHERE id = ?`, j.ID, j.TriggerID); err != nil {
			return fmt.Errorf("store: link trigger: %w", err)
		}
	}
	return db.audit(ctx, tx, actor, "job.create", "model:"+m.Name, fmt.Sprintf("job %d: %s (%s)", j.ID, j.Strategy, j.Reason))
}

// FindJob returns one job with its log.
func (db *DB) FindJob(ctx context.Context, id int64) (*ml.Job, error) {
	j, err := scanJob(db.Read.QueryRowContext(ctx, `SELECT `+jobCols+` FROM train_jobs j JOIN models m ON m.id = j.model_id WHERE j.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "job %d not found", id)
	}
	return j, err
}

// JobFilter selects jobs.
type JobFilter struct {
	ModelID int64
	// Active keeps queued and running jobs only.
	Active bool
	Limit  int
}

// FindJobs lists jobs, newest first, without their logs.
func (db *DB) FindJobs(ctx context.Context, f JobFilter) ([]*ml.Job, error) {
	tail, args := newestFirst("j", f.ModelID, f.Active, f.Limit)
	cols := strings.Replace(jobCols, "j.log,", "'',", 1)
	rows, err := db.Read.QueryContext(ctx, `SELECT `+cols+` FROM train_jobs j JOIN models m ON m.id = j.model_id `+tail, args...)
	out, err := collect(rows, err, "find jobs", scanJob)
	return orEmpty(out), err
}

// newestFirst is the WHERE, ORDER and LIMIT of a list of jobs or
// backtests (table alias t): one model's (0: all), the queued and running
// only when active, newest first, at most limit (1 to 1,000; 100 out of
// range).
func newestFirst(t string, modelID int64, active bool, limit int) (string, []any) {
	where, args := []string{"1 = 1"}, []any{}
	if modelID != 0 {
		where, args = append(where, t+".model_id = ?"), append(args, modelID)
	}
	if active {
		where = append(where, t+".state IN ('queued', 'running')")
	}
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	return "WHERE " + strings.Join(where, " AND ") + " ORDER BY " + t + ".id DESC LIMIT ?", append(args, limit)
}

// StartJob marks a job running for an attempt. It fails with ECONFLICT
// when the job is no longer runnable (cancelled, or finished).
func (db *DB) StartJob(ctx context.Context, id int64, attempt int) (*ml.Job, error) {
	now := db.now()
	res, err := db.Write.ExecContext(ctx, `UPDATE train_jobs SET state = 'running', attempt = ?, started_at = ?, heartbeat_at = ?, phase = 'starting',
		progress = 0, error = '', log = substr(log || ?, -?) WHERE id = ? AND state IN ('queued', 'running') AND cancel_requested = 0`,
		attempt, now, now, logLine(now, fmt.Sprintf("attempt %d started", attempt)), maxJobLog, id)
	if err != nil {
		return nil, fmt.Errorf("store: start job: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		j, err := db.FindJob(ctx, id)
		if err != nil {
			return nil, err
		}
		return j, ml.Errorf(ml.ECONFLICT, "job %d is %s", id, j.State)
	}
	return db.FindJob(ctx, id)
}

// logLines stamps lines for a job's log.
func logLines(ms int64, lines []string) string {
	var b strings.Builder
	for _, l := range lines {
		b.WriteString(logLine(ms, l))
	}
	return b.String()
}

// riverTime is how River's SQLite driver writes times.
func riverTime(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02 15:04:05.000") }

func logLine(ms int64, s string) string {
	return time.UnixMilli(ms).UTC().Format("15:04:05.000") + "  " + strings.TrimRight(s, "\n") + "\n"
}

// JobProgress updates a running job's phase and progress, appends lines
// to its log and beats its heartbeat. It reports whether someone asked to
// cancel the job.
func (db *DB) JobProgress(ctx context.Context, id int64, phase string, progress float64, lines []string) (cancel bool, err error) {
	now := db.now()
	err = db.Write.QueryRowContext(ctx, `UPDATE train_jobs SET phase = COALESCE(NULLIF(?, ''), phase), progress = MAX(progress, ?), heartbeat_at = ?,
		log = substr(log || ?, -?) WHERE id = ? RETURNING cancel_requested`, phase, progress, now, logLines(now, lines), maxJobLog, id).Scan(&cancel)
	if errors.Is(err, sql.ErrNoRows) {
		return false, ml.Errorf(ml.ENOTFOUND, "job %d not found", id)
	}
	if err != nil {
		return false, fmt.Errorf("store: job progress: %w", err)
	}
	return cancel, nil
}

// JobOutcome is what a finished attempt records.
type JobOutcome struct {
	State       string // succeeded, failed, cancelled, or queued (to be retried)
	Error       string
	CPUSeconds  float64
	WallSeconds float64
	PeakRSS     int64
	Rows        int
	Rounds      int
	Data        *ml.DataVersion
	Validation  []ml.Check
	Log         []string
	// OnlineSnapshot, when set, is the model's waiting online snapshot
	// this job published: it is taken in the same transaction.
	OnlineSnapshot []byte
}

// FinishJob records an attempt's end. A version, when given, is created
// in the same transaction (and promoted when promote), so a job never
// says it succeeded without its version, nor leaves a version behind
// without its job saying so.
func (db *DB) FinishJob(ctx context.Context, id int64, o JobOutcome, m *ml.Model, v *ml.Version, artifact []byte, promote bool) error {
	return db.FinishJobGated(ctx, id, o, m, v, artifact, promote, nil, PromoteOptions{}, nil)
}

// FinishJobGated is FinishJob with the gate's decision on the version,
// stored in the same transaction; when the decision says auto-promoted
// (or promote is set) the version is promoted there too.
//
// beforeCommit, when not nil, runs in that transaction after everything
// else is written (v.ID, gate.ID and the promotion are set by then) and
// before it commits: the caller queues the webhooks that announce the
// outcome there, so they are queued if and only if the outcome is
// stored. Its error rolls everything back.
func (db *DB) FinishJobGated(ctx context.Context, id int64, o JobOutcome, m *ml.Model, v *ml.Version, artifact []byte, promote bool, gate *ml.GateDecision, po PromoteOptions,
	beforeCommit func(tx *sql.Tx) error) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var state string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM train_jobs WHERE id = ?`, id).Scan(&state); err != nil {
		return fmt.Errorf("store: finish job %d: %w", id, err)
	}
	if state != ml.JobRunning && state != ml.JobQueued {
		return ml.Errorf(ml.ECONFLICT, "job %d is already %s", id, state)
	}
	now := db.now()
	var versionID sql.NullInt64
	if v != nil {
		v.JobID = id
		actor := ml.Actor{Kind: "system", Name: fmt.Sprintf("job %d", id)}
		if err := db.createVersionTx(ctx, tx, actor, m, v, artifact, false); err != nil {
			return err
		}
		versionID = sql.NullInt64{Int64: v.ID, Valid: true}
		if gate != nil {
			gate.JobID = id
			if err := db.insertGateTx(ctx, tx, m, v, gate); err != nil {
				return err
			}
			po.DecisionID = gate.ID
		}
		if promote {
			if _, err := db.promoteTx(ctx, tx, ml.Actor{Kind: "system", Name: "gate"}, m, v, po); err != nil {
				return err
			}
		}
	}
	sets := []string{"state = ?", "error = ?", "cpu_seconds = cpu_seconds + ?", "wall_seconds = wall_seconds + ?", "peak_rss = MAX(peak_rss, ?)",
		"heartbeat_at = ?", "log = substr(log || ?, -?)"}
	args := []any{o.State, o.Error, o.CPUSeconds, o.WallSeconds, o.PeakRSS, now, logLines(now, o.Log), maxJobLog}
	if o.State != ml.JobQueued {
		sets, args = append(sets, "finished_at = ?"), append(args, now)
	}
	if o.State == ml.JobSucceeded {
		sets = append(sets, "progress = 1", "phase = 'done'")
	}
	if o.Rows > 0 {
		sets, args = append(sets, "rows = ?", "rounds = ?"), append(args, o.Rows, o.Rounds)
	}
	if o.Data != nil {
		data, _ := json.Marshal(o.Data)
		sets, args = append(sets, "data = ?"), append(args, string(data))
	}
	if o.Validation != nil {
		val, _ := json.Marshal(o.Validation)
		sets, args = append(sets, "validation = ?"), append(args, string(val))
	}
	if versionID.Valid {
		sets, args = append(sets, "version_id = ?"), append(args, versionID)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE train_jobs SET `+strings.Join(sets, ", ")+` WHERE id = ?`, append(args, id)...); err != nil {
		return fmt.Errorf("store: finish job: %w", err)
	}
	if len(o.OnlineSnapshot) > 0 && m != nil {
		if _, err := tx.ExecContext(ctx, `UPDATE policy_state SET online_snapshot = NULL WHERE model_id = ? AND online_snapshot = ?`, m.ID, string(o.OnlineSnapshot)); err != nil {
			return fmt.Errorf("store: take online snapshot: %w", err)
		}
	}
	if o.State == ml.JobFailed || o.State == ml.JobCancelled {
		if err := db.audit(ctx, tx, ml.Actor{Kind: "system", Name: "jobs"}, "job."+o.State, fmt.Sprintf("job:%d", id), o.Error); err != nil {
			return err
		}
	}
	if beforeCommit != nil {
		if err := beforeCommit(tx); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// RequestCancel marks a job for cancellation. A queued job is cancelled
// at once; a running one is stopped by its worker, which polls the flag.
// It returns the job as it now is.
func (db *DB) RequestCancel(ctx context.Context, actor ml.Actor, id int64) (*ml.Job, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var state string
	if err := tx.QueryRowContext(ctx, `SELECT state FROM train_jobs WHERE id = ?`, id).Scan(&state); errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "job %d not found", id)
	} else if err != nil {
		return nil, err
	}
	switch state {
	case ml.JobQueued:
		now := db.now()
		if _, err := tx.ExecContext(ctx, `UPDATE train_jobs SET cancel_requested = 1, state = 'cancelled', finished_at = ?, error = ?, log = substr(log || ?, -?) WHERE id = ?`,
			now, "cancelled by "+actor.String()+" before it started", logLine(now, "cancelled by "+actor.String()), maxJobLog, id); err != nil {
			return nil, err
		}
	case ml.JobRunning:
		if _, err := tx.ExecContext(ctx, `UPDATE train_jobs SET cancel_requested = 1, log = substr(log || ?, -?) WHERE id = ?`,
			logLine(db.now(), "cancel requested by "+actor.String()), maxJobLog, id); err != nil {
			return nil, err
		}
	default:
		return nil, ml.Errorf(ml.ECONFLICT, "job %d is already %s", id, state)
	}
	if err := db.audit(ctx, tx, actor, "job.cancel", fmt.Sprintf("job:%d", id), "was "+state); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return db.FindJob(ctx, id)
}

// StaleJobs lists running jobs whose heartbeat is older than before: their
// worker died.
func (db *DB) StaleJobs(ctx context.Context, before time.Time) ([]int64, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT id FROM train_jobs WHERE state = 'running' AND COALESCE(heartbeat_at, started_at, created_at) < ?`, before.UnixMilli())
	if err != nil {
		return nil, err
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

// RequeueLostJob puts a job whose worker died back in the queue, inside
// one transaction for both records: River's row (as River's own rescuer
// does, to 'retryable' now, which its scheduler makes available) and
// ours. A job that has used its attempts fails instead.
func (db *DB) RequeueLostJob(ctx context.Context, id int64, why string) (requeued bool, err error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var attempt, maxAttempts int
	var rstate string
	err = tx.QueryRowContext(ctx, `SELECT state, attempt, max_attempts FROM river_job WHERE id = ?`, id).Scan(&rstate, &attempt, &maxAttempts)
	if errors.Is(err, sql.ErrNoRows) {
		rstate = "missing"
	} else if err != nil {
		return false, fmt.Errorf("store: requeue job: %w", err)
	}
	now := db.now()
	switch {
	case rstate == "running" && attempt < maxAttempts:
		if _, err := tx.ExecContext(ctx, `UPDATE river_job SET state = 'retryable', scheduled_at = ?, attempted_by = NULL WHERE id = ? AND state = 'running'`,
			riverTime(now), id); err != nil {
			return false, fmt.Errorf("store: requeue job: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE train_jobs SET state = 'queued', phase = 'retrying', log = substr(log || ?, -?) WHERE id = ? AND state = 'running'`,
			logLine(now, why+"; queued again"), maxJobLog, id)
		requeued = true
	case rstate == "running" || rstate == "missing" || rstate == "discarded" || rstate == "cancelled":
		if rstate == "running" {
			if _, err := tx.ExecContext(ctx, `UPDATE river_job SET state = 'discarded', finalized_at = ? WHERE id = ? AND state = 'running'`,
				riverTime(now), id); err != nil {
				return false, err
			}
		}
		_, err = tx.ExecContext(ctx, `UPDATE train_jobs SET state = 'failed', finished_at = ?, error = ?, log = substr(log || ?, -?) WHERE id = ? AND state = 'running'`,
			now, why+"; no attempts left", logLine(now, why+"; no attempts left"), maxJobLog, id)
	default:
		// River already moved it on (retryable, available, completed):
		// only our record lags.
		_, err = tx.ExecContext(ctx, `UPDATE train_jobs SET state = 'queued', phase = 'retrying', log = substr(log || ?, -?) WHERE id = ? AND state = 'running'`,
			logLine(now, why+"; queued again"), maxJobLog, id)
		requeued = true
	}
	if err != nil {
		return false, fmt.Errorf("store: requeue job: %w", err)
	}
	return requeued, tx.Commit()
}

// CPUUsed sums the CPU-seconds of a model's training jobs that finished
// (or are still accounting) since t.
func (db *DB) CPUUsed(ctx context.Context, modelID int64, since time.Time) (float64, error) {
	var s float64
	err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(SUM(cpu_seconds), 0) FROM train_jobs WHERE model_id = ? AND COALESCE(finished_at, heartbeat_at, created_at) >= ?`,
		modelID, since.UnixMilli()).Scan(&s)
	return s, err
}

// JobCost is a finished job's size and cost, for the cost model.
type JobCost struct {
	Strategy   string
	Rows       int
	Rounds     int
	CPUSeconds float64
}

// JobCosts lists a model's succeeded jobs' costs, oldest first (newest n).
func (db *DB) JobCosts(ctx context.Context, modelID int64, n int) ([]JobCost, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT strategy, rows, rounds, cpu_seconds FROM (SELECT id, strategy, rows, rounds, cpu_seconds FROM train_jobs
		WHERE model_id = ? AND state = 'succeeded' AND rows > 0 ORDER BY id DESC LIMIT ?) ORDER BY id`, modelID, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []JobCost
	for rows.Next() {
		var c JobCost
		if err := rows.Scan(&c.Strategy, &c.Rows, &c.Rounds, &c.CPUSeconds); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// LastJobStart is when the model's newest non-cancelled training job was
// created (zero if none): the policy's cooldown counts from it.
func (db *DB) LastJobStart(ctx context.Context, modelID int64) (time.Time, error) {
	var ms sql.NullInt64
	err := db.Read.QueryRowContext(ctx, `SELECT MAX(created_at) FROM train_jobs WHERE model_id = ? AND state != 'cancelled'`, modelID).Scan(&ms)
	if err != nil || !ms.Valid {
		return time.Time{}, err
	}
	return time.UnixMilli(ms.Int64).UTC(), nil
}

// ActiveJob is the model's queued or running job, 0 when none.
func (db *DB) ActiveJob(ctx context.Context, modelID int64) (int64, error) {
	var id int64
	err := db.Read.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM train_jobs WHERE model_id = ? AND state IN ('queued', 'running')`, modelID).Scan(&id)
	return id, err
}

// ActiveJobTx is the model's queued or running job inside tx, 0 when none.
func (db *DB) ActiveJobTx(ctx context.Context, tx *sql.Tx, modelID int64) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(id), 0) FROM train_jobs WHERE model_id = ? AND state IN ('queued', 'running')`, modelID).Scan(&id)
	return id, err
}

// PolicyState is a model's trigger bookkeeping.
type PolicyState struct {
	WindowCursor  int64 // end (unix ms) of the newest profiled window the triggers saw
	LastScheduled time.Time
	OnlineCursor  int64 // newest observation id the online learner took
	OnlineSince   int   // labels since the last online snapshot
	OnlineState   []byte
	OnlineCPU     float64 // CPU-seconds spent learning since the last snapshot
	// OnlineSnapshot is a snapshot waiting to become a version (JSON).
	OnlineSnapshot []byte
}

// FindPolicyState reads a model's policy bookkeeping (zero when new).
func (db *DB) FindPolicyState(ctx context.Context, modelID int64) (PolicyState, error) {
	var ps PolicyState
	var last int64
	err := db.Read.QueryRowContext(ctx, `SELECT window_cursor, last_scheduled, online_cursor, online_since, online_state, online_cpu, online_snapshot FROM policy_state WHERE model_id = ?`, modelID).
		Scan(&ps.WindowCursor, &last, &ps.OnlineCursor, &ps.OnlineSince, &ps.OnlineState, &ps.OnlineCPU, &ps.OnlineSnapshot)
	if errors.Is(err, sql.ErrNoRows) {
		return ps, nil
	}
	if last > 0 {
		ps.LastScheduled = time.UnixMilli(last).UTC()
	}
	return ps, err
}

// SaveOnlineState writes only the online learner's part of a model's
// policy bookkeeping (the trigger evaluator owns the rest).
func (db *DB) SaveOnlineState(ctx context.Context, modelID int64, ps PolicyState) error {
	_, err := db.Write.ExecContext(ctx, `INSERT INTO policy_state (model_id, online_cursor, online_since, online_state, online_cpu, online_snapshot) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (model_id) DO UPDATE SET online_cursor = excluded.online_cursor, online_since = excluded.online_since,
		online_state = excluded.online_state, online_cpu = excluded.online_cpu, online_snapshot = excluded.online_snapshot`,
		modelID, ps.OnlineCursor, ps.OnlineSince, ps.OnlineState, ps.OnlineCPU, nullBytes(ps.OnlineSnapshot))
	if err != nil {
		return fmt.Errorf("store: save online state: %w", err)
	}
	return nil
}

// SavePolicyState writes a model's trigger bookkeeping (window cursor,
// last schedule); SaveOnlineState writes the learner's.
func (db *DB) SavePolicyState(ctx context.Context, modelID int64, ps PolicyState) error {
	return savePolicyState(ctx, db.Write, modelID, ps)
}

// SavePolicyStateTx is SavePolicyState inside tx: a firing's state
// commits with its event and job, so a failed firing is judged again.
func (db *DB) SavePolicyStateTx(ctx context.Context, tx *sql.Tx, modelID int64, ps PolicyState) error {
	return savePolicyState(ctx, tx, modelID, ps)
}

func savePolicyState(ctx context.Context, ex interface {
	ExecContext(context.Context, string, ...any) (sql.Result, error)
}, modelID int64, ps PolicyState) error {
	var last int64
	if !ps.LastScheduled.IsZero() {
		last = ps.LastScheduled.UnixMilli()
	}
	_, err := ex.ExecContext(ctx, `INSERT INTO policy_state (model_id, window_cursor, last_scheduled) VALUES (?, ?, ?)
		ON CONFLICT (model_id) DO UPDATE SET window_cursor = excluded.window_cursor, last_scheduled = excluded.last_scheduled`,
		modelID, ps.WindowCursor, last)
	if err != nil {
		return fmt.Errorf("store: save policy state: %w", err)
	}
	return nil
}

const triggerCols = `id, model_id, at, last_at, repeats, outcome, triggers, reasons, suppressed, strategy, strategy_why, cost, gain, gap, recent, COALESCE(job_id, 0), data_at`

func scanTrigger(r rowScanner) (*ml.TriggerEvent, error) {
	var e ml.TriggerEvent
	var at, last int64
	var triggers, reasons, cost, gain string
	var gap, recent sql.NullFloat64
	var dataAt sql.NullInt64
	if err := r.Scan(&e.ID, &e.ModelID, &at, &last, &e.Repeats, &e.Outcome, &triggers, &reasons, &e.Suppressed, &e.Strategy, &e.StrategyWhy,
		&cost, &gain, &gap, &recent, &e.JobID, &dataAt); err != nil {
		return nil, err
	}
	e.DataAt = msTime(dataAt)
	e.At, e.LastAt = time.UnixMilli(at).UTC(), time.UnixMilli(last).UTC()
	e.Triggers = strings.Split(triggers, ",")
	if err := json.Unmarshal([]byte(reasons), &e.Reasons); err != nil {
		return nil, fmt.Errorf("store: trigger %d: %w", e.ID, err)
	}
	e.Cost, e.Gain = json.RawMessage(cost), json.RawMessage(gain)
	if gap.Valid {
		e.Gap = &gap.Float64
	}
	if recent.Valid {
		e.Recent = &recent.Float64
	}
	return &e, nil
}

// RecordTrigger stores a trigger event. A suppressed event that repeats
// the model's previous one (same triggers, same kind of suppression) only
// counts up that one's repeats, so a standing condition does not flood
// the timeline.
func (db *DB) RecordTrigger(ctx context.Context, e *ml.TriggerEvent) error {
	return db.InTx(ctx, func(tx *sql.Tx) error { return db.RecordTriggerTx(ctx, tx, e) })
}

// RecordTriggerTx is RecordTrigger inside tx: a fired event, the job it
// queues and the webhook that announces it commit together.
func (db *DB) RecordTriggerTx(ctx context.Context, tx *sql.Tx, e *ml.TriggerEvent) error {
	now := db.now()
	e.At, e.LastAt, e.Repeats = time.UnixMilli(now).UTC(), time.UnixMilli(now).UTC(), 1
	triggers := strings.Join(e.Triggers, ",")
	if e.Outcome == ml.OutcomeSuppressed {
		prev, err := scanTrigger(tx.QueryRowContext(ctx, `SELECT `+triggerCols+` FROM trigger_events WHERE model_id = ? ORDER BY id DESC LIMIT 1`, e.ModelID))
		if err == nil && prev.Outcome == ml.OutcomeSuppressed && strings.Join(prev.Triggers, ",") == triggers && suppressionKind(prev.Suppressed) == suppressionKind(e.Suppressed) {
			reasons, _ := json.Marshal(e.Reasons)
			if _, err := tx.ExecContext(ctx, `UPDATE trigger_events SET last_at = ?, repeats = repeats + 1, suppressed = ?, reasons = ? WHERE id = ?`,
				now, e.Suppressed, string(reasons), prev.ID); err != nil {
				return fmt.Errorf("store: record trigger: %w", err)
			}
			e.ID, e.At, e.Repeats = prev.ID, prev.At, prev.Repeats+1
			return nil
		} else if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
	}
	reasons, _ := json.Marshal(orEmpty(e.Reasons))
	cost, gain := string(e.Cost), string(e.Gain)
	if cost == "" {
		cost = "{}"
	}
	if gain == "" {
		gain = "null"
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO trigger_events (model_id, at, last_at, repeats, outcome, triggers, reasons, suppressed, strategy, strategy_why, cost, gain, gap, recent, data_at)
		VALUES (?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, e.ModelID, now, now, e.Outcome, triggers, string(reasons), e.Suppressed, e.Strategy, e.StrategyWhy,
		cost, gain, nullFloat(e.Gap), nullFloat(e.Recent), nullTime(e.DataAt))
	if err != nil {
		return fmt.Errorf("store: record trigger: %w", err)
	}
	e.ID, _ = res.LastInsertId()
	return nil
}

func nullFloat(p *float64) sql.NullFloat64 {
	if p == nil {
		return sql.NullFloat64{}
	}
	return sql.NullFloat64{Float64: *p, Valid: true}
}

// suppressionKind is the first word of a suppression reason: "cooldown",
// "daily", "weekly", "a" (retrain already queued) ...
func suppressionKind(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

// FindTriggers lists a model's trigger events, newest first.
func (db *DB) FindTriggers(ctx context.Context, modelID int64, limit int) ([]*ml.TriggerEvent, error) {
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT `+triggerCols+` FROM trigger_events WHERE model_id = ? ORDER BY id DESC LIMIT ?`, modelID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: find triggers: %w", err)
	}
	defer rows.Close()
	out := []*ml.TriggerEvent{}
	for rows.Next() {
		e, err := scanTrigger(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, e)
	}
	return out, rows.Err()
}

// GainHistory pairs each fired trigger with what its job's version
// did: its holdout metrics, and, when the gate compared it with the
// champion it replaced on the same holdout, both models' metrics there
// (Champion, Challenger). Gap and Recent are the trigger's (NaN when it
// did not know them). Labels is the staleness the update removed: the
// labeled rows that had arrived since the data of the champion it
// replaced, or of the previous full retrain for a full one (0 when
// unknown). Strategy is the update the version is (full, warm_start,
// online).
type GainHistory struct {
	Gap, Recent          float64
	Metrics              map[string]float64
	Strategy             string
	Champion, Challenger map[string]float64
	Labels               int64
}

// FindGainHistory lists a model's past retrains that have a known gap
// or a gate comparison, oldest first (newest n).
func (db *DB) FindGainHistory(ctx context.Context, modelID int64, n int) ([]GainHistory, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT gap, recent, metrics, update_kind, report, data, base_data FROM (
		SELECT e.id, e.gap, e.recent, v.metrics, v.update_kind, COALESCE(g.report, '{}') AS report, j.data,
			CASE WHEN v.update_kind = 'full' THEN
				COALESCE((SELECT pj.data FROM model_versions pv JOIN train_jobs pj ON pj.id = pv.job_id
					WHERE pv.model_id = v.model_id AND pv.update_kind = 'full' AND pv.id < v.id ORDER BY pv.id DESC LIMIT 1), '{}')
			ELSE
				COALESCE((SELECT cj.data FROM model_versions cv JOIN train_jobs cj ON cj.id = cv.job_id WHERE cv.id = g.champion_id), '{}')
			END AS base_data
		FROM trigger_events e
		JOIN train_jobs j ON j.id = e.job_id JOIN model_versions v ON v.id = j.version_id
		LEFT JOIN gate_decisions g ON g.id = (SELECT max(id) FROM gate_decisions WHERE job_id = j.id)
		WHERE e.model_id = ? AND ((e.gap IS NOT NULL AND e.recent IS NOT NULL) OR g.champion_id IS NOT NULL)
		ORDER BY e.id DESC LIMIT ?) ORDER BY id`, modelID, n)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []GainHistory
	for rows.Next() {
		var g GainHistory
		var gap, recent sql.NullFloat64
		var metrics, report, data, baseData string
		if err := rows.Scan(&gap, &recent, &metrics, &g.Strategy, &report, &data, &baseData); err != nil {
			return nil, err
		}
		g.Gap, g.Recent = orNaN(gap), orNaN(recent)
		json.Unmarshal([]byte(metrics), &g.Metrics)
		var rep struct {
			Champion   map[string]float64 `json:"champion"`
			Challenger map[string]float64 `json:"challenger"`
		}
		if json.Unmarshal([]byte(report), &rep) == nil {
			g.Champion, g.Challenger = rep.Champion, rep.Challenger
		}
		var now, then ml.DataVersion
		if json.Unmarshal([]byte(data), &now) == nil && json.Unmarshal([]byte(baseData), &then) == nil && then.LabeledTotal > 0 {
			g.Labels = max(0, now.LabeledTotal-then.LabeledTotal)
		}
		out = append(out, g)
	}
	return out, rows.Err()
}

func orNaN(v sql.NullFloat64) float64 {
	if !v.Valid {
		return math.NaN()
	}
	return v.Float64
}

func nullBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return string(b)
}

func nullTime(t *time.Time) sql.NullInt64 {
	if t == nil {
		return sql.NullInt64{}
	}
	return sql.NullInt64{Int64: t.UnixMilli(), Valid: true}
}
