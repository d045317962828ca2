package ingest

import (
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

func TestParseCSV(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 128) + "x" // 257 bytes
	tests := []struct {
		name   string
		model  *ml.Model // testModel when nil
		opt    Options
		in     string
		want   []string // rows, as dump renders them
		issues []string
	}{
		{
			name: "all columns",
			in:   "ts,id,x,c,r,label\n1,e1,1.5,u,a,1\n2,e2,,,b,\n3,,NA,v,,false\n",
			want: []string{
				`L2 t=1000 id="e1" x=1.5 c="u" r="a" label=1`,
				`L3 t=2000 id="e2" x=NaN c="" r="b" label=NaN`,
				`L4 t=3000 id="" x=NaN c="v" r="" label=0`,
			},
		},
		{
			name: "any order, BOM, CRLF, no label, no entity, no final newline",
			in:   "\ufeffr,c,x,ts\r\na,u,1,5\r\nb,w,2,6",
			want: []string{`L2 t=5000 x=1 c="u" r="a"`, `L3 t=6000 x=2 c="w" r="b"`},
		},
		{
			name: "spaces around header names and numbers",
			in:   " ts , x ,c,r\n 1 , 2.5 ,u,a\n",
			want: []string{`L2 t=1000 x=2.5 c="u" r="a"`},
		},
		{
			name: "RFC 4180 quoting, blank lines",
			in:   "ts,x,c,r\n1,2,\"multi\nline\",a\n\n2,3,\"q\"\"uote, comma\",b\n",
			want: []string{`L2 t=1000 x=2 c="multi\nline" r="a"`, `L5 t=2000 x=3 c="q\"uote, comma" r="b"`},
		},
		{
			name:   "line of a field after a multi-line field",
			in:     "ts,x,c,r\n1,2,\"a\nb\",zz\n",
			issues: []string{`line 3, column 4 (r): "zz" is not an allowed value: use one of "a", "b"`},
		},
		{
			name:   "line after a multi-line record",
			in:     "ts,x,c,r\n1,2,\"a\nb\",a\n2,abc,u,a\n",
			issues: []string{`line 4, column 2 (x): "abc" is not a number`},
		},
		{
			name: "missing numbers",
			in:   "ts,x,c,r\n1,,u,a\n2,NA,u,a\n3,NaN,u,a\n4,nan,u,a\n5,null,u,a\n6,-0,u,a\n7,1e3,u,a\n",
			want: []string{
				`L2 t=1000 x=NaN c="u" r="a"`, `L3 t=2000 x=NaN c="u" r="a"`, `L4 t=3000 x=NaN c="u" r="a"`,
				`L5 t=4000 x=NaN c="u" r="a"`, `L6 t=5000 x=NaN c="u" r="a"`, `L7 t=6000 x=-0 c="u" r="a"`,
				`L8 t=7000 x=1000 c="u" r="a"`,
			},
		},
		{
			name: "bad numbers",
			in:   "ts,x,c,r\n1,abc,u,a\n2,inf,u,a\n3,-Infinity,u,a\n4,1e400,u,a\n5,\"1,5\",u,a\n",
			issues: []string{
				`line 2, column 2 (x): "abc" is not a number`,
				`line 3, column 2 (x): "inf" is not a number`,
				`line 4, column 2 (x): "-Infinity" is not a number`,
				`line 5, column 2 (x): "1e400" is not a number`,
				`line 6, column 2 (x): "1,5" is not a number`,
			},
		},
		{
			name: "categories",
			in:   "ts,x,c,r\n1,1,,a\n2,1, u ,b\n3,1,\"\",\n",
			want: []string{`L2 t=1000 x=1 c="" r="a"`, `L3 t=2000 x=1 c=" u " r="b"`, `L4 t=3000 x=1 c="" r=""`},
		},
		{
			name: "bad categories",
			in:   "ts,x,c,r\n1,1,u,A\n2,1," + long + ",a\n3,1,\xff,a\n",
			issues: []string{
				`line 2, column 4 (r): "A" is not an allowed value: use one of "a", "b"`,
				`line 3, column 3 (c): value is 257 bytes long, at most 256`,
				`line 4, column 3 (c): value is not valid UTF-8`,
			},
		},
		{
			name: "binary labels",
			in:   "ts,x,c,r,label\n1,1,u,a,0\n2,1,u,a,1\n3,1,u,a,true\n4,1,u,a,FALSE\n5,1,u,a,1.0\n6,1,u,a,NA\n7,1,u,a,null\n8,1,u,a, 1 \n",
			want: []string{
				`L2 t=1000 x=1 c="u" r="a" label=0`, `L3 t=2000 x=1 c="u" r="a" label=1`,
				`L4 t=3000 x=1 c="u" r="a" label=1`, `L5 t=4000 x=1 c="u" r="a" label=0`,
				`L6 t=5000 x=1 c="u" r="a" label=1`, `L7 t=6000 x=1 c="u" r="a" label=NaN`,
				`L8 t=7000 x=1 c="u" r="a" label=NaN`, `L9 t=8000 x=1 c="u" r="a" label=1`,
			},
		},
		{
			name: "bad binary labels",
			in:   "ts,x,c,r,label\n1,1,u,a,yes\n2,1,u,a,2\n3,1,u,a,-1\n",
			issues: []string{
				`line 2, column 5 (label): label "yes": use 0 or 1 (or true or false)`,
				`line 3, column 5 (label): label "2": use 0 or 1 (or true or false)`,
				`line 4, column 5 (label): label "-1": use 0 or 1 (or true or false)`,
			},
		},
		{
			name:  "multiclass labels, no time column",
			model: multiclassModel(),
			opt:   Options{Now: 42},
			in:    "x,y\n1,cat\n2,dog\n3,7\n4,\n",
			want:  []string{`L2 t=42 x=1 label=0`, `L3 t=42 x=2 label=1`, `L4 t=42 x=3 label=2`, `L5 t=42 x=4 label=NaN`},
		},
		{
			name:   "bad multiclass label",
			model:  multiclassModel(),
			in:     "x,y\n1,bird\n",
			issues: []string{`line 2, column 2 (y): label "bird" is not a class: use one of "cat", "dog", "7"`},
		},
		{
			name:  "regression labels",
			model: regressionModel(),
			in:    "x,y\n1,3.25\n2,\n3,-1e2\n",
			want:  []string{`L2 t=0 x=1 label=3.25`, `L3 t=0 x=2 label=NaN`, `L4 t=0 x=3 label=-100`},
		},
		{
			name:   "bad regression labels",
			model:  regressionModel(),
			in:     "x,y\n1,abc\n2,inf\n",
			issues: []string{`line 2, column 2 (y): "abc" is not a number`, `line 3, column 2 (y): "inf" is not a number`},
		},
		{
			name: "timestamps",
			in: "ts,x,c,r\n1996-05-07T00:30,1,u,a\n1996-05-07 00:30:15,1,u,a\n1996-05-07,1,u,a\n" +
				"1996-05-07T02:30:00+02:00,1,u,a\n1996-05-07T00:30:00.123Z,1,u,a\n831429000.5,1,u,a\n",
			want: []string{
				`L2 t=831429000000 x=1 c="u" r="a"`, `L3 t=831429015000 x=1 c="u" r="a"`,
				`L4 t=831427200000 x=1 c="u" r="a"`, `L5 t=831429000000 x=1 c="u" r="a"`,
				`L6 t=831429000123 x=1 c="u" r="a"`, `L7 t=831429000500 x=1 c="u" r="a"`,
			},
		},
		{
			name: "bad timestamps",
			in:   "ts,x,c,r\nyesterday,1,u,a\n,1,u,a\n1996-02-30,1,u,a\n",
			issues: []string{
				`line 2, column 1 (ts): bad timestamp "yesterday": use RFC 3339 (2006-01-02T15:04:05Z), 2006-01-02 15:04:05, 2006-01-02 or unix seconds`,
				`line 3, column 1 (ts): missing timestamp`,
				`line 4, column 1 (ts): bad timestamp "1996-02-30": use RFC 3339 (2006-01-02T15:04:05Z), 2006-01-02 15:04:05, 2006-01-02 or unix seconds`,
			},
		},
		{
			name: "entities",
			in:   "ts,id,x,c,r\n1,e1,1,u,a\n2,e2,1,u,a\n3,e1,1,u,a\n4," + strings.Repeat("e", 201) + ",1,u,a\n",
			issues: []string{
				`line 4, column 2 (id): duplicate entity id "e1" (first on line 2)`,
				`line 5, column 2 (id): entity id is 201 bytes long, at most 200`,
			},
		},
		{
			name:   "required entity column",
			opt:    Options{RequireEntity: true},
			in:     "ts,x,c,r\n1,1,u,a\n",
			issues: []string{`line 1 (id): missing column "id"`},
		},
		{
			name:   "required entity value",
			opt:    Options{RequireEntity: true},
			in:     "ts,id,x,c,r\n1,e1,1,u,a\n2,,1,u,a\n",
			issues: []string{`line 3, column 2 (id): missing entity id`},
		},
		{
			name: "header problems",
			in:   "ts,x,x,r,extra,\n",
			issues: []string{
				`line 1, column 3 (x): duplicate column "x" (also column 2)`,
				`line 1, column 5 (extra): unknown column "extra": not a feature, label, time or entity column of the model`,
				`line 1, column 6: column has no name`,
				`line 1 (c): missing column "c"`,
			},
		},
		{
			name:   "missing time column",
			in:     "x,c,r\n1,u,a\n",
			issues: []string{`line 1 (ts): missing column "ts"`},
		},
		{
			name:   "time column the model does not have",
			model:  regressionModel(),
			in:     "ts,x,y\n1,1,1\n",
			issues: []string{`line 1, column 1 (ts): unknown column "ts": not a feature, label, time or entity column of the model`},
		},
		{
			name:   "too many rows",
			opt:    Options{MaxRows: 2},
			in:     "ts,x,c,r\n1,1,u,a\n2,1,u,a\n3,bad,u,a\n4,bad,u,a\n",
			issues: []string{`line 4: too many rows: at most 2 per request`},
		},
		{
			name: "exactly max rows",
			opt:  Options{MaxRows: 2},
			in:   "ts,x,c,r\n1,1,u,a\n2,1,u,a\n",
			want: []string{`L2 t=1000 x=1 c="u" r="a"`, `L3 t=2000 x=1 c="u" r="a"`},
		},
		{
			name:   "wrong field count",
			in:     "ts,x,c,r\n1,1,u\n2,1,u,a,b\n",
			issues: []string{`line 2: row has 3 fields, the header has 4`, `line 3: row has 5 fields, the header has 4`},
		},
		{
			name:   "bare quote",
			in:     "ts,x,c,r\n1,1,u\"v,a\n",
			issues: []string{`line 2: bad CSV: bare " in non-quoted-field (byte 6 of the line)`},
		},
		{
			name:   "unterminated quote",
			in:     "ts,x,c,r\n1,1,\"u,a\n2,2,u,a\n",
			issues: []string{`line 3: bad CSV: extraneous or missing " in quoted-field (byte 9 of the line) in the row that starts on line 2`},
		},
		{name: "empty", in: "", issues: []string{"no rows"}},
		{name: "BOM only", in: "\ufeff", issues: []string{"no rows"}},
		{name: "header only", in: "ts,x,c,r\n", issues: []string{"no rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := tt.model
			if m == nil {
				m = testModel()
			}
			b, err := ParseCSV(strings.NewReader(tt.in), m, tt.opt)
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

func TestParseCSVNoLabelColumn(t *testing.T) {
	t.Parallel()
	b, err := ParseCSV(strings.NewReader("ts,x,c,r\n1,1,u,a\n"), testModel(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if b.Label != nil || b.Entity != nil {
		t.Errorf("label %v, entity %v; want nil for columns not in the file", b.Label, b.Entity)
	}
}

func TestParseCSVIssueLimit(t *testing.T) {
	t.Parallel()
	var in strings.Builder
	in.WriteString("ts,x,c,r\n")
	for range 30 {
		in.WriteString("1,bad,u,a\n")
	}
	b, err := ParseCSV(strings.NewReader(in.String()), testModel(), Options{})
	if b != nil {
		t.Fatal("got a batch")
	}
	got := issues(t, err)
	if len(got) != ml.MaxIssues || got[ml.MaxIssues-1] != `line 21, column 2 (x): "bad" is not a number` {
		t.Errorf("got %d issues, last %q", len(got), got[len(got)-1])
	}
	if !err.(*ml.InputError).More {
		t.Error("More not set")
	}
}

func TestParseCSVManyCategories(t *testing.T) {
	t.Parallel()
	m := testModel()
	m.Features[2].Categories = strings.Split("a b c d e f g h i j k l", " ")
	_, err := ParseCSV(strings.NewReader("ts,x,c,r\n1,1,u,z\n"), m, Options{})
	diff(t, "issues", issues(t, err), []string{
		`line 2, column 4 (r): "z" is not an allowed value: use one of "a", "b", "c", "d", "e", "f", "g", "h", "i", "j", … (12 in all)`,
	})
}

func TestParseCSVRequireEntityWithoutEntityColumn(t *testing.T) {
	t.Parallel()
	_, err := ParseCSV(strings.NewReader("x,y\n1,1\n"), regressionModel(), Options{RequireEntity: true})
	if ml.ErrorCode(err) != ml.EINVALID {
		t.Errorf("err %v, want EINVALID", err)
	}
}

func TestParseLabelsCSV(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		model  *ml.Model
		in     string
		want   []string
		issues []string
	}{
		{
			name: "ok",
			in:   "label,id\n1,e1\nfalse,e2\n",
			want: []string{"L2 e1=1", "L3 e2=0"},
		},
		{
			name:  "default column names",
			model: regressionModel(), // label "y", no entity column
			in:    "entity,y\n7,2.5\n",
			want:  []string{"L2 7=2.5"},
		},
		{
			name: "bad rows",
			in:   "id,label\ne1,1\ne1,0\n,1\ne3,\ne4,maybe\n",
			issues: []string{
				`line 3, column 1 (id): duplicate entity id "e1" (first on line 2)`,
				`line 4, column 1 (id): missing entity id`,
				`line 5, column 2 (label): missing label`,
				`line 6, column 2 (label): label "maybe": use 0 or 1 (or true or false)`,
			},
		},
		{
			name: "bad columns",
			in:   "id,x\ne1,1\n",
			issues: []string{
				`line 1, column 2 (x): unknown column "x": labels have only "id" and "label"`,
				`line 1 (label): missing column "label"`,
			},
		},
		{name: "empty", in: "id,label\n", issues: []string{"no rows"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			m := tt.model
			if m == nil {
				m = testModel()
			}
			lb, err := ParseLabelsCSV(strings.NewReader(tt.in), m, Options{})
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
