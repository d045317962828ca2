package ingest

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/freshet/freshet/ml"
)

// colKind is the role of an input column.
type colKind uint8

const (
	colNum colKind = iota
	colCat
	colLabel
	colTime
	colEntity
)

// column is one column (CSV) or key (JSON) an input may carry.
type column struct {
	name string
	kind colKind
	feat int // feature index, for colNum and colCat
	// required columns must be in the CSV header or in every JSON object.
	required bool
	// needValue columns must have a non-empty value on every row.
	needValue bool
}

// schema lists the columns of one kind of input, by name.
type schema struct {
	cols   []column
	byName map[string]int
	// labels is set for late-label inputs, which become an ml.LabelBatch.
	labels bool
}

func (sc *schema) add(c column) {
	sc.byName[c.name] = len(sc.cols)
	sc.cols = append(sc.cols, c)
}

// observationSchema is the schema of observation inputs for m.
func observationSchema(m *ml.Model, opt Options) (*schema, error) {
	if opt.RequireEntity && m.Entity == "" {
		return nil, ml.Errorf(ml.EINVALID, "model %q has no entity column", m.Name)
	}
	sc := &schema{byName: make(map[string]int, len(m.Features)+3)}
	for j, f := range m.Features {
		k := colNum
		if f.Type == ml.Categorical {
			k = colCat
		}
		sc.add(column{name: f.Name, kind: k, feat: j, required: true})
	}
	if m.Label != "" {
		sc.add(column{name: m.Label, kind: colLabel})
	}
	if m.Time != "" {
		sc.add(column{name: m.Time, kind: colTime, required: true, needValue: true})
	}
	if m.Entity != "" {
		sc.add(column{name: m.Entity, kind: colEntity, required: opt.RequireEntity, needValue: opt.RequireEntity})
	}
	return sc, nil
}

// labelSchema is the schema of late-label inputs for m: an entity column
// and a label column, both required with a value on every row.
func labelSchema(m *ml.Model) *schema {
	sc := &schema{byName: make(map[string]int, 2), labels: true}
	entity, label := m.Entity, m.Label
	if entity == "" {
		entity = "entity"
	}
	if label == "" {
		label = "label"
	}
	sc.add(column{name: entity, kind: colEntity, required: true, needValue: true})
	sc.add(column{name: label, kind: colLabel, required: true, needValue: true})
	return sc
}

// Interning: categorical values are few, so each distinct value is kept
// once per feature rather than once per row (and never as a slice of a
// whole CSV record, which would keep the record alive).
const maxIntern = 4096

// initialRows is the most rows a batch's columns start with room for.
const initialRows = 1024

// builder collects a batch row by row and the issues found on the way.
type builder struct {
	m   *ml.Model
	opt Options
	sc  *schema

	b         ml.Batch
	hasLabel  bool
	hasEntity bool

	issues  ml.InputError
	stopped bool

	intern   []map[string]string // per categorical feature
	reject   []bool              // per feature: Unknown == reject
	classes  map[string]int      // multiclass label → index
	entities map[string]int      // entity id → line of first occurrence
}

func newBuilder(m *ml.Model, opt Options, sc *schema) *builder {
	b := &builder{m: m, opt: opt, sc: sc}
	// Start with room for about 64k values in all: wide models start with
	// fewer rows, so a one-row request does not allocate megabytes.
	capRows := min(max(1<<16/(len(m.Features)+4), 16), initialRows)
	if opt.MaxRows > 0 {
		capRows = min(capRows, opt.MaxRows)
	}
	if !sc.labels {
		b.b.Num = make([][]float64, len(m.Features))
		b.b.Cat = make([][]string, len(m.Features))
		b.intern = make([]map[string]string, len(m.Features))
		b.reject = make([]bool, len(m.Features))
		for j, f := range m.Features {
			if f.Type == ml.Categorical {
				b.b.Cat[j] = make([]string, 0, capRows)
				in := make(map[string]string, len(f.Categories))
				for _, c := range f.Categories {
					in[c] = c
				}
				b.intern[j] = in
				b.reject[j] = f.Unknown == ml.UnknownReject
			} else {
				b.b.Num[j] = make([]float64, 0, capRows)
			}
		}
		b.b.Time = make([]int64, 0, capRows)
	}
	b.b.Line = make([]int, 0, capRows)
	if m.Task == ml.TaskMulticlass {
		b.classes = make(map[string]int, len(m.Classes))
		for i, c := range m.Classes {
			b.classes[c] = i
		}
	}
	return b
}

// fail records an issue and reports whether parsing must stop.
func (b *builder) fail(is ml.Issue) bool {
	if b.issues.Add(is) {
		b.stopped = true
	}
	return b.stopped
}

// tooMany reports whether another row would pass opt.MaxRows, recording
// the issue and stopping if so.
func (b *builder) tooMany(line int) bool {
	if b.opt.MaxRows > 0 && b.b.N >= b.opt.MaxRows {
		b.fail(ml.Issue{Line: line, Msg: fmt.Sprintf("too many rows: at most %d per request", b.opt.MaxRows)})
		b.stopped = true
		return true
	}
	return false
}

// enableLabel starts the label column, unlabeled for the rows so far.
func (b *builder) enableLabel() {
	if b.hasLabel {
		return
	}
	b.hasLabel = true
	b.b.Label = make([]float64, b.b.N, max(cap(b.b.Line), b.b.N))
	for i := range b.b.Label {
		b.b.Label[i] = math.NaN()
	}
}

// enableEntity starts the entity column, empty for the rows so far.
func (b *builder) enableEntity() {
	if b.hasEntity {
		return
	}
	b.hasEntity = true
	b.b.Entity = make([]string, b.b.N, max(cap(b.b.Line), b.b.N))
	b.entities = make(map[string]int)
}

// addRow appends a row and returns its index; set fills it in. With
// fill, the row starts with defaults (missing values, opt.Now), for JSON
// objects that may leave keys out. Without, only the time is set, to
// opt.Now when the model has no time column: a CSV row sets every other
// column, or has an issue and the batch is dropped anyway.
func (b *builder) addRow(line int, fill bool) int {
	bb := &b.b
	i := bb.N
	if len(bb.Line) == cap(bb.Line) {
		b.grow()
	}
	bb.N++
	bb.Line = append(bb.Line, line)
	if !b.sc.labels {
		t := int64(0)
		if b.m.Time == "" {
			t = b.opt.Now
		}
		bb.Time = append(bb.Time, t)
	}
	if !fill { // grow made room for the row in every column
		for j := range bb.Num {
			if bb.Num[j] != nil {
				bb.Num[j] = bb.Num[j][:bb.N]
			} else {
				bb.Cat[j] = bb.Cat[j][:bb.N]
			}
		}
		if b.hasLabel {
			bb.Label = bb.Label[:bb.N]
		}
		if b.hasEntity {
			bb.Entity = bb.Entity[:bb.N]
		}
		return i
	}
	if !b.sc.labels {
		for j := range bb.Num {
			if bb.Num[j] != nil {
				bb.Num[j] = append(bb.Num[j], math.NaN())
			} else {
				bb.Cat[j] = append(bb.Cat[j], "")
			}
		}
	}
	if b.hasLabel {
		bb.Label = append(bb.Label, math.NaN())
	}
	if b.hasEntity {
		bb.Entity = append(bb.Entity, "")
	}
	return i
}

// grow doubles the capacity of every column at once (append alone grows
// large slices by a quarter, which copies each value about five times),
// never past opt.MaxRows.
func (b *builder) grow() {
	bb := &b.b
	n := max(2*cap(bb.Line), 16)
	if b.opt.MaxRows > 0 {
		n = max(min(n, b.opt.MaxRows), bb.N+1)
	}
	bb.Line = growTo(bb.Line, n)
	if bb.Time != nil {
		bb.Time = growTo(bb.Time, n)
	}
	for j := range bb.Num {
		if bb.Num[j] != nil {
			bb.Num[j] = growTo(bb.Num[j], n)
		} else {
			bb.Cat[j] = growTo(bb.Cat[j], n)
		}
	}
	if bb.Label != nil {
		bb.Label = growTo(bb.Label, n)
	}
	if bb.Entity != nil {
		bb.Entity = growTo(bb.Entity, n)
	}
}

// growTo returns s with room for n values, exactly.
func growTo[T any](s []T, n int) []T {
	if cap(s) >= n {
		return s
	}
	t := make([]T, len(s), n)
	copy(t, s)
	return t
}

// set reads the value of column c on row i. It returns a message when the
// value is bad.
func (b *builder) set(c *column, i int, s string, k kind, line int) string {
	switch c.kind {
	case colNum:
		v, msg := parseNum(s, k)
		b.b.Num[c.feat][i] = v
		return msg
	case colCat:
		v, msg := b.category(c.feat, s, k)
		b.b.Cat[c.feat][i] = v
		return msg
	case colLabel:
		v, msg := b.label(s, k)
		if msg == "" && c.needValue && math.IsNaN(v) {
			return "missing label"
		}
		b.b.Label[i] = v
		return msg
	case colTime:
		v, msg := parseTimeValue(s, k)
		b.b.Time[i] = v
		return msg
	case colEntity:
		v, msg := b.entity(s, k, line)
		if msg == "" && c.needValue && v == "" {
			return "missing entity id"
		}
		b.b.Entity[i] = v
		return msg
	}
	return ""
}

func (b *builder) category(j int, s string, k kind) (string, string) {
	switch k {
	case kNull:
		return "", ""
	case kObject, kArray:
		return "", "expected a string, got " + k.String()
	}
	if s == "" {
		return "", ""
	}
	in := b.intern[j]
	if v, ok := in[s]; ok {
		return v, ""
	}
	if b.reject[j] {
		return "", fmt.Sprintf("%s is not an allowed value: use %s", quote(s), oneOf(b.m.Features[j].Categories))
	}
	if len(s) > MaxCategoryLen {
		return "", fmt.Sprintf("value is %d bytes long, at most %d", len(s), MaxCategoryLen)
	}
	if !utf8.ValidString(s) {
		return "", "value is not valid UTF-8"
	}
	v := strings.Clone(s)
	if len(in) < maxIntern {
		in[v] = v
	}
	return v, ""
}

// oneOf lists allowed values for a message, at most ten of them.
func oneOf(vals []string) string {
	const max = 10
	var sb strings.Builder
	sb.WriteString("one of ")
	for i, v := range vals {
		if i == max {
			fmt.Fprintf(&sb, ", … (%d in all)", len(vals))
			break
		}
		if i > 0 {
			sb.WriteString(", ")
		}
		sb.WriteString(quote(v))
	}
	return sb.String()
}

func (b *builder) label(s string, k kind) (float64, string) {
	switch k {
	case kNull:
		return math.NaN(), ""
	case kObject, kArray:
		return 0, "expected a label, got " + k.String()
	}
	switch b.m.Task {
	case ml.TaskMulticlass:
		if i, ok := b.classes[s]; ok {
			return float64(i), ""
		}
		t := trimSpace(s)
		if i, ok := b.classes[t]; ok {
			return float64(i), ""
		}
		if missingNum(t) || t == "NaN" || t == "nan" {
			return math.NaN(), ""
		}
		return 0, fmt.Sprintf("label %s is not a class: use %s", quote(s), oneOf(b.m.Classes))
	case ml.TaskRegression:
		if k == kBool {
			return 0, "expected a number, got " + k.String()
		}
		return parseNum(s, kText)
	}
	t := trimSpace(s)
	switch t {
	case "0", "false":
		return 0, ""
	case "1", "true":
		return 1, ""
	}
	if missingNum(t) {
		return math.NaN(), ""
	}
	if strings.EqualFold(t, "false") {
		return 0, ""
	}
	if strings.EqualFold(t, "true") {
		return 1, ""
	}
	// "1.0" and "0.0", as written by tools that store labels as floats.
	if v, err := strconv.ParseFloat(t, 64); err == nil {
		switch {
		case v == 0: // also -0
			return 0, ""
		case v == 1:
			return 1, ""
		case math.IsNaN(v):
			return v, ""
		}
	}
	return 0, fmt.Sprintf("label %s: use 0 or 1 (or true or false)", quote(s))
}

func parseTimeValue(s string, k kind) (int64, string) {
	switch k {
	case kNull:
		return 0, "missing timestamp"
	case kBool, kObject, kArray:
		return 0, "expected a timestamp, got " + k.String()
	}
	t := trimSpace(s)
	if t == "" {
		return 0, "missing timestamp"
	}
	ms, err := ParseTime(t)
	if err != nil {
		return 0, err.Error()
	}
	return ms, ""
}

func (b *builder) entity(s string, k kind, line int) (string, string) {
	switch k {
	case kNull:
		return "", ""
	case kBool, kObject, kArray:
		return "", "expected a string or number as entity id, got " + k.String()
	}
	if s == "" {
		return "", ""
	}
	if len(s) > MaxEntityLen {
		return "", fmt.Sprintf("entity id is %d bytes long, at most %d", len(s), MaxEntityLen)
	}
	if !utf8.ValidString(s) {
		return "", "entity id is not valid UTF-8"
	}
	if first, dup := b.entities[s]; dup {
		return "", fmt.Sprintf("duplicate entity id %s (first on line %d)", quote(s), first)
	}
	v := strings.Clone(s)
	b.entities[v] = line
	return v, ""
}

// batch returns the batch, or the issues found.
func (b *builder) batch() (*ml.Batch, error) {
	if err := b.err(); err != nil {
		return nil, err
	}
	return &b.b, nil
}

// labelBatch returns the late labels, or the issues found.
func (b *builder) labelBatch() (*ml.LabelBatch, error) {
	if err := b.err(); err != nil {
		return nil, err
	}
	return &ml.LabelBatch{Entity: b.b.Entity, Label: b.b.Label, Line: b.b.Line}, nil
}

func (b *builder) err() error {
	if len(b.issues.Issues) == 0 && b.b.N == 0 {
		b.issues.Add(ml.Issue{Msg: "no rows"})
	}
	if len(b.issues.Issues) > 0 {
		return &b.issues
	}
	return nil
}
