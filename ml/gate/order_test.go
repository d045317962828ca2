package gate

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestOrder(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	for _, n := range []int{1, 2, 7, 300, 5000} {
		s := make([]float64, n)
		for i := range s {
			switch i % 4 {
			case 0:
				s[i] = r.NormFloat64() * 1e3
			case 1:
				s[i] = math.Round(r.Float64()*10) / 10 // ties
			case 2:
				s[i] = math.Copysign(0, -1)
			default:
				s[i] = -r.Float64()
			}
		}
		o := newOrder(s)
		want := make([]int32, n)
		for i := range want {
			want[i] = int32(i)
		}
		slices.SortStableFunc(want, func(a, b int32) int {
			x, y := s[a], s[b]
			if x == 0 {
				x = 0
			}
			if y == 0 {
				y = 0
			}
			switch {
			case x < y:
				return -1
			case x > y:
				return 1
			}
			return 0
		})
		if !slices.Equal(o.rows, want) {
			t.Fatalf("n=%d: order differs from a stable sort", n)
		}
		for j, i := range o.rows {
			if o.keys[j] != floatKey(s[i]) {
				t.Fatalf("n=%d: key %d does not belong to row %d", n, j, i)
			}
		}
	}
}

func TestOrderRestrict(t *testing.T) {
	t.Parallel()
	s := []float64{0.5, 0.1, 0.9, 0.3, 0.7, 0.2}
	o := newOrder(s)
	groups := [][]int32{{0, 2, 3}, {5, 1}}
	sub := o.restrict(len(s), groups)
	// Group 0 holds rows 0, 2, 3 (scores 0.5, 0.9, 0.3): ascending 3, 0, 2,
	// i.e. local 2, 0, 1. Group 1 holds rows 5, 1 (0.2, 0.1): 1, 5, local 1, 0.
	if !slices.Equal(sub[0].rows, []int32{2, 0, 1}) || !slices.Equal(sub[1].rows, []int32{1, 0}) {
		t.Errorf("restrict: %v, %v", sub[0].rows, sub[1].rows)
	}
	if sub[1].keys[0] != floatKey(0.1) {
		t.Errorf("restricted keys %v", sub[1].keys)
	}
}
