package online

import (
	"fmt"
	"math"
	"math/bits"
)

// Model is an FTRL-Proximal logistic regression that learns one row at a
// time. A Model is not safe for concurrent use; PredictOne, Metrics and
// Coefficients only read it and may run concurrently with each other.
type Model struct {
	cfg  Config
	nNum int
	// slot[j] is column j's index among the numeric columns (-1 for a
	// categorical column).
	slot []int32

	// z and n are Algorithm 1's per-coordinate state; the weights are
	// computed from them lazily. Coordinates: 0 is the intercept, then one
	// per numeric column, one "missing" indicator per numeric column, then
	// cfg.Buckets hashed categorical coordinates.
	z, n []float64
	// sqrtN caches sqrt(n), which every weight and update needs.
	sqrtN []float64
	// invAlpha is 1/cfg.Alpha.
	invAlpha float64

	stats []welford // one per numeric column
	pq    prequential

	// Scratch for LearnOne: the row's active coordinates, their
	// standardised values before and after this row's statistics update,
	// and their weights.
	idx  []int32
	pre  []float64
	post []float64
	w    []float64
}

// New returns an untrained model.
func New(cfg Config) (*Model, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	m := newModel(cfg)
	dim := m.dim()
	m.z = make([]float64, dim)
	m.n = make([]float64, dim)
	m.sqrtN = make([]float64, dim)
	return m, nil
}

// newModel builds everything but the z, n and sqrtN vectors from a validated
// config.
func newModel(cfg Config) *Model {
	kinds := append([]Kind(nil), cfg.Schema.Kinds...)
	cfg.Schema.Kinds = kinds
	f := len(kinds)
	m := &Model{
		cfg:  cfg,
		slot: make([]int32, f),
		idx:  make([]int32, f+1),
		pre:  make([]float64, f+1),
		post: make([]float64, f+1),
		w:    make([]float64, f+1),
	}
	for j, k := range kinds {
		if k == Numeric {
			m.slot[j] = int32(m.nNum)
			m.nNum++
		} else {
			m.slot[j] = -1
		}
	}
	m.stats = make([]welford, m.nNum)
	m.invAlpha = 1 / cfg.Alpha
	m.pq.window = cfg.AUCWindow
	return m
}

// dim is the number of weight coordinates.
func (m *Model) dim() int { return 1 + 2*m.nNum + m.cfg.Buckets }

// Config returns the model's configuration with defaults filled in.
func (m *Model) Config() Config {
	c := m.cfg
	c.Schema.Kinds = append([]Kind(nil), c.Schema.Kinds...)
	return c
}

// welford holds a running mean and sum of squared deviations (Welford
// 1962), which stay accurate where the naive sum of squares cancels, and
// caches the reciprocal of the standard deviation for standardise.
type welford struct {
	count uint64
	mean  float64
	m2    float64
	inv   float64 // 1/sd, or 0 while there is no usable scale
}

func (s *welford) add(v float64) {
	s.count++
	d := v - s.mean
	s.mean += d / float64(s.count)
	s.m2 += d * (v - s.mean)
	s.setInv()
}

// setInv derives inv from count and m2, with the population standard
// deviation. Before the column has shown two distinct values there is no
// scale, and every value standardises to 0: it contributes nothing, like
// the mean.
func (s *welford) setInv() {
	s.inv = 0
	if s.count < 2 || !(s.m2 > 0) {
		return
	}
	sd := math.Sqrt(s.m2 / float64(s.count))
	if sd > 1e-12*math.Max(1, math.Abs(s.mean)) {
		s.inv = 1 / sd
	}
}

// standardise maps v to (v - mean) / sd, clipped to ±clip if clip > 0.
func (s *welford) standardise(v, clip float64) float64 {
	x := (v - s.mean) * s.inv
	if clip > 0 {
		x = max(-clip, min(clip, x))
	}
	return x
}

func (s *welford) sd() float64 {
	if s.count < 2 {
		return 0
	}
	return math.Sqrt(s.m2 / float64(s.count))
}

// bucket hashes a categorical (column, code) pair to one of n coordinates.
// Codes are compared as float64 values: -0 equals 0 and every NaN is the
// same "missing" category.
func bucket(col int, v float64, n int) int {
	var b uint64
	switch {
	case v != v:
		b = 0x7ff8000000000001
	case v == 0:
		b = 0
	default:
		b = math.Float64bits(v)
	}
	h := b ^ (uint64(col)+1)*0x9e3779b97f4a7c15
	// splitmix64's finaliser.
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	h ^= h >> 31
	hi, _ := bits.Mul64(h, uint64(n))
	return int(hi)
}

// weight is Algorithm 1's lazy weight for coordinate i. The intercept
// (i == 0) is not regularised.
func (m *Model) weight(i int) float64 {
	if i == 0 {
		return ftrlWeight(m.z[0], m.sqrtN[0], 0, 0, m.cfg.Beta, m.invAlpha)
	}
	return ftrlWeight(m.z[i], m.sqrtN[i], m.cfg.L1, m.cfg.L2, m.cfg.Beta, m.invAlpha)
}

// ftrlWeight is zero while |z| is within l1 and otherwise the closed-form
// minimiser of the FTRL-Proximal objective. It is small enough to inline.
func ftrlWeight(z, sqrtN, l1, l2, beta, invAlpha float64) float64 {
	if math.Abs(z) <= l1 {
		return 0
	}
	return -(z - math.Copysign(l1, z)) / ((beta+sqrtN)*invAlpha + l2)
}

// sigmoid is the logistic function with the margin bounded to ±35, as
// the paper bounds predictions, so that log loss stays finite.
func sigmoid(margin float64) float64 {
	margin = max(-35, min(35, margin))
	return 1 / (1 + math.Exp(-margin))
}

// checkRow panics unless x has one value per schema column.
func (m *Model) checkRow(x []float64) {
	if len(x) != len(m.slot) {
		panic(fmt.Sprintf("online: row has %d values, schema has %d columns", len(x), len(m.slot)))
	}
}

// PredictOne returns the probability that row x is positive. Numeric NaN
// or ±Inf values are missing; categorical values are codes. It panics if
// len(x) differs from the schema's number of columns, like an index out
// of range.
func (m *Model) PredictOne(x []float64) float64 {
	m.checkRow(x)
	margin := m.weight(0)
	for j, v := range x {
		k := m.slot[j]
		switch {
		case k < 0:
			margin += m.weight(1 + 2*m.nNum + bucket(j, v, m.cfg.Buckets))
		case math.IsNaN(v) || math.IsInf(v, 0):
			margin += m.weight(1 + m.nNum + int(k))
		default:
			margin += m.weight(1+int(k)) * m.stats[k].standardise(v, m.cfg.Clip)
		}
	}
	return sigmoid(margin)
}

// LearnOne updates the model with row x and label y (0 or 1). It first
// scores x as PredictOne would have and records that prediction in the
// prequential metrics, so Metrics reports how the model did on rows it had
// not yet seen. It panics if len(x) is wrong (see PredictOne) and returns
// an error, leaving the model unchanged, if y is not 0 or 1.
func (m *Model) LearnOne(x []float64, y float64) error {
	if y != 0 && y != 1 {
		return fmt.Errorf("online: label %v, want 0 or 1", y)
	}
	m.checkRow(x)
	p := m.learn(x, y)
	m.pq.add(p, y == 1)
	return nil
}

// LearnBatch calls LearnOne for each row in order. It validates every
// label first, so on error the model is unchanged.
func (m *Model) LearnBatch(xs [][]float64, ys []float64) error {
	if err := checkBatch(xs, ys, len(m.slot)); err != nil {
		return err
	}
	for i, x := range xs {
		p := m.learn(x, ys[i])
		m.pq.add(p, ys[i] == 1)
	}
	return nil
}

// checkBatch validates a batch's shape and labels.
func checkBatch(xs [][]float64, ys []float64, features int) error {
	if len(xs) != len(ys) {
		return fmt.Errorf("online: %d rows but %d labels", len(xs), len(ys))
	}
	for i, x := range xs {
		if len(x) != features {
			return fmt.Errorf("online: row %d has %d values, schema has %d columns", i, len(x), features)
		}
		if y := ys[i]; y != 0 && y != 1 {
			return fmt.Errorf("online: row %d: label %v, want 0 or 1", i, y)
		}
	}
	return nil
}

// learn is one step of Algorithm 1 on a checked row and returns the
// prediction made before the step.
//
// Each numeric value is standardised twice: with the statistics before
// this row (for the prequential prediction, which must not peek) and after
// adding it (for the update). Including the row bounds its standardised
// value by sqrt(count-1), so the noisy statistics of the first rows cannot
// produce huge gradients that would freeze a coordinate's learning rate.
func (m *Model) learn(x []float64, y float64) float64 {
	clip := m.cfg.Clip
	catBase := 1 + 2*m.nNum
	m.idx[0], m.pre[0], m.post[0] = 0, 1, 1
	for j, v := range x {
		a := j + 1
		k := m.slot[j]
		switch {
		case k < 0:
			m.idx[a], m.pre[a], m.post[a] = int32(catBase+bucket(j, v, m.cfg.Buckets)), 1, 1
		case math.IsNaN(v) || math.IsInf(v, 0):
			m.idx[a], m.pre[a], m.post[a] = int32(1+m.nNum+int(k)), 1, 1
		default:
			s := &m.stats[k]
			m.idx[a] = int32(1 + int(k))
			m.pre[a] = s.standardise(v, clip)
			s.add(v)
			m.post[a] = s.standardise(v, clip)
		}
	}
	w0 := m.weight(0)
	m.w[0] = w0
	before, after := w0, w0
	l1, l2, beta := m.cfg.L1, m.cfg.L2, m.cfg.Beta
	for a := 1; a < len(m.idx); a++ {
		i := m.idx[a]
		w := ftrlWeight(m.z[i], m.sqrtN[i], l1, l2, beta, m.invAlpha)
		m.w[a] = w
		before += w * m.pre[a]
		after += w * m.post[a]
	}
	g := sigmoid(after) - y
	for a, i := range m.idx {
		xi := m.post[a]
		if xi == 0 {
			continue
		}
		gi := g * xi
		nn := m.n[i] + gi*gi
		sq := math.Sqrt(nn)
		sigma := (sq - m.sqrtN[i]) * m.invAlpha
		m.z[i] += gi - sigma*m.w[a]
		m.n[i] = nn
		m.sqrtN[i] = sq
	}
	return sigmoid(before)
}

// Coefficients is a model's current weights. Numeric weights are per
// standard deviation of the column's running statistics: the raw-scale
// slope of column j is Numeric[j] / Std[j], and the raw-scale intercept is
// Intercept minus the sum of Numeric[j] * Mean[j] / Std[j].
type Coefficients struct {
	Intercept float64
	// Numeric, Missing, Mean and Std have one entry per schema column and
	// are zero for categorical columns. Missing[j] is the weight used
	// instead of Numeric[j] when column j's value is missing.
	Numeric []float64
	Missing []float64
	Mean    []float64
	Std     []float64
}

// Coefficients returns a copy of the current weights.
func (m *Model) Coefficients() Coefficients {
	f := len(m.slot)
	c := Coefficients{
		Intercept: m.weight(0),
		Numeric:   make([]float64, f),
		Missing:   make([]float64, f),
		Mean:      make([]float64, f),
		Std:       make([]float64, f),
	}
	for j, k := range m.slot {
		if k < 0 {
			continue
		}
		c.Numeric[j] = m.weight(1 + int(k))
		c.Missing[j] = m.weight(1 + m.nNum + int(k))
		c.Mean[j] = m.stats[k].mean
		c.Std[j] = m.stats[k].sd()
	}
	return c
}

// CategoryWeight returns the weight of code in categorical column col
// (which it shares with any code hashed to the same bucket). It panics if
// col is not a categorical column.
func (m *Model) CategoryWeight(col int, code float64) float64 {
	if col < 0 || col >= len(m.slot) || m.slot[col] >= 0 {
		panic(fmt.Sprintf("online: column %d is not categorical", col))
	}
	return m.weight(1 + 2*m.nNum + bucket(col, code, m.cfg.Buckets))
}

// Metrics returns the prequential metrics of the rows learned so far.
func (m *Model) Metrics() Metrics { return m.pq.metrics() }

// ResetMetrics clears the prequential metrics but keeps what was learned,
// for example before a second pass over the same data.
func (m *Model) ResetMetrics() { m.pq.reset() }
