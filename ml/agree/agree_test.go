package agree

import (
	"math"
	"testing"
)

func TestCohen(t *testing.T) {
	// 50 items: both yes 20, both no 15, a yes/b no 5, a no/b yes 10:
	// po = 0.7, pe = 0.5·0.6 + 0.5·0.4 = 0.5, kappa = 0.4.
	var a, b []float64
	add := func(x, y float64, n int) {
		for range n {
			a, b = append(a, x), append(b, y)
		}
	}
	add(1, 1, 20)
	add(0, 0, 15)
	add(1, 0, 5)
	add(0, 1, 10)
	if k := Cohen(a, b); math.Abs(k-0.4) > 1e-12 {
		t.Fatalf("kappa %v, want 0.4", k)
	}
	if k := Cohen([]float64{1, 1}, []float64{1, 1}); !math.IsNaN(k) {
		t.Fatalf("all one class: %v", k)
	}
}

// The worked example of Fleiss' kappa (Wikipedia's, from Fleiss 1971's
// layout): 10 items, 14 raters, 5 categories, kappa = 0.210.
func TestFleiss(t *testing.T) {
	counts := [][]int{
		{0, 0, 0, 0, 14}, {0, 2, 6, 4, 2}, {0, 0, 3, 5, 6}, {0, 3, 9, 2, 0}, {2, 2, 8, 1, 1},
		{7, 7, 0, 0, 0}, {3, 2, 6, 3, 0}, {2, 5, 3, 2, 2}, {6, 5, 2, 1, 0}, {0, 2, 2, 3, 7},
	}
	if k := Fleiss(counts); math.Abs(k-0.20993) > 5e-5 {
		t.Fatalf("kappa %v, want 0.210", k)
	}
	// Perfect agreement on two categories: 1.
	if k := Fleiss([][]int{{3, 0}, {0, 3}, {3, 0}}); math.Abs(k-1) > 1e-12 {
		t.Fatalf("perfect: %v", k)
	}
}
