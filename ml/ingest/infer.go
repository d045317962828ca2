package ingest

import (
	"encoding/csv"
	"fmt"
	"hash/maphash"
	"io"
	"math"
	"strings"

	"github.com/freshet/freshet/ml"
)

// Bounds on what InferSchema keeps per column.
const (
	// MaxDistinct is where InferSchema stops counting a column's distinct
	// values.
	MaxDistinct = 1000
	// maxExamples is how many example values a column keeps.
	maxExamples = 5
	// maxEntityRows bounds the rows checked for unique entity ids (each
	// costs a hash in memory); past it a candidate entity column that was
	// unique so far is taken as unique.
	maxEntityRows = 1_000_000
)

// Inferred is InferSchema's guess at the schema of a CSV file, for a person
// to confirm.
type Inferred struct {
	// Columns describes the file's columns, in order.
	Columns []ColumnStats `json:"columns"`
	// Rows counts the data rows (the header not included).
	Rows int `json:"rows"`
	// Label, Time and Entity name the guessed label, time and entity
	// columns, "" when there is no good guess.
	Label  string `json:"label"`
	Time   string `json:"time"`
	Entity string `json:"entity"`
	// Preview holds the first rows, as read.
	Preview [][]string `json:"preview"`
}

// ColumnStats describes one column of a file.
type ColumnStats struct {
	Name string `json:"name"`
	// Type is numeric when every value that is not missing is a finite
	// number, else categorical. A numeric column with few distinct
	// integers (a weekday 1..7) stays numeric.
	Type ml.FeatureType `json:"type"`
	// Distinct counts the distinct values that are not missing, up to
	// MaxDistinct; DistinctCapped is set when there were more.
	Distinct       int  `json:"distinct"`
	DistinctCapped bool `json:"distinct_capped,omitempty"`
	// Missing counts empty, NA, NaN and null cells.
	Missing int `json:"missing"`
	// Min and Max are the range of a numeric column's values; both are 0
	// when it has none (every value missing) and for categorical columns.
	Min float64 `json:"min"`
	Max float64 `json:"max"`
	// Examples holds a few distinct values, in the order first seen.
	Examples []string `json:"examples"`
}

// colInfer is the running state of one column.
type colInfer struct {
	ColumnStats
	distinct map[string]struct{}
	numeric  bool
	hasRange bool // Min and Max hold a value
	// time candidate: every value a timestamp (timeParse), and
	// non-decreasing (timeMono).
	timeParse bool
	timeMono  bool
	lastTime  int64
	// entity candidate (named like one): every value present and unique.
	entity   bool
	entityOK bool
	hashes   map[uint64]struct{}
}

var (
	labelNames  = []string{"label", "target", "y", "class", "outcome"}
	timeNames   = []string{"ts", "time", "timestamp", "date", "datetime", "seq"}
	entityNames = []string{"id", "entity", "entity_id", "key"}
)

func nameIn(name string, names []string) bool {
	for _, n := range names {
		if strings.EqualFold(name, n) {
			return true
		}
	}
	return false
}

// InferSchema reads a CSV file with a header row and guesses its schema:
// per column a type, counts, a numeric range and examples, plus the label,
// time and entity columns, the row count and the first maxPreview rows.
// It streams: memory grows with the number of columns, not rows (except
// for hashes of a column named like an entity id, to check uniqueness).
// Bad CSV is an *ml.InputError; reader errors are passed through.
func InferSchema(r io.Reader, maxPreview int) (*Inferred, error) {
	er := &errReader{r: r}
	cr := csv.NewReader(newBOMReader(er))
	cr.ReuseRecord = true
	cr.FieldsPerRecord = -1
	fail := func(err error) (*Inferred, error) {
		if er.err != nil {
			return nil, readErr(er.err)
		}
		if err == io.EOF {
			return nil, ml.InputErrorf(0, 0, "", "no rows")
		}
		var tmp builder
		csvIssue(&tmp, err)
		return nil, &tmp.issues
	}

	header, err := cr.Read()
	if err != nil {
		return fail(err)
	}
	var issues ml.InputError
	cols := make([]*colInfer, len(header))
	seen := map[string]int{}
	for f, name := range header {
		name = strings.TrimSpace(name)
		if name == "" {
			issues.Add(ml.Issue{Line: 1, Col: f + 1, Msg: "column has no name"})
		} else if first, dup := seen[name]; dup {
			issues.Add(ml.Issue{Line: 1, Col: f + 1, Field: name, Msg: fmt.Sprintf("duplicate column %s (also column %d)", quote(name), first)})
		}
		seen[name] = f + 1
		c := &colInfer{
			ColumnStats: ColumnStats{Name: name},
			distinct:    map[string]struct{}{},
			numeric:     true,
			timeParse:   true,
			timeMono:    true,
			lastTime:    math.MinInt64,
			entity:      nameIn(name, entityNames),
		}
		if c.entity {
			c.entityOK = true
			c.hashes = map[uint64]struct{}{}
		}
		cols[f] = c
	}
	if err := issues.Err(); err != nil {
		return nil, err
	}

	in := &Inferred{}
	seed := maphash.MakeSeed()
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return fail(err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != len(cols) {
			if er.err != nil {
				return nil, readErr(er.err)
			}
			return nil, ml.InputErrorf(line, 0, "", "row has %d fields, the header has %d", len(rec), len(cols))
		}
		in.Rows++
		if in.Rows <= maxPreview {
			row := make([]string, len(rec))
			for f, v := range rec {
				row[f] = strings.Clone(v)
			}
			in.Preview = append(in.Preview, row)
		}
		for f, v := range rec {
			cols[f].add(v, seed, in.Rows)
		}
	}
	if er.err != nil {
		return nil, readErr(er.err)
	}
	if in.Rows == 0 {
		return nil, ml.InputErrorf(0, 0, "", "no rows")
	}

	in.Columns = make([]ColumnStats, len(cols))
	for f, c := range cols {
		if c.numeric {
			c.Type = ml.Numeric
		} else {
			c.Type = ml.Categorical
			c.Min, c.Max = 0, 0
		}
		in.Columns[f] = c.ColumnStats
	}
	in.guessRoles(cols)
	return in, nil
}

// add takes one cell of row n (1-based).
func (c *colInfer) add(v string, seed maphash.Seed, n int) {
	t := trimSpace(v)
	if missingNum(t) || strings.EqualFold(t, "nan") {
		c.Missing++
		c.timeParse = false
		c.entityOK = false
		return
	}
	if !c.DistinctCapped {
		if _, ok := c.distinct[v]; !ok {
			if len(c.distinct) >= MaxDistinct {
				c.DistinctCapped = true
				c.distinct = nil
			} else {
				v := strings.Clone(v)
				c.distinct[v] = struct{}{}
				c.Distinct++
				if len(c.Examples) < maxExamples {
					c.Examples = append(c.Examples, v)
				}
			}
		}
	}
	if c.numeric {
		f, err := parseFloat(t)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			c.numeric = false
		} else if !c.hasRange {
			c.Min, c.Max, c.hasRange = f, f, true
		} else {
			c.Min, c.Max = min(c.Min, f), max(c.Max, f)
		}
	}
	if c.timeParse {
		ms, err := ParseTime(t)
		switch {
		case err != nil:
			c.timeParse = false
		case ms < c.lastTime:
			c.timeMono = false
		}
		c.lastTime = ms
	}
	if c.entityOK && c.hashes != nil {
		if n > maxEntityRows {
			c.hashes = nil
			return
		}
		h := maphash.String(seed, v)
		if _, dup := c.hashes[h]; dup {
			c.entityOK = false
			c.hashes = nil
		} else {
			c.hashes[h] = struct{}{}
		}
	}
}

// guessRoles names the label, entity and time columns.
func (in *Inferred) guessRoles(cols []*colInfer) {
	taken := make([]bool, len(cols))
	pick := func(ok func(f int, c *colInfer) bool) string {
		for f, c := range cols {
			if !taken[f] && ok(f, c) {
				taken[f] = true
				return c.Name
			}
		}
		return ""
	}
	in.Label = pick(func(_ int, c *colInfer) bool { return nameIn(c.Name, labelNames) })
	if in.Label == "" {
		in.Label = pick(func(f int, c *colInfer) bool {
			return f == len(cols)-1 && c.Distinct == 2 && !c.DistinctCapped
		})
	}
	in.Entity = pick(func(_ int, c *colInfer) bool { return c.entity && c.entityOK })
	in.Time = pick(func(_ int, c *colInfer) bool { return nameIn(c.Name, timeNames) && c.timeParse })
	if in.Time == "" {
		in.Time = pick(func(_ int, c *colInfer) bool {
			return c.timeParse && c.timeMono && c.Distinct > 1 && !c.entity && !nameIn(c.Name, labelNames)
		})
	}
}
