package window_test

import (
	"fmt"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/window"
)

func ExampleSelect() {
	// 1,000 labeled rows, one an hour from 2026-01-01.
	start := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	times := make([]int64, 1000)
	for i := range times {
		times[i] = start.Add(time.Duration(i) * time.Hour).UnixMilli()
	}
	// The drift monitor flagged the daily windows from 2026-02-09 on.
	starts := []int64{
		start.AddDate(0, 0, 37).UnixMilli(),
		start.AddDate(0, 0, 38).UnixMilli(),
		start.AddDate(0, 0, 39).UnixMilli(),
		start.AddDate(0, 0, 40).UnixMilli(),
	}
	cp, _ := window.ChangePoint(starts, []bool{true, false, true, true})

	s, err := window.Select(ml.DataWindow{Kind: ml.WindowDriftAware}, times, cp)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("train [%d, %d), hold out [%d, %d)\n", s.Lo, s.Hi, s.HoldoutLo, len(times))
	fmt.Println(s.Why)
	// Output:
	// train [800, 980), hold out [980, 1000)
	// drift-aware: the change point 2026-02-09 leaves 64 rows; widened to the minimum 200
}
