package backtest_test

import (
	"compress/gzip"
	"context"
	"encoding/csv"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/backtest"
	"github.com/freshet/freshet/ml/train"
)

// elec2 reads the Elec2 copy the demo embeds: the 7 features of the
// issue, the label, one row per half hour.
func elec2(b *testing.B) (*ml.Model, train.Data) {
	f, err := os.Open("../../demo/elec2.csv.gz")
	if err != nil {
		b.Skip(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		b.Fatal(err)
	}
	rows, err := csv.NewReader(zr).ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	cols := []string{"day", "period", "nswprice", "nswdemand", "vicprice", "vicdemand", "transfer"}
	idx := map[string]int{}
	for i, h := range rows[0] {
		idx[h] = i
	}
	m := &ml.Model{Name: "elec2", Task: ml.TaskBinary}
	d := train.Data{X: make([][]float64, len(cols))}
	for _, c := range cols {
		m.Features = append(m.Features, ml.Feature{Name: c, Type: ml.Numeric})
	}
	t0 := time.Date(1996, 5, 7, 0, 0, 0, 0, time.UTC).UnixMilli()
	for i, r := range rows[1:] {
		for j, c := range cols {
			v, err := strconv.ParseFloat(r[idx[c]], 64)
			if err != nil {
				b.Fatal(err)
			}
			d.X[j] = append(d.X[j], v)
		}
		y, _ := strconv.ParseFloat(r[idx["label"]], 64)
		d.Y = append(d.Y, y)
		d.Time = append(d.Time, t0+int64(i)*1800_000)
	}
	return m, d
}

// BenchmarkElec2EveryBatch is the speed figure: Elec2 replayed
// with a full retrain (50 rounds, depth 6, 4,704 rows) after every
// weekly batch, 120 retrains. Compare with bench/backtest/run.sh's
// XGBoost every_1 in the same run.
func BenchmarkElec2EveryBatch(b *testing.B) {
	m, d := elec2(b)
	cfg := backtest.Config{Model: m, Batch: 336, Train: ml.TrainConfig{Rounds: 50, MaxDepth: 6}, CostPerUnit: 2e-7,
		Window: ml.DataWindow{Kind: ml.WindowSlidingRows, Rows: 4704}}
	ps, err := backtest.ParsePolicies("every:1", cfg.Batch, 0, cfg.Window)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		rep, err := backtest.Run(context.Background(), cfg, d, ps)
		if err != nil {
			b.Fatal(err)
		}
		if r := rep.Results[0]; r.Retrains != 120 {
			b.Fatalf("%d retrains", r.Retrains)
		}
	}
}
