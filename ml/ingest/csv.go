package ingest

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/freshet/freshet/ml"
)

// ParseCSV reads observations for m from a CSV file with a header row.
// Columns are matched to m's features, label, time and entity columns by
// name, in any order; a feature missing from the header, a column the
// model does not have or a repeated column rejects the file. The label
// column may be left out (Batch.Label is then nil) and an empty label cell
// means unlabeled. When m has no time column every row gets opt.Now.
//
// A leading UTF-8 byte order mark is dropped. Issues carry the line and
// the 1-based field number.
func ParseCSV(r io.Reader, m *ml.Model, opt Options) (*ml.Batch, error) {
	sc, err := observationSchema(m, opt)
	if err != nil {
		return nil, err
	}
	b := newBuilder(m, opt, sc)
	if err := parseCSV(r, b); err != nil {
		return nil, err
	}
	return b.batch()
}

// ParseLabelsCSV reads late labels for m from a CSV file with two columns,
// the entity id (named like m.Entity, or "entity") and the label (named
// like m.Label, or "label"). Every row needs both, and an entity id may
// appear once.
func ParseLabelsCSV(r io.Reader, m *ml.Model, opt Options) (*ml.LabelBatch, error) {
	b := newBuilder(m, opt, labelSchema(m))
	if err := parseCSV(r, b); err != nil {
		return nil, err
	}
	return b.labelBatch()
}

// parseCSV feeds a CSV file to b. It returns only reader errors; issues go
// to b.
func parseCSV(r io.Reader, b *builder) error {
	er := &errReader{r: r}
	cr := csv.NewReader(newBOMReader(er))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1 // checked here, with a clearer message

	header, err := cr.Read()
	if err != nil {
		if er.err != nil {
			return readErr(er.err)
		}
		if err != io.EOF {
			csvIssue(b, err)
		}
		return nil
	}
	cols := mapHeader(b, header)
	if b.stopped || len(b.issues.Issues) > 0 {
		if er.err != nil {
			return readErr(er.err)
		}
		return nil
	}

rows:
	for !b.stopped {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			if er.err != nil {
				return readErr(er.err)
			}
			csvIssue(b, err)
			break
		}
		line, _ := cr.FieldPos(0)
		if b.tooMany(line) {
			break
		}
		if len(rec) != len(cols) {
			b.fail(ml.Issue{Line: line, Msg: fmt.Sprintf("row has %d fields, the header has %d", len(rec), len(cols))})
			continue
		}
		i := b.addRow(line, false)
		for f, cell := range rec {
			c := cols[f]
			if c == nil { // an ignored column
				continue
			}
			if msg := b.set(c, i, cell, kText, line); msg != "" {
				fl, _ := cr.FieldPos(f)
				if b.fail(ml.Issue{Line: fl, Col: f + 1, Field: c.name, Msg: msg}) {
					break rows
				}
			}
		}
	}
	if er.err != nil {
		return readErr(er.err)
	}
	return nil
}

// mapHeader matches a header row to b's schema. Issues go to b.
func mapHeader(b *builder, header []string) []*column {
	sc := b.sc
	cols := make([]*column, len(header))
	seen := make(map[string]int, len(header))
	for f, name := range header {
		name = strings.TrimSpace(name)
		is := ml.Issue{Line: 1, Col: f + 1, Field: name}
		switch first, dup := seen[name]; {
		case name == "":
			is.Msg = "column has no name"
		case dup:
			is.Msg = fmt.Sprintf("duplicate column %s (also column %d)", quote(name), first)
		default:
			seen[name] = f + 1
			if slices.Contains(b.opt.Ignore, name) {
				continue
			}
			ci, ok := sc.byName[name]
			if !ok {
				is.Msg = unknownMsg(sc, "column", name)
				break
			}
			c := &sc.cols[ci]
			cols[f] = c
			switch c.kind {
			case colLabel:
				b.enableLabel()
			case colEntity:
				b.enableEntity()
			}
			continue
		}
		if b.fail(is) {
			return nil
		}
	}
	for i := range sc.cols {
		c := &sc.cols[i]
		if _, ok := seen[c.name]; !ok && c.required {
			if b.fail(ml.Issue{Line: 1, Field: c.name, Msg: "missing column " + quote(c.name)}) {
				return nil
			}
		}
	}
	return cols
}

// unknownMsg explains why a column or key is not accepted.
func unknownMsg(sc *schema, what, name string) string {
	if sc.labels {
		return fmt.Sprintf("unknown %s %s: labels have only %s and %s", what, quote(name), quote(sc.cols[0].name), quote(sc.cols[1].name))
	}
	return fmt.Sprintf("unknown %s %s: not a feature, label, time or entity column of the model", what, quote(name))
}

// csvIssue turns a CSV syntax error into an issue.
func csvIssue(b *builder, err error) {
	var pe *csv.ParseError
	if !errors.As(err, &pe) {
		b.fail(ml.Issue{Msg: "bad CSV: " + err.Error()})
		return
	}
	msg := fmt.Sprintf("bad CSV: %v (byte %d of the line)", pe.Err, pe.Column)
	if pe.StartLine != pe.Line {
		msg += fmt.Sprintf(" in the row that starts on line %d", pe.StartLine)
	}
	b.fail(ml.Issue{Line: pe.Line, Msg: msg})
}
