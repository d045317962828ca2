package drift

import "github.com/freshet/freshet/ml/internal/fsort"

// sortFloats is ml/internal/fsort's radix sort.
var sortFloats = fsort.Floats

// sortedCopy returns a sorted copy of x, or an error if x holds a NaN.
func sortedCopy(x []float64) ([]float64, error) {
	out := make([]float64, len(x))
	for i, f := range x {
		if f != f {
			return nil, ErrNaN
		}
		out[i] = f
	}
	sortFloats(out)
	return out, nil
}
