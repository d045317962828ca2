package ingest

import (
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

func TestParseNDJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		model  *ml.Model
		opt    Options
		in     string
		want   []string
		issues []string
	}{
		{
			name: "value types, blank lines, BOM, CRLF",
			in: "\ufeff" + `{"ts":1,"id":"e1","x":1.5,"c":"u","r":"a","label":1}` + "\r\n" +
				"   \n" +
				`{"label":true,"r":null,"c":3,"x":"2.5","id":7,"ts":"1970-01-01T00:00:02Z"}` + "\n" +
				`{"ts":3.5,"x":null,"c":false,"r":"b","label":null,"id":null}` + "\n\n",
			want: []string{
				`L1 t=1000 id="e1" x=1.5 c="u" r="a" label=1`,
				`L3 t=2000 id="7" x=2.5 c="3" r="" label=1`,
				`L4 t=3500 id="" x=NaN c="false" r="b" label=NaN`,
			},
		},
		{
			name: "label and entity keys on later rows only",
			in:   `{"ts":1,"x":1,"c":"u","r":"a"}` + "\n" + `{"ts":2,"x":1,"c":"u","r":"a","label":"0","id":"e"}`,
			want: []string{`L1 t=1000 id="" x=1 c="u" r="a" label=NaN`, `L2 t=2000 id="e" x=1 c="u" r="a" label=0`},
		},
		{
			name: "escapes",
			in:   `{"\u0074s":1,"x":"\u0031","c":"caf\u00e9 \"q\"","r":"\u0061"}`,
			want: []string{`L1 t=1000 x=1 c="café \"q\"" r="a"`},
		},
		{
			name: "numeric strings and missing spellings",
			in:   `{"ts":1,"x":"NA","c":"","r":""}` + "\n" + `{"ts":2,"x":"nan","c":"u","r":"a"}` + "\n" + `{"ts":3,"x":" 7 ","c":"u","r":"a"}`,
			want: []string{`L1 t=1000 x=NaN c="" r=""`, `L2 t=2000 x=NaN c="u" r="a"`, `L3 t=3000 x=7 c="u" r="a"`},
		},
		{
			name: "bad values, columns counted in characters",
			in: `{"ts":1,"x":"abc","c":"u","r":"a"}` + "\n" +
				`{"c":"é€","ts":2,"x":true,"r":"a"}` + "\n" +
				`  {"ts":3,"x":1,"c":{"a":1},"r":["a"]}` + "\n" +
				`{"ts":4,"x":1e999,"c":"u","r":"z"}`,
			issues: []string{
				`line 1, column 13 (x): "abc" is not a number`,
				`line 2, column 22 (x): expected a number, got a boolean`,
				`line 3, column 21 (c): expected a string, got an object`,
				`line 3, column 33 (r): expected a string, got an array`,
				`line 4, column 13 (x): "1e999" is not a number`,
				`line 4, column 31 (r): "z" is not an allowed value: use one of "a", "b"`,
			},
		},
		{
			name: "keys",
			in: `  {"ts":1,"c":"u","r":"a"}` + "\n" +
				`{"ts":2,"x":1,"c":"u","r":"a","zz":1}` + "\n" +
				`{"ts":3,"x":1,"x":2,"c":"u","r":"a"}` + "\n" +
				`{"x":1,"c":"u","r":"a"}`,
			issues: []string{
				`line 1, column 3 (x): missing key "x"`,
				`line 2, column 31 (zz): unknown key "zz": not a feature, label, time or entity column of the model`,
				`line 3, column 15 (x): duplicate key "x"`,
				`line 4, column 1 (ts): missing key "ts"`,
			},
		},
		{
			name: "timestamps",
			in:   `{"ts":null,"x":1,"c":"u","r":"a"}` + "\n" + `{"ts":"soon","x":1,"c":"u","r":"a"}` + "\n" + `{"ts":true,"x":1,"c":"u","r":"a"}`,
			issues: []string{
				`line 1, column 7 (ts): missing timestamp`,
				`line 2, column 7 (ts): bad timestamp "soon": use RFC 3339 (2006-01-02T15:04:05Z), 2006-01-02 15:04:05, 2006-01-02 or unix seconds`,
				`line 3, column 7 (ts): expected a timestamp, got a boolean`,
			},
		},
		{
			name: "entities",
			in: `{"ts":1,"x":1,"c":"u","r":"a","id":5}` + "\n" + `{"ts":2,"x":1,"c":"u","r":"a","id":"5"}` + "\n" +
				`{"ts":3,"x":1,"c":"u","r":"a","id":false}`,
			issues: []string{
				`line 2, column 36 (id): duplicate entity id "5" (first on line 1)`,
				`line 3, column 36 (id): expected a string or number as entity id, got a boolean`,
			},
		},
		{
			name:   "required entity",
			opt:    Options{RequireEntity: true},
			in:     `{"ts":1,"x":1,"c":"u","r":"a","id":"e"}` + "\n" + `{"ts":2,"x":1,"c":"u","r":"a"}` + "\n" + `{"ts":3,"x":1,"c":"u","r":"a","id":""}`,
			issues: []string{`line 2, column 1 (id): missing key "id"`, `line 3, column 36 (id): missing entity id`},
		},
		{
			name:  "multiclass labels as numbers and strings",
			model: multiclassModel(),
			in:    `{"x":1,"y":"dog"}` + "\n" + `{"x":1,"y":7}` + "\n" + `{"x":1,"y":7.0}` + "\n" + `{"x":1,"y":"7"}`,
			issues: []string{
				`line 3, column 12 (y): label "7.0" is not a class: use one of "cat", "dog", "7"`,
			},
		},
		{
			name:   "binary labels",
			in:     `{"ts":1,"x":1,"c":"u","r":"a","label":"yes"}` + "\n" + `{"ts":1,"x":1,"c":"u","r":"a","label":2}`,
			issues: []string{`line 1, column 39 (label): label "yes": use 0 or 1 (or true or false)`, `line 2, column 39 (label): label "2": use 0 or 1 (or true or false)`},
		},
		{
			name: "syntax",
			in:   `{"ts":1,"x":}` + "\n" + `{"ts":1` + "\n" + `[1]` + "\n" + `  "x"` + "\n" + `{"a":"é"} x`,
			issues: []string{
				`line 1, column 13: bad JSON: invalid character '}' looking for beginning of value`,
				`line 2, column 8: bad JSON: unexpected end of JSON input`,
				`line 3, column 1: expected a JSON object, got an array`,
				`line 4, column 3: expected a JSON object, got a string`,
				`line 5, column 11: bad JSON: invalid character 'x' after top-level value`,
			},
		},
		{
			name:   "too many rows",
			opt:    Options{MaxRows: 1},
			in:     `{"ts":1,"x":1,"c":"u","r":"a"}` + "\n\n" + `{"ts":2,"x":1,"c":"u","r":"a"}` + "\n" + `{"bad":1}`,
			issues: []string{`line 3: too many rows: at most 1 per request`},
		},
		{
			name: "long line",
			in:   `{"ts":1,` + strings.Repeat(" ", 200_000) + `"x":1,"c":"u","r":"a"}` + "\n" + `{"ts":2,"x":1,"c":"u","r":"a"}`,
			want: []string{`L1 t=1000 x=1 c="u" r="a"`, `L2 t=2000 x=1 c="u" r="a"`},
		},
		{name: "empty", in: "", issues: []string{"no rows"}},
		{name: "blank", in: "\n \n\t\n", issues: []string{"no rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := tt.model
			if m == nil {
				m = testModel()
			}
			b, err := ParseNDJSON(strings.NewReader(tt.in), m, tt.opt)
			if tt.issues != nil {
				if b != nil {
					t.Errorf("got a batch with an error")
				}
				diff(t, "issues", issues(t, err), tt.issues)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkBatch(t, m, b)
			diff(t, "rows", dump(m, b), tt.want)
		})
	}
}

func TestParseJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		opt    Options
		in     string
		want   []string
		issues []string
	}{
		{
			name: "array over lines",
			in:   "\ufeff[\n  {\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"},\n  {\"ts\":2,\n   \"x\":2,\"c\":\"é\",\"r\":\"b\",\"label\":0}\n]\n",
			want: []string{`L2 t=1000 x=1 c="u" r="a" label=NaN`, `L3 t=2000 x=2 c="é" r="b" label=0`},
		},
		{
			name: "wrapper object",
			in:   `{"observations": [{"ts":1,"x":1,"c":"u","r":"a"}]}`,
			want: []string{`L1 t=1000 x=1 c="u" r="a"`},
		},
		{
			name: "positions inside multi-line objects",
			in: "[\n  {\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"},\n  {\"ts\":2,\n   \"x\":\"abc\",\"c\":\"u\",\"r\":\"a\"},\n" +
				"{\"c\":\"é\",\"ts\":3,\"x\":1,\"r\":\"z\"}, {\"ts\":4,\"c\":\"u\",\"r\":\"a\"}\n]",
			issues: []string{
				`line 4, column 8 (x): "abc" is not a number`,
				`line 5, column 27 (r): "z" is not an allowed value: use one of "a", "b"`,
				`line 5, column 33 (x): missing key "x"`,
			},
		},
		{
			name:   "not objects",
			in:     `[1, "a", [], null, {"ts":1,"x":1,"c":"u","r":"a"}]`,
			issues: []string{`line 1, column 2: expected a JSON object, got a number`, `line 1, column 5: expected a JSON object, got a string`, `line 1, column 10: expected a JSON object, got an array`, `line 1, column 14: expected a JSON object, got null`},
		},
		{
			name:   "syntax error in an element",
			in:     "[{\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"},\n {\"ts\":1,\"x\":x}]",
			issues: []string{`line 2, column 14: bad JSON: invalid character 'x' looking for beginning of value`},
		},
		{
			name:   "missing comma",
			in:     "[{\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"}\n {\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"}]",
			issues: []string{`line 2, column 2: bad JSON: expected comma after array element`},
		},
		{
			name:   "truncated",
			in:     "[{\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"},\n {\"ts\":1,",
			issues: []string{`line 2, column 10: bad JSON: unexpected end of input`},
		},
		{
			name:   "truncated after an element",
			in:     "[{\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"}",
			issues: []string{`line 1, column 32: bad JSON: unexpected end of input`},
		},
		{
			name:   "trailing data",
			in:     `[{"ts":1,"x":1,"c":"u","r":"a"}] []`,
			issues: []string{`line 1, column 34: unexpected data after the JSON value`},
		},
		{
			name:   "trailing number",
			in:     "[{\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"}]\n  12",
			issues: []string{`line 2, column 3: unexpected data after the JSON value`},
		},
		{
			name:   "trailing garbage",
			in:     `[{"ts":1,"x":1,"c":"u","r":"a"}] x`,
			issues: []string{`line 1, column 34: bad JSON: invalid character 'x' looking for beginning of value`},
		},
		{
			name:   "unknown wrapper key",
			in:     `{"obs": []}`,
			issues: []string{`line 1, column 2 (obs): unknown key "obs": expected a JSON array of objects or {"observations": [...]}`},
		},
		{
			name:   "wrapper not an array",
			in:     `{"observations": {"ts":1}}`,
			issues: []string{`line 1, column 18 (observations): "observations" must be an array of objects`},
		},
		{
			name:   "duplicate wrapper key",
			in:     `{"observations": [{"ts":1,"x":1,"c":"u","r":"a"}], "observations": []}`,
			issues: []string{`line 1, column 52 (observations): duplicate key "observations"`},
		},
		{
			name:   "scalar",
			in:     ` 15`,
			issues: []string{`line 1, column 2: expected a JSON array of objects or {"observations": [...]}`},
		},
		{
			name:   "string",
			in:     ` "abc"`,
			issues: []string{`line 1, column 2: expected a JSON array of objects or {"observations": [...]}`},
		},
		{
			name:   "wrapper holds a string",
			in:     `{"observations": "abc"}`,
			issues: []string{`line 1, column 18 (observations): "observations" must be an array of objects`},
		},
		{
			name:   "wrapper holds a number",
			in:     `{"observations": -12.5e3}`,
			issues: []string{`line 1, column 18 (observations): "observations" must be an array of objects`},
		},
		{
			name:   "wrapper holds false",
			in:     `{"observations":false}`,
			issues: []string{`line 1, column 17 (observations): "observations" must be an array of objects`},
		},
		{
			name:   "too many rows",
			opt:    Options{MaxRows: 1},
			in:     "[\n{\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"},\n{\"ts\":2,\"x\":1,\"c\":\"u\",\"r\":\"a\"}, {\"bad\":1}",
			issues: []string{`line 3: too many rows: at most 1 per request`},
		},
		{
			name:   "huge number for the wrapper",
			in:     `{"observations": 2e400}`,
			issues: []string{`line 1, column 18: bad JSON: number out of range`},
		},
		{
			name:   "huge number at the top",
			in:     "\n -2e400 ",
			issues: []string{`line 2, column 2: bad JSON: number out of range`},
		},
		{name: "empty", in: "", issues: []string{"no rows"}},
		{name: "empty array", in: " [ ] ", issues: []string{"no rows"}},
		{name: "empty object", in: "{}", issues: []string{"no rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := testModel()
			b, err := ParseJSON(strings.NewReader(tt.in), m, tt.opt)
			if tt.issues != nil {
				if b != nil {
					t.Errorf("got a batch with an error")
				}
				diff(t, "issues", issues(t, err), tt.issues)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			checkBatch(t, m, b)
			diff(t, "rows", dump(m, b), tt.want)
		})
	}
}

func TestParseLabelsJSON(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		ndjson bool
		in     string
		want   []string
		issues []string
	}{
		{name: "array", in: `[{"id":"e1","label":1},{"label":false,"id":2}]`, want: []string{"L1 e1=1", "L1 2=0"}},
		{name: "wrapper", in: `{"labels":[{"id":"e1","label":"1"}]}`, want: []string{"L1 e1=1"}},
		{name: "ndjson", ndjson: true, in: "{\"id\":\"e1\",\"label\":1}\n{\"id\":\"e2\",\"label\":0}\n", want: []string{"L1 e1=1", "L2 e2=0"}},
		{
			name:   "bad rows",
			ndjson: true,
			in:     `{"id":"e1","label":1}` + "\n" + `{"id":"e1","label":1}` + "\n" + `{"label":1}` + "\n" + `{"id":"e3","label":null}` + "\n" + `{"id":"e4","label":1,"x":1}`,
			issues: []string{
				`line 2, column 7 (id): duplicate entity id "e1" (first on line 1)`,
				`line 3, column 1 (id): missing key "id"`,
				`line 4, column 20 (label): missing label`,
				`line 5, column 22 (x): unknown key "x": labels have only "id" and "label"`,
			},
		},
		{name: "observations wrapper", in: `{"observations":[]}`, issues: []string{`line 1, column 2 (observations): unknown key "observations": expected a JSON array of objects or {"labels": [...]}`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			parse := ParseLabelsJSON
			if tt.ndjson {
				parse = ParseLabelsNDJSON
			}
			lb, err := parse(strings.NewReader(tt.in), testModel(), Options{})
			if tt.issues != nil {
				if lb != nil {
					t.Errorf("got labels with an error")
				}
				diff(t, "issues", issues(t, err), tt.issues)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			diff(t, "labels", dumpLabels(lb), tt.want)
		})
	}
}
