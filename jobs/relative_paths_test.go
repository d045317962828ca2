package jobs

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

// `make run` serves `--db freshet.db`: relative paths, as a user types
// them. The training process runs in its own directory, and with the
// relative path it opened an empty database there: every retrain failed
// with "no such table: models".
func TestRelativePathsTrain(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	ctx := context.Background()
	db, err := store.Open(ctx, "freshet.db")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if want := filepath.Join(dir, "freshet.db"); db.Path != want {
		t.Fatalf("db.Path %q, want %q", db.Path, want)
	}
	m := elecModel(t, db, "relative", 600, ml.ModelConfig{})
	r := startRunner(t, db, Config{Work: true, DataDir: "data"})
	j, _, err := r.Enqueue(ctx, m, ml.SystemActor, JobRequest{Reason: "relative paths"})
	if err != nil {
		t.Fatal(err)
	}
	if done := waitJob(t, db, j.ID, time.Minute, "done", isDone); done.State != ml.JobSucceeded {
		t.Fatalf("job %s: %s\n%s", done.State, done.Error, done.Log)
	}
}
