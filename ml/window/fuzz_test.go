package window

import (
	"encoding/binary"
	"errors"
	"math"
	"testing"

	"github.com/freshet/freshet/ml"
)

// FuzzSelect checks Select's invariants on arbitrary rows and rules: it
// never panics, errors are EINVALID *ml.Errors, and a selection keeps
// 0 ≤ Lo ≤ Hi == HoldoutLo ≤ n with one weight per training row.
func FuzzSelect(f *testing.F) {
	f.Add([]byte{1, 2, 3, 0, 5, 9}, uint8(0), 3, 1.0, 1.0, 2, 0.1, int64(0))
	f.Add([]byte{0, 0, 0, 0, 200, 1}, uint8(3), 2, 0.5, 2.0, 3, 0.5, int64(4))
	f.Add([]byte{255, 255, 255, 255, 255, 255, 255, 127}, uint8(4), 1, 1e300, 1e-300, 1, 0.89, int64(-1))
	f.Fuzz(func(t *testing.T, steps []byte, kind uint8, rowsN int, days, halfLife float64, minRows int, holdout float64, cp int64) {
		// Times from byte steps: a step of 0xFF goes back in time (an
		// unsorted input); others go forward by up to about 1.5 days, and
		// every eighth byte may start a big jump.
		times := make([]int64, 0, len(steps))
		t0 := int64(binary.LittleEndian.Uint64(append(steps[:min(8, len(steps)):min(8, len(steps))], make([]byte, 8)...)))
		cur := t0 / 4
		for i, b := range steps {
			switch {
			case b == 0xFF:
				cur -= 1000
			case i%8 == 7:
				cur += int64(b) << 30
			default:
				cur += int64(b) * 500_000
			}
			times = append(times, cur)
		}
		kinds := []string{"", ml.WindowExpanding, ml.WindowSlidingRows, ml.WindowSlidingDays, ml.WindowDriftAware, ml.WindowRecencyWeighted, "bogus"}
		w := ml.DataWindow{
			Kind:         kinds[int(kind)%len(kinds)],
			Rows:         rowsN % 1000,
			Days:         days,
			HalfLifeDays: halfLife,
			MinRows:      minRows % 64,
			HoldoutFrac:  holdout,
		}
		s, err := Select(w, times, cp)
		if err != nil {
			var e *ml.Error
			if !errors.As(err, &e) || e.Code != ml.EINVALID || e.Message == "" {
				t.Fatalf("error %v, want an EINVALID *ml.Error", err)
			}
			return
		}
		n := len(times)
		if !(0 <= s.Lo && s.Lo <= s.Hi && s.Hi == s.HoldoutLo && s.HoldoutLo <= n) {
			t.Fatalf("bounds Lo=%d Hi=%d HoldoutLo=%d n=%d", s.Lo, s.Hi, s.HoldoutLo, n)
		}
		mr := w.MinRows
		if mr == 0 {
			mr = ml.DefaultMinRows
		}
		if n-s.Lo < mr {
			t.Fatalf("window of %d rows below the minimum %d", n-s.Lo, mr)
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
			if k := len(s.Weights); k > 0 && math.Abs(sum/float64(k)-1) > 1e-9 {
				t.Fatalf("mean weight %v", sum/float64(k))
			}
		} else if s.Weights != nil {
			t.Fatal("weights without recency_weighted")
		}
		if s.Why == "" {
			t.Fatal("no Why")
		}
	})
}
