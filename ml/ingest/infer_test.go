package ingest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

func TestInferSchemaElec2(t *testing.T) {
	t.Parallel()
	in, err := InferSchema(bytes.NewReader(elec2CSV(500)), 3)
	if err != nil {
		t.Fatal(err)
	}
	if in.Rows != 500 || len(in.Preview) != 3 || in.Preview[0][0] != "1996-05-07T00:30" {
		t.Errorf("rows %d, preview %q", in.Rows, in.Preview)
	}
	if in.Label != "label" || in.Time != "ts" || in.Entity != "" {
		t.Errorf("label %q, time %q, entity %q", in.Label, in.Time, in.Entity)
	}
	var types []string
	for _, c := range in.Columns {
		types = append(types, fmt.Sprintf("%s:%s", c.Name, c.Type))
	}
	diff(t, "types", types, []string{
		"ts:categorical", "day:numeric", "period:numeric", "nswprice:numeric", "nswdemand:numeric",
		"vicprice:numeric", "vicdemand:numeric", "transfer:numeric", "label:numeric",
	})
	day := in.Columns[1]
	if day.Distinct != 7 || day.Min != 1 || day.Max != 7 || day.Missing != 0 || strings.Join(day.Examples, " ") != "1 2 3 4 5" {
		t.Errorf("day: %+v", day)
	}
	if _, err := json.Marshal(in); err != nil {
		t.Errorf("Inferred does not encode as JSON: %v", err)
	}
	if ts := in.Columns[0]; ts.DistinctCapped || ts.Distinct != 500 || ts.Min != 0 || ts.Max != 0 {
		t.Errorf("ts: %+v", ts)
	}
}

func TestInferSchema(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                string
		in                  string
		label, time, entity string
		types               string
		issues              []string
		check               func(t *testing.T, in *Inferred)
	}{
		{
			name:  "roles by name, any case",
			in:    "ID,Target,Date,x\n1,a,2024-01-02,1\n2,b,2024-01-01,2\n3,c,2024-01-03,3\n",
			label: "Target", time: "Date", entity: "ID",
			types: "numeric categorical categorical numeric",
		},
		{
			name:  "roles by values",
			in:    "key,at,x,y\na,100,1.5,no\nb,200,2.5,yes\nc,200,,no\n",
			label: "y", time: "at", entity: "key",
			types: "categorical numeric numeric categorical",
			check: func(t *testing.T, in *Inferred) {
				x := in.Columns[2]
				if x.Missing != 1 || x.Min != 1.5 || x.Max != 2.5 || x.Distinct != 2 {
					t.Errorf("x: %+v", x)
				}
			},
		},
		{
			name:  "no good guesses",
			in:    "id,a,b\n1,5,x\n1,4,y\n2,3,z\n",
			types: "numeric numeric categorical",
		},
		{
			name:  "a time named column must parse",
			in:    "date,x,label\nmonday,2,1\ntuesday,1,0\n",
			label: "label",
			types: "categorical numeric numeric",
		},
		{
			name:  "missing values",
			in:    "a,b\n,NA\nnull,1\nNaN,x\n",
			label: "b", // the last column, two distinct values
			types: "numeric categorical",
			check: func(t *testing.T, in *Inferred) {
				if a := in.Columns[0]; a.Missing != 3 || a.Distinct != 0 || a.Min != 0 || a.Max != 0 {
					t.Errorf("a: %+v", a)
				}
				if b := in.Columns[1]; b.Missing != 1 || b.Distinct != 2 || strings.Join(b.Examples, ",") != "1,x" {
					t.Errorf("b: %+v", b)
				}
			},
		},
		{
			name:   "duplicate and empty names",
			in:     "a,b,a,\n1,2,3,4\n",
			issues: []string{`line 1, column 3 (a): duplicate column "a" (also column 1)`, `line 1, column 4: column has no name`},
		},
		{name: "ragged", in: "a,b\n1,2\n3\n", issues: []string{"line 3: row has 1 fields, the header has 2"}},
		{name: "bad quoting", in: "a,b\n1,\"2\n", issues: []string{`line 2: bad CSV: extraneous or missing " in quoted-field (byte 6 of the line)`}},
		{name: "empty", in: "", issues: []string{"no rows"}},
		{name: "header only", in: "\ufeffa,b\n", issues: []string{"no rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			in, err := InferSchema(strings.NewReader(tt.in), 10)
			if tt.issues != nil {
				diff(t, "issues", issues(t, err), tt.issues)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if in.Label != tt.label || in.Time != tt.time || in.Entity != tt.entity {
				t.Errorf("label %q, time %q, entity %q; want %q, %q, %q", in.Label, in.Time, in.Entity, tt.label, tt.time, tt.entity)
			}
			var types []string
			for _, c := range in.Columns {
				types = append(types, string(c.Type))
			}
			if got := strings.Join(types, " "); got != tt.types {
				t.Errorf("types %q, want %q", got, tt.types)
			}
			if tt.check != nil {
				tt.check(t, in)
			}
		})
	}
}

func TestInferSchemaCaps(t *testing.T) {
	t.Parallel()
	var sb strings.Builder
	sb.WriteString("id,v,w\n")
	for i := range 3000 {
		fmt.Fprintf(&sb, "%d,v%d,%d\n", i, i, i%7+1)
	}
	in, err := InferSchema(strings.NewReader(sb.String()), 2)
	if err != nil {
		t.Fatal(err)
	}
	v, w := in.Columns[1], in.Columns[2]
	if !v.DistinctCapped || v.Distinct != MaxDistinct || len(v.Examples) != maxExamples || v.Type != ml.Categorical {
		t.Errorf("v: distinct %d, capped %v, %d examples, %s", v.Distinct, v.DistinctCapped, len(v.Examples), v.Type)
	}
	if w.Distinct != 7 || w.Type != ml.Numeric || w.Min != 1 || w.Max != 7 {
		t.Errorf("w: %+v", w)
	}
	// id is unique (so the entity) and increasing (but taken already).
	if in.Entity != "id" || in.Time != "" || in.Rows != 3000 || len(in.Preview) != 2 {
		t.Errorf("entity %q, time %q, rows %d, preview %d", in.Entity, in.Time, in.Rows, len(in.Preview))
	}
}
