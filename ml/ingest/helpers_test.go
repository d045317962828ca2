package ingest

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

// testModel has one feature of each kind, a label, a time and an entity
// column.
func testModel() *ml.Model {
	m := &ml.Model{
		Name: "t", Task: ml.TaskBinary, Label: "label", Time: "ts", Entity: "id",
		Features: []ml.Feature{
			{Name: "x", Type: ml.Numeric},
			{Name: "c", Type: ml.Categorical},
			{Name: "r", Type: ml.Categorical, Categories: []string{"a", "b"}, Unknown: ml.UnknownReject},
		},
	}
	m.Normalize()
	return m
}

func multiclassModel() *ml.Model {
	m := &ml.Model{Name: "mc", Task: ml.TaskMulticlass, Label: "y", Classes: []string{"cat", "dog", "7"},
		Features: []ml.Feature{{Name: "x", Type: ml.Numeric}}}
	m.Normalize()
	return m
}

func regressionModel() *ml.Model {
	m := &ml.Model{Name: "rg", Task: ml.TaskRegression, Label: "y",
		Features: []ml.Feature{{Name: "x", Type: ml.Numeric}}}
	m.Normalize()
	return m
}

// dump renders a batch one row per string, for comparisons.
func dump(m *ml.Model, b *ml.Batch) []string {
	var rows []string
	for i := range b.N {
		var sb strings.Builder
		fmt.Fprintf(&sb, "L%d t=%d", b.Line[i], b.Time[i])
		if b.Entity != nil {
			fmt.Fprintf(&sb, " id=%q", b.Entity[i])
		}
		for j, f := range m.Features {
			if f.Type == ml.Categorical {
				fmt.Fprintf(&sb, " %s=%q", f.Name, b.Cat[j][i])
			} else {
				fmt.Fprintf(&sb, " %s=%v", f.Name, b.Num[j][i])
			}
		}
		if b.Label != nil {
			fmt.Fprintf(&sb, " label=%v", b.Label[i])
		}
		rows = append(rows, sb.String())
	}
	return rows
}

func dumpLabels(b *ml.LabelBatch) []string {
	var rows []string
	for i := range b.Entity {
		rows = append(rows, fmt.Sprintf("L%d %s=%v", b.Line[i], b.Entity[i], b.Label[i]))
	}
	return rows
}

// issues returns the issues of an *ml.InputError as strings, failing the
// test for any other error.
func issues(t testing.TB, err error) []string {
	t.Helper()
	var ie *ml.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T), want *ml.InputError", err, err)
	}
	var out []string
	for _, is := range ie.Issues {
		out = append(out, is.String())
	}
	return out
}

func diff(t testing.TB, what string, got, want []string) {
	t.Helper()
	if !slices.Equal(got, want) {
		t.Errorf("%s:\ngot:\n\t%s\nwant:\n\t%s", what, strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
	}
}

// checkBatch checks the invariants every batch must hold.
func checkBatch(t testing.TB, m *ml.Model, b *ml.Batch) {
	t.Helper()
	if b.N <= 0 {
		t.Fatalf("batch with %d rows", b.N)
	}
	if len(b.Time) != b.N || len(b.Line) != b.N {
		t.Fatalf("N=%d, %d times, %d lines", b.N, len(b.Time), len(b.Line))
	}
	if len(b.Num) != len(m.Features) || len(b.Cat) != len(m.Features) {
		t.Fatalf("%d features, %d numeric and %d categorical columns", len(m.Features), len(b.Num), len(b.Cat))
	}
	for j, f := range m.Features {
		if f.Type == ml.Categorical {
			if b.Num[j] != nil || len(b.Cat[j]) != b.N {
				t.Fatalf("categorical feature %d: %d values", j, len(b.Cat[j]))
			}
			for _, v := range b.Cat[j] {
				if len(v) > MaxCategoryLen {
					t.Fatalf("category of %d bytes", len(v))
				}
				if f.Unknown == ml.UnknownReject && v != "" && !slices.Contains(f.Categories, v) {
					t.Fatalf("category %q not allowed", v)
				}
			}
		} else {
			if b.Cat[j] != nil || len(b.Num[j]) != b.N {
				t.Fatalf("numeric feature %d: %d values", j, len(b.Num[j]))
			}
			for _, v := range b.Num[j] {
				if math.IsInf(v, 0) {
					t.Fatalf("feature %d: %v", j, v)
				}
			}
		}
	}
	if b.Label != nil {
		if len(b.Label) != b.N {
			t.Fatalf("%d labels for %d rows", len(b.Label), b.N)
		}
		for _, v := range b.Label {
			checkLabel(t, m, v)
		}
	}
	if b.Entity != nil {
		if len(b.Entity) != b.N {
			t.Fatalf("%d entities for %d rows", len(b.Entity), b.N)
		}
		seen := map[string]bool{}
		for _, e := range b.Entity {
			if len(e) > MaxEntityLen || (e != "" && seen[e]) {
				t.Fatalf("entity %q too long or repeated", e)
			}
			seen[e] = true
		}
	}
	for i := 1; i < b.N; i++ {
		if b.Line[i] < b.Line[i-1] || b.Line[i] < 1 {
			t.Fatalf("lines %v not increasing", b.Line)
		}
	}
}

func checkLabel(t testing.TB, m *ml.Model, v float64) {
	t.Helper()
	if math.IsNaN(v) {
		return
	}
	switch m.Task {
	case ml.TaskBinary:
		if v != 0 && v != 1 {
			t.Fatalf("binary label %v", v)
		}
	case ml.TaskMulticlass:
		if v != math.Trunc(v) || v < 0 || int(v) >= len(m.Classes) {
			t.Fatalf("class %v", v)
		}
	default:
		if math.IsInf(v, 0) {
			t.Fatalf("label %v", v)
		}
	}
}
