package mvdrift

import (
	"errors"
	"fmt"
)

// Errors returned for malformed input.
var (
	// ErrNoColumns is returned for data without any column.
	ErrNoColumns = errors.New("mvdrift: no columns")
	// ErrRagged is returned when columns differ in length.
	ErrRagged = errors.New("mvdrift: columns differ in length")
	// ErrTooFewRows is returned when a sample is too small for the method.
	ErrTooFewRows = errors.New("mvdrift: too few rows")
)

// shape checks that x is a non-empty set of equally long columns and
// returns the row count.
func shape(x [][]float64) (int, error) {
	if len(x) == 0 {
		return 0, ErrNoColumns
	}
	n := len(x[0])
	for j := range x {
		if len(x[j]) != n {
			return 0, fmt.Errorf("%w: column %d has %d rows, column 0 has %d", ErrRagged, j, len(x[j]), n)
		}
	}
	return n, nil
}

// checkCategorical checks the categorical flags against d columns; nil
// means every column is numeric.
func checkCategorical(categorical []bool, d int) error {
	if categorical != nil && len(categorical) != d {
		return fmt.Errorf("mvdrift: %d categorical flags for %d columns", len(categorical), d)
	}
	return nil
}

func isCat(categorical []bool, j int) bool { return categorical != nil && categorical[j] }
