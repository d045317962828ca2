package online

import (
	"errors"
	"fmt"
	"math"
)

// Kind says how a Model reads one input column.
type Kind uint8

const (
	// Numeric columns are standardised with running statistics and get one
	// weight each (plus a weight for "missing").
	Numeric Kind = iota
	// Categorical columns hold category codes; each distinct code is hashed
	// to one of Config.Buckets one-hot coordinates.
	Categorical
)

// String returns "numeric" or "categorical".
func (k Kind) String() string {
	switch k {
	case Numeric:
		return "numeric"
	case Categorical:
		return "categorical"
	}
	return fmt.Sprintf("Kind(%d)", uint8(k))
}

// Schema describes the input rows: Kinds[i] is the kind of column i, and
// every row passed to a Model has exactly len(Kinds) values.
type Schema struct {
	Kinds []Kind
}

// NewSchema returns a schema of n columns, all numeric except the listed
// categorical ones.
func NewSchema(n int, categorical ...int) Schema {
	s := Schema{Kinds: make([]Kind, n)}
	for _, c := range categorical {
		if c >= 0 && c < n {
			s.Kinds[c] = Categorical
		}
	}
	return s
}

// Features returns the number of input columns.
func (s Schema) Features() int { return len(s.Kinds) }

// numeric returns the number of numeric columns.
func (s Schema) numeric() int {
	n := 0
	for _, k := range s.Kinds {
		if k == Numeric {
			n++
		}
	}
	return n
}

// Limits on configurations. They keep a hostile snapshot from asking for
// absurd amounts of memory and are far above any sensible model.
const (
	// MaxFeatures is the largest number of input columns.
	MaxFeatures = 1 << 16
	// MaxBuckets is the largest number of hashed categorical coordinates.
	MaxBuckets = 1 << 24
	// MaxAUCWindow is the largest prequential AUC window.
	MaxAUCWindow = 1 << 20
)

// Defaults used for zero Config fields.
const (
	DefaultAlpha     = 0.1
	DefaultBeta      = 1.0
	DefaultBuckets   = 1 << 12
	DefaultAUCWindow = 1000
)

// Config holds a Model's hyper-parameters. Zero values of Alpha, Beta,
// Buckets and AUCWindow take the defaults above; L1, L2 and Clip are used
// as given (zero means none).
type Config struct {
	Schema Schema

	// Alpha and Beta set the per-coordinate learning rate
	// alpha / (beta + sqrt(sum of squared gradients)) (McMahan et al.
	// 2013, §3.1). Beta = 1 is the paper's advice; Alpha is the knob.
	Alpha float64
	Beta  float64

	// L1 and L2 are the regularisation strengths lambda1 and lambda2 of
	// Algorithm 1. They apply to the summed (not averaged) loss and never
	// to the intercept. L1 > 0 makes weights exactly zero.
	L1 float64
	L2 float64

	// Buckets is the number of one-hot coordinates that categorical
	// (column, code) pairs are hashed into. Unused when the schema has no
	// categorical column.
	Buckets int

	// Clip, when positive, clips standardised numeric values to
	// [-Clip, Clip], which bounds the influence of outliers and of the
	// noisy statistics of the first few rows.
	Clip float64

	// AUCWindow is the number of most recent prequential predictions the
	// running AUC is computed over.
	AUCWindow int
}

// withDefaults fills zero fields and validates the result.
func (c Config) withDefaults() (Config, error) {
	if c.Alpha == 0 {
		c.Alpha = DefaultAlpha
	}
	if c.Beta == 0 {
		c.Beta = DefaultBeta
	}
	if c.AUCWindow == 0 {
		c.AUCWindow = DefaultAUCWindow
	}
	hasCat := false
	for _, k := range c.Schema.Kinds {
		if k == Categorical {
			hasCat = true
		}
	}
	if !hasCat {
		c.Buckets = 0
	} else if c.Buckets == 0 {
		c.Buckets = DefaultBuckets
	}
	return c, c.validate()
}

// errConfig is wrapped by every configuration error.
var errConfig = errors.New("online: invalid config")

// validate checks a config that already has its defaults.
func (c Config) validate() error {
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{errConfig}, args...)...)
	}
	n := len(c.Schema.Kinds)
	switch {
	case n == 0:
		return bad("schema has no columns")
	case n > MaxFeatures:
		return bad("schema has %d columns, more than %d", n, MaxFeatures)
	}
	hasCat := false
	for i, k := range c.Schema.Kinds {
		switch k {
		case Numeric:
		case Categorical:
			hasCat = true
		default:
			return bad("column %d has unknown kind %d", i, k)
		}
	}
	positive := func(name string, v float64) error {
		if !(v > 0) || math.IsInf(v, 0) {
			return bad("%s = %v, want a finite number > 0", name, v)
		}
		return nil
	}
	nonNeg := func(name string, v float64) error {
		if !(v >= 0) || math.IsInf(v, 0) {
			return bad("%s = %v, want a finite number >= 0", name, v)
		}
		return nil
	}
	for _, err := range []error{
		positive("alpha", c.Alpha), positive("beta", c.Beta),
		nonNeg("l1", c.L1), nonNeg("l2", c.L2), nonNeg("clip", c.Clip),
	} {
		if err != nil {
			return err
		}
	}
	if hasCat && (c.Buckets < 1 || c.Buckets > MaxBuckets) {
		return bad("buckets = %d, want 1..%d", c.Buckets, MaxBuckets)
	}
	if !hasCat && c.Buckets != 0 {
		return bad("buckets = %d without categorical columns", c.Buckets)
	}
	if c.AUCWindow < 2 || c.AUCWindow > MaxAUCWindow {
		return bad("AUC window = %d, want 2..%d", c.AUCWindow, MaxAUCWindow)
	}
	return nil
}
