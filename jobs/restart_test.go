package jobs

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
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

// startWorkerProcess runs a worker on db's file in a separate process.
func startWorkerProcess(t *testing.T, db *store.DB) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), testWorkerEnv+"="+db.Path, "FRESHET_TEST_WORKER_DATA="+t.TempDir())
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

	worker, out := startWorkerProcess(t, db)
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
