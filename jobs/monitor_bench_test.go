package jobs

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/serving"
	"github.com/freshet/freshet/store"
)

// BenchmarkMonitorWindow measures one monitoring run after a new week
// arrives, with 100k and 1M (and, with FRESHET_BENCH_10M=1, 10M)
// observations of history behind it: the cost follows the new window
// (and the re-profiled last ones), not history.
func BenchmarkMonitorWindow(b *testing.B) {
	sizes := []int{100_000, 1_000_000}
	if os.Getenv("FRESHET_BENCH_10M") != "" {
		sizes = append(sizes, 10_000_000) // a few minutes of inserts first
	}
	for _, history := range sizes {
		b.Run(fmt.Sprintf("history=%d", history), func(b *testing.B) {
			ctx := context.Background()
			db, err := store.Open(ctx, filepath.Join(b.TempDir(), "m.db"))
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			m := demo.Elec2Model()
			if err := db.CreateModel(ctx, ml.SystemActor, m); err != nil {
				b.Fatal(err)
			}
			tab, _ := demo.Elec2()
			span := tab.Time[tab.Len()-1] - tab.Time[0] + 1800_000
			for n, loop := 0, 0; n < history; loop++ {
				k := min(tab.Len(), history-n)
				bt := tab.Batch(0, k, loop, int64(loop)*span)
				bt.Entity, bt.Label = nil, tab.Label[:k]
				if _, err := db.InsertBatch(ctx, ml.SystemActor, m, bt, store.SourceIngest); err != nil {
					b.Fatal(err)
				}
				n += k
			}
			// A champion trained on the first 5,000 rows.
			fr, _ := db.Scan(ctx, m, store.ScanFilter{ToID: 5000})
			r, err := train.GBDT(m, train.Data{X: fr.X, Y: fr.Label, Time: fr.Time, IDs: fr.ID}, train.Config{Rounds: 50})
			if err != nil {
				b.Fatal(err)
			}
			v := &ml.Version{Trainer: ml.TrainerGBDT, Format: ml.FormatLightGBM, Data: r.Data, Importance: r.Importance}
			if err := db.CreateVersion(ctx, ml.SystemActor, m, v, r.Text, true); err != nil {
				b.Fatal(err)
			}
			mon := &Monitor{DB: db, Serving: &serving.Registry{DB: db}}
			// History is profiled already: pretend so, by a profile of the
			// window before the newest (only the last windows are redone).
			m, _ = db.FindModelByName(ctx, "elec2")
			W := m.Config.Monitor.WindowMS()
			last := m.Stats.LastObservation.UnixMilli()
			lastStart := last - ((last%W)+W)%W - W
			refID, _, err := mon.reference(ctx, m, v)
			if err != nil {
				b.Fatal(err)
			}
			if err := db.SaveProfile(ctx, m.ID, store.Profile{Start: lastStart - W, End: lastStart, RefID: refID, Data: []byte("{}")}); err != nil {
				b.Fatal(err)
			}
			b.ResetTimer()
			for b.Loop() {
				n, err := mon.RunModel(ctx, m)
				if err != nil || n == 0 || n > RecomputeWindows+1 {
					b.Fatalf("profiled %d windows: %v", n, err)
				}
			}
		})
	}
}
