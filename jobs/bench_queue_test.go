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

// BenchmarkEmptyRetrainJob is the overhead of a training job: a tiny
// data set (60 rows) and one boosting round, from Enqueue until its
// record says succeeded (queue fetch, training process start, data
// read, version stored).
func BenchmarkEmptyRetrainJob(b *testing.B) {
	ctx := context.Background()
	db := newDB(b)
	m := elecModel(b, db, "tiny", 60, ml.ModelConfig{
		Trainer: ml.TrainerConfig{Train: ml.TrainConfig{Rounds: 1, EarlyStopping: -1}},
		Policy:  ml.PolicyConfig{Window: ml.DataWindow{MinRows: 50}},
	})
	r := startRunner(b, db, Config{Work: true, MaxTrainings: 1})

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
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N), "ms/op")
}
