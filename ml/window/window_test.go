package window

import (
	"errors"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
)

var jan1 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

// hourly is n rows one hour apart from 2026-01-01 00:00 UTC.
func hourly(n int) []int64 {
	ts := make([]int64, n)
	for i := range ts {
		ts[i] = jan1 + int64(i)*3_600_000
	}
	return ts
}

// checkInvariants holds for every selection.
func checkInvariants(t *testing.T, w ml.DataWindow, n int, s Selection) {
	t.Helper()
	if !(0 <= s.Lo && s.Lo <= s.Hi && s.Hi == s.HoldoutLo && s.HoldoutLo <= n) {
		t.Fatalf("bounds Lo=%d Hi=%d HoldoutLo=%d n=%d", s.Lo, s.Hi, s.HoldoutLo, n)
	}
	minRows := w.MinRows
	if minRows == 0 {
		minRows = ml.DefaultMinRows
	}
	if n-s.Lo < minRows {
		t.Fatalf("window has %d rows, below the minimum %d", n-s.Lo, minRows)
	}
	if n-s.Lo >= 2 && (s.Hi == n || s.Hi == s.Lo) {
		t.Fatalf("window of %d rows: holdout [%d,%d) and training [%d,%d) must both be non-empty", n-s.Lo, s.HoldoutLo, n, s.Lo, s.Hi)
	}
	if w.Kind == ml.WindowRecencyWeighted {
		if len(s.Weights) != s.Hi-s.Lo {
			t.Fatalf("%d weights for %d training rows", len(s.Weights), s.Hi-s.Lo)
		}
		sum := 0.0
		for _, x := range s.Weights {
			if !(x >= 0) || math.IsInf(x, 0) {
				t.Fatalf("weight %v", x)
			}
			sum += x
		}
		if len(s.Weights) > 0 && math.Abs(sum/float64(len(s.Weights))-1) > 1e-9 {
			t.Fatalf("mean weight %v, want 1", sum/float64(len(s.Weights)))
		}
	} else if s.Weights != nil {
		t.Fatalf("weights for a %q window", w.Kind)
	}
	if s.Why == "" {
		t.Fatal("no Why")
	}
}

func TestSelect(t *testing.T) {
	t.Parallel()
	ts := hourly(1000) // 2026-01-01 00:00 to 2026-02-11 15:00
	for _, tc := range []struct {
		name        string
		w           ml.DataWindow
		times       []int64
		changePoint int64
		lo, hi      int
		why         string
	}{
		{"zero window is expanding", ml.DataWindow{}, ts, 0, 0, 900,
			"expanding window: all 1,000 rows (2026-01-01 – 2026-02-11)"},
		{"expanding", ml.DataWindow{Kind: ml.WindowExpanding, HoldoutFrac: 0.2}, ts, 0, 0, 800,
			"expanding window: all 1,000 rows (2026-01-01 – 2026-02-11)"},
		{"sliding rows", ml.DataWindow{Kind: ml.WindowSlidingRows, Rows: 500}, ts, 0, 500, 950,
			"sliding window: the newest 500 rows (2026-01-21 – 2026-02-11)"},
		{"sliding rows widened", ml.DataWindow{Kind: ml.WindowSlidingRows, Rows: 50}, ts, 0, 800, 980,
			"sliding window: 50 rows asked, below the minimum 200; widened to the newest 200 rows (2026-02-03 – 2026-02-11)"},
		{"sliding rows beyond history", ml.DataWindow{Kind: ml.WindowSlidingRows, Rows: 5000}, ts, 0, 0, 900,
			"sliding window: all 1,000 rows, fewer than the 5,000 asked (2026-01-01 – 2026-02-11)"},
		// The last 10 days of hourly rows, both ends included: 241 rows.
		{"sliding days", ml.DataWindow{Kind: ml.WindowSlidingDays, Days: 10}, ts, 0, 759, 976,
			"sliding window: the last 10 days, 241 rows (2026-02-01 – 2026-02-11)"},
		{"sliding days fraction", ml.DataWindow{Kind: ml.WindowSlidingDays, Days: 12.5, MinRows: 10}, ts, 0, 699, 970,
			"sliding window: the last 12.5 days, 301 rows"},
		{"sliding days widened", ml.DataWindow{Kind: ml.WindowSlidingDays, Days: 1}, ts, 0, 800, 980,
			"sliding window: the last 1 day hold 25 rows; widened to the minimum 200 (2026-02-03 – 2026-02-11)"},
		{"sliding days beyond history", ml.DataWindow{Kind: ml.WindowSlidingDays, Days: math.Inf(1)}, ts, 0, 0, 900,
			"the last +Inf days, 1,000 rows"},
		{"drift aware", ml.DataWindow{Kind: ml.WindowDriftAware}, ts, ts[600], 600, 960,
			"drift-aware: rows since the change point 2026-01-26 (400 rows)"},
		{"drift aware between rows", ml.DataWindow{Kind: ml.WindowDriftAware}, ts, ts[600] - 1, 600, 960,
			"(400 rows)"},
		{"drift aware before history", ml.DataWindow{Kind: ml.WindowDriftAware}, ts, 1, 0, 900,
			"drift-aware: rows since the change point 1970-01-01 (1,000 rows)"},
		{"drift aware without change point", ml.DataWindow{Kind: ml.WindowDriftAware}, ts, 0, 0, 900,
			"drift-aware: no change point found; all 1,000 rows (2026-01-01 – 2026-02-11)"},
		{"drift aware negative change point", ml.DataWindow{Kind: ml.WindowDriftAware}, ts, -5, 0, 900,
			"no change point found"},
		{"drift aware widened", ml.DataWindow{Kind: ml.WindowDriftAware}, ts, ts[920], 800, 980,
			"drift-aware: the change point 2026-02-08 leaves 80 rows; widened to the minimum 200"},
		{"drift aware after the newest row", ml.DataWindow{Kind: ml.WindowDriftAware}, ts, ts[999] + 1, 800, 980,
			"leaves 0 rows; widened to the minimum 200"},
		{"drift aware at a tie", ml.DataWindow{Kind: ml.WindowDriftAware, MinRows: 2}, []int64{10, 20, 20, 20, 30}, 20, 1, 4,
			"(4 rows)"},
		{"sliding days at a tie", ml.DataWindow{Kind: ml.WindowSlidingDays, Days: 1, MinRows: 2},
			[]int64{0, msPerDay, msPerDay, msPerDay, 2 * msPerDay}, 0, 1, 4, "4 rows"},
		{"minimum equals history", ml.DataWindow{Kind: ml.WindowSlidingRows, Rows: 1, MinRows: 1000}, ts, 0, 0, 900,
			"widened to the newest 1,000 rows"},
		{"two rows hold one out", ml.DataWindow{MinRows: 2, HoldoutFrac: 0.01}, []int64{1, 2}, 0, 0, 1, "all 2 rows"},
		{"one row holds none out", ml.DataWindow{MinRows: 1}, []int64{5}, 0, 0, 1, "all 1 row"},
		{"holdout rounds down", ml.DataWindow{MinRows: 10, HoldoutFrac: 0.29}, hourly(100), 0, 0, 71, ""},
		{"holdout at least one row", ml.DataWindow{MinRows: 5, HoldoutFrac: 0.1}, hourly(5), 0, 0, 4, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := Select(tc.w, tc.times, tc.changePoint)
			if err != nil {
				t.Fatal(err)
			}
			checkInvariants(t, tc.w, len(tc.times), s)
			if s.Lo != tc.lo || s.Hi != tc.hi {
				t.Errorf("Lo, Hi = %d, %d; want %d, %d", s.Lo, s.Hi, tc.lo, tc.hi)
			}
			if !strings.Contains(s.Why, tc.why) {
				t.Errorf("Why = %q, want it to contain %q", s.Why, tc.why)
			}
		})
	}
}

// TestSelectRecencyWeights checks a hand-computed example: four daily
// rows, the newest held out, half-life one day. Ages from the newest
// training row are 2, 1, 0 days: raw weights 1/4, 1/2, 1, sum 7/4, scaled
// by 3/(7/4) = 12/7.
func TestSelectRecencyWeights(t *testing.T) {
	t.Parallel()
	w := ml.DataWindow{Kind: ml.WindowRecencyWeighted, HalfLifeDays: 1, MinRows: 3, HoldoutFrac: 0.25}
	times := []int64{jan1, jan1 + msPerDay, jan1 + 2*msPerDay, jan1 + 3*msPerDay}
	s, err := Select(w, times, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, w, len(times), s)
	if s.Lo != 0 || s.Hi != 3 {
		t.Fatalf("Lo, Hi = %d, %d; want 0, 3", s.Lo, s.Hi)
	}
	want := []float64{3.0 / 7, 6.0 / 7, 12.0 / 7}
	for i := range want {
		if math.Abs(s.Weights[i]-want[i]) > 1e-12 {
			t.Fatalf("weights %v, want %v", s.Weights, want)
		}
	}
	if wantWhy := "recency-weighted: all 4 rows, half-life 1 day (2026-01-01 – 2026-01-04)"; s.Why != wantWhy {
		t.Errorf("Why = %q, want %q", s.Why, wantWhy)
	}

	// An infinite half-life weighs every row alike.
	w.HalfLifeDays = math.Inf(1)
	s, err = Select(w, times, 0)
	if err != nil {
		t.Fatal(err)
	}
	for _, x := range s.Weights {
		if x != 1 {
			t.Fatalf("weights %v, want all 1", s.Weights)
		}
	}
}

// TestSelectHoldout checks that the holdout is the newest rows of the
// window, outside [Lo, Hi), for every rule.
func TestSelectHoldout(t *testing.T) {
	t.Parallel()
	ts := hourly(3000)
	for _, w := range []ml.DataWindow{
		{},
		{Kind: ml.WindowSlidingRows, Rows: 1234, HoldoutFrac: 0.2},
		{Kind: ml.WindowSlidingDays, Days: 30, HoldoutFrac: 0.5},
		{Kind: ml.WindowDriftAware, HoldoutFrac: 0.05},
		{Kind: ml.WindowRecencyWeighted, HalfLifeDays: 7, HoldoutFrac: 0.3},
	} {
		s, err := Select(w, ts, ts[2000])
		if err != nil {
			t.Fatal(err)
		}
		checkInvariants(t, w, len(ts), s)
		frac := w.HoldoutFrac
		if frac == 0 {
			frac = ml.DefaultHoldoutFrac
		}
		m := len(ts) - s.Lo
		if got, want := len(ts)-s.HoldoutLo, int(math.Floor(frac*float64(m)+1e-9)); got != want {
			t.Errorf("%+v: holdout %d rows of %d, want %d", w, got, m, want)
		}
		for i := s.HoldoutLo; i < len(ts); i++ {
			if s.Lo <= i && i < s.Hi {
				t.Fatalf("%+v: held-out row %d trains", w, i)
			}
		}
	}
}

func TestSelectErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		w     ml.DataWindow
		times []int64
		msg   string
	}{
		{"too few rows", ml.DataWindow{}, hourly(120), "only 120 labeled rows; the window needs at least 200"},
		{"one row", ml.DataWindow{MinRows: 1500}, hourly(1), "only 1 labeled row; the window needs at least 1,500"},
		{"no rows", ml.DataWindow{}, nil, "no labeled rows; the window needs at least 200"},
		{"unsorted", ml.DataWindow{MinRows: 2}, []int64{jan1, jan1 + 5, jan1 + 4, jan1 + 6},
			"labeled rows are not in time order: row 2 (2026-01-01 00:00:00.004) is older than row 1 (2026-01-01 00:00:00.005)"},
		{"unsorted before too few", ml.DataWindow{}, []int64{2, 1}, "not in time order"},
		{"unknown kind", ml.DataWindow{Kind: "weekly"}, hourly(300), `window.kind "weekly"`},
		{"sliding rows without rows", ml.DataWindow{Kind: ml.WindowSlidingRows}, hourly(300), "window.rows 0"},
		{"sliding days without days", ml.DataWindow{Kind: ml.WindowSlidingDays, Days: math.NaN()}, hourly(300), "window.days NaN"},
		{"recency without half-life", ml.DataWindow{Kind: ml.WindowRecencyWeighted}, hourly(300), "window.half_life_days 0"},
		{"negative minimum", ml.DataWindow{MinRows: -1}, hourly(300), "window.min_rows -1"},
		{"holdout too large", ml.DataWindow{HoldoutFrac: 0.9}, hourly(300), "window.holdout_frac 0.9"},
		{"negative holdout", ml.DataWindow{HoldoutFrac: -0.1}, hourly(300), "window.holdout_frac -0.1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := Select(tc.w, tc.times, 0)
			var e *ml.Error
			if !errors.As(err, &e) || e.Code != ml.EINVALID {
				t.Fatalf("err = %v, want an *ml.Error with code %s", err, ml.EINVALID)
			}
			if !strings.Contains(e.Message, tc.msg) {
				t.Fatalf("message %q, want it to contain %q", e.Message, tc.msg)
			}
		})
	}
}

func TestChangePoint(t *testing.T) {
	t.Parallel()
	starts := []int64{100, 200, 300, 400, 500, 600}
	for _, tc := range []struct {
		name    string
		starts  []int64
		flagged []bool
		want    int64
		ok      bool
	}{
		{"none flagged", starts, []bool{false, false, false, false, false, false}, 0, false},
		{"no windows", nil, nil, 0, false},
		{"ongoing run", starts, []bool{false, true, false, true, true, true}, 400, true},
		{"newest alone", starts, []bool{true, false, false, false, false, true}, 600, true},
		{"ended run", starts, []bool{false, true, true, false, false, false}, 200, true},
		{"newest of two ended runs", starts, []bool{true, false, true, true, false, false}, 300, true},
		{"all flagged", starts, []bool{true, true, true, true, true, true}, 100, true},
		{"oldest only", starts, []bool{true, false, false, false, false, false}, 100, true},
		{"longer flags ignored", starts[:2], []bool{false, true, true}, 200, true},
		{"longer starts ignored", starts, []bool{true, true}, 100, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, ok := ChangePoint(tc.starts, tc.flagged)
			if got != tc.want || ok != tc.ok {
				t.Fatalf("ChangePoint = %d, %v; want %d, %v", got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]string{0: "0", 7: "7", 999: "999", 1000: "1,000", 4704: "4,704", 1234567: "1,234,567", -12345: "-12,345"} {
		if got := count(n); got != want {
			t.Errorf("count(%d) = %q, want %q", n, got, want)
		}
	}
}

// TestSelectTinyHalfLife: a half-life so short that ln 2/half-life
// overflows still weighs the newest training rows and nothing else.
func TestSelectTinyHalfLife(t *testing.T) {
	t.Parallel()
	w := ml.DataWindow{Kind: ml.WindowRecencyWeighted, HalfLifeDays: 5e-324, MinRows: 2}
	s, err := Select(w, []int64{1, 2, 2, 3}, 0)
	if err != nil {
		t.Fatal(err)
	}
	checkInvariants(t, w, 4, s)
	if want := []float64{0, 1.5, 1.5}; len(s.Weights) != 3 || s.Weights[0] != want[0] || s.Weights[1] != want[1] || s.Weights[2] != want[2] {
		t.Fatalf("weights %v, want %v", s.Weights, want)
	}
}
