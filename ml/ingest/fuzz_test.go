package ingest

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/freshet/freshet/ml"
)

// fuzzModels are the models fuzz inputs are parsed for, picked by a byte.
var fuzzModels = []func() *ml.Model{testModel, multiclassModel, regressionModel}

// fuzzOptions derives a model and options from a fuzz byte.
func fuzzOptions(mode uint8) (*ml.Model, Options) {
	m := fuzzModels[int(mode)%len(fuzzModels)]()
	opt := Options{MaxRows: int(mode/4) % 4, Now: 1234}
	if mode&0x80 != 0 && m.Entity != "" {
		opt.RequireEntity = true
	}
	return m, opt
}

// checkResult checks what any parse must return: a valid batch, or no
// batch and an *ml.InputError with at most ml.MaxIssues issues.
func checkResult(t *testing.T, m *ml.Model, opt Options, b *ml.Batch, err error) {
	t.Helper()
	if err != nil {
		if b != nil {
			t.Fatal("a batch and an error")
		}
		checkInputError(t, err)
		return
	}
	checkBatch(t, m, b)
	if opt.MaxRows > 0 && b.N > opt.MaxRows {
		t.Fatalf("%d rows, at most %d", b.N, opt.MaxRows)
	}
	if m.Time == "" {
		for _, v := range b.Time {
			if v != opt.Now {
				t.Fatalf("time %d, want opt.Now", v)
			}
		}
	}
	if opt.RequireEntity {
		for _, e := range b.Entity {
			if e == "" {
				t.Fatal("a row without the required entity")
			}
		}
	}
}

func checkInputError(t *testing.T, err error) {
	t.Helper()
	var ie *ml.InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T), want *ml.InputError", err, err)
	}
	if len(ie.Issues) == 0 || len(ie.Issues) > ml.MaxIssues {
		t.Fatalf("%d issues", len(ie.Issues))
	}
	for _, is := range ie.Issues {
		if is.Line < 0 || is.Col < 0 || is.Msg == "" {
			t.Fatalf("issue %+v", is)
		}
	}
}

func checkLabels(t *testing.T, m *ml.Model, lb *ml.LabelBatch, err error) {
	t.Helper()
	if err != nil {
		if lb != nil {
			t.Fatal("labels and an error")
		}
		checkInputError(t, err)
		return
	}
	n := len(lb.Entity)
	if n == 0 || len(lb.Label) != n || len(lb.Line) != n {
		t.Fatalf("%d entities, %d labels, %d lines", n, len(lb.Label), len(lb.Line))
	}
	seen := map[string]bool{}
	for i, e := range lb.Entity {
		if e == "" || seen[e] || len(e) > MaxEntityLen {
			t.Fatalf("entity %q empty, repeated or long", e)
		}
		seen[e] = true
		if math.IsNaN(lb.Label[i]) {
			t.Fatal("a NaN late label")
		}
		checkLabel(t, m, lb.Label[i])
	}
}

func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{
		"ts,id,x,c,r,label\n1,e1,1.5,u,a,1\n2,e2,,,b,\n3,,NA,v,,false\n",
		"\ufeffr,c,x,ts\r\na,u,1,5\r\nb,w,2,6",
		"ts,x,c,r\n1,2,\"multi\nline\",a\n\n2,3,\"q\"\"uote, comma\",b\n",
		"ts,x,c,r\n1,1,u\"v,a\n",
		"ts,x,x,r,extra,\n",
		"x,y\n1,cat\n2,dog\n3,7\n4,\n",
		"x,y\n1,3.25\n2,\n3,-1e2\n",
		"id,label\ne1,1\ne1,0\n,1\n",
		"ts,x,c,r\n1996-05-07T00:30,1,u,a\n831429000.5,1e400,\xff,z\n",
	} {
		for _, mode := range []uint8{0, 1, 2, 4, 0x80} {
			f.Add(s, mode)
		}
	}
	f.Fuzz(func(t *testing.T, in string, mode uint8) {
		m, opt := fuzzOptions(mode)
		b, err := ParseCSV(strings.NewReader(in), m, opt)
		checkResult(t, m, opt, b, err)
		lb, err := ParseLabelsCSV(strings.NewReader(in), m, opt)
		checkLabels(t, m, lb, err)
		if mode%8 == 0 {
			inf, err := InferSchema(strings.NewReader(in), 3)
			if err != nil {
				checkInputError(t, err)
			} else if inf.Rows == 0 || len(inf.Preview) > 3 {
				t.Fatalf("inferred %d rows, preview %d", inf.Rows, len(inf.Preview))
			}
		}
	})
}

func FuzzParseNDJSON(f *testing.F) {
	for _, s := range []string{
		`{"ts":1,"id":"e1","x":1.5,"c":"u","r":"a","label":1}` + "\r\n\n" + `{"label":true,"r":null,"c":3,"x":"2.5","id":7,"ts":"1970-01-01T00:00:02Z"}`,
		`{"\u0074s":1,"x":"\u0031","c":"caf\u00e9 \"q\"","r":"\u0061"}`,
		`{"ts":1,"x":"abc","c":{"a":[1,{"b":"}"}]},"r":["a"]}`,
		`{"ts":1,"x":}` + "\n" + `{"ts":1` + "\n" + `[1]` + "\n" + `  "x"` + "\n" + `{"a":"é"} x`,
		`{"x":1,"y":"dog"}` + "\n" + `{"x":1,"y":7}`,
		`{"id":"e1","label":1}` + "\n" + `{"id":"e1","label":null}`,
	} {
		for _, mode := range []uint8{0, 1, 2, 4, 0x80} {
			f.Add(s, mode)
		}
	}
	f.Fuzz(func(t *testing.T, in string, mode uint8) {
		m, opt := fuzzOptions(mode)
		b, err := ParseNDJSON(strings.NewReader(in), m, opt)
		checkResult(t, m, opt, b, err)
		lb, err := ParseLabelsNDJSON(strings.NewReader(in), m, opt)
		checkLabels(t, m, lb, err)
	})
}

func FuzzParseJSON(f *testing.F) {
	for _, s := range []string{
		"\ufeff[\n  {\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"},\n  {\"ts\":2,\n   \"x\":2,\"c\":\"é\",\"r\":\"b\",\"label\":0}\n]\n",
		`{"observations": [{"ts":1,"x":1,"c":"u","r":"a"}]}`,
		`{"labels": [{"id":"e","label":1}]}`,
		`[1, "a", [], null, {"ts":1,"x":1,"c":"u","r":"a"}]`,
		"[{\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"}\n {\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"}]",
		`[{"ts":1,"x":1,"c":"u","r":"a"}] x`,
		`[{"x":1,"y":"dog"},{"x":2,"y":7}]`,
		`[{"id":"e1","label":1},{"id":2,"label":"0"}]`,
	} {
		for _, mode := range []uint8{0, 1, 2, 4, 0x80} {
			f.Add(s, mode)
		}
	}
	f.Fuzz(func(t *testing.T, in string, mode uint8) {
		m, opt := fuzzOptions(mode)
		b, err := ParseJSON(strings.NewReader(in), m, opt)
		checkResult(t, m, opt, b, err)
		// Positions must not depend on how the reader splits the input.
		b2, err2 := ParseJSON(iotest.HalfReader(strings.NewReader(in)), m, opt)
		if (b == nil) != (b2 == nil) || errString(err) != errString(err2) {
			t.Fatalf("whole reads: %v\nhalf reads: %v", err, err2)
		}
		lb, err := ParseLabelsJSON(strings.NewReader(in), m, opt)
		checkLabels(t, m, lb, err)
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// FuzzParseFloat checks the fast path of parseFloat against
// strconv.ParseFloat, bit for bit.
func FuzzParseFloat(f *testing.F) {
	for _, s := range []string{"0.056443", "-12", "3.", ".5", "+1", "-0", "9007199254740993", "0.1234567890123456789",
		"123456789012345678901", "1e5", "0x1p3", "1_0", "NaN", "", ".", "-", "4.94e-324", "0.0000000000000000000001"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseFloat(s)
		want, werr := strconv.ParseFloat(s, 64)
		if (err == nil) != (werr == nil) || math.Float64bits(got) != math.Float64bits(want) && !(math.IsNaN(got) && math.IsNaN(want)) {
			t.Fatalf("parseFloat(%q) = %v, %v; strconv: %v, %v", s, got, err, want, werr)
		}
	})
}
