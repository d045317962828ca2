package jobs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/riverqueue/river"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/store"
)

// RetrainArgs is a training job in the queue. Its record (why, cost,
// data, log) is the train_jobs row with the same id.
type RetrainArgs struct {
	ModelID  int64        `json:"model_id"`
	Strategy string       `json:"strategy,omitempty"`
	Reason   string       `json:"reason,omitempty"`
	By       string       `json:"by,omitempty"`
	Config   train.Config `json:"config"`
}

// Kind implements river.JobArgs.
func (RetrainArgs) Kind() string { return "retrain" }

// QueueTraining is the queue training jobs run on; its worker count is
// the limit on concurrent trainings.
const QueueTraining = "training"

// InsertOpts puts retrains on the training queue. One job per model at a
// time is the store's rule, checked in Enqueue's transaction against our
// records: River's unique states would not do, since River marks a job
// completed a moment after its record says succeeded (its completer
// batches), and in that moment a new request was taken for the old job.
func (RetrainArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueTraining, MaxAttempts: 3}
}

// RetrainResult is what an in-process Retrain made.
type RetrainResult struct {
	Version    int                `json:"version"`
	VersionID  int64              `json:"version_id"`
	Rows       int                `json:"rows"`
	Rounds     int                `json:"rounds"`
	Metrics    map[string]float64 `json:"metrics"`
	CPUSeconds float64            `json:"cpu_seconds"`
	PeakRSS    int64              `json:"peak_rss_bytes,omitempty"`
	Seconds    float64            `json:"wall_seconds"`
}

type retrainWorker struct {
	river.WorkerDefaults[RetrainArgs]
	r *Runner
}

func (w *retrainWorker) Timeout(*river.Job[RetrainArgs]) time.Duration {
	return ml.MaxTrainerTimeout + time.Hour
}

// Work runs one attempt of a training job in a child process, records its
// progress, cost and outcome, and stores the version it made.
func (w *retrainWorker) Work(ctx context.Context, job *river.Job[RetrainArgs]) error {
	r := w.r
	db := r.DB
	j, err := db.StartJob(ctx, job.ID, job.Attempt)
	if err != nil {
		// Cancelled before it started, or its model is gone.
		return river.JobCancel(err)
	}
	m, err := db.FindModelByID(ctx, j.ModelID)
	if err != nil {
		db.FinishJob(ctx, job.ID, store.JobOutcome{State: ml.JobFailed, Error: err.Error()}, nil, nil, nil, false)
		return river.JobCancel(err)
	}
	if job.Args.Strategy == ml.StrategyOnline {
		return w.publishOnline(ctx, job, m)
	}
	ctx, cancel, release := r.tracked(ctx, job.ID)
	defer release()

	// Progress lines go to the job's record a few times a second, which
	// also beats its heartbeat and reads the cancel flag.
	var (
		mu      sync.Mutex
		pending []string
		phase   string
		frac    float64
	)
	flush := func() {
		mu.Lock()
		lines, ph, fr := pending, phase, frac
		pending = nil
		mu.Unlock()
		cancelled, err := db.JobProgress(context.WithoutCancel(ctx), job.ID, ph, fr, lines)
		if err == nil && cancelled {
			cancel(errCancelRequested)
		}
	}
	stopBeat := heartbeat(250*time.Millisecond, flush)
	spec := TrainSpec{ModelID: m.ID, Strategy: orText(job.Args.Strategy, ml.StrategyFull), Reason: j.Reason, Config: job.Args.Config, JobID: job.ID}
	dir := filepath.Join(r.cfg.DataDir, "runs", fmt.Sprintf("job-%d-attempt-%d", job.ID, job.Attempt))
	run, runErr := runTrainingChild(ctx, r.DB.Path, r.cfg.DataDir, dir, spec, r.cfg.Limits, func(l childLine) {
		mu.Lock()
		defer mu.Unlock()
		if l.Phase != "" {
			phase = l.Phase
		}
		frac = max(frac, l.Progress)
		if l.Log != "" {
			pending = append(pending, l.Log)
		}
	})
	stopBeat()
	flush()
	defer os.RemoveAll(dir)

	out := store.JobOutcome{}
	if run != nil {
		out.CPUSeconds, out.WallSeconds, out.PeakRSS = round3(run.CPUSeconds), round3(run.WallSeconds), run.PeakRSS
		if res := run.Result; res != nil && res.Trained != nil {
			t := res.Trained
			out.Rows, out.Rounds, out.Validation = t.Rows, t.Rounds, t.Validation
			dv := t.Data
			out.Data = &dv
		}
	}
	ctxErr := context.Cause(ctx)
	switch {
	case runErr != nil && run == nil:
		// Could not even start: the machine's problem, worth a retry.
		return w.retryOrFail(ctx, job, out, runErr)
	case run.Killed && errors.Is(ctxErr, errCancelRequested):
		out.State, out.Error = ml.JobCancelled, "cancelled"
		out.Log = []string{fmt.Sprintf("cancelled; the training process was stopped after %.1f s", run.WallSeconds)}
		if err := db.FinishJob(context.WithoutCancel(ctx), job.ID, out, nil, nil, nil, false); err != nil {
			return err
		}
		return river.JobCancel(errCancelRequested)
	case run.Killed:
		// The worker is stopping or the job timed out: River retries it.
		out.State, out.Error = ml.JobQueued, "interrupted: "+orText(errText(ctxErr), "stopped")
		out.Log = []string{out.Error}
		db.FinishJob(context.WithoutCancel(ctx), job.ID, out, nil, nil, nil, false)
		return ctxErr
	case run.ExitCode == exitBadData:
		msg := "training refused its data"
		if run.Result != nil && run.Result.Error != "" {
			msg = run.Result.Error
		}
		out.State, out.Error, out.Log = ml.JobFailed, msg, []string{"failed: " + msg}
		if err := r.failJob(ctx, m, job.ID, out); err != nil {
			return err
		}
		return river.JobCancel(errors.New(msg)) // retrying cannot help
	case run.ExitCode != 0:
		msg := fmt.Sprintf("the training process failed (exit status %d)", run.ExitCode)
		if run.ExitCode < 0 {
			msg = "the training process was killed"
		}
		if run.outOfMemory(r.cfg.Limits.MemoryBytes) {
			msg = fmt.Sprintf("the training process ran out of memory (limit %s)", bytesText(r.cfg.Limits.MemoryBytes))
			out.State, out.Error, out.Log = ml.JobFailed, msg, []string{msg}
			if err := r.failJob(ctx, m, job.ID, out); err != nil {
				return err // not recorded: River runs the attempt again
			}
			return river.JobCancel(errors.New(msg))
		}
		if run.Result != nil && run.Result.Error != "" {
			msg += ": " + run.Result.Error
		} else if s := crashLine(run.Stderr); s != "" {
			msg += ": " + s
		} else if s := strings.TrimSpace(lastLines(run.Stderr, 5)); s != "" {
			msg += ": " + s
		}
		return w.retryOrFail(ctx, job, out, errors.New(msg))
	}
	if run.Result == nil || run.Result.Trained == nil || run.Result.Trained.Version == nil {
		return w.retryOrFail(ctx, job, out, errors.New("the training process wrote no result"))
	}
	artifact, err := os.ReadFile(filepath.Join(dir, "model.txt"))
	if err != nil {
		return w.retryOrFail(ctx, job, out, err)
	}
	v := run.Result.Trained.Version
	out.State = ml.JobSucceeded
	out.Log = []string{fmt.Sprintf("done: %.2f CPU-s, %.2f s, peak memory %s", out.CPUSeconds, out.WallSeconds, bytesText(out.PeakRSS))}
	if err := r.finishGated(ctx, job.ID, out, m, v, artifact); err != nil {
		return w.retryOrFail(ctx, job, out, err)
	}
	r.Log.Info("trained", "model", m.Name, "job", job.ID, "version", v.Number, "strategy", spec.Strategy, "cpu_seconds", out.CPUSeconds)
	return river.RecordOutput(ctx, RetrainResult{Version: v.Number, VersionID: v.ID, Rows: out.Rows, Rounds: out.Rounds, Metrics: v.Metrics,
		CPUSeconds: out.CPUSeconds, PeakRSS: out.PeakRSS, Seconds: out.WallSeconds})
}

var errCancelRequested = errors.New("cancel requested")

// retryOrFail records a transient failure: queued again while River has
// attempts left, failed on the last.
func (w *retrainWorker) retryOrFail(ctx context.Context, job *river.Job[RetrainArgs], out store.JobOutcome, err error) error {
	out.Error = err.Error()
	if job.Attempt < job.MaxAttempts {
		out.State = ml.JobQueued
		out.Log = []string{fmt.Sprintf("attempt %d failed: %v; retrying", job.Attempt, err)}
		if e := w.r.DB.FinishJob(context.WithoutCancel(ctx), job.ID, out, nil, nil, nil, false); e != nil {
			return errors.Join(err, e)
		}
		return err
	}
	out.State = ml.JobFailed
	out.Log = []string{fmt.Sprintf("attempt %d failed: %v; no attempts left", job.Attempt, err)}
	m, e := w.r.DB.FindModelByID(context.WithoutCancel(ctx), job.Args.ModelID)
	if e != nil {
		m = nil // gone: the failure is recorded without a webhook
	}
	if e := w.r.failJob(ctx, m, job.ID, out); e != nil {
		return errors.Join(err, e)
	}
	return err
}

// crashLine is the line of a Go crash's output that says what happened
// ("panic: ...", "fatal error: ..."), "" when there is none. The end of
// that output is a goroutine's stack, which says nothing to a reader of
// the jobs page.
func crashLine(stderr string) string {
	for _, l := range strings.Split(stderr, "\n") {
		if strings.HasPrefix(l, "panic: ") || strings.HasPrefix(l, "fatal error: ") {
			return strings.TrimSpace(l)
		}
	}
	return ""
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func bytesText(n int64) string {
	switch {
	case n <= 0:
		return "unknown"
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// cpuSeconds is this process's user+system CPU time. Training in-process
// shares it with the server; the child-process runner measures exactly.
// heartbeat calls flush every period until the returned stop is called;
// stop returns once the last call has.
func heartbeat(period time.Duration, flush func()) (stop func()) {
	done, beat := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(beat)
		t := time.NewTicker(period)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				flush()
			}
		}
	}()
	return func() {
		close(done)
		<-beat
	}
}

// ProcessCPU is this process's CPU time (user + system).
func ProcessCPU() time.Duration { return time.Duration(cpuSeconds() * float64(time.Second)) }

func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}
