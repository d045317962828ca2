package modelfile

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"

	"github.com/dmitryikh/leaves"
	"github.com/freshet/freshet/ml"
)

// Limits bounds what Load accepts. A zero field takes its default.
type Limits struct {
	MaxBytes    int64 // file size; default 256 MiB
	MaxTrees    int   // trees in all classes; default 100,000
	MaxLeaves   int   // leaves in one tree; default 1<<20
	MaxNodes    int   // internal nodes and leaves in all trees; default 10,000,000
	MaxFeatures int   // max_feature_idx+1; default 1,000,000
	MaxClasses  int   // num_class; default 10,000
}

// DefaultLimits are the limits a zero Limits stands for.
var DefaultLimits = Limits{
	MaxBytes:    256 << 20,
	MaxTrees:    100_000,
	MaxLeaves:   1 << 20,
	MaxNodes:    10_000_000,
	MaxFeatures: 1_000_000,
	MaxClasses:  10_000,
}

func (l Limits) withDefaults() Limits {
	d := DefaultLimits
	if l.MaxBytes > 0 {
		d.MaxBytes = l.MaxBytes
	}
	if l.MaxTrees > 0 {
		d.MaxTrees = l.MaxTrees
	}
	if l.MaxLeaves > 0 {
		d.MaxLeaves = l.MaxLeaves
	}
	if l.MaxNodes > 0 {
		d.MaxNodes = l.MaxNodes
	}
	if l.MaxFeatures > 0 {
		d.MaxFeatures = l.MaxFeatures
	}
	if l.MaxClasses > 0 {
		d.MaxClasses = l.MaxClasses
	}
	return d
}

// Model is a validated model file, loaded into leaves.
type Model struct {
	Format        Format   // what the file was
	SourceVersion string   // LightGBM "v2"/"v3"/"v4", XGBoost "1.7.4"
	Objective     string   // the objective the file declares, e.g. "binary:logistic"
	NumFeatures   int      // values Predict wants per row (max_feature_idx+1)
	NumClass      int      // trees per iteration: K for multiclass, else 1
	NumOutputs    int      // values Predict returns per row
	NumTrees      int      // trees in all classes
	NumIterations int      // boosting rounds (NumTrees / NumClass)
	FeatureNames  []string // as the file names them; nil if it does not
	SHA256        string   // hex SHA-256 of the file as given
	Text          []byte   // the model as canonical LightGBM v3 text: what leaves loaded

	ensemble *leaves.Ensemble
}

// Ensemble returns the leaves ensemble. Call its Predict or PredictDense,
// never PredictSingle: that one returns 0 without an error on a short row
// or a multiclass model.
func (m *Model) Ensemble() *leaves.Ensemble { return m.ensemble }

// LoadReader reads at most limits.MaxBytes from r and loads the model.
func LoadReader(r io.Reader, limits Limits) (*Model, error) {
	lim := limits.withDefaults()
	b, err := io.ReadAll(io.LimitReader(r, lim.MaxBytes+1))
	if err != nil {
		return nil, fmt.Errorf("modelfile: read: %w", err)
	}
	return Load(b, limits)
}

// Load validates a LightGBM text or XGBoost JSON model and loads it into
// leaves. Errors are *ml.Error values whose message names the tree and
// field at fault: EINVALID for a malformed file, EUNSUPPORTEDFMT for a
// format or model kind freshet cannot serve, ETOOLARGE beyond limits.
func Load(b []byte, limits Limits) (*Model, error) {
	lim := limits.withDefaults()
	if int64(len(b)) > lim.MaxBytes {
		return nil, tooLargef("the file is larger than %d bytes", lim.MaxBytes)
	}
	format, err := Sniff(b)
	if err != nil {
		return nil, err
	}
	m := &Model{Format: format}
	var e *ensemble
	switch format {
	case LightGBMText:
		var hdr lightgbmHeader
		e, hdr, err = parseLightGBM(b, lim)
		m.SourceVersion, m.Objective = hdr.version, hdr.objective
	case XGBoostJSON:
		var info xgbInfo
		e, info, err = parseXGBoostJSON(b, lim)
		m.SourceVersion, m.Objective = info.version, info.objective
	default:
		return nil, unsupportedf("format %s cannot be loaded", format)
	}
	if err != nil {
		return nil, err
	}
	if err := e.validate(lim); err != nil {
		return nil, err
	}
	m.Text = e.text()
	ens, err := loadLeaves(m.Text)
	if err != nil {
		return nil, err
	}
	m.ensemble = ens
	m.NumFeatures = e.maxFeatureIdx + 1
	m.NumClass = e.numClass
	m.NumOutputs = ens.NOutputGroups()
	m.NumTrees = len(e.trees)
	m.NumIterations = len(e.trees) / e.numClass
	m.FeatureNames = e.featureNames
	sum := sha256.Sum256(b)
	m.SHA256 = hex.EncodeToString(sum[:])
	// leaves must have read what was written; a difference is a bug here.
	if got := ens.NEstimators() * ens.NRawOutputGroups(); got != m.NumTrees || m.NumOutputs != m.NumClass {
		return nil, ml.Errorf(ml.EINTERNAL, "model file: leaves loaded %d trees and %d outputs, want %d and %d", got, m.NumOutputs, m.NumTrees, m.NumClass)
	}
	return m, nil
}

// loadLeaves hands validated text to leaves. Validation should make a panic
// impossible; the recover is the last defence.
func loadLeaves(text []byte) (ens *leaves.Ensemble, err error) {
	defer func() {
		if p := recover(); p != nil {
			ens, err = nil, ml.Errorf(ml.EINTERNAL, "model file: leaves panicked on a validated model: %v", p)
		}
	}()
	ens, err = leaves.LGEnsembleFromReader(bufio.NewReader(bytes.NewReader(text)), true)
	if err != nil {
		return nil, ml.Errorf(ml.EINVALID, "model file: leaves refused the model: %v", err)
	}
	return ens, nil
}

// Predict scores rows, each exactly NumFeatures values (NaN for a missing
// value), and returns NumOutputs values per row, row after row: a
// probability for binary models, class probabilities for multiclass, the
// prediction for regression.
func (m *Model) Predict(rows [][]float64) ([]float64, error) {
	for i, r := range rows {
		if len(r) != m.NumFeatures {
			return nil, ml.Errorf(ml.EINVALID, "row %d has %d values, the model wants %d", i, len(r), m.NumFeatures)
		}
	}
	out := make([]float64, len(rows)*m.NumOutputs)
	if len(rows) <= leaves.BatchSize {
		for i, r := range rows {
			if err := m.predictRow(r, out[i*m.NumOutputs:(i+1)*m.NumOutputs]); err != nil {
				return nil, err
			}
		}
		return out, nil
	}
	vals := make([]float64, 0, len(rows)*m.NumFeatures)
	for _, r := range rows {
		vals = append(vals, r...)
	}
	return out, m.predictDense(vals, len(rows), out)
}

// PredictDense scores a row-major matrix of len(vals)/NumFeatures rows and
// returns NumOutputs values per row.
func (m *Model) PredictDense(vals []float64) ([]float64, error) {
	if len(vals)%m.NumFeatures != 0 {
		return nil, ml.Errorf(ml.EINVALID, "%d values is not a whole number of rows of %d features", len(vals), m.NumFeatures)
	}
	nrows := len(vals) / m.NumFeatures
	out := make([]float64, nrows*m.NumOutputs)
	return out, m.predictDense(vals, nrows, out)
}

func (m *Model) predictRow(row, out []float64) (err error) {
	defer guard(&err)
	if err := m.ensemble.Predict(row, 0, out); err != nil {
		return ml.Errorf(ml.EINVALID, "predict: %v", err)
	}
	return nil
}

func (m *Model) predictDense(vals []float64, nrows int, out []float64) error {
	// Split the rows over the cores ourselves, calling leaves single-threaded
	// in each goroutine, so that every call runs under a recover guard.
	workers := min(runtime.GOMAXPROCS(0), (nrows+leaves.BatchSize-1)/leaves.BatchSize)
	if workers <= 1 {
		return m.predictChunk(vals, nrows, out)
	}
	per := (nrows + workers - 1) / workers
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		lo, hi := w*per, min(nrows, (w+1)*per)
		if lo >= hi {
			break
		}
		wg.Go(func() {
			errs[w] = m.predictChunk(vals[lo*m.NumFeatures:hi*m.NumFeatures], hi-lo, out[lo*m.NumOutputs:hi*m.NumOutputs])
		})
	}
	wg.Wait()
	return errors.Join(errs...)
}

func (m *Model) predictChunk(vals []float64, nrows int, out []float64) (err error) {
	if nrows == 0 {
		return nil
	}
	defer guard(&err)
	if err := m.ensemble.PredictDense(vals, nrows, m.NumFeatures, out, 0, 1); err != nil {
		return ml.Errorf(ml.EINVALID, "predict: %v", err)
	}
	return nil
}

// guard turns a panic in leaves into an error.
func guard(err *error) {
	if p := recover(); p != nil {
		*err = ml.Errorf(ml.EINTERNAL, "predict: leaves panicked: %v", p)
	}
}
