package store_test

import (
	"context"
	"testing"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

// BenchmarkScan1M decodes 1M stored Elec2-shaped observations (7
// features, time, label) into feature columns. Target: ≥ 2M rows/s.
func BenchmarkScan1M(b *testing.B) {
	ctx := context.Background()
	db := mustOpen(b)
	m := mustModel(b, db)
	tab, err := demo.Elec2()
	if err != nil {
		b.Fatal(err)
	}
	const want = 1_000_000
	for n, loop := 0, 0; n < want; loop++ {
		k := min(tab.Len(), want-n)
		batch := tab.Batch(0, k, loop, int64(loop)*tab.Time[tab.Len()-1])
		batch.Entity = nil
		batch.Label = tab.Label[:k]
		if _, err := db.InsertBatch(ctx, ml.SystemActor, m, batch, store.SourceIngest); err != nil {
			b.Fatal(err)
		}
		n += k
	}
	b.ResetTimer()
	for b.Loop() {
		f, err := db.Scan(ctx, m, store.ScanFilter{})
		if err != nil {
			b.Fatal(err)
		}
		if f.Len() != want {
			b.Fatalf("scanned %d", f.Len())
		}
	}
	b.ReportMetric(float64(want)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}
