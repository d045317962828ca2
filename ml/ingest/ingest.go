package ingest

import (
	"bufio"
	"fmt"
	"io"
	"mime"
	"strings"

	"github.com/freshet/freshet/ml"
)

// Options tune a parse.
type Options struct {
	// MaxRows, when positive, is the most rows one input may hold; past it
	// the input is rejected with a single "too many rows" issue.
	MaxRows int
	// Now is the time, in unix milliseconds, given to every row when the
	// model has no time column.
	Now int64
	// RequireEntity makes the model's entity column, and a non-empty entity
	// id on every row, mandatory.
	RequireEntity bool
	// Ignore names CSV columns to skip (a file's columns the model does
	// not use, chosen in the upload flow).
	Ignore []string
}

// Formats returned by Format and accepted by Parse and ParseLabels.
const (
	FormatCSV    = "csv"
	FormatNDJSON = "ndjson"
	FormatJSON   = "json"
)

// Format maps a Content-Type header to one of FormatCSV, FormatNDJSON and
// FormatJSON, ignoring parameters such as charset. Any other type is an
// *ml.Error with code ml.EUNSUPPORTEDFMT.
func Format(contentType string) (string, error) {
	mt, _, err := mime.ParseMediaType(contentType)
	if err != nil {
		// ParseMediaType rejects some odd but harmless parameter lists;
		// the media type before the first ';' is all we need.
		mt, _, _ = strings.Cut(contentType, ";")
		mt = strings.ToLower(strings.TrimSpace(mt))
	}
	switch mt {
	case "text/csv":
		return FormatCSV, nil
	case "application/x-ndjson", "application/ndjson", "application/jsonl":
		return FormatNDJSON, nil
	case "application/json":
		return FormatJSON, nil
	}
	return "", ml.Errorf(ml.EUNSUPPORTEDFMT, "unsupported content type %q: send text/csv, application/x-ndjson or application/json", contentType)
}

// Parse calls ParseCSV, ParseNDJSON or ParseJSON by format, a value
// returned by Format.
func Parse(format string, r io.Reader, m *ml.Model, opt Options) (*ml.Batch, error) {
	switch format {
	case FormatCSV:
		return ParseCSV(r, m, opt)
	case FormatNDJSON:
		return ParseNDJSON(r, m, opt)
	case FormatJSON:
		return ParseJSON(r, m, opt)
	}
	return nil, ml.Errorf(ml.EUNSUPPORTEDFMT, "unsupported format %q: use csv, ndjson or json", format)
}

// ParseLabels calls ParseLabelsCSV, ParseLabelsNDJSON or ParseLabelsJSON by
// format, a value returned by Format.
func ParseLabels(format string, r io.Reader, m *ml.Model, opt Options) (*ml.LabelBatch, error) {
	switch format {
	case FormatCSV:
		return ParseLabelsCSV(r, m, opt)
	case FormatNDJSON:
		return ParseLabelsNDJSON(r, m, opt)
	case FormatJSON:
		return ParseLabelsJSON(r, m, opt)
	}
	return nil, ml.Errorf(ml.EUNSUPPORTEDFMT, "unsupported format %q: use csv, ndjson or json", format)
}

// errReader remembers the first error of the underlying reader other than
// io.EOF, so a parser can tell a reader failure (a body over its size
// limit, a dropped connection) from a syntax error it caused.
type errReader struct {
	r   io.Reader
	err error
}

func (e *errReader) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}

// readErr wraps a reader error for the caller.
func readErr(err error) error {
	return fmt.Errorf("ingest: reading input: %w", err)
}

const bufSize = 64 << 10

// newBOMReader buffers r and drops a leading UTF-8 byte order mark.
func newBOMReader(r io.Reader) *bufio.Reader {
	br := bufio.NewReaderSize(r, bufSize)
	if b, err := br.Peek(3); err == nil && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF {
		br.Discard(3)
	}
	return br
}
