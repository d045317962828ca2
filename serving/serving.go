// Package serving scores observations with a model's champion version,
// always through github.com/dmitryikh/leaves, whoever trained it.
//
// Loaded ensembles are cached by version id. A promotion or rollback only
// changes which version the next lookup finds; a request that already
// holds a *Scorer finishes with it, so swapping versions never fails an
// in-flight request.
package serving

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"

	"github.com/dmitryikh/leaves"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/modelfile"
	"github.com/freshet/freshet/store"
)

// Scorer is one loaded model version.
type Scorer struct {
	Version  *ml.Version
	ensemble *leaves.Ensemble
	classes  int
	features int
}

// Outputs is the number of scores per row (1 for binary and regression).
func (s *Scorer) Outputs() int { return s.classes }

// Load validates an artifact with ml/modelfile (bounds, tree shape,
// finite numbers; leaves trusts its input and can crash on a bad file)
// and loads the canonical text into leaves.
func Load(v *ml.Version, artifact []byte) (*Scorer, error) {
	if v.Format != ml.FormatLightGBM {
		return nil, fmt.Errorf("serving: version %d has format %q; only %s is served", v.ID, v.Format, ml.FormatLightGBM)
	}
	mf, err := modelfile.Load(artifact, modelfile.Limits{})
	if err != nil {
		return nil, fmt.Errorf("serving: load version %d: %w", v.ID, err)
	}
	return &Scorer{Version: v, ensemble: mf.Ensemble(), classes: mf.NumOutputs, features: mf.NumFeatures}, nil
}

// Score scores column-major rows (X[j][i], NaN = missing) and returns
// row-major scores: for binary the probability of class 1, for
// multiclass Outputs() probabilities per row, for regression the value.
func (s *Scorer) Score(X [][]float64) ([]float64, error) {
	nf := s.features // leaves' NFeatures is 0 for a one-feature model
	if len(X) < nf {
		return nil, fmt.Errorf("serving: version %d needs %d features, got %d", s.Version.ID, nf, len(X))
	}
	n := 0
	if len(X) > 0 {
		n = len(X[0])
	}
	if n == 0 {
		return nil, nil
	}
	ncols := len(X)
	dense := make([]float64, n*ncols)
	for j, col := range X {
		for i, v := range col {
			dense[i*ncols+j] = v
		}
	}
	out := make([]float64, n*s.classes)
	threads := 1
	if n >= 10000 {
		threads = runtime.GOMAXPROCS(0)
	}
	if err := s.ensemble.PredictDense(dense, n, ncols, out, 0, threads); err != nil {
		return nil, fmt.Errorf("serving: predict: %w", err)
	}
	for _, v := range out {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("serving: version %d produced a non-finite score", s.Version.ID)
		}
	}
	return out, nil
}

// Registry finds and caches champions.
type Registry struct {
	DB *store.DB

	mu     sync.Mutex
	loaded map[int64]*Scorer // by version id
}

// Champion returns the scorer of the model's current champion, or an
// ENOTFOUND error when it has none.
func (r *Registry) Champion(ctx context.Context, m *ml.Model) (*Scorer, error) {
	v, err := r.DB.FindChampion(ctx, m.ID)
	if err != nil {
		return nil, err
	}
	return r.Version(ctx, v)
}

// Version returns the scorer of a version, loading it once.
func (r *Registry) Version(ctx context.Context, v *ml.Version) (*Scorer, error) {
	r.mu.Lock()
	if s, ok := r.loaded[v.ID]; ok {
		r.mu.Unlock()
		return s, nil
	}
	r.mu.Unlock()
	art, err := r.DB.FindVersionArtifact(ctx, v.ID)
	if err != nil {
		return nil, err
	}
	s, err := Load(v, art)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.loaded == nil {
		r.loaded = map[int64]*Scorer{}
	}
	// Keep a handful: the champion and recent ones (rollback targets).
	if len(r.loaded) >= 16 {
		for id := range r.loaded {
			delete(r.loaded, id)
			break
		}
	}
	r.loaded[v.ID] = s
	return s, nil
}
