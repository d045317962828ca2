package drift

import (
	"fmt"
	"math"
	"slices"
)

// Method names a per-feature drift statistic.
type Method string

// Methods. The p-value tests drift when p < threshold; the distances
// drift when distance >= threshold.
const (
	MethodAuto          Method = ""
	MethodKS            Method = "ks"            // p-value
	MethodChiSquare     Method = "chisquare"     // p-value
	MethodZ             Method = "z"             // p-value
	MethodWasserstein   Method = "wasserstein"   // normed distance
	MethodJensenShannon Method = "jensenshannon" // distance, base 2
	MethodPSI           Method = "psi"
	MethodLInf          Method = "linf"
)

// IsTest reports whether m yields a p-value (as opposed to a distance).
func (m Method) IsTest() bool {
	return m == MethodKS || m == MethodChiSquare || m == MethodZ
}

// Correction adjusts p-values across the features of one report.
type Correction string

// Multiple-testing corrections.
const (
	CorrectionNone       Correction = ""
	CorrectionBonferroni Correction = "bonferroni"
	CorrectionBH         Correction = "bh" // Benjamini–Hochberg step-up
)

// Column is one feature's reference and current values. Categorical
// values are category codes stored as float64. NaN and ±Inf are dropped
// before testing, as Evidently does.
type Column struct {
	Name        string
	Categorical bool
	Ref, Cur    []float64
	Importance  float64 // champion's feature importance; any non-negative scale
	Method      Method  // MethodAuto follows Evidently's rule
	Threshold   float64 // 0 takes the Config default for the method
}

// Config holds the thresholds of Detect. Zero fields take the defaults of
// DefaultConfig, which are Evidently's.
type Config struct {
	SmallReference int        // reference rows up to which tests are used (1000)
	PValue         float64    // drift when p < PValue (0.05)
	Wasserstein    float64    // drift when normed distance >= (0.1)
	JensenShannon  float64    // drift when distance >= (0.1)
	PSI            float64    // drift when PSI >= (0.1)
	LInf           float64    // drift when L-infinity >= (0.1)
	PSIBins        int        // reference-quantile bins for PSI (DefaultBins)
	Correction     Correction // across features, for p-value tests
	DriftShare     float64    // dataset drifts when share >= (0.5)
}

// DefaultConfig returns Evidently's defaults.
func DefaultConfig() Config {
	return Config{SmallReference: 1000, PValue: 0.05, Wasserstein: 0.1, JensenShannon: 0.1,
		PSI: 0.1, LInf: 0.1, PSIBins: DefaultBins, DriftShare: 0.5}
}

func (c Config) withDefaults() Config {
	d := DefaultConfig()
	if c.SmallReference == 0 {
		c.SmallReference = d.SmallReference
	}
	for _, p := range []struct{ v, d *float64 }{{&c.PValue, &d.PValue}, {&c.Wasserstein, &d.Wasserstein},
		{&c.JensenShannon, &d.JensenShannon}, {&c.PSI, &d.PSI}, {&c.LInf, &d.LInf}, {&c.DriftShare, &d.DriftShare}} {
		if *p.v == 0 {
			*p.v = *p.d
		}
	}
	if c.PSIBins == 0 {
		c.PSIBins = d.PSIBins
	}
	return c
}

func (c Config) threshold(m Method) float64 {
	switch m {
	case MethodWasserstein:
		return c.Wasserstein
	case MethodJensenShannon:
		return c.JensenShannon
	case MethodPSI:
		return c.PSI
	case MethodLInf:
		return c.LInf
	default:
		return c.PValue
	}
}

// FeatureReport is the verdict for one feature.
type FeatureReport struct {
	Name      string
	Method    Method
	Statistic float64 // test statistic, or the distance itself
	PValue    float64 // raw p-value; NaN for distances
	Score     float64 // what is compared: adjusted p-value or distance
	Threshold float64
	Drifted   bool
	Weight    float64 // normalised importance; the weights sum to 1
	RefRows   int
	CurRows   int
}

// Report is the verdict for a dataset.
type Report struct {
	Features      []FeatureReport
	Drifted       int     // number of drifted features
	Share         float64 // Drifted / len(Features)
	WeightedShare float64 // Σ weight of drifted features
	DriftShare    float64 // threshold on the share
	Correction    Correction
	// DatasetDrift is Evidently's verdict, Share >= DriftShare.
	DatasetDrift bool
	// WeightedDrift is WeightedShare >= DriftShare: a drifting feature the
	// model does not use does not count. It equals DatasetDrift when no
	// importances were given.
	WeightedDrift bool
}

// Detect tests every column and aggregates a dataset verdict.
func Detect(cols []Column, cfg Config) (Report, error) {
	cfg = cfg.withDefaults()
	rep := Report{DriftShare: cfg.DriftShare, Correction: cfg.Correction}
	totalImp := 0.0
	for _, c := range cols {
		if c.Importance < 0 || math.IsNaN(c.Importance) {
			return Report{}, fmt.Errorf("drift: %s: negative importance", c.Name)
		}
		totalImp += c.Importance
	}
	for _, c := range cols {
		fr, err := detectColumn(c, cfg)
		if err != nil {
			return Report{}, fmt.Errorf("drift: %s: %w", c.Name, err)
		}
		if totalImp > 0 {
			fr.Weight = c.Importance / totalImp
		} else {
			fr.Weight = 1 / float64(len(cols))
		}
		rep.Features = append(rep.Features, fr)
	}
	adjust(rep.Features, cfg.Correction)
	for i := range rep.Features {
		f := &rep.Features[i]
		if f.Method.IsTest() {
			f.Drifted = f.Score < f.Threshold
		} else {
			f.Drifted = f.Score >= f.Threshold
		}
		if f.Drifted {
			rep.Drifted++
			rep.WeightedShare += f.Weight
		}
	}
	if n := len(rep.Features); n > 0 {
		rep.Share = float64(rep.Drifted) / float64(n)
	}
	rep.DatasetDrift = len(rep.Features) > 0 && rep.Share >= cfg.DriftShare
	rep.WeightedDrift = len(rep.Features) > 0 && rep.WeightedShare >= cfg.DriftShare-1e-12
	return rep, nil
}

// adjust replaces the Score of p-value tests by the corrected p-value.
func adjust(fs []FeatureReport, c Correction) {
	var idx []int
	for i, f := range fs {
		if f.Method.IsTest() && !math.IsNaN(f.PValue) {
			idx = append(idx, i)
		}
	}
	m := float64(len(idx))
	switch c {
	case CorrectionBonferroni:
		for _, i := range idx {
			fs[i].Score = min(1, fs[i].PValue*m)
		}
	case CorrectionBH:
		slices.SortStableFunc(idx, func(a, b int) int {
			switch {
			case fs[a].PValue < fs[b].PValue:
				return -1
			case fs[a].PValue > fs[b].PValue:
				return 1
			}
			return 0
		})
		run := 1.0
		for k := len(idx) - 1; k >= 0; k-- {
			i := idx[k]
			run = min(run, fs[i].PValue*m/float64(k+1))
			fs[i].Score = run
		}
	}
}

// Finite returns the values of x that are neither NaN nor ±Inf, the ones
// every statistic here uses.
func Finite(x []float64) []float64 {
	out := make([]float64, 0, len(x))
	for _, v := range x {
		if !math.IsNaN(v) && !math.IsInf(v, 0) {
			out = append(out, v)
		}
	}
	return out
}

// distinctUpTo returns the number of distinct values in a and b, stopping
// once it exceeds limit.
func distinctUpTo(limit int, xs ...[]float64) int {
	seen := make(map[float64]struct{}, limit+1)
	for _, x := range xs {
		for _, v := range x {
			seen[v+0] = struct{}{}
			if len(seen) > limit {
				return len(seen)
			}
		}
	}
	return len(seen)
}

// ChooseMethod is Evidently's default stattest rule
// (calculations/stattests/registry.py _get_default_stattest): with at most
// smallRef reference rows, KS for numeric columns, chi-squared for
// categorical ones (the Z-test when there are at most two categories);
// above, normed Wasserstein for numeric and Jensen–Shannon for
// categorical. A numeric column with at most five distinct values in
// reference and current together is treated as categorical.
func ChooseMethod(ref, cur []float64, categorical bool, smallRef int) Method {
	nv := distinctUpTo(5, ref, cur)
	if !categorical && nv <= 5 {
		categorical = true
	}
	if len(ref) <= smallRef {
		if !categorical {
			return MethodKS
		}
		if nv > 2 {
			return MethodChiSquare
		}
		return MethodZ
	}
	if categorical {
		return MethodJensenShannon
	}
	return MethodWasserstein
}

func detectColumn(c Column, cfg Config) (FeatureReport, error) {
	ref, cur := Finite(c.Ref), Finite(c.Cur)
	if len(ref) == 0 || len(cur) == 0 {
		return FeatureReport{}, ErrEmpty
	}
	m := c.Method
	if m == MethodAuto {
		m = ChooseMethod(ref, cur, c.Categorical, cfg.SmallReference)
	}
	fr := FeatureReport{Name: c.Name, Method: m, PValue: math.NaN(), Threshold: cfg.threshold(m),
		RefRows: len(ref), CurRows: len(cur)}
	if c.Threshold != 0 {
		fr.Threshold = c.Threshold
	}
	// Categorical columns and numeric ones with few values are compared
	// by value counts; others by reference-quantile (PSI) or Evidently's
	// (JS) bins.
	byValue := c.Categorical || distinctUpTo(20, ref) <= 20
	counts := func(evidentlyBins bool) (r, k []float64, err error) {
		if byValue {
			_, r, k = Align(CountFloats(ref), CountFloats(cur))
			return r, k, nil
		}
		var b Bins
		if evidentlyBins {
			b, err = SturgesBins(ref, cur)
		} else {
			b, err = QuantileBins(ref, cfg.PSIBins)
		}
		if err != nil {
			return nil, nil, err
		}
		r, _ = b.Count(ref)
		k, _ = b.Count(cur)
		return r, k, nil
	}
	var err error
	switch m {
	case MethodKS:
		var r KSResult
		r, err = KS(ref, cur)
		fr.Statistic, fr.PValue = r.Statistic, r.PValue
	case MethodChiSquare:
		_, r, k := Align(CountFloats(ref), CountFloats(cur))
		fr.Statistic, fr.PValue, err = ChiSquare(r, k)
	case MethodZ:
		_, r, k := Align(CountFloats(ref), CountFloats(cur))
		fr.Statistic, fr.PValue, err = ZTest(r[0], float64(len(ref)), k[0], float64(len(cur)))
	case MethodWasserstein:
		fr.Statistic, err = WassersteinNorm(ref, cur)
	case MethodJensenShannon, MethodPSI, MethodLInf:
		var r, k []float64
		r, k, err = counts(m == MethodJensenShannon)
		if err != nil {
			break
		}
		switch m {
		case MethodJensenShannon:
			fr.Statistic, err = JensenShannon(r, k)
		case MethodPSI:
			fr.Statistic, err = PSI(r, k)
		default:
			fr.Statistic, err = LInf(r, k)
		}
	default:
		return FeatureReport{}, fmt.Errorf("unknown method %q", m)
	}
	if err != nil {
		return FeatureReport{}, err
	}
	fr.Score = fr.Statistic
	if m.IsTest() {
		fr.Score = fr.PValue
	}
	return fr, nil
}
