package jobs

import (
	"context"
	"time"

	"github.com/riverqueue/river"
)

// OnlineArgs feeds new labels to the online learners of models whose
// policy says strategy "online".
type OnlineArgs struct{}

// Kind implements river.JobArgs.
func (OnlineArgs) Kind() string { return "online_updates" }

type onlineWorker struct {
	river.WorkerDefaults[OnlineArgs]
	r *Runner
}

func (w *onlineWorker) Timeout(*river.Job[OnlineArgs]) time.Duration { return 10 * time.Minute }

func (w *onlineWorker) Work(ctx context.Context, _ *river.Job[OnlineArgs]) error {
	return nil
}
