package jobs

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/freshet/freshet/ml"
)

// BenchmarkQueueThroughput is how many trivial jobs a Runner works per
// second, end to end: inserted in batches, fetched from SQLite, worked
// on the default queue (4 workers) and marked completed. The job is
// reap_jobs, whose work is one small query.
func BenchmarkQueueThroughput(b *testing.B) {
	ctx := context.Background()
	db := newDB(b)
	r := startRunner(b, db, Config{Work: true})
	events, cancel := r.Client.SubscribeConfig(&river.SubscribeConfig{ChanSize: b.N + 1000, Kinds: []river.EventKind{river.EventKindJobCompleted}})
	defer cancel()

	b.ResetTimer()
	start := time.Now()
	for lo := 0; lo < b.N; lo += 1000 {
		params := make([]river.InsertManyParams, min(1000, b.N-lo))
		for i := range params {
			params[i] = river.InsertManyParams{Args: ReapArgs{}}
		}
		if _, err := r.Client.InsertMany(ctx, params); err != nil {
			b.Fatal(err)
		}
	}
	timeout := time.After(time.Minute + time.Duration(b.N)*10*time.Millisecond)
	// Periodic reap jobs (one at start) complete too: count past them.
	for done := 0; done < b.N; {
		select {
		case ev := <-events:
			if ev.Job.Kind == (ReapArgs{}).Kind() {
				done++
			}
		case <-timeout:
			b.Fatalf("%d of %d jobs completed", done, b.N)
		}
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "jobs/s")
}

// BenchmarkEmptyRetrainJob is the overhead of a training job, end to
// end: a small data set (500 rows) and one boosting round, from Enqueue
// until its record says succeeded (queue fetch, training process start,
// data read and validation, the gate against the champion, version
// stored). From the second job on the gate judges each new version
// against the first one's on the held-out 50 rows; a holdout too small
// for it (60 rows gave 6, with one positive) made every job after the
// first fail, so the data set must be big enough for the gate to judge.
func BenchmarkEmptyRetrainJob(b *testing.B) {
	ctx := context.Background()
	db := newDB(b)
	m := elecModel(b, db, "tiny", 500, ml.ModelConfig{
		Trainer: ml.TrainerConfig{Train: ml.TrainConfig{Rounds: 1, EarlyStopping: -1}},
		Policy:  ml.PolicyConfig{Window: ml.DataWindow{MinRows: 50}},
	})
	r := startRunner(b, db, Config{Work: true, MaxTrainings: 1})

	// Where the time goes, from each job's record: waiting in the queue
	// (created → started: River's fetch poll), the training process
	// (spawn, database open, data read, validation, training, holdout
	// scores, result file), and the rest (start bookkeeping, the gate,
	// storing the version and finishing).
	var queued, child, rest, cpu time.Duration
	b.ResetTimer()
	start := time.Now()
	for range b.N {
		j, dup, err := r.Enqueue(ctx, m, ml.SystemActor, JobRequest{Reason: "bench"})
		if err != nil || dup {
			b.Fatalf("enqueue: dup %v: %v", dup, err)
		}
		for {
			j, err = db.FindJob(ctx, j.ID)
			if err != nil {
				b.Fatal(err)
			}
			if j.Done() {
				break
			}
			time.Sleep(2 * time.Millisecond)
		}
		if j.State != ml.JobSucceeded {
			b.Fatalf("job %d %s: %s", j.ID, j.State, j.Error)
		}
		wall := time.Duration(j.WallSeconds * float64(time.Second))
		queued += j.StartedAt.Sub(j.CreatedAt)
		child += wall
		rest += j.FinishedAt.Sub(*j.StartedAt) - wall
		cpu += time.Duration(j.CPUSeconds * float64(time.Second))
	}
	n := float64(b.N)
	b.ReportMetric(float64(time.Since(start).Milliseconds())/n, "ms/op")
	b.ReportMetric(float64(queued.Milliseconds())/n, "queue-ms/op")
	b.ReportMetric(float64(child.Milliseconds())/n, "child-ms/op")
	b.ReportMetric(float64(rest.Milliseconds())/n, "rest-ms/op")
	b.ReportMetric(float64(cpu.Milliseconds())/n, "child-cpu-ms/op")
}
