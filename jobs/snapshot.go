package jobs

import (
	"bufio"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/store"
)

// Snapshot is the rows a trainer sees, column-major: features (categorical
// values as their codes), the label and the time in unix ms.
type Snapshot struct {
	Names []string
	X     [][]float64
	Y     []float64
	Time  []int64
}

// Len is the number of rows.
func (s *Snapshot) Len() int { return len(s.Y) }

// WriteCSV writes the snapshot with a header row: the features, then
// "label" as the model names it, then "time" (unix ms). Missing values are
// empty cells.
func (s *Snapshot) WriteCSV(path string, label string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	bw := bufio.NewWriterSize(f, 1<<16)
	w := csv.NewWriter(bw)
	rec := make([]string, len(s.Names)+2)
	copy(rec, s.Names)
	rec[len(s.Names)], rec[len(s.Names)+1] = label, "__time_ms"
	if err := w.Write(rec); err != nil {
		return err
	}
	for i := range s.Y {
		for j := range s.X {
			rec[j] = fmtCell(s.X[j][i])
		}
		rec[len(s.Names)] = fmtCell(s.Y[i])
		rec[len(s.Names)+1] = strconv.FormatInt(s.Time[i], 10)
		if err := w.Write(rec); err != nil {
			return err
		}
	}
	w.Flush()
	if err := w.Error(); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	return f.Close()
}

func fmtCell(v float64) string {
	if math.IsNaN(v) {
		return ""
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

// WriteParquet writes the same columns as WriteCSV as a zstd-compressed
// Parquet file: optional doubles (null = missing) and an int64 time.
func (s *Snapshot) WriteParquet(path string, label string) error {
	names := append(append([]string{}, s.Names...), label)
	group := parquet.Group{}
	for _, n := range names {
		group[n] = parquet.Optional(parquet.Compressed(parquet.Leaf(parquet.DoubleType), &zstd.Codec{}))
	}
	group["__time_ms"] = parquet.Compressed(parquet.Leaf(parquet.Int64Type), &zstd.Codec{})
	schema := parquet.NewSchema("snapshot", group)
	// parquet orders a group's columns by name: map each leaf to our column.
	src := make([]int, 0, len(names)+1) // index into names, or -1 for time
	for _, path := range schema.Columns() {
		n := path[0]
		switch {
		case n == "__time_ms":
			src = append(src, -1)
		default:
			k := -1
			for j, m := range names {
				if m == n {
					k = j
				}
			}
			if k < 0 {
				return fmt.Errorf("jobs: parquet column %q", n)
			}
			src = append(src, k)
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w := parquet.NewWriter(f, schema)
	const batch = 4096
	rows := make([]parquet.Row, 0, batch)
	for i := 0; i < s.Len(); i++ {
		row := make(parquet.Row, len(src))
		for c, k := range src {
			switch {
			case k < 0:
				row[c] = parquet.Int64Value(s.Time[i]).Level(0, 0, c)
			default:
				v := s.Y[i]
				if k < len(s.Names) {
					v = s.X[k][i]
				}
				if math.IsNaN(v) {
					row[c] = parquet.NullValue().Level(0, 0, c)
				} else {
					row[c] = parquet.DoubleValue(v).Level(0, 1, c)
				}
			}
		}
		rows = append(rows, row)
		if len(rows) == batch {
			if _, err := w.WriteRows(rows); err != nil {
				return fmt.Errorf("jobs: parquet: %w", err)
			}
			rows = rows[:0]
		}
	}
	if _, err := w.WriteRows(rows); err != nil {
		return fmt.Errorf("jobs: parquet: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("jobs: parquet: %w", err)
	}
	return f.Close()
}

// snapshotOf picks rows idx of columns for a snapshot.
func snapshotOf(m *ml.Model, X [][]float64, y []float64, t []int64, idx []int) *Snapshot {
	s := &Snapshot{Names: make([]string, len(m.Features)), X: make([][]float64, len(X)), Y: make([]float64, len(idx)), Time: make([]int64, len(idx))}
	for j, f := range m.Features {
		s.Names[j] = f.Name
		s.X[j] = make([]float64, len(idx))
		for i, k := range idx {
			s.X[j][i] = X[j][k]
		}
	}
	for i, k := range idx {
		s.Y[i], s.Time[i] = y[k], t[k]
	}
	return s
}

// labeledRange reads a model's labeled rows with ids in [from, to], in
// time order.
func labeledRange(ctx context.Context, db *store.DB, m *ml.Model, from, to int64) (train.Data, error) {
	fr, err := db.Scan(ctx, m, store.ScanFilter{AfterID: from - 1, ToID: to, LabeledOnly: true})
	if err != nil {
		return train.Data{}, err
	}
	return train.Data{X: fr.X, Y: fr.Label, Time: fr.Time, IDs: fr.ID}.TimeOrdered(), nil
}

// heldOutRows reads a recorded holdout back (see holdoutRecord): the
// labeled rows at or after row firstID in training order (time, then id),
// with ids up to toID, in that order. Training rows all come before row
// firstID in that order, so none is read, whatever ids they have.
func heldOutRows(ctx context.Context, db *store.DB, m *ml.Model, firstID, toID int64) (train.Data, error) {
	first, err := db.Scan(ctx, m, store.ScanFilter{AfterID: firstID - 1, ToID: firstID})
	if err != nil {
		return train.Data{}, err
	}
	if first.Len() != 1 {
		return train.Data{}, ml.Errorf(ml.ECONFLICT, "row %d, the first held-out row, is gone", firstID)
	}
	t0 := first.Time[0]
	fr, err := db.Scan(ctx, m, store.ScanFilter{From: t0, ToID: toID, LabeledOnly: true})
	if err != nil {
		return train.Data{}, err
	}
	d := train.Data{X: fr.X, Y: fr.Label, Time: fr.Time, IDs: fr.ID}.TimeOrdered()
	return d.Slice(orderedFrom(d, t0, firstID), d.Len()), nil
}

// orderedFrom is the index of the first row of d (in training order) at
// or after the row with time t and id id.
func orderedFrom(d train.Data, t, id int64) int {
	return sort.Search(d.Len(), func(k int) bool {
		return d.Time[k] > t || (d.Time[k] == t && d.IDs[k] >= id)
	})
}

// DataSnapshot reads back the rows of a data version: the labeled rows in
// its id range, in time order, less those at or after its first held-out
// row in training order (held-out rows, or rows labeled since, whose ids
// fall in the range when uploads overlap in time). Match reports whether
// they hash to the version's hash (they do not when labels changed since,
// when the window weighed its rows, or when older rows outside a sliding
// window have ids in the range).
func DataSnapshot(ctx context.Context, db *store.DB, m *ml.Model, dv ml.DataVersion) (snap *Snapshot, match bool, err error) {
	d, err := labeledRange(ctx, db, m, dv.FromID, dv.ToID)
	if err != nil {
		return nil, false, err
	}
	if dv.HoldoutRows > 0 {
		first, err := db.Scan(ctx, m, store.ScanFilter{AfterID: dv.HoldoutFromID - 1, ToID: dv.HoldoutFromID})
		if err != nil {
			return nil, false, err
		}
		if first.Len() == 1 {
			d = d.Slice(0, orderedFrom(d, first.Time[0], dv.HoldoutFromID))
		}
	}
	all := make([]int, d.Len())
	for i := range all {
		all[i] = i
	}
	return snapshotOf(m, d.X, d.Y, d.Time, all), dv.Hash != "" && d.Hash() == dv.Hash, nil
}
