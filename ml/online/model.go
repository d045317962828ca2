package online

import "github.com/freshet/freshet/ml"

// ModelClip bounds the standardised values of a model's online learner
// (and so the trees it exports to).
const ModelClip = 4

// ForModel is the online learner of a freshet model: one FTRL-Proximal
// learner over its features (categorical ones hashed), default rates,
// values clipped at ModelClip. The live worker and the backtester both
// start from it.
func ForModel(m *ml.Model) (*Model, error) {
	var cat []int
	for j, f := range m.Features {
		if f.Type == ml.Categorical {
			cat = append(cat, j)
		}
	}
	return New(Config{Schema: NewSchema(len(m.Features), cat...), Clip: ModelClip})
}

// Clone is an independent copy of m: learning on either leaves the other
// as it was. A snapshot that serves while the learner goes on learning
// is a clone.
func (m *Model) Clone() *Model {
	c := *m
	c.slot = append([]int32(nil), m.slot...)
	c.z = append([]float64(nil), m.z...)
	c.n = append([]float64(nil), m.n...)
	c.sqrtN = append([]float64(nil), m.sqrtN...)
	c.stats = append([]welford(nil), m.stats...)
	c.pq.scores = append([]float64(nil), m.pq.scores...)
	c.pq.labels = append([]bool(nil), m.pq.labels...)
	c.idx = append([]int32(nil), m.idx...)
	c.pre = append([]float64(nil), m.pre...)
	c.post = append([]float64(nil), m.post...)
	c.w = append([]float64(nil), m.w...)
	return &c
}
