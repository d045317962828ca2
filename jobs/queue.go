package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

// JobRequest asks for a training job.
type JobRequest struct {
	Strategy  string // full (default) or warm_start
	Reason    string
	Priority  int // 1 (first) to 4; 0 takes 2
	TriggerID int64
	Config    ml.TrainConfig
}

// Enqueue queues a training job for m together with its record, in one
// transaction. When the model already has a job queued or running, that
// job is returned with duplicate set and nothing is added.
func (r *Runner) Enqueue(ctx context.Context, m *ml.Model, actor ml.Actor, req JobRequest) (job *ml.Job, duplicate bool, err error) {
	var id int64
	err = r.DB.InTx(ctx, func(tx *sql.Tx) error {
		id, duplicate, err = r.enqueueTx(ctx, tx, m, actor, req)
		return err
	})
	if err != nil {
		return nil, false, err
	}
	return r.queuedJob(ctx, m, id, duplicate)
}

// enqueueTx is Enqueue inside tx: it returns the new job's id, or the
// active one's with duplicate set.
func (r *Runner) enqueueTx(ctx context.Context, tx *sql.Tx, m *ml.Model, actor ml.Actor, req JobRequest) (id int64, duplicate bool, err error) {
	if req.Strategy == "" {
		req.Strategy = ml.StrategyFull
	}
	if req.Priority < 1 || req.Priority > 4 {
		req.Priority = ml.DefaultPriority
	}
	active, err := r.DB.ActiveJobTx(ctx, tx, m.ID)
	if err != nil {
		return 0, false, err
	}
	if active != 0 {
		return active, true, nil
	}
	args := RetrainArgs{ModelID: m.ID, Strategy: req.Strategy, Reason: req.Reason, By: actor.String(), Config: req.Config}
	res, err := r.Client.InsertTx(ctx, tx, args, &river.InsertOpts{Priority: req.Priority})
	if err != nil {
		return 0, false, fmt.Errorf("jobs: enqueue: %w", err)
	}
	if res.UniqueSkippedAsDuplicate {
		// A queue job without our record (made by an older version): it
		// stands for the model's active job.
		return res.Job.ID, true, nil
	}
	return res.Job.ID, false, r.DB.CreateJobTx(ctx, tx, actor, m, &ml.Job{ID: res.Job.ID, TriggerID: req.TriggerID, Strategy: req.Strategy,
		Priority: req.Priority, Reason: req.Reason, RequestedBy: actor.String()})
}

// queuedJob reads back the job enqueueTx queued or found.
func (r *Runner) queuedJob(ctx context.Context, m *ml.Model, id int64, duplicate bool) (*ml.Job, bool, error) {
	j, err := r.DB.FindJob(ctx, id)
	if err != nil && duplicate {
		return &ml.Job{ID: id, ModelID: m.ID, Model: m.Name, State: ml.JobQueued}, true, nil
	}
	return j, duplicate, err
}

// tracked is ctx with its cancel, which stopJob calls when job id is
// cancelled in this process, until release.
func (r *Runner) tracked(ctx context.Context, id int64) (_ context.Context, cancel context.CancelCauseFunc, release func()) {
	ctx, cancel = context.WithCancelCause(ctx)
	r.mu.Lock()
	r.running[id] = cancel
	r.mu.Unlock()
	return ctx, cancel, func() {
		r.mu.Lock()
		delete(r.running, id)
		r.mu.Unlock()
		cancel(nil)
	}
}

// stopJob stops job id after its cancel was recorded: a queued one is
// taken out of River's queue; a running one here is cancelled at once (one
// in another process stops when its worker next reads the flag).
func (r *Runner) stopJob(ctx context.Context, id int64, queued bool, what string) {
	if queued {
		if _, err := r.Client.JobCancel(ctx, id); err != nil && !errors.Is(err, river.ErrNotFound) {
			r.Log.Warn("cancel queued "+what, "job_id", id, "error", err)
		}
		return
	}
	r.mu.Lock()
	cancel := r.running[id]
	r.mu.Unlock()
	if cancel != nil {
		cancel(errCancelRequested)
	}
}

func (r *Runner) isRunningHere(id int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.running[id]
	return ok
}

// Cancel cancels a job: a queued one at once, a running one by killing
// its training process (at once when it runs in this process; within a
// quarter of a second otherwise, when its worker next reads the flag).
func (r *Runner) Cancel(ctx context.Context, actor ml.Actor, id int64) (*ml.Job, error) {
	j, err := r.DB.RequestCancel(ctx, actor, id)
	if err != nil {
		return nil, err
	}
	r.stopJob(ctx, id, j.State == ml.JobCancelled, "job") // cancelled: it had not started
	return j, nil
}

// Retry queues a finished job again as a new job with the same model,
// strategy and reason.
func (r *Runner) Retry(ctx context.Context, actor ml.Actor, id int64) (*ml.Job, bool, error) {
	old, err := r.DB.FindJob(ctx, id)
	if err != nil {
		return nil, false, err
	}
	if !old.Done() {
		return nil, false, ml.Errorf(ml.ECONFLICT, "job %d is still %s", id, old.State)
	}
	m, err := r.DB.FindModelByID(ctx, old.ModelID)
	if err != nil {
		return nil, false, err
	}
	return r.Enqueue(ctx, m, actor, JobRequest{Strategy: old.Strategy, Priority: old.Priority,
		Reason: fmt.Sprintf("retry of job %d by %s (%s)", id, actor, old.Reason)})
}

// ReapArgs looks for running jobs whose worker died.
type ReapArgs struct{}

// Kind implements river.JobArgs.
func (ReapArgs) Kind() string { return "reap_jobs" }

type reapWorker struct {
	river.WorkerDefaults[ReapArgs]
	r *Runner
}

func (w *reapWorker) Timeout(*river.Job[ReapArgs]) time.Duration { return time.Minute }

func (w *reapWorker) Work(ctx context.Context, _ *river.Job[ReapArgs]) error {
	_, err := w.r.Reap(ctx)
	return err
}

// Reap queues again every running job whose heartbeat stopped (its
// worker process died: a crash, a kill, a power cut): a job is never
// silently dropped. Its half-done attempt wrote nothing, since a version
// and its job's success are stored in one transaction.
func (r *Runner) Reap(ctx context.Context) (int, error) {
	ids, err := r.DB.StaleJobs(ctx, r.Now().Add(-r.cfg.LostAfter))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, id := range ids {
		if r.isRunningHere(id) {
			continue // alive here, only slow to write
		}
		requeued, err := r.DB.RequeueLostJob(ctx, id, fmt.Sprintf("worker lost: no heartbeat for %s", r.cfg.LostAfter))
		if err != nil {
			return n, err
		}
		r.Log.Warn("lost training job", "job", id, "requeued", requeued)
		n++
	}
	// A backtest whose worker died fails: it is only a report, and
	// running it again is one click.
	ids, err = r.DB.StaleBacktests(ctx, r.Now().Add(-r.cfg.LostAfter))
	if err != nil {
		return n, err
	}
	for _, id := range ids {
		if r.isRunningHere(id) {
			continue
		}
		msg := fmt.Sprintf("worker lost: no heartbeat for %s; start the backtest again", r.cfg.LostAfter)
		if err := r.DB.FinishBacktest(ctx, id, store.BacktestOutcome{State: ml.JobFailed, Error: msg}); err != nil && ml.ErrorCode(err) != ml.ECONFLICT {
			return n, err
		}
		r.Log.Warn("lost backtest", "job_id", id)
		n++
	}
	return n, nil
}

// failJob records job id's failure (out.State is failed) and queues the
// job.failed webhook of m (nil: none) in the same transaction, then logs
// it. A stopping worker still records it.
//
// When the webhook's queue row cannot be written, the failure is not
// recorded either and the error goes back to River, which runs the
// attempt again. That row is one more write in the transaction, and a
// database refusing it is a database error like any other: recording
// the failure anyway would make it silent for good (nothing would queue
// its webhook later), while the rollback leaves the job running, to be
// retried and its failure recorded with its webhook by a later attempt
// (or, after the last, failed by the reaper from River's state).
func (r *Runner) failJob(ctx context.Context, m *ml.Model, id int64, out store.JobOutcome) error {
	ctx = context.WithoutCancel(ctx)
	var notify func(tx *sql.Tx) error
	if m != nil {
		notify = func(tx *sql.Tx) error {
			return r.NotifyTx(ctx, tx, m, ml.EventJobFailed, map[string]any{"job_id": id, "error": out.Error})
		}
	}
	if err := r.DB.FinishJobGated(ctx, id, out, nil, nil, nil, false, nil, store.PromoteOptions{}, notify); err != nil {
		return err
	}
	name := ""
	if m != nil {
		name = m.Name
	}
	r.Log.Warn("training job failed", "model", name, "job", id, "err", out.Error)
	return nil
}
