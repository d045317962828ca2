package decay

import (
	"errors"
	"math"
)

// ADWINConfig holds ADWIN's parameters; DefaultADWINConfig gives River's.
type ADWINConfig struct {
	// Delta is the significance value of the cut test (River: 0.002).
	Delta float64
	// Clock is how many updates pass between two cut tests (River: 32).
	Clock int
	// MaxBuckets is how many buckets of each size are kept before two are
	// merged (River: 5).
	MaxBuckets int
	// MinWindowLength is the smallest sub-window a cut may leave (River: 5).
	MinWindowLength int
	// GracePeriod is how many observations the window must exceed before
	// any cut test (River: 10).
	GracePeriod int
}

// DefaultADWINConfig returns River's defaults.
func DefaultADWINConfig() ADWINConfig {
	return ADWINConfig{Delta: 0.002, Clock: 32, MaxBuckets: 5, MinWindowLength: 5, GracePeriod: 10}
}

func (c ADWINConfig) validate() error {
	switch {
	case !(c.Delta > 0 && c.Delta < 1):
		return errors.New("decay: ADWIN delta must be in (0, 1)")
	case c.Clock < 1:
		return errors.New("decay: ADWIN clock must be >= 1")
	case c.MaxBuckets < 1:
		return errors.New("decay: ADWIN max buckets must be >= 1")
	case c.MinWindowLength < 1:
		return errors.New("decay: ADWIN min window length must be >= 1")
	case c.GracePeriod < 0:
		return errors.New("decay: ADWIN grace period must be >= 0")
	}
	return nil
}

// adwinRow is River's Bucket: up to MaxBuckets+1 buckets of one size
// (2^row observations each), oldest first.
type adwinRow struct {
	n        int
	total    []float64
	variance []float64
}

func newADWINRow(maxBuckets int) *adwinRow {
	return &adwinRow{total: make([]float64, maxBuckets+1), variance: make([]float64, maxBuckets+1)}
}

func (r *adwinRow) insert(total, variance float64) {
	r.total[r.n] = total
	r.variance[r.n] = variance
	r.n++
}

// compress drops the k oldest buckets of the row.
func (r *adwinRow) compress(k int) {
	copy(r.total, r.total[k:])
	copy(r.variance, r.variance[k:])
	clear(r.total[len(r.total)-k:])
	clear(r.variance[len(r.variance)-k:])
	r.n -= k
}

// ADWIN is the adaptive-windowing detector (Bifet & Gavaldà 2007) as River
// implements it in adwin_c.pyx: an exponential histogram of bucket rows,
// a cut test every Clock updates, and the bound
//
//	ε = sqrt(2·m·σ²·δ') + 2/3·δ'·m,  δ' = ln(2·ln(W)/δ),
//	m = 1/(n0−L+1) + 1/(n1−L+1)
//
// where σ² is the window's variance, W its width and L MinWindowLength.
// A cut drops the oldest bucket and the test repeats; like River, the whole
// window is discarded at the update after a detection. River's Cython source
// writes the constant as 2 / 3, which Cython 3 (River 0.21's build) divides
// as floats; the docstring example detects at index 1023 with either
// reading.
type ADWIN struct {
	cfg ADWINConfig

	rows      []*adwinRow // rows[0] holds single observations
	total     float64
	variance  float64 // sum of squared deviations, not divided by width
	width     float64
	tick      int
	detected  bool
	nDetected int
	rose      bool // the last detection's first cut: newer mean above older
}

// NewADWIN returns an ADWIN detector.
func NewADWIN(cfg ADWINConfig) (*ADWIN, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	a := &ADWIN{cfg: cfg}
	a.reset()
	return a, nil
}

// Name implements Detector.
func (a *ADWIN) Name() string { return "adwin" }

// Reset implements Detector.
func (a *ADWIN) Reset() {
	a.reset()
	a.nDetected = 0
}

func (a *ADWIN) reset() {
	a.rows = append(a.rows[:0], newADWINRow(a.cfg.MaxBuckets))
	a.total, a.variance, a.width = 0, 0, 0
	a.tick = 0
	a.detected = false
}

// Width is the number of observations in the window.
func (a *ADWIN) Width() int { return int(a.width) }

// Estimation is the mean of the window, 0 when it is empty.
func (a *ADWIN) Estimation() float64 {
	if a.width == 0 {
		return 0
	}
	return a.total / a.width
}

// Rose implements Directed: at the last detection, the mean of the
// window's newer part (kept) was above that of the older part (cut).
func (a *ADWIN) Rose() bool { return a.detected && a.rose }

// Detections counts the changes detected since construction or Reset.
// River's n_detections restarts with the window after every detection.
func (a *ADWIN) Detections() int { return a.nDetected }

// Update implements Detector.
func (a *ADWIN) Update(x float64) bool {
	if a.detected {
		a.reset()
	}
	a.insert(x)
	a.detected = a.detectChange()
	if a.detected {
		a.nDetected++
	}
	return a.detected
}

func (a *ADWIN) insert(x float64) {
	a.rows[0].insert(x, 0)
	a.width++
	if a.width > 1 {
		d := x - a.total/(a.width-1)
		a.variance += (a.width - 1) * d * d / a.width
	}
	a.total += x
	a.compress()
}

// compress merges the two oldest buckets of a row that overflowed into one
// bucket of the next row, cascading as in River's _compress_buckets.
func (a *ADWIN) compress() {
	mb := a.cfg.MaxBuckets
	for idx := 0; idx < len(a.rows); idx++ {
		row := a.rows[idx]
		if row.n != mb+1 {
			return
		}
		if idx+1 == len(a.rows) {
			a.rows = append(a.rows, newADWINRow(mb))
		}
		next := a.rows[idx+1]
		n := bucketSize(idx)
		mu1 := row.total[0] / n
		mu2 := row.total[1] / n
		d := mu1 - mu2
		next.insert(row.total[0]+row.total[1], row.variance[0]+row.variance[1]+n*n*d*d/(n+n))
		row.compress(2)
		if next.n <= mb {
			return
		}
	}
}

func bucketSize(row int) float64 { return math.Pow(2, float64(row)) }

// deleteOldest removes the oldest bucket (from the last row) and returns its
// size.
func (a *ADWIN) deleteOldest() float64 {
	last := len(a.rows) - 1
	row := a.rows[last]
	n := bucketSize(last)
	u := row.total[0]
	mu := u / n
	v := row.variance[0]
	a.width -= n
	a.total -= u
	muW := a.total / a.width
	a.variance -= v + n*a.width*(mu-muW)*(mu-muW)/(n+a.width)
	row.compress(1)
	if row.n == 0 {
		a.rows = a.rows[:last]
	}
	return n
}

func (a *ADWIN) detectChange() bool {
	change := false
	a.tick++
	if a.tick%a.cfg.Clock != 0 || !(a.width > float64(a.cfg.GracePeriod)) {
		return false
	}
	minLen := float64(a.cfg.MinWindowLength)
	for reduce := true; reduce; {
		reduce = false
		exit := false
		n0, n1 := 0.0, a.width
		u0, u1 := 0.0, a.total
		for idx := len(a.rows) - 1; idx >= 0 && !exit; idx-- {
			row := a.rows[idx]
			size := bucketSize(idx)
			// River walks k < current_idx-1: the newest bucket of each row
			// is never a cut point.
			for k := 0; k < row.n-1; k++ {
				n0 += size
				n1 -= size
				u0 += row.total[k]
				u1 -= row.total[k]
				deltaMean := u0/n0 - u1/n1
				if n1 >= minLen && n0 >= minLen && a.cut(n0, n1, deltaMean) {
					if !change {
						// The first cut of this test says which way the
						// mean moved: older part u0/n0, newer part u1/n1.
						a.rose = deltaMean < 0
					}
					reduce = true
					change = true
					if a.width > 0 {
						a.deleteOldest()
						exit = true
						break
					}
				}
			}
		}
	}
	return change
}

func (a *ADWIN) cut(n0, n1, deltaMean float64) bool {
	deltaPrime := math.Log(2 * math.Log(a.width) / a.cfg.Delta)
	l := float64(a.cfg.MinWindowLength)
	mRecip := 1/(n0-l+1) + 1/(n1-l+1)
	eps := math.Sqrt(2*mRecip*(a.variance/a.width)*deltaPrime) + 2.0/3.0*deltaPrime*mRecip
	return math.Abs(deltaMean) > eps
}
