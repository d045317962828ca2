package window

import (
	"testing"

	"github.com/freshet/freshet/ml"
)

// BenchmarkSelect1M is each rule on 1M rows a minute apart; the order
// check is a full pass, recency_weighted also computes 900k weights.
func BenchmarkSelect1M(b *testing.B) {
	ts := make([]int64, 1_000_000)
	for i := range ts {
		ts[i] = jan1 + int64(i)*60_000
	}
	for _, w := range []ml.DataWindow{
		{Kind: ml.WindowExpanding},
		{Kind: ml.WindowSlidingRows, Rows: 100_000},
		{Kind: ml.WindowSlidingDays, Days: 90},
		{Kind: ml.WindowDriftAware},
		{Kind: ml.WindowRecencyWeighted, HalfLifeDays: 60},
	} {
		b.Run(w.Kind, func(b *testing.B) {
			for b.Loop() {
				if _, err := Select(w, ts, ts[700_000]); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
