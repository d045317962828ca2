package ml

import (
	"fmt"
	"strings"
)

// Issue is one problem found in an input file or body. Line is 1-based (the
// CSV header is line 1). Col is 1-based: the field number in CSV, the
// character column of the offending value in JSON and NDJSON, 0 when the
// problem concerns a whole line. Field names the column or JSON key.
type Issue struct {
	Line  int    `json:"line"`
	Col   int    `json:"column"`
	Field string `json:"field,omitempty"`
	Msg   string `json:"message"`
}

func (i Issue) String() string {
	var b strings.Builder
	if i.Line > 0 {
		fmt.Fprintf(&b, "line %d", i.Line)
	}
	if i.Col > 0 {
		if b.Len() > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "column %d", i.Col)
	}
	if i.Field != "" {
		fmt.Fprintf(&b, " (%s)", i.Field)
	}
	if b.Len() > 0 {
		b.WriteString(": ")
	}
	b.WriteString(i.Msg)
	return b.String()
}

// MaxIssues is how many issues an InputError keeps; past it, parsing stops.
const MaxIssues = 20

// InputError reports why an input was rejected as a whole. Nothing from an
// input that produced an InputError may be stored.
type InputError struct {
	Issues []Issue
	// More is set when parsing stopped after MaxIssues issues.
	More bool
}

// Error lists the issues, one per line.
func (e *InputError) Error() string {
	var b strings.Builder
	for i, is := range e.Issues {
		if i > 0 {
			b.WriteString("\n")
		}
		b.WriteString(is.String())
	}
	if e.More {
		b.WriteString("\n(more issues not shown)")
	}
	return b.String()
}

// Add records an issue and reports whether parsing should stop.
func (e *InputError) Add(is Issue) (stop bool) {
	if len(e.Issues) >= MaxIssues {
		e.More = true
		return true
	}
	e.Issues = append(e.Issues, is)
	return false
}

// Err returns e as an error, or nil when it holds no issue.
func (e *InputError) Err() error {
	if e == nil || len(e.Issues) == 0 {
		return nil
	}
	return e
}

// InputErrorf is a one-issue InputError.
func InputErrorf(line, col int, field, format string, args ...any) *InputError {
	return &InputError{Issues: []Issue{{Line: line, Col: col, Field: field, Msg: fmt.Sprintf(format, args...)}}}
}
