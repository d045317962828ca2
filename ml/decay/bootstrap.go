package decay

import (
	"errors"
	"math"
	"math/bits"
	"slices"
)

// ErrEmpty is returned when a sample is empty or too small for the test.
var ErrEmpty = errors.New("decay: sample too small")

// BootstrapConfig configures BootstrapDiff; DefaultBootstrapConfig gives
// 2000 resamples at 95%.
type BootstrapConfig struct {
	// Resamples is the number of bootstrap replicates (>= 100).
	Resamples int
	// Level is the confidence level of the interval, in (0, 1).
	Level float64
	// Paired resamples rows jointly: cur[i] and base[i] are the losses of
	// two models (or periods) on the same row i, and the interval is for
	// the mean of cur[i]−base[i]. Unpaired resamples each sample on its own.
	Paired bool
	// Seed makes the resampling deterministic.
	Seed uint64
}

// DefaultBootstrapConfig returns an unpaired 95% interval from 2000
// resamples with seed 1.
func DefaultBootstrapConfig() BootstrapConfig {
	return BootstrapConfig{Resamples: 2000, Level: 0.95, Seed: 1}
}

// BootstrapResult is a percentile bootstrap interval for
// mean(cur) − mean(base).
type BootstrapResult struct {
	Diff  float64 // observed mean(cur) − mean(base)
	Lower float64 // lower end of the interval
	Upper float64 // upper end of the interval
	Level float64
	// PNonPositive is the share of replicates with a difference <= 0: small
	// values back an increase of the loss (a one-sided bootstrap p-value).
	PNonPositive float64
}

// Significant reports whether the interval excludes zero.
func (r BootstrapResult) Significant() bool { return r.Lower > 0 || r.Upper < 0 }

// BootstrapDiff estimates a percentile bootstrap confidence interval
// (Efron & Tibshirani 1993, §13.3) for the difference of means between the
// per-row losses or errors of the current window and those of the
// baseline. A positive difference means the current window is worse when
// the values are losses. Quantiles of the replicates are interpolated
// linearly, as numpy.percentile's default. The generator is SplitMix64 with
// Lemire's unbiased bounded draws, so results depend only on the inputs and
// the config.
func BootstrapDiff(cur, base []float64, cfg BootstrapConfig) (BootstrapResult, error) {
	if cfg.Resamples < 100 {
		return BootstrapResult{}, errors.New("decay: bootstrap needs >= 100 resamples")
	}
	if !(cfg.Level > 0 && cfg.Level < 1) {
		return BootstrapResult{}, errors.New("decay: bootstrap level must be in (0, 1)")
	}
	if len(cur) == 0 || len(base) == 0 {
		return BootstrapResult{}, ErrEmpty
	}
	if cfg.Paired && len(cur) != len(base) {
		return BootstrapResult{}, errors.New("decay: paired bootstrap needs samples of equal length")
	}
	for _, s := range [][]float64{cur, base} {
		for _, v := range s {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return BootstrapResult{}, errors.New("decay: bootstrap sample holds NaN or Inf")
			}
		}
	}

	rng := splitMix{state: cfg.Seed}
	reps := make([]float64, cfg.Resamples)
	if cfg.Paired {
		d := make([]float64, len(cur))
		for i := range d {
			d[i] = cur[i] - base[i]
		}
		for b := range reps {
			reps[b] = resampleMean(d, &rng)
		}
	} else {
		for b := range reps {
			reps[b] = resampleMean(cur, &rng) - resampleMean(base, &rng)
		}
	}
	nonPos := 0
	for _, v := range reps {
		if v <= 0 {
			nonPos++
		}
	}
	slices.Sort(reps)
	tail := (1 - cfg.Level) / 2
	return BootstrapResult{
		Diff:         mean(cur) - mean(base),
		Lower:        percentile(reps, tail),
		Upper:        percentile(reps, 1-tail),
		Level:        cfg.Level,
		PNonPositive: float64(nonPos) / float64(len(reps)),
	}, nil
}

func resampleMean(x []float64, rng *splitMix) float64 {
	n := uint64(len(x))
	s := 0.0
	for range x {
		s += x[rng.below(n)]
	}
	return s / float64(len(x))
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// percentile interpolates linearly between order statistics of sorted x
// (numpy's "linear" method).
func percentile(x []float64, q float64) float64 {
	h := q * float64(len(x)-1)
	lo := math.Floor(h)
	i := int(lo)
	if i+1 >= len(x) {
		return x[len(x)-1]
	}
	return x[i] + (h-lo)*(x[i+1]-x[i])
}

// splitMix is SplitMix64 (Steele, Lea & Flood 2014).
type splitMix struct{ state uint64 }

func (s *splitMix) next() uint64 {
	s.state += 0x9E3779B97F4A7C15
	z := s.state
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9
	z = (z ^ (z >> 27)) * 0x94D049BB133111EB
	return z ^ (z >> 31)
}

// below returns a uniform integer in [0, n) by Lemire's multiply-shift
// method with rejection (Lemire 2019), n > 0.
func (s *splitMix) below(n uint64) uint64 {
	hi, lo := bits.Mul64(s.next(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(s.next(), n)
		}
	}
	return hi
}
