package jobs

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

// testWorkerEnv, set to a database path, makes the test binary a worker
// process on that database until it is killed (see TestMain).
const testWorkerEnv = "FRESHET_TEST_WORKER_DB"

// runTestWorker works the queue of the database at path until the
// process is killed (or its parent, the test, is gone).
func runTestWorker(path string) int {
	parent := os.Getppid()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	db, err := store.Open(ctx, path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	r, err := New(ctx, db, log, Config{Work: true, MaxTrainings: 1, DataDir: os.Getenv("FRESHET_TEST_WORKER_DATA")})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := r.Start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	for os.Getppid() == parent {
		time.Sleep(100 * time.Millisecond)
	}
	return 1
}

// startWorkerProcess runs a worker on db's file in a separate process,
// with dataDir as its data directory (a new one when "").
func startWorkerProcess(t *testing.T, db *store.DB, dataDir string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), testWorkerEnv+"="+db.Path, "FRESHET_TEST_WORKER_DATA="+dataDir)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	return cmd, &out
}

// A worker process killed mid-training loses nothing: its training
// process dies with it, and a runner started later on the same database
// finds the job without a heartbeat, queues it again and trains it once.
func TestRestartRequeuesLostJob(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := elecModel(t, db, "lost", 16000, ml.ModelConfig{Trainer: ml.TrainerConfig{Train: ml.TrainConfig{Rounds: 400, EarlyStopping: -1}}})
	r := newRunner(t, db, Config{Work: true, MaxTrainings: 1, LostAfter: 2 * time.Second})
	j, _, err := r.Enqueue(ctx, m, ml.Actor{Kind: "user", Name: "ana"}, JobRequest{Reason: "survives a crash"})
	if err != nil {
		t.Fatal(err)
	}

	worker, out := startWorkerProcess(t, db, "")
	waitJob(t, db, j.ID, 15*time.Second, "training in the worker process", isTraining)
	if pids := trainingChildren(t, j.ID); len(pids) != 1 {
		t.Fatalf("training processes: %v\nworker:\n%s", pids, out)
	}
	killed := time.Now()
	if err := worker.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	worker.Wait()
	// Pdeathsig: the training process dies with its worker.
	waitNoChildren(t, j.ID, 2*time.Second)
	if j, _ := db.FindJob(ctx, j.ID); j.State != ml.JobRunning {
		t.Fatalf("after the kill the job is %s", j.State)
	}

	// The dead worker also held River's leadership, whose lease (15 s)
	// outlives it; the reaper runs on the leader. Expire the lease now, as
	// time would, so the test does not wait for it.
	if _, err := db.Write.ExecContext(ctx, `UPDATE river_leader SET expires_at = datetime('now', 'subsec', '-1 second')`); err != nil {
		t.Fatal(err)
	}
	// It may also have died in the middle of a tick of the reaper, which
	// then stays "running" in River's table until River's rescuer (hours);
	// that must not block the ticks that follow. Make it so for sure.
	stuck, err := r.Client.Insert(ctx, ReapArgs{}, tickOpts(r.cfg.LostAfter/2))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.ExecContext(ctx, `UPDATE river_job SET state = 'running', attempt = 1, attempted_at = datetime('now', 'subsec') WHERE id = ?`, stuck.Job.ID); err != nil {
		t.Fatal(err)
	}
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	requeued := waitJob(t, db, j.ID, 30*time.Second, "queued again", func(j *ml.Job) bool { return strings.Contains(j.Log, "worker lost") })
	t.Logf("requeued %v after the kill", time.Since(killed))
	if !strings.Contains(requeued.Log, "worker lost: no heartbeat for 2s; queued again") {
		t.Errorf("log:\n%s", requeued.Log)
	}
	done := waitJob(t, db, j.ID, time.Minute, "done", isDone)
	t.Logf("done %v after the kill", time.Since(killed))
	if done.State != ml.JobSucceeded || done.Attempt != 2 {
		t.Fatalf("job %s on attempt %d: %s\n%s", done.State, done.Attempt, done.Error, done.Log)
	}
	if n := strings.Count(done.Log, "round 1/400"); n != 2 {
		t.Errorf("%d training starts in the log, want 2:\n%s", n, done.Log)
	}
	vs, err := db.FindVersions(ctx, m.ID, 10)
	if err != nil || len(vs) != 1 || vs[0].JobID != j.ID || done.VersionID != vs[0].ID {
		t.Fatalf("versions %+v (job's %d): %v", vs, done.VersionID, err)
	}
	waitNoChildren(t, j.ID, 2*time.Second)
}

// A worker killed mid-training leaves its attempt's run directory
// behind; a runner starting on the same data directory removes it, and
// any other attempt's directory whose worker is gone, but keeps those of
// attempts that may still run and whatever else is there.
func TestRestartCleansOrphanedRuns(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := elecModel(t, db, "orphan", 16000, ml.ModelConfig{Trainer: longTraining})
	dataDir := t.TempDir()
	r := newRunner(t, db, Config{Work: true, MaxTrainings: 1, DataDir: dataDir})
	j, _, err := r.Enqueue(ctx, m, ml.SystemActor, JobRequest{Reason: "killed with its worker"})
	if err != nil {
		t.Fatal(err)
	}
	worker, out := startWorkerProcess(t, db, dataDir)
	waitJob(t, db, j.ID, 15*time.Second, "training in the worker process", isTraining)
	runs := filepath.Join(dataDir, "runs")
	killed := filepath.Join(runs, fmt.Sprintf("job-%d-attempt-1", j.ID))
	if _, err := os.Stat(filepath.Join(killed, runOwnerFile)); err != nil {
		t.Fatalf("the attempt's directory: %v\nworker:\n%s", err, out)
	}
	if err := worker.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	worker.Wait()
	waitNoChildren(t, j.ID, 2*time.Second)

	// Others: an old attempt's directory without an owner file (removed:
	// the record says attempt 1 is running, not 0), one of a job this
	// database does not have (removed), one owned by a live worker (this
	// process: kept), and an external trainer's, a file and a stranger
	// (not attempts' directories: kept).
	mk := func(name, owner string) string {
		t.Helper()
		dir := filepath.Join(runs, name)
		if err := os.MkdirAll(dir, 0o750); err != nil {
			t.Fatal(err)
		}
		if owner != "" {
			if err := os.WriteFile(filepath.Join(dir, runOwnerFile), []byte(owner), 0o640); err != nil {
				t.Fatal(err)
			}
		}
		return dir
	}
	start, _ := procStart(os.Getpid())
	// Without an owner file only a directory older than the longest
	// allowed run can be judged by this database's record: a fresh one
	// may be another database's (their job ids are not ours), or one whose
	// owner file is not written yet.
	aged := func(dir string) string {
		t.Helper()
		past := time.Now().Add(-ml.MaxTrainerTimeout - time.Hour)
		if err := os.Chtimes(dir, past, past); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	old := aged(mk(fmt.Sprintf("job-%d-attempt-0", j.ID), ""))
	unknown := aged(mk("job-999-attempt-1", ""))
	fresh := mk("job-996-attempt-1", "")
	live := mk("job-998-attempt-2", fmt.Sprintf(`{"pid":%d,"start":%d}`, os.Getpid(), start))
	reused := mk("job-997-attempt-1", fmt.Sprintf(`{"pid":%d,"start":%d}`, os.Getpid(), start+1)) // the pid, but another process
	external := mk(fmt.Sprintf("job-%d-1767225600000000000", j.ID), "")
	stranger := mk("notes", "")
	if err := os.WriteFile(filepath.Join(runs, "job-5-attempt-1.txt"), nil, 0o640); err != nil {
		t.Fatal(err)
	}

	// Start cleans up before it works; the lost job itself is the reaper's.
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	for _, dir := range []string{killed, old, unknown, reused} {
		if _, err := os.Stat(dir); !os.IsNotExist(err) {
			t.Errorf("%s: still there (%v)", filepath.Base(dir), err)
		}
	}
	for _, p := range []string{live, fresh, external, stranger, filepath.Join(runs, "job-5-attempt-1.txt")} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", filepath.Base(p), err)
		}
	}
	// A directory without an owner file of the attempt the record says
	// runs may be that attempt's, just made: kept.
	// (The killed worker's job is still running attempt 1 on record, until
	// the reaper finds its heartbeat stopped.)
	running := mk(fmt.Sprintf("job-%d-attempt-1", j.ID), "")
	if j, _ := db.FindJob(ctx, j.ID); j.State != ml.JobRunning || j.Attempt != 1 {
		t.Fatalf("job %s, attempt %d", j.State, j.Attempt)
	}
	if n, err := r.CleanRuns(ctx); err != nil || n != 0 {
		t.Errorf("second clean-up removed %d: %v", n, err)
	}
	if _, err := os.Stat(running); err != nil {
		t.Errorf("the running attempt's directory: %v", err)
	}
}
