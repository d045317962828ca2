package jobs

import (
	"context"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
)

// A transient failure (here the training process killed from outside,
// as the kernel's OOM killer or an operator would) fails the attempt; the
// queue runs the job again after a backoff, and the second attempt
// succeeds. River's default backoff is attempt⁴ seconds, 10% jitter:
// about a second after the first failure.
func TestRetryTransientFailure(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := elecModel(t, db, "flaky", 8000, ml.ModelConfig{Trainer: ml.TrainerConfig{Train: ml.TrainConfig{Rounds: 300, EarlyStopping: -1}}})
	r := startRunner(t, db, Config{Work: true, MaxTrainings: 1})
	j, _, err := r.Enqueue(ctx, m, ml.SystemActor, JobRequest{Reason: "survives a kill"})
	if err != nil {
		t.Fatal(err)
	}
	// Killed as soon as it exists, so surely before it is done (a kill
	// after its last round could miss it).
	deadline := time.Now().Add(15 * time.Second)
	var pids []int
	for len(pids) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("no training process after 15 s")
		}
		time.Sleep(2 * time.Millisecond)
		pids = trainingChildren(t, j.ID)
	}
	if err := syscall.Kill(pids[0], syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	failed := waitJob(t, db, j.ID, 10*time.Second, "failed once", func(j *ml.Job) bool {
		return strings.Contains(j.Log, "attempt 1 failed")
	})
	if !strings.Contains(failed.Log, "attempt 1 failed: the training process was killed; retrying") {
		t.Errorf("log after the kill:\n%s", failed.Log)
	}
	done := waitJob(t, db, j.ID, time.Minute, "done", isDone)
	if done.State != ml.JobSucceeded || done.Attempt != 2 || done.Error != "" {
		t.Fatalf("job %s on attempt %d: %q\n%s", done.State, done.Attempt, done.Error, done.Log)
	}
	if !strings.Contains(done.Log, "attempt 2 started") || strings.Count(done.Log, "round 300/300") != 1 {
		t.Errorf("log:\n%s", done.Log)
	}
	if vs := jobVersions(t, db, m, j.ID); len(vs) != 1 || done.VersionID != vs[0].ID {
		t.Errorf("versions %+v (job's %d)", vs, done.VersionID)
	}

	// The queue's record: one error, and the second attempt waited out
	// the backoff after it.
	rj, err := r.Client.JobGet(ctx, j.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(rj.Errors) != 1 || rj.Errors[0].Attempt != 1 || !strings.Contains(rj.Errors[0].Error, "the training process was killed") || rj.AttemptedAt == nil {
		t.Fatalf("queue's job: attempt %d, errors %+v", rj.Attempt, rj.Errors)
	}
	if wait := rj.AttemptedAt.Sub(rj.Errors[0].At); wait < 800*time.Millisecond {
		t.Errorf("attempt 2 started %v after attempt 1 failed, want a backoff of about 1 s", wait)
	} else {
		t.Logf("attempt 2 started %v after attempt 1 failed", wait)
	}
}
