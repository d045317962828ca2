// Package benchdata reads the benchmark tables (bench/gen's CSV) and scores
// predictions, for the small programs under bench/.
package benchdata

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strconv"
	"strings"
)

// Table is a CSV file in column-major form: X[j][i] is feature j of row i
// (NaN where the field was empty); Y is the label column.
type Table struct {
	Names []string
	X     [][]float64
	Y     []float64
}

// ReadCSV reads path (gzip if it ends in .gz). Every column but label is a
// feature, in file order.
func ReadCSV(path, label string) (*Table, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var r io.Reader = bufio.NewReaderSize(f, 1<<20)
	if strings.HasSuffix(path, ".gz") {
		if r, err = gzip.NewReader(r); err != nil {
			return nil, err
		}
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, err
	}
	li := slices.Index(head, label)
	if li < 0 {
		return nil, fmt.Errorf("%s: no column %q", path, label)
	}
	t := &Table{}
	for j, n := range head {
		if j != li {
			t.Names = append(t.Names, n)
		}
	}
	t.X = make([][]float64, len(t.Names))
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			return t, nil
		}
		if err != nil {
			return nil, err
		}
		k := 0
		for j, s := range rec {
			v := math.NaN()
			if s != "" {
				if v, err = strconv.ParseFloat(s, 64); err != nil {
					return nil, fmt.Errorf("%s:%d: %v", path, line, err)
				}
			}
			if j == li {
				t.Y = append(t.Y, v)
				continue
			}
			t.X[k] = append(t.X[k], v)
			k++
		}
	}
}

// Rows returns rows [lo, hi) (sharing memory with t).
func (t *Table) Rows(lo, hi int) ([][]float64, []float64) {
	X := make([][]float64, len(t.X))
	for j, c := range t.X {
		X[j] = c[lo:hi]
	}
	return X, t.Y[lo:hi]
}

// Dense returns n rows in row-major order, repeating the table's rows
// (row i is table row i mod len(Y)).
func (t *Table) Dense(n int) []float64 {
	nf, m := len(t.X), len(t.Y)
	out := make([]float64, n*nf)
	for i := range n {
		for j, c := range t.X {
			out[i*nf+j] = c[i%m]
		}
	}
	return out
}

// AUC is the area under the ROC curve of scores p for labels y (ties get
// half credit).
func AUC(y, p []float64) float64 {
	idx := make([]int, len(y))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return cmpFloat(p[a], p[b]) })
	var pos, rankSum float64
	for i := 0; i < len(idx); {
		j := i
		for j < len(idx) && p[idx[j]] == p[idx[i]] {
			j++
		}
		avg := float64(i+j+1) / 2
		for _, k := range idx[i:j] {
			if y[k] > 0.5 {
				pos++
				rankSum += avg
			}
		}
		i = j
	}
	neg := float64(len(y)) - pos
	if pos == 0 || neg == 0 {
		return 0.5
	}
	return (rankSum - pos*(pos+1)/2) / (pos * neg)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
