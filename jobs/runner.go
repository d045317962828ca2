// Package jobs is freshet's background worker: River on the same SQLite
// database as the store (riversqlite), with the job kinds freshet runs.
// jobs only orchestrates: it loads from store, calls ml, persists results.
package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"syscall"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/serving"
	"github.com/freshet/freshet/store"
)

// Config configures the runner.
type Config struct {
	// Demo feeds the demo model from the embedded Elec2 stream.
	Demo bool
	// DemoSpeed is data seconds per wall second (10080 = a week a minute).
	DemoSpeed float64
	// DemoTick is how often the feeder runs.
	DemoTick time.Duration
	// Work runs workers in this process; a web-only process sets false
	// and only inserts jobs.
	Work bool
	// DataDir holds external trainers' run directories.
	DataDir string
	// MonitorEvery is how often closed windows are profiled (10 s).
	MonitorEvery time.Duration
	// TriggerEvery is how often retraining policies are evaluated (15 s).
	TriggerEvery time.Duration
	// MaxTrainings is how many trainings may run at once (default 1 on a
	// machine of up to 2 cores, else half the cores).
	MaxTrainings int
	// Limits bound each training process.
	Limits ChildLimits
	// LostAfter is how long a running job may go without a heartbeat
	// before it counts as lost and is queued again (30 s).
	LostAfter time.Duration
	// RetryPolicy spaces the attempts of a failed job (nil: River's
	// default, attempt⁴ seconds with 10% jitter: 1 s, then 16 s).
	RetryPolicy river.ClientRetryPolicy
}

// Runner owns the River client.
type Runner struct {
	DB     *store.DB
	Log    *slog.Logger
	Client *river.Client[*sql.Tx]
	// Serving is shared with the HTTP server so both use one cache.
	Serving *serving.Registry
	// Monitor profiles windows and reads drift and decay.
	Monitor *Monitor
	cfg     Config
	feeder  *DemoFeeder

	mu      sync.Mutex
	running map[int64]context.CancelCauseFunc
	// Now is the clock policies are evaluated with.
	Now func() time.Time
}

// Migrate applies River's own migrations to the store's database.
func Migrate(ctx context.Context, db *store.DB) error {
	m, err := rivermigrate.New(riversqlite.New(db.Write), nil)
	if err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("jobs: migrate: %w", err)
	}
	return nil
}

// New builds the runner; Start starts working.
func New(ctx context.Context, db *store.DB, log *slog.Logger, cfg Config) (*Runner, error) {
	if err := Migrate(ctx, db); err != nil {
		return nil, err
	}
	if cfg.DemoSpeed <= 0 {
		cfg.DemoSpeed = 7 * 24 * 60
	}
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(os.TempDir(), "freshet-data")
	}
	// Absolute, as the store's path: training processes run in their own
	// directories.
	if abs, err := filepath.Abs(cfg.DataDir); err == nil {
		cfg.DataDir = abs
	}
	if cfg.MonitorEvery <= 0 {
		cfg.MonitorEvery = 10 * time.Second
	}
	if cfg.DemoTick <= 0 {
		cfg.DemoTick = 5 * time.Second
	}
	if cfg.TriggerEvery <= 0 {
		cfg.TriggerEvery = 15 * time.Second
	}
	if cfg.LostAfter <= 0 {
		cfg.LostAfter = 30 * time.Second
	}
	if cfg.MaxTrainings <= 0 {
		cfg.MaxTrainings = max(1, runtime.NumCPU()/2)
	}
	if cfg.Limits.MemoryBytes <= 0 {
		var si syscall.Sysinfo_t
		if syscall.Sysinfo(&si) == nil {
			cfg.Limits.MemoryBytes = int64(si.Totalram) * int64(si.Unit) / 2
		}
	}
	r := &Runner{DB: db, Log: log, cfg: cfg, running: map[int64]context.CancelCauseFunc{}, Now: time.Now}
	r.Serving = &serving.Registry{DB: db}
	r.feeder = &DemoFeeder{DB: db, Log: log, Speed: cfg.DemoSpeed, Serving: r.Serving}
	r.Monitor = &Monitor{DB: db, Serving: r.Serving}

	rcfg := &river.Config{
		// River reports producer counts every few seconds at info level;
		// only its warnings and errors are worth a line in our log.
		Logger:                      slog.New(minLevel{log.Handler(), slog.LevelWarn}).With("component", "river"),
		PollOnly:                    true, // SQLite has no LISTEN/NOTIFY
		FetchPollInterval:           100 * time.Millisecond,
		FetchCooldown:               20 * time.Millisecond,
		CompletedJobRetentionPeriod: 6 * time.Hour,
		JobTimeout:                  -1, // each kind bounds itself
		// River's rescuer goes by the start time alone, which would take
		// a long training for a lost one; freshet's reaper goes by the
		// job's heartbeat instead (see reapWorker), so River's waits past
		// the longest allowed run.
		RescueStuckJobsAfter: ml.MaxTrainerTimeout + 2*time.Hour,
		RetryPolicy:          cfg.RetryPolicy,
	}
	if cfg.Work {
		workers := river.NewWorkers()
		river.AddWorker(workers, &demoFeedWorker{feeder: r.feeder})
		river.AddWorker(workers, &retrainWorker{r: r})
		river.AddWorker(workers, &backtestWorker{r: r})
		river.AddWorker(workers, &monitorWorker{mon: r.Monitor})
		river.AddWorker(workers, &triggerWorker{r: r})
		river.AddWorker(workers, &reapWorker{r: r})
		river.AddWorker(workers, &onlineWorker{r: r})
		river.AddWorker(workers, &watchWorker{r: r})
		river.AddWorker(workers, &rejudgeWorker{r: r})
		river.AddWorker(workers, newWebhookWorker())
		rcfg.Workers = workers
		rcfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 4}, QueueTraining: {MaxWorkers: cfg.MaxTrainings}}
		rcfg.PeriodicJobs = []*river.PeriodicJob{
			tick(cfg.MonitorEvery, "monitor_windows", MonitorArgs{}),
			tick(cfg.TriggerEvery, "evaluate_triggers", TriggerArgs{}),
			tick(cfg.LostAfter/2, "reap_jobs", ReapArgs{}),
			tick(cfg.TriggerEvery, "online_updates", OnlineArgs{}),
			tick(cfg.TriggerEvery, "watch_deployments", WatchArgs{}),
			tick(cfg.TriggerEvery, "rejudge_gates", RejudgeArgs{}),
		}
		if cfg.Demo {
			rcfg.PeriodicJobs = append(rcfg.PeriodicJobs, tick(cfg.DemoTick, "demo_feed", DemoFeedArgs{}))
		}
	}
	c, err := river.NewClient(riversqlite.New(db.Write), rcfg)
	if err != nil {
		return nil, fmt.Errorf("jobs: river client: %w", err)
	}
	r.Client = c
	return r, nil
}

// InstallDemo creates the demo model and preloads its first weeks, once
// per database. It is a no-op when the demo is off or already installed.
func (r *Runner) InstallDemo(ctx context.Context) error {
	if !r.cfg.Demo {
		return nil
	}
	installed, err := r.feeder.Install(ctx)
	if err != nil || !installed {
		return err
	}
	// Train a first model on the preloaded weeks so predictions, scores
	// and versions exist from the first minute.
	m, err := r.DB.FindModelByName(ctx, "elec2")
	if err != nil {
		return err
	}
	_, _, err = r.Enqueue(ctx, m, ml.Actor{Kind: "system", Name: "demo"}, JobRequest{Strategy: ml.StrategyFull, Reason: "demo: first model on the preloaded weeks", Priority: 1})
	return err
}

// tick is a periodic job run every interval (and on start). A tick is
// unique while one of its period is waiting or running, so slow runs do
// not pile up. Unique per period, not for ever: a tick that was running
// in a process that died stays "running" in River's table until the
// rescuer (hours, see RescueStuckJobsAfter) and would otherwise block
// every later tick of its kind, so a crash would stop the reaper, the
// triggers and the monitor until then.
func tick(every time.Duration, id string, args river.JobArgs) *river.PeriodicJob {
	return river.NewPeriodicJob(river.PeriodicInterval(every),
		func() (river.JobArgs, *river.InsertOpts) { return args, tickOpts(every) },
		&river.PeriodicJobOpts{RunOnStart: true, ID: id})
}

// River refuses a unique period under a second, and a periodic job whose
// insert fails is only logged: a tick set faster than that would never
// run, so its period is at least a second.
func tickOpts(every time.Duration) *river.InsertOpts {
	return &river.InsertOpts{UniqueOpts: river.UniqueOpts{ByPeriod: max(every, time.Second), ByState: []rivertype.JobState{
		rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning, rivertype.JobStateRetryable, rivertype.JobStateScheduled}}}
}

// MaxTrainings is how many trainings may run at once.
func (r *Runner) MaxTrainings() int { return r.cfg.MaxTrainings }

// Start starts the workers (if any), after removing the run directories
// that attempts killed with their worker left behind.
func (r *Runner) Start(ctx context.Context) error {
	if !r.cfg.Work {
		return nil
	}
	if n, err := r.CleanRuns(ctx); err != nil {
		r.Log.Warn("clean up run directories", "err", err)
	} else if n > 0 {
		r.Log.Info("removed run directories of attempts that no longer run", "count", n)
	}
	return r.Client.Start(ctx)
}

// CleanRuns removes the run directories (DataDir/runs/job-N-attempt-K)
// of training attempts that no longer run, and reports how many it
// removed. A worker removes its attempt's directory when the attempt
// ends, but one killed mid-training (a crash, a kill, a power cut) cannot,
// and the queue runs the job again in a new directory.
//
// The data directory may be shared by several freshet processes, even on
// different databases (its default is under the system's temporary
// directory), so a directory goes only when the worker that wrote it is
// gone (its runOwnerFile). One without that file, from before it was
// written, goes when this database's record of the job says that attempt
// is not running.
func (r *Runner) CleanRuns(ctx context.Context) (int, error) {
	root := filepath.Join(r.cfg.DataDir, "runs")
	ents, err := os.ReadDir(root)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("jobs: clean runs: %w", err)
	}
	n := 0
	var errs []error
	for _, e := range ents {
		var id int64
		var attempt int
		if !e.IsDir() {
			continue
		}
		if k, _ := fmt.Sscanf(e.Name(), "job-%d-attempt-%d", &id, &attempt); k != 2 || e.Name() != fmt.Sprintf("job-%d-attempt-%d", id, attempt) {
			continue // not an attempt's directory (an external trainer's keeps its log)
		}
		dir := filepath.Join(root, e.Name())
		if r.attemptMayRun(ctx, dir, id, attempt) {
			continue
		}
		if err := os.RemoveAll(dir); err != nil {
			errs = append(errs, err)
			continue
		}
		n++
	}
	return n, errors.Join(errs...)
}

// attemptMayRun is whether the attempt that uses run directory dir may
// still be running; when in doubt, it may.
func (r *Runner) attemptMayRun(ctx context.Context, dir string, id int64, attempt int) bool {
	if r.isRunningHere(id) {
		return true
	}
	if b, err := os.ReadFile(filepath.Join(dir, runOwnerFile)); err == nil {
		var o runOwner
		if json.Unmarshal(b, &o) == nil && o.PID > 0 {
			return o.alive()
		}
	}
	// No owner: a directory made an instant ago whose owner file is not
	// written yet, or one of another database sharing the data directory
	// (whose job ids are not ours), may be live. Only one older than the
	// longest allowed run cannot be.
	if fi, err := os.Stat(dir); err != nil || time.Since(fi.ModTime()) < ml.MaxTrainerTimeout {
		return true
	}
	j, err := r.DB.FindJob(ctx, id)
	if ml.ErrorCode(err) == ml.ENOTFOUND {
		return false
	}
	return err != nil || (j.State == ml.JobRunning && j.Attempt == attempt)
}

// Stop stops the workers, waiting for running jobs up to ctx's deadline,
// then cancelling them.
func (r *Runner) Stop(ctx context.Context) error {
	if !r.cfg.Work {
		return nil
	}
	if err := r.Client.Stop(ctx); err != nil {
		return r.Client.StopAndCancel(context.Background())
	}
	return nil
}

// JobSummary is a job as the jobs page shows it.
type JobSummary struct {
	ID          int64
	Kind        string
	State       string
	Attempt     int
	CreatedAt   time.Time
	FinishedAt  *time.Time
	Error       string
	Description string
}

// RecentJobs lists the newest jobs.
func (r *Runner) RecentJobs(ctx context.Context, limit int) ([]JobSummary, error) {
	res, err := r.Client.JobList(ctx, river.NewJobListParams().OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit))
	if err != nil {
		return nil, fmt.Errorf("jobs: list: %w", err)
	}
	out := make([]JobSummary, 0, len(res.Jobs))
	for _, j := range res.Jobs {
		s := JobSummary{ID: j.ID, Kind: j.Kind, State: string(j.State), Attempt: j.Attempt, CreatedAt: j.CreatedAt, FinishedAt: j.FinalizedAt}
		if n := len(j.Errors); n > 0 {
			s.Error = j.Errors[n-1].Error
		}
		if len(j.Output()) > 0 {
			s.Description = string(j.Output())
		}
		out = append(out, s)
	}
	return out, nil
}

// minLevel drops records below a level.
type minLevel struct {
	slog.Handler
	min slog.Level
}

func (h minLevel) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= h.min && h.Handler.Enabled(ctx, l)
}

func (h minLevel) WithAttrs(as []slog.Attr) slog.Handler {
	return minLevel{h.Handler.WithAttrs(as), h.min}
}

func (h minLevel) WithGroup(g string) slog.Handler { return minLevel{h.Handler.WithGroup(g), h.min} }
