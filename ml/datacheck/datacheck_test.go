package datacheck

import (
	"encoding/json"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

var nan = math.NaN()

// base is a valid binary window of n rows: nswprice in [0, 0.99], region
// codes 0..2, alternating labels, with the reference of its own rows.
func base(n int) Input {
	price := make([]float64, n)
	region := make([]float64, n)
	labels := make([]float64, n)
	for i := range n {
		price[i] = float64(i%100) / 100
		region[i] = float64(i % 3)
		labels[i] = float64(i % 2)
	}
	features := []Column{{Name: "nswprice", Values: price}, {Name: "region", Categorical: true, Values: region}}
	return Input{Task: ml.TaskBinary, Features: features, Labels: labels, Reference: ReferenceOf(features), MinRows: 200}
}

// clone copies in deeply enough for a case to change it.
func clone(in Input) Input {
	out := in
	out.Labels = slices.Clone(in.Labels)
	out.Features = make([]Column, len(in.Features))
	for i, f := range in.Features {
		f.Values = slices.Clone(f.Values)
		out.Features[i] = f
	}
	out.Reference = slices.Clone(in.Reference)
	return out
}

// setFirst sets the first k values of xs to v.
func setFirst(xs []float64, k int, v float64) {
	for i := range k {
		xs[i] = v
	}
}

func TestRunPasses(t *testing.T) {
	t.Parallel()
	r := Run(ml.ValidationConfig{}, base(300))
	if !r.OK || r.Error() != nil || len(r.Failures()) != 0 {
		t.Fatalf("report %+v, want OK", r)
	}
	var got []string
	for _, c := range r.Checks {
		got = append(got, c.Name+":"+c.Feature)
	}
	want := []string{"schema:", "min_rows:", "labels:", "label_balance:",
		"missing:nswprice", "range:nswprice", "missing:region", "range:region"}
	if !slices.Equal(got, want) {
		t.Fatalf("checks %v, want %v", got, want)
	}
	for _, c := range r.Checks {
		if c.Message == "" || math.IsNaN(c.Value) || math.IsNaN(c.Limit) {
			t.Errorf("check %+v: want a message and finite numbers", c)
		}
	}
	if _, err := json.Marshal(r); err != nil {
		t.Fatal(err)
	}
}

func TestRunChecks(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		change  func(in *Input, cfg *ml.ValidationConfig)
		check   string // the check to look at
		feature string
		pass    bool
		value   float64
		limit   float64
		msg     string
	}{
		// schema
		{"schema matches", nil, CheckSchema, "", true, 0, 0, "2 features match the reference"},
		{"schema without reference", func(in *Input, _ *ml.ValidationConfig) { in.Reference = nil },
			CheckSchema, "", true, 0, 0, "2 features, no reference to compare"},
		{"schema missing feature", func(in *Input, _ *ml.ValidationConfig) { in.Features = in.Features[:1] },
			CheckSchema, "", false, 1, 0, "schema: the window has 1 feature, the reference 2"},
		{"schema renamed", func(in *Input, _ *ml.ValidationConfig) { in.Features[0].Name = "price" },
			CheckSchema, "", false, 1, 0, "schema: feature 1 is price where the reference has nswprice"},
		{"schema kind", func(in *Input, _ *ml.ValidationConfig) { in.Features[1].Categorical = false },
			CheckSchema, "", false, 1, 0, "schema: feature region is numeric, categorical in the reference"},
		{"schema lengths", func(in *Input, _ *ml.ValidationConfig) { in.Features[0].Values = in.Features[0].Values[:299] },
			CheckSchema, "", false, 1, 0, "schema: feature nswprice has 299 values for 300 labels"},
		{"schema duplicate", func(in *Input, _ *ml.ValidationConfig) {
			in.Reference = nil
			in.Features[1].Name = "nswprice"
		}, CheckSchema, "", false, 1, 0, "schema: feature nswprice appears twice"},
		{"schema no features", func(in *Input, _ *ml.ValidationConfig) { in.Features, in.Reference = nil, nil },
			CheckSchema, "", false, 1, 0, "schema: the window has no features"},
		{"schema many problems", func(in *Input, _ *ml.ValidationConfig) {
			in.Features[0].Name, in.Features[1].Name = "a", "b"
			in.Features[0].Values, in.Features[1].Values = nil, nil
		}, CheckSchema, "", false, 4, 0, "schema: feature a has 0 values for 300 labels, feature b has 0 values for 300 labels, feature 1 is a where the reference has nswprice, and 1 more"},

		// min_rows
		{"min rows", nil, CheckMinRows, "", true, 300, 200, "300 rows (minimum 200)"},
		{"too few rows", func(in *Input, _ *ml.ValidationConfig) { *in = clone(base(120)) },
			CheckMinRows, "", false, 120, 200, "only 120 rows (minimum 200)"},
		{"default minimum", func(in *Input, _ *ml.ValidationConfig) { in.MinRows = 0 },
			CheckMinRows, "", true, 300, ml.DefaultMinRows, "300 rows (minimum 200)"},
		{"custom minimum", func(in *Input, _ *ml.ValidationConfig) { in.MinRows = 1000 },
			CheckMinRows, "", false, 300, 1000, "only 300 rows (minimum 1,000)"},

		// labels
		{"binary labels", nil, CheckLabels, "", true, 0, 0, "300 labels, all 0 or 1"},
		{"binary bad labels", func(in *Input, _ *ml.ValidationConfig) { in.Labels[17], in.Labels[40] = 2, nan },
			CheckLabels, "", false, 2, 0, "2 labels are not 0 or 1 (first at row 17: 2)"},
		{"binary one bad label", func(in *Input, _ *ml.ValidationConfig) { in.Labels[5] = -1 },
			CheckLabels, "", false, 1, 0, "1 label is not 0 or 1 (row 5: -1)"},
		{"multiclass labels", func(in *Input, _ *ml.ValidationConfig) {
			in.Task, in.Classes = ml.TaskMulticlass, 5
			for i := range in.Labels {
				in.Labels[i] = float64(i % 5)
			}
		}, CheckLabels, "", true, 0, 0, "300 labels, all class codes 0 to 4"},
		{"multiclass bad labels", func(in *Input, _ *ml.ValidationConfig) {
			in.Task, in.Classes = ml.TaskMulticlass, 5
			in.Labels[3], in.Labels[9], in.Labels[11] = 5, 1.5, -0.5
		}, CheckLabels, "", false, 3, 0, "3 labels are not class codes 0 to 4 (first at row 3: 5)"},
		{"multiclass one bad label", func(in *Input, _ *ml.ValidationConfig) {
			in.Task, in.Classes = ml.TaskMulticlass, 3
			in.Labels[8] = math.Inf(1)
		}, CheckLabels, "", false, 1, 0, "1 label is not a class code 0 to 2 (row 8: +Inf)"},
		{"multiclass without classes", func(in *Input, _ *ml.ValidationConfig) { in.Task = ml.TaskMulticlass },
			CheckLabels, "", false, 1, 0, "labels: a multiclass model needs at least 2 classes, not 0"},
		{"regression labels", func(in *Input, _ *ml.ValidationConfig) {
			in.Task = ml.TaskRegression
			in.Labels[0] = -1234.5
		}, CheckLabels, "", true, 0, 0, "300 labels, all finite numbers"},
		{"regression bad label", func(in *Input, _ *ml.ValidationConfig) {
			in.Task = ml.TaskRegression
			in.Labels[250] = math.Inf(-1)
		}, CheckLabels, "", false, 1, 0, "1 label is not a finite number (row 250: -Inf)"},
		{"regression missing labels", func(in *Input, _ *ml.ValidationConfig) {
			in.Task = ml.TaskRegression
			in.Labels[2], in.Labels[3] = nan, nan
		}, CheckLabels, "", false, 2, 0, "2 labels are not finite numbers (first at row 2: NaN)"},
		{"unknown task", func(in *Input, _ *ml.ValidationConfig) { in.Task = "ranking" },
			CheckLabels, "", false, 1, 0, `labels: unknown task "ranking": use binary, multiclass or regression`},

		// label_balance
		{"balanced", nil, CheckLabelBalance, "", true, 0.5, 0.01, "the rarest class 0 is 50% of labels (minimum 1%)"},
		{"rare positives", func(in *Input, _ *ml.ValidationConfig) {
			setFirst(in.Labels, 300, 0)
			in.Labels[10], in.Labels[20] = 1, 1
		}, CheckLabelBalance, "", false, 2.0 / 300, 0.01, "class 1 is only 0.7% of labels (minimum 1%)"},
		{"rare positives at the limit", func(in *Input, _ *ml.ValidationConfig) {
			setFirst(in.Labels, 300, 0)
			in.Labels[10], in.Labels[20], in.Labels[30] = 1, 1, 1
		}, CheckLabelBalance, "", true, 0.01, 0.01, "the rarest class 1 is 1% of labels (minimum 1%)"},
		{"custom minority", func(in *Input, cfg *ml.ValidationConfig) {
			cfg.MinMinority = 0.6
		}, CheckLabelBalance, "", false, 0.5, 0.6, "class 0 is only 50% of labels (minimum 60%)"},
		{"single class", func(in *Input, _ *ml.ValidationConfig) { setFirst(in.Labels, 300, 1) },
			CheckLabelBalance, "", false, 0, 0.01, "all 300 valid labels are class 1"},
		{"bad labels left out", func(in *Input, _ *ml.ValidationConfig) {
			setFirst(in.Labels, 300, 1)
			in.Labels[0] = 7
		}, CheckLabelBalance, "", false, 0, 0.01, "all 299 valid labels are class 1"},
		{"no valid labels", func(in *Input, _ *ml.ValidationConfig) { setFirst(in.Labels, 300, nan) },
			CheckLabelBalance, "", false, 0, 0.01, "no valid labels to balance"},
		{"multiclass missing class", func(in *Input, _ *ml.ValidationConfig) {
			in.Task, in.Classes = ml.TaskMulticlass, 3
			for i := range in.Labels {
				in.Labels[i] = float64(i % 2 * 2) // classes 0 and 2
			}
		}, CheckLabelBalance, "", false, 0, 0.01, "class 1 has no labels (minimum 1%)"},
		{"multiclass balanced", func(in *Input, _ *ml.ValidationConfig) {
			in.Task, in.Classes = ml.TaskMulticlass, 3
			for i := range in.Labels {
				in.Labels[i] = float64(i % 3)
			}
			in.Labels[0] = 1 // class 0 has 99 rows, the rarest
		}, CheckLabelBalance, "", true, 0.33, 0.01, "the rarest class 0 is 33% of labels (minimum 1%)"},

		// missing
		{"missing", nil, CheckMissing, "nswprice", true, 0, 0.3, "feature nswprice is 0% missing (reference 0%, limit +30 points)"},
		{"missing above reference", func(in *Input, _ *ml.ValidationConfig) {
			in.Reference[0].Missing = 0.02
			setFirst(in.Features[0].Values, 192, nan)
		}, CheckMissing, "nswprice", false, 0.64, 0.32, "feature nswprice is 64% missing (reference 2%, limit +30 points)"},
		{"missing at the limit", func(in *Input, _ *ml.ValidationConfig) {
			in.Reference[0].Missing = 0.02
			setFirst(in.Features[0].Values, 96, nan)
		}, CheckMissing, "nswprice", true, 0.32, 0.32, "feature nswprice is 32% missing (reference 2%, limit +30 points)"},
		{"missing custom limit", func(in *Input, cfg *ml.ValidationConfig) {
			cfg.MaxMissing = 0.05
			setFirst(in.Features[1].Values, 30, nan)
		}, CheckMissing, "region", false, 0.1, 0.05, "feature region is 10% missing (reference 0%, limit +5 points)"},
		{"missing without reference", func(in *Input, _ *ml.ValidationConfig) {
			in.Reference = nil
			setFirst(in.Features[0].Values, 270, nan)
		}, CheckMissing, "nswprice", true, 0.9, 0.95, "feature nswprice is 90% missing (limit 95% without a reference)"},
		{"mostly missing without reference", func(in *Input, _ *ml.ValidationConfig) {
			in.Reference = nil
			setFirst(in.Features[0].Values, 291, nan)
		}, CheckMissing, "nswprice", false, 0.97, 0.95, "feature nswprice is 97% missing (limit 95% without a reference)"},
		{"all missing", func(in *Input, _ *ml.ValidationConfig) {
			in.Reference[0].Missing = 0.9
			setFirst(in.Features[0].Values, 300, nan)
		}, CheckMissing, "nswprice", false, 1, 1, "feature nswprice is 100% missing (reference 90%, limit +30 points)"},
		{"all missing without reference", func(in *Input, cfg *ml.ValidationConfig) {
			in.Reference = nil
			cfg.MaxMissing = 1
			setFirst(in.Features[1].Values, 300, nan)
		}, CheckMissing, "region", false, 1, 1, "feature region is 100% missing (limit 100% without a reference)"},
		{"missing kind mismatch has no reference", func(in *Input, _ *ml.ValidationConfig) {
			in.Features[1].Categorical = false
			setFirst(in.Features[1].Values, 150, nan)
		}, CheckMissing, "region", true, 0.5, 0.95, "feature region is 50% missing (limit 95% without a reference)"},

		// range
		{"range", nil, CheckRange, "nswprice", true, 0, 0.5, "feature nswprice has 0% of values outside the reference range 0 to 0.99 (±10%; limit 50%)"},
		{"range shifted", func(in *Input, _ *ml.ValidationConfig) {
			for i := range in.Features[0].Values {
				in.Features[0].Values[i] += 2
			}
		}, CheckRange, "nswprice", false, 1, 0.5, "feature nswprice has 100% of values outside the reference range 0 to 0.99 (±10%; limit 50%)"},
		{"range margin", func(in *Input, _ *ml.ValidationConfig) {
			// 0.99 + 0.099 is inside, 1.09 and -0.1 outside; Inf is out,
			// NaN is missing, not out.
			v := in.Features[0].Values
			v[0], v[1], v[2], v[3], v[4], v[5] = 1.089, -0.099, 1.09, -0.1, math.Inf(1), nan
		}, CheckRange, "nswprice", true, 3.0 / 299, 0.5, "feature nswprice has 1% of values outside"},
		{"range at the limit", func(in *Input, _ *ml.ValidationConfig) { setFirst(in.Features[0].Values, 150, 5) },
			CheckRange, "nswprice", true, 0.5, 0.5, "has 50% of values outside"},
		{"range just over the limit", func(in *Input, _ *ml.ValidationConfig) { setFirst(in.Features[0].Values, 151, 5) },
			CheckRange, "nswprice", false, 151.0 / 300, 0.5, "has 50% of values outside"},
		{"range custom limit", func(in *Input, cfg *ml.ValidationConfig) {
			cfg.MaxOutOfRange = 0.01
			setFirst(in.Features[0].Values, 6, -3)
		}, CheckRange, "nswprice", false, 0.02, 0.01, "feature nswprice has 2% of values outside the reference range 0 to 0.99 (±10%; limit 1%)"},
		{"range of a constant reference", func(in *Input, _ *ml.ValidationConfig) {
			in.Reference[0].Min, in.Reference[0].Max = 0.5, 0.5
		}, CheckRange, "nswprice", false, 0.99, 0.5, "feature nswprice has 99% of values outside the reference range 0.5 to 0.5"},
		{"range unknown codes", func(in *Input, _ *ml.ValidationConfig) {
			setFirst(in.Features[1].Values, 180, 5)
		}, CheckRange, "region", false, 0.6, 0.5, "feature region has 60% of codes unknown to the reference, first 5 (3 known codes; limit 50%)"},
		{"range known codes", nil, CheckRange, "region", true, 0, 0.5, "feature region has 0% of codes unknown to the reference (3 known codes; limit 50%)"},
		{"range codes beyond a table", func(in *Input, _ *ml.ValidationConfig) {
			in.Reference[1].Categories = []float64{-1, 0, 1, 2, 2.5, 1e9}
			v := in.Features[1].Values
			setFirst(v, 100, 1e9)
			setFirst(v[100:], 100, 7)
			v[200], v[201] = -1, 2.5
		}, CheckRange, "region", true, 1.0 / 3, 0.5, "feature region has 33% of codes unknown to the reference, first 7 (6 known codes; limit 50%)"},
		{"range reference without values", func(in *Input, _ *ml.ValidationConfig) {
			in.Reference[0] = RefColumn{Name: "nswprice", Missing: 1}
		}, CheckRange, "nswprice", true, 0, 0.5, "feature nswprice: range not checked, the reference has no values"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			in := clone(base(300))
			var cfg ml.ValidationConfig
			if tc.change != nil {
				tc.change(&in, &cfg)
			}
			r := Run(cfg, in)
			i := slices.IndexFunc(r.Checks, func(c Check) bool { return c.Name == tc.check && c.Feature == tc.feature })
			if i < 0 {
				t.Fatalf("no %s check for %q in %+v", tc.check, tc.feature, r.Checks)
			}
			c := r.Checks[i]
			if c.Pass != tc.pass || math.Abs(c.Value-tc.value) > 0.005 || math.Abs(c.Limit-tc.limit) > 1e-12 {
				t.Errorf("check %+v, want pass %v, value %v, limit %v", c, tc.pass, tc.value, tc.limit)
			}
			if !strings.Contains(c.Message, tc.msg) {
				t.Errorf("message %q, want it to contain %q", c.Message, tc.msg)
			}
			if r.OK != (len(r.Failures()) == 0) {
				t.Errorf("OK %v with %d failures", r.OK, len(r.Failures()))
			}
			err := r.Error()
			if tc.pass {
				return
			}
			var e *ml.Error
			if !errors.As(err, &e) || e.Code != ml.EINVALID {
				t.Fatalf("Error() = %v, want an EINVALID *ml.Error", err)
			}
			if !strings.HasPrefix(e.Message, "data validation failed: ") || !strings.Contains(e.Message, c.Message) {
				t.Errorf("error message %q, want it to list %q", e.Message, c.Message)
			}
		})
	}
}

func TestRunRegressionHasNoBalance(t *testing.T) {
	t.Parallel()
	in := base(300)
	in.Task = ml.TaskRegression
	for _, c := range Run(ml.ValidationConfig{}, in).Checks {
		if c.Name == CheckLabelBalance {
			t.Fatalf("regression window got %+v", c)
		}
	}
}

func TestRunWithoutReferenceHasNoRange(t *testing.T) {
	t.Parallel()
	in := base(300)
	in.Reference = nil
	for _, c := range Run(ml.ValidationConfig{}, in).Checks {
		if c.Name == CheckRange {
			t.Fatalf("window without a reference got %+v", c)
		}
	}
}

func TestReportError(t *testing.T) {
	t.Parallel()
	in := clone(base(120))
	in.Reference[0].Missing = 0.02
	setFirst(in.Features[0].Values, 77, nan) // 64%
	r := Run(ml.ValidationConfig{}, in)
	want := "data validation failed: only 120 rows (minimum 200); feature nswprice is 64% missing (reference 2%, limit +30 points)"
	if err := r.Error(); ml.ErrorCode(err) != ml.EINVALID || ml.ErrorMessage(err) != want {
		t.Fatalf("Error() = %v, want %q", err, want)
	}
	if f := r.Failures(); len(f) != 2 || f[0].Name != CheckMinRows || f[1].Name != CheckMissing {
		t.Fatalf("failures %+v", f)
	}

	// Many failures: the first six in full, then a count.
	many := Report{}
	for i := range 9 {
		many.Checks = append(many.Checks, Check{Name: CheckMissing, Message: string(rune('a' + i))})
	}
	if got, want := ml.ErrorMessage(many.Error()), "data validation failed: a; b; c; d; e; f; and 3 more"; got != want {
		t.Fatalf("Error() message %q, want %q", got, want)
	}
	if (Report{OK: true}).Error() != nil {
		t.Fatal("an OK report has an error")
	}
	if ml.ErrorMessage(Report{}.Error()) != "data validation failed: no checks ran" {
		t.Fatal("an empty report that is not OK must say so")
	}
}

func TestReferenceOf(t *testing.T) {
	t.Parallel()
	refs := ReferenceOf([]Column{
		{Name: "x", Values: []float64{3, nan, -1, math.Inf(1), 2, nan}},
		{Name: "c", Categorical: true, Values: []float64{2, 0, 2, nan, 5, 0}},
		{Name: "odd", Categorical: true, Values: []float64{1e9, -1, 2.5, -1, nan}},
		{Name: "empty"},
		{Name: "gone", Values: []float64{nan, nan}},
	})
	want := []RefColumn{
		{Name: "x", Min: -1, Max: 3, Missing: 2.0 / 6, N: 3},
		{Name: "c", Categorical: true, Min: 0, Max: 5, Missing: 1.0 / 6, Categories: []float64{0, 2, 5}, N: 5},
		{Name: "odd", Categorical: true, Min: -1, Max: 1e9, Missing: 0.2, Categories: []float64{-1, 2.5, 1e9}, N: 4},
		{Name: "empty"},
		{Name: "gone", Missing: 1},
	}
	if len(refs) != len(want) {
		t.Fatalf("got %d columns", len(refs))
	}
	for i := range want {
		g, w := refs[i], want[i]
		if g.Name != w.Name || g.Categorical != w.Categorical || g.Min != w.Min || g.Max != w.Max ||
			math.Abs(g.Missing-w.Missing) > 1e-15 || g.N != w.N || !slices.Equal(g.Categories, w.Categories) {
			t.Errorf("column %d: got %+v, want %+v", i, g, w)
		}
	}
	if _, err := json.Marshal(refs); err != nil {
		t.Fatal(err)
	}
}

func TestPct(t *testing.T) {
	t.Parallel()
	for x, want := range map[float64]string{
		0: "0%", 1: "100%", 0.64: "64%", 0.004: "0.4%", 0.0004: "<0.1%", 0.995: "99.5%",
		0.9999: ">99.9%", 0.3: "30%", 2.0 / 300: "0.7%", 0.01: "1%",
	} {
		if got := pct(x); got != want {
			t.Errorf("pct(%v) = %q, want %q", x, got, want)
		}
	}
	if got := points(0.3); got != "30" {
		t.Errorf("points(0.3) = %q", got)
	}
	if got := points(0.125); got != "12.5" {
		t.Errorf("points(0.125) = %q", got)
	}
}
