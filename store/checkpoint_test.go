package store_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/store"
)

// TestCheckpointsOutsideCommits: commits leave the WAL alone (no
// checkpoint stalls the writer), and the background checkpointer copies
// it into the database file.
func TestCheckpointsOutsideCommits(t *testing.T) {
	ctx := context.Background()
	old := store.CheckpointEvery
	t.Cleanup(func() { store.CheckpointEvery = old })
	// 3,000 pages of rows, three times SQLite's automatic checkpoint.
	fill := func(db *store.DB) {
		t.Helper()
		if _, err := db.Write.ExecContext(ctx, `CREATE TABLE filler (x TEXT)`); err != nil {
			t.Fatal(err)
		}
		row := strings.Repeat("x", 4000)
		for range 3000 {
			if _, err := db.Write.ExecContext(ctx, `INSERT INTO filler VALUES (?)`, row); err != nil {
				t.Fatal(err)
			}
		}
	}
	size := func(path string) int64 {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		return fi.Size()
	}

	store.CheckpointEvery = time.Hour
	path := filepath.Join(t.TempDir(), "quiet.db")
	db, err := store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	fill(db)
	if n := size(path); n > 4<<20 {
		t.Fatalf("a commit checkpointed: the database file has %d bytes before any background checkpoint", n)
	}
	db.Close()

	store.CheckpointEvery = 20 * time.Millisecond
	path = filepath.Join(t.TempDir(), "busy.db")
	db, err = store.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	fill(db)
	for deadline := time.Now().Add(10 * time.Second); size(path) < 10<<20; {
		if time.Now().After(deadline) {
			t.Fatalf("no background checkpoint: the database file has %d bytes after 10 s", size(path))
		}
		time.Sleep(20 * time.Millisecond)
	}
}
