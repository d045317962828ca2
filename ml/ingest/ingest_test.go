package ingest

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/freshet/freshet/ml"
)

func TestFormat(t *testing.T) {
	t.Parallel()
	tests := []struct {
		contentType, want string
	}{
		{"text/csv", FormatCSV},
		{"text/csv; charset=utf-8", FormatCSV},
		{"TEXT/CSV;charset=UTF-8", FormatCSV},
		{"application/x-ndjson", FormatNDJSON},
		{"application/ndjson", FormatNDJSON},
		{"application/jsonl; charset=utf-8", FormatNDJSON},
		{"application/json", FormatJSON},
		{"application/json; charset=utf-8", FormatJSON},
		{"application/json; charset", FormatJSON}, // a malformed parameter
		{"", ""},
		{"text/plain", ""},
		{"application/xml", ""},
		{"multipart/form-data; boundary=x", ""},
	}
	for _, tt := range tests {
		got, err := Format(tt.contentType)
		if tt.want == "" {
			if ml.ErrorCode(err) != ml.EUNSUPPORTEDFMT {
				t.Errorf("Format(%q) = %q, %v; want %s", tt.contentType, got, err, ml.EUNSUPPORTEDFMT)
			}
			continue
		}
		if got != tt.want || err != nil {
			t.Errorf("Format(%q) = %q, %v; want %q", tt.contentType, got, err, tt.want)
		}
	}
}

// rows generates n good rows of testModel in a format, with bad
// replacing the value of x on row bad (0-based; -1 for none).
func rows(format string, n, bad int) string {
	var sb strings.Builder
	switch format {
	case FormatCSV:
		sb.WriteString("ts,id,x,c,r,label\n")
	case FormatJSON:
		sb.WriteString("[\n")
	}
	for i := range n {
		x := fmt.Sprint(i)
		if i == bad {
			x = "oops"
		}
		switch format {
		case FormatCSV:
			fmt.Fprintf(&sb, "%d,e%d,%s,u,a,%d\n", i, i, x, i%2)
		default:
			fmt.Fprintf(&sb, `{"ts":%d,"id":"e%d","x":%q,"c":"u","r":"a","label":%d}`, i, i, x, i%2)
			if format == FormatJSON && i < n-1 {
				sb.WriteByte(',')
			}
			sb.WriteByte('\n')
		}
	}
	if format == FormatJSON {
		sb.WriteString("]\n")
	}
	return sb.String()
}

// TestBadRowAnywhere checks that one bad value, on the first, a middle or
// the last row, rejects the whole input, naming its line.
func TestBadRowAnywhere(t *testing.T) {
	t.Parallel()
	const n = 5000 // well past the read buffers
	for _, format := range []string{FormatCSV, FormatNDJSON, FormatJSON} {
		for _, bad := range []int{-1, 0, n / 2, n - 1} {
			t.Run(fmt.Sprintf("%s/%d", format, bad), func(t *testing.T) {
				t.Parallel()
				m := testModel()
				b, err := Parse(format, strings.NewReader(rows(format, n, bad)), m, Options{})
				if bad < 0 {
					if err != nil {
						t.Fatal(err)
					}
					checkBatch(t, m, b)
					if b.N != n {
						t.Fatalf("%d rows, want %d", b.N, n)
					}
					return
				}
				if b != nil {
					t.Fatal("got a batch with a bad row")
				}
				// The bad row is on line bad+2 after a CSV header or a '['.
				line, col := bad+2, 3 // x is the third CSV field
				if format == FormatNDJSON {
					line = bad + 1
				}
				if format != FormatCSV {
					col = strings.Index(fmt.Sprintf(`{"ts":%d,"id":"e%d","x":"oops"`, bad, bad), `"oops"`) + 1
				}
				want := []string{fmt.Sprintf(`line %d, column %d (x): "oops" is not a number`, line, col)}
				diff(t, "issues", issues(t, err), want)
			})
		}
	}
}

// TestOneByteReads parses the table inputs through a reader that returns
// one byte at a time and checks the results do not change.
func TestOneByteReads(t *testing.T) {
	t.Parallel()
	inputs := []string{
		rows(FormatJSON, 300, 250),
		"[\n  {\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"},\n  {\"ts\":2,\n   \"x\":\"abc\",\"c\":\"é\",\"r\":\"a\"}\n]",
		"\ufeff[{\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"},\n {\"ts\":1,\"x\":x}]",
		"[{\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"}\n {\"ts\":1,\"x\":1,\"c\":\"u\",\"r\":\"a\"}]",
		`{"observations": [{"ts":1,"x":1,"c":"u","r":"a"}], "x": []}`,
	}
	for i, in := range inputs {
		m := testModel()
		b1, err1 := ParseJSON(strings.NewReader(in), m, Options{})
		b2, err2 := ParseJSON(iotest.OneByteReader(strings.NewReader(in)), m, Options{})
		if fmt.Sprint(err1) != fmt.Sprint(err2) || (b1 == nil) != (b2 == nil) {
			t.Errorf("input %d: %v, one byte at a time: %v", i, err1, err2)
		}
		if b1 != nil {
			diff(t, "rows", dump(m, b2), dump(m, b1))
		}
	}
	for _, format := range []string{FormatCSV, FormatNDJSON} {
		in := rows(format, 300, 299)
		_, err1 := Parse(format, strings.NewReader(in), testModel(), Options{})
		_, err2 := Parse(format, iotest.OneByteReader(strings.NewReader(in)), testModel(), Options{})
		if err1 == nil || err1.Error() != err2.Error() {
			t.Errorf("%s: %v, one byte at a time: %v", format, err1, err2)
		}
	}
}

// errTooBig stands for *http.MaxBytesError.
type errTooBig struct{ limit int }

func (e *errTooBig) Error() string { return fmt.Sprintf("body over %d bytes", e.limit) }

// TestReaderError checks that a reader's error is passed through, not
// turned into an input issue, even when the input read so far is bad.
func TestReaderError(t *testing.T) {
	t.Parallel()
	inputs := map[string][]string{
		FormatCSV:    {"", "ts,x,c,r\n1,1,u,a\n", "ts,x,c,r\n1,1,\"u", "ts,x,c,r\n1,bad,u,a\n"},
		FormatNDJSON: {"", `{"ts":1,"x":1,"c":"u","r":"a"}` + "\n", `{"ts":1,"x":1,"c":"u"`, `{"ts":1,"x":"bad","c":"u","r":"a"}` + "\n"},
		FormatJSON:   {"", `[{"ts":1,"x":1,"c":"u","r":"a"}`, `[{"ts":1,"x":1,"c":"u"`, `[{"ts":1,"x":"bad","c":"u","r":"a"},`},
	}
	for format, ins := range inputs {
		for _, in := range ins {
			r := io.MultiReader(strings.NewReader(in), iotest.ErrReader(&errTooBig{10}))
			b, err := Parse(format, r, testModel(), Options{})
			var tb *errTooBig
			var ie *ml.InputError
			if b != nil || !errors.As(err, &tb) || errors.As(err, &ie) {
				t.Errorf("%s %q: got %v (%T), want the reader's error", format, in, err, err)
			}
		}
	}
	labelInputs := map[string][]string{
		FormatCSV:    {"", "id,label\ne1,1\n", "id,label\ne1,\"1"},
		FormatNDJSON: {"", `{"id":"e1","label":1}` + "\n", `{"id":"e1","label":1`},
		FormatJSON:   {"", `[{"id":"e1","label":1}`, `[{"id":"e1","label"`},
	}
	for format, ins := range labelInputs {
		for _, in := range ins {
			r := io.MultiReader(strings.NewReader(in), iotest.ErrReader(&errTooBig{10}))
			lb, err := ParseLabels(format, r, testModel(), Options{})
			var tb *errTooBig
			if lb != nil || !errors.As(err, &tb) {
				t.Errorf("labels %s %q: got %v (%T), want the reader's error", format, in, err, err)
			}
		}
	}
	_, err := InferSchema(io.MultiReader(strings.NewReader("a,b\n1,2\n"), iotest.ErrReader(&errTooBig{10})), 5)
	var tb *errTooBig
	if !errors.As(err, &tb) {
		t.Errorf("InferSchema: got %v, want the reader's error", err)
	}
}

func TestParseUnknownFormat(t *testing.T) {
	t.Parallel()
	if _, err := Parse("xml", strings.NewReader(""), testModel(), Options{}); ml.ErrorCode(err) != ml.EUNSUPPORTEDFMT {
		t.Errorf("Parse: %v", err)
	}
	if _, err := ParseLabels("xml", strings.NewReader(""), testModel(), Options{}); ml.ErrorCode(err) != ml.EUNSUPPORTEDFMT {
		t.Errorf("ParseLabels: %v", err)
	}
}

// TestSameRowsEveryFormat parses the same rows in the three formats.
func TestSameRowsEveryFormat(t *testing.T) {
	t.Parallel()
	m := testModel()
	var want []string
	for _, format := range []string{FormatCSV, FormatNDJSON, FormatJSON} {
		b, err := Parse(format, strings.NewReader(rows(format, 10, -1)), m, Options{})
		if err != nil {
			t.Fatal(err)
		}
		got := dump(m, b)
		for i := range got { // lines differ by format
			got[i] = got[i][strings.Index(got[i], " "):]
		}
		if want == nil {
			want = got
			continue
		}
		diff(t, format, got, want)
	}
}
