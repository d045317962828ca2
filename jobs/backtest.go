package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/backtest"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/store"
)

// Limits of a backtest request.
const (
	// MinBacktestRows is the fewest labeled rows a backtest replays: the
	// oldest 10% train the first model, which needs train.MinRows.
	MinBacktestRows = 10 * train.MinRows
	// MinBacktestBatch is the fewest rows in a batch (its AUC needs both
	// classes).
	MinBacktestBatch = 10
	// MaxBacktestBatches and MaxBacktestPolicies bound one backtest's work.
	MaxBacktestBatches  = 2000
	MaxBacktestPolicies = 24
	// BacktestTimeout bounds one attempt.
	BacktestTimeout = 6 * time.Hour
)

// backtestPriority is the last of the training queue's priorities: a
// backtest waits behind live retrains.
const backtestPriority = 4

// BacktestArgs is a backtest in the queue. Its record (settings,
// progress, report) is the backtests row with the same id.
type BacktestArgs struct {
	ModelID int64  `json:"model_id"`
	By      string `json:"by,omitempty"`
}

// Kind implements river.JobArgs.
func (BacktestArgs) Kind() string { return "backtest" }

// InsertOpts puts backtests on the training queue, so they count against
// the limit on concurrent trainings, behind retrains.
func (BacktestArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueTraining, MaxAttempts: 3, Priority: backtestPriority}
}

// BacktestDefaults is what a backtest of m replays when not told: 336-row
// batches when the model has 20 of them (else a 20th of its labeled
// rows), the default policies, 50 rounds, the live policy's sliding
// window (else 4,704 rows) and its α (else 0.01).
func BacktestDefaults(m *ml.Model) ml.BacktestSettings {
	n := int(m.Stats.Labeled)
	s := ml.BacktestSettings{Batch: ml.DefaultBacktestBatch, Policies: strings.Split(backtest.DefaultPolicies, ","), Rounds: ml.DefaultBacktestRounds,
		Window: ml.DefaultBacktestWindow, Alpha: m.Config.Policy.AlphaOrDefault()}
	if n < ml.DefaultBacktestBatches*ml.DefaultBacktestBatch {
		s.Batch = max(MinBacktestBatch, n/ml.DefaultBacktestBatches)
	}
	if w := m.Config.Policy.Window; w.Kind == ml.WindowSlidingRows && w.Rows > 0 {
		s.Window = w.Rows
	}
	return s
}

// ResolveBacktest fills the zero fields of s with m's defaults and checks
// the whole request against m and its labeled rows. A problem with the
// model is an EINVALID error; problems with fields are one
// *ml.FieldError naming each (batch, policies, rounds, window, alpha).
func ResolveBacktest(m *ml.Model, s ml.BacktestSettings) (ml.BacktestSettings, error) {
	if m.Task != ml.TaskBinary {
		return s, ml.Errorf(ml.EINVALID, "the backtester replays binary classifiers; %s is a %s model", m.Name, m.Task)
	}
	n := int(m.Stats.Labeled)
	if n < MinBacktestRows {
		return s, ml.Errorf(ml.EINVALID, "%s has %s labeled rows; a backtest needs at least %s (the oldest 10%% train the first model, which needs %d)",
			m.Name, thousands(n), thousands(MinBacktestRows), train.MinRows)
	}
	def := BacktestDefaults(m)
	if s.Batch == 0 {
		s.Batch = def.Batch
	}
	if len(s.Policies) == 0 {
		s.Policies = def.Policies
	}
	if s.Rounds == 0 {
		s.Rounds = def.Rounds
	}
	if s.Window == 0 {
		s.Window = def.Window
	}
	if s.Alpha == 0 {
		s.Alpha = def.Alpha
	}
	bad := map[string]string{}
	init := int(math.Round(backtest.DefaultInitFrac * float64(n)))
	switch k := backtestBatches(n, s.Batch); {
	case s.Batch < MinBacktestBatch:
		bad["batch"] = fmt.Sprintf("%d rows: use at least %d (a batch's AUC needs both classes)", s.Batch, MinBacktestBatch)
	case k < backtest.MinBatches:
		bad["batch"] = fmt.Sprintf("%s rows: the %s rows after the first model's %s make %d batch(es); a backtest needs at least %d, so use at most %s rows",
			thousands(s.Batch), thousands(n-init), thousands(init), k, backtest.MinBatches, thousands((n-init)/backtest.MinBatches))
	case k > MaxBacktestBatches:
		bad["batch"] = fmt.Sprintf("%s rows: the %s rows after the first model's make %s batches; at most %s, so use at least %s rows",
			thousands(s.Batch), thousands(n-init), thousands(k), thousands(MaxBacktestBatches), thousands((n-init+MaxBacktestBatches-1)/MaxBacktestBatches))
	}
	var policies []string
	for _, p := range s.Policies {
		if p = strings.TrimSpace(p); p != "" {
			policies = append(policies, p)
		}
	}
	s.Policies = policies
	if len(s.Policies) == 0 {
		bad["policies"] = "name at least one policy, e.g. never,every:1,cost_aware"
	} else if list, err := backtest.ParsePolicies(strings.Join(s.Policies, ","), max(s.Batch, 1), 0, backtestWindow(max(s.Window, 1))); err != nil {
		bad["policies"] = ml.ErrorMessage(err)
	} else if len(list) > MaxBacktestPolicies {
		bad["policies"] = fmt.Sprintf("%d policies: at most %d in one backtest", len(list), MaxBacktestPolicies)
	} else {
		seen := map[string]bool{}
		for _, p := range list {
			if seen[p.Name] {
				bad["policies"] = fmt.Sprintf("%s is listed twice", p.Name)
				break
			}
			seen[p.Name] = true
		}
	}
	if s.Rounds < 1 || s.Rounds > 1000 {
		bad["rounds"] = fmt.Sprintf("%d: use 1 to 1,000 boosting rounds", s.Rounds)
	}
	if s.Window < train.MinRows || s.Window > 10_000_000 {
		bad["window"] = fmt.Sprintf("%s rows: use %d to 10,000,000 rows", thousands(s.Window), train.MinRows)
	}
	if !(s.Alpha > 0 && s.Alpha <= 1) {
		bad["alpha"] = fmt.Sprintf("%g: use a number above 0 and at most 1 (0.01: the cost of a full retrain after every batch is worth 0.01 of AUC)", s.Alpha)
	}
	return s, ml.NewFieldError(bad, "batch", "policies", "rounds", "window", "alpha")
}

// backtestBatches is how many batches of batch rows n labeled rows make
// after the first model's (the replay drops a last batch shorter than
// half).
func backtestBatches(n, batch int) int {
	if batch <= 0 {
		return 0
	}
	rest := n - int(math.Round(backtest.DefaultInitFrac*float64(n)))
	k, rem := rest/batch, rest%batch
	if rem > 0 && (k == 0 || rem >= (batch+1)/2) {
		k++
	}
	return k
}

func backtestWindow(rows int) ml.DataWindow {
	return ml.DataWindow{Kind: ml.WindowSlidingRows, Rows: rows}
}

// EnqueueBacktest checks a backtest of m (see ResolveBacktest) and queues
// it together with its record, in one transaction.
func (r *Runner) EnqueueBacktest(ctx context.Context, m *ml.Model, actor ml.Actor, s ml.BacktestSettings) (*ml.Backtest, error) {
	s, err := ResolveBacktest(m, s)
	if err != nil {
		return nil, err
	}
	var id int64
	err = r.DB.InTx(ctx, func(tx *sql.Tx) error {
		res, err := r.Client.InsertTx(ctx, tx, BacktestArgs{ModelID: m.ID, By: actor.String()}, nil)
		if err != nil {
			return fmt.Errorf("jobs: enqueue backtest: %w", err)
		}
		id = res.Job.ID
		return r.DB.CreateBacktestTx(ctx, tx, actor, m, &ml.Backtest{ID: id, Settings: s})
	})
	if err != nil {
		return nil, err
	}
	return r.DB.FindBacktest(ctx, id)
}

// CancelBacktest cancels a backtest: a queued one at once, a running one
// at once when it runs in this process, else when its worker next writes
// its progress (a quarter of a second).
func (r *Runner) CancelBacktest(ctx context.Context, actor ml.Actor, id int64) (*ml.Backtest, error) {
	b, err := r.DB.RequestBacktestCancel(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	r.stopJob(ctx, id, b.State == ml.JobCancelled, "backtest")
	return b, nil
}

type backtestWorker struct {
	river.WorkerDefaults[BacktestArgs]
	r *Runner
}

func (w *backtestWorker) Timeout(*river.Job[BacktestArgs]) time.Duration { return BacktestTimeout }

// Work replays the policies in this process, writing its progress (and
// reading the cancel flag) at most every 250 ms, and stores the report or
// why there is none.
func (w *backtestWorker) Work(ctx context.Context, job *river.Job[BacktestArgs]) error {
	r := w.r
	db := r.DB
	log := r.Log.With("job_id", job.ID, "kind", job.Kind, "attempt", job.Attempt)
	b, err := db.StartBacktest(ctx, job.ID, job.Attempt)
	if err != nil {
		return river.JobCancel(err) // cancelled before it started, or gone
	}
	m, err := db.FindModelByID(ctx, b.ModelID)
	if err != nil {
		db.FinishBacktest(context.WithoutCancel(ctx), job.ID, store.BacktestOutcome{State: ml.JobFailed, Error: ml.ErrorMessage(err)})
		return river.JobCancel(err)
	}
	ctx, cancel, release := r.tracked(ctx, job.ID)
	defer release()

	var (
		mu   sync.Mutex
		prog ml.BacktestProgress
	)
	// Every write also beats the heartbeat and reads the cancel flag.
	flush := func() {
		mu.Lock()
		p := prog
		mu.Unlock()
		stop, err := db.BacktestProgress(context.WithoutCancel(ctx), job.ID, p)
		if err == nil && stop {
			cancel(errCancelRequested)
		}
	}
	stopBeat := heartbeat(250*time.Millisecond, flush)
	start := time.Now()
	rep, runErr := runBacktest(ctx, db, m, b.Settings, func(p ml.BacktestProgress) {
		mu.Lock()
		prog = p
		mu.Unlock()
	})
	stopBeat()
	flush()
	ctxErr, cause := ctx.Err(), context.Cause(ctx)
	done := context.WithoutCancel(ctx)
	switch {
	case runErr == nil:
		report, err := json.Marshal(rep)
		if err != nil {
			return w.fail(done, job, fmt.Sprintf("the report could not be written: %v", err))
		}
		if err := db.FinishBacktest(done, job.ID, store.BacktestOutcome{State: ml.JobSucceeded, Report: report, Recommended: rep.Recommended}); err != nil {
			return err
		}
		log.Info("backtest done", "model", m.Name, "policies", len(rep.Results), "batches", rep.Batches, "recommended", rep.Recommended,
			"wall_seconds", round3(time.Since(start).Seconds()))
		return river.RecordOutput(ctx, map[string]any{"backtest": job.ID, "model": m.Name, "recommended": rep.Recommended})
	case ctxErr != nil && errors.Is(cause, errCancelRequested):
		if err := db.FinishBacktest(done, job.ID, store.BacktestOutcome{State: ml.JobCancelled, Error: "cancelled"}); err != nil {
			return err
		}
		return river.JobCancel(errCancelRequested)
	case errors.Is(ctxErr, context.DeadlineExceeded):
		return w.fail(done, job, fmt.Sprintf("the backtest took longer than %s", BacktestTimeout))
	case ctxErr != nil && job.Attempt < job.MaxAttempts:
		// The worker is stopping: River runs it again.
		db.FinishBacktest(done, job.ID, store.BacktestOutcome{State: ml.JobQueued, Error: "interrupted: the worker stopped; it runs again"})
		return ctxErr
	case ctxErr != nil:
		return w.fail(done, job, "interrupted: the worker stopped")
	}
	msg := runErr.Error()
	if ml.ErrorCode(runErr) != ml.EINTERNAL {
		msg = ml.ErrorMessage(runErr)
	}
	return w.fail(done, job, msg)
}

// fail records a backtest that cannot succeed: retrying would not help.
func (w *backtestWorker) fail(ctx context.Context, job *river.Job[BacktestArgs], msg string) error {
	w.r.Log.Warn("backtest failed", "job_id", job.ID, "kind", job.Kind, "attempt", job.Attempt, "error", msg)
	if err := w.r.DB.FinishBacktest(ctx, job.ID, store.BacktestOutcome{State: ml.JobFailed, Error: msg}); err != nil {
		return err
	}
	return river.JobCancel(errors.New(msg))
}

// runBacktest replays s's policies on m's labeled rows with m's training
// settings (s's rounds) and reports progress after every batch.
func runBacktest(ctx context.Context, db *store.DB, m *ml.Model, s ml.BacktestSettings, progress func(ml.BacktestProgress)) (*backtest.Report, error) {
	if m.Task != ml.TaskBinary {
		return nil, ml.Errorf(ml.EINVALID, "the backtester replays binary classifiers; %s is a %s model", m.Name, m.Task)
	}
	d, err := labeledHistory(ctx, db, m)
	if err != nil {
		return nil, err
	}
	if d.Len() < MinBacktestRows {
		return nil, ml.Errorf(ml.EINVALID, "%s has %s labeled rows; a backtest needs at least %s (the oldest 10%% train the first model, which needs %d)",
			m.Name, thousands(d.Len()), thousands(MinBacktestRows), train.MinRows)
	}
	win := backtestWindow(s.Window)
	list, err := backtest.ParsePolicies(strings.Join(s.Policies, ","), s.Batch, 0, win)
	if err != nil {
		return nil, err
	}
	tc := m.Config.Trainer.Train
	tc.Rounds = s.Rounds
	cfg := backtest.Config{Model: m, Batch: s.Batch, Train: tc, Window: win, Alpha: s.Alpha, CPU: ProcessCPU,
		Progress: func(policy, batch, batches int) {
			p := ml.BacktestProgress{Done: policy*batches + batch, Total: len(list) * batches, Policy: list[policy].Name}
			if batch == batches && policy+1 < len(list) {
				p.Policy = list[policy+1].Name
			}
			progress(p)
		}}
	return backtest.Run(ctx, cfg, d, list)
}
