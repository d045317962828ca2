package decay

import (
	"errors"
	"slices"

	"github.com/freshet/freshet/ml/drift"
)

// KSWINConfig holds KSWIN's parameters; DefaultKSWINConfig gives River's.
type KSWINConfig struct {
	// Alpha is the p-value at or below which the KS test signals a change
	// (River: 0.005).
	Alpha float64
	// WindowSize is the length of the sliding window (River: 100).
	WindowSize int
	// StatSize is the size of both KS samples (River: 30).
	StatSize int
	// Seed seeds the draw of the reference sample, as River's seed. River
	// also accepts None (OS entropy); here a seed is always given.
	Seed int64
	// Window optionally pre-fills the window to avoid a cold start, as
	// River's window parameter. Only the last WindowSize values are kept,
	// and Reset and the update after a change discard it, as in River.
	Window []float64
}

// DefaultKSWINConfig returns River's defaults with the given seed.
func DefaultKSWINConfig(seed int64) KSWINConfig {
	return KSWINConfig{Alpha: 0.005, WindowSize: 100, StatSize: 30, Seed: seed}
}

func (c KSWINConfig) validate() error {
	switch {
	case !(c.Alpha >= 0 && c.Alpha <= 1):
		return errors.New("decay: KSWIN alpha must be in [0, 1]")
	case c.StatSize < 1:
		return errors.New("decay: KSWIN stat size must be >= 1")
	case c.WindowSize < 2*c.StatSize:
		// River only rejects window_size < stat_size, but then
		// random.sample(range(window_size-stat_size), stat_size) raises.
		return errors.New("decay: KSWIN window size must be >= 2 × stat size")
	}
	return nil
}

// KSWIN is Kolmogorov–Smirnov windowing (Raab et al. 2020) as in River's
// kswin.py. Once the sliding window is full, every update compares its
// StatSize most recent values with StatSize values drawn without
// replacement from the rest of the window (Python's random.sample, same
// seed, same draws) by the two-sample KS test of scipy.stats.ks_2samp
// (ml/drift, method "auto"); a change is a p-value <= Alpha with a
// statistic above 0.1.
type KSWIN struct {
	cfg KSWINConfig

	window   []float64 // ring buffer
	start    int       // index of the oldest value
	count    int
	rng      *pyRandom
	pValue   float64
	detected bool
	rose     bool

	idx, pool   []int
	rnd, recent []float64
}

// NewKSWIN returns a KSWIN detector.
func NewKSWIN(cfg KSWINConfig) (*KSWIN, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	k := &KSWIN{
		cfg:    cfg,
		window: make([]float64, cfg.WindowSize),
		idx:    make([]int, cfg.StatSize),
		pool:   make([]int, cfg.WindowSize-cfg.StatSize),
		rnd:    make([]float64, cfg.StatSize),
		recent: make([]float64, cfg.StatSize),
	}
	k.Reset()
	w := cfg.Window
	if len(w) > cfg.WindowSize {
		w = w[len(w)-cfg.WindowSize:]
	}
	for _, v := range w {
		k.push(v)
	}
	return k, nil
}

// Name implements Detector.
func (k *KSWIN) Name() string { return "kswin" }

// Reset implements Detector: an empty window and a freshly seeded
// generator, as River's _reset.
func (k *KSWIN) Reset() {
	k.start, k.count = 0, 0
	k.rng = newPyRandom(k.cfg.Seed)
	k.pValue = 0
	k.detected = false
}

// PValue is the p-value of the last KS test, 0 before the first one.
func (k *KSWIN) PValue() float64 { return k.pValue }

func (k *KSWIN) push(x float64) {
	n := len(k.window)
	if k.count < n {
		k.window[(k.start+k.count)%n] = x
		k.count++
		return
	}
	k.window[k.start] = x
	k.start = (k.start + 1) % n
}

func (k *KSWIN) at(i int) float64 { return k.window[(k.start+i)%len(k.window)] }

// Update implements Detector.
func (k *KSWIN) Update(x float64) bool {
	if k.detected {
		k.Reset()
	}
	k.push(x)
	k.detected = false
	if k.count < k.cfg.WindowSize {
		return false
	}
	w, s := k.cfg.WindowSize, k.cfg.StatSize
	k.rng.sample(w-s, s, k.idx, k.pool)
	for i, j := range k.idx {
		k.rnd[i] = k.at(j)
	}
	for i := range s {
		k.recent[i] = k.at(w - s + i)
	}
	slices.Sort(k.rnd)
	slices.Sort(k.recent)
	r, err := drift.KSSorted(k.rnd, k.recent)
	if err != nil { // NaN in the window: no test, as no change
		k.pValue = 0
		return false
	}
	k.pValue = r.PValue
	// River also replaces the window by its recent part here, but the
	// next update resets it anyway.
	k.detected = k.pValue <= k.cfg.Alpha && r.Statistic > 0.1
	if k.detected {
		k.rose = mean(k.recent) > mean(k.rnd)
	}
	return k.detected
}

// Rose implements Directed: at the last detection the recent sample's
// mean was above the reference sample's. (KS itself is two-sided: a
// stream of errors that became rarer differs as much as one that became
// more frequent.)
func (k *KSWIN) Rose() bool { return k.detected && k.rose }
