package mvdrift

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// DefaultVarianceKept is the share of variance the principal components
// must explain, NannyML's default n_components of 0.65.
const DefaultVarianceKept = 0.65

// PCAModel is PCA data reconstruction fitted on a reference sample. It is
// safe for concurrent use once fitted.
type PCAModel struct {
	d           int
	categorical []bool
	fill        []float64             // imputed value per column (a code for categorical columns)
	freq        []map[float64]float64 // per categorical column: code → reference frequency
	mean, scale []float64             // standardisation of the encoded columns
	proj        []float64             // d×d row-major I − W·Wᵀ: the residual projector
	k           int                   // kept components
	explained   float64               // cumulative explained-variance ratio of the kept components
	refErr      []float64             // reconstruction error of every reference row, in order
}

// PCAResult is the verdict of PCAModel.Detect on one window.
type PCAResult struct {
	// Error is the window's mean reconstruction error.
	Error float64
	// Lower and Upper bound the reference's chunk-mean error (mean ± 3
	// standard deviations); Drifted is true outside [Lower, Upper].
	Lower, Upper float64
	Drifted      bool
	// Components is the number of principal components kept and
	// Explained the share of reference variance they explain.
	Components int
	Explained  float64
	// Chunks is the number of reference chunks the band was estimated
	// from (0 when the reference holds fewer than two chunks and the band
	// comes from the row-level standard error alone).
	Chunks int
}

// FitPCA fits PCA data reconstruction on the reference ref (column-major,
// NaN for missing; categorical[j] marks column j as category codes, nil
// means all numeric). varianceKept is the share of variance the kept
// components must explain: 0 means DefaultVarianceKept, 1 keeps every
// component. The fit is deterministic: seed is accepted for symmetry with
// DomainClassifier and is currently unused (NannyML likewise passes a
// random_state that sklearn's exact PCA solver ignores). See the package
// documentation for the method.
func FitPCA(ref [][]float64, categorical []bool, varianceKept float64, seed uint64) (*PCAModel, error) {
	_ = seed
	n, err := shape(ref)
	if err != nil {
		return nil, err
	}
	d := len(ref)
	if err := checkCategorical(categorical, d); err != nil {
		return nil, err
	}
	if n < 2 {
		return nil, fmt.Errorf("%w: PCA needs at least 2 reference rows, got %d", ErrTooFewRows, n)
	}
	if varianceKept == 0 {
		varianceKept = DefaultVarianceKept
	}
	if !(varianceKept > 0 && varianceKept <= 1) {
		return nil, fmt.Errorf("mvdrift: varianceKept %v is not in (0, 1]", varianceKept)
	}
	m := &PCAModel{
		d:           d,
		categorical: slices.Clone(categorical),
		fill:        make([]float64, d),
		freq:        make([]map[float64]float64, d),
		mean:        make([]float64, d),
		scale:       make([]float64, d),
	}

	// Imputation values and categorical frequencies.
	for j, col := range ref {
		if isCat(categorical, j) {
			counts := map[float64]int{}
			missing := 0
			for _, v := range col {
				if isMissing(v) {
					missing++
				} else {
					counts[v]++
				}
			}
			mode, best := 0.0, -1
			for c, k := range counts {
				if k > best || (k == best && c < mode) {
					mode, best = c, k
				}
			}
			counts[mode] += missing // the imputed rows take the mode, as in NannyML
			f := make(map[float64]float64, len(counts))
			for c, k := range counts {
				f[c] = float64(k) / float64(n)
			}
			m.fill[j], m.freq[j] = mode, f
			continue
		}
		sum, k := 0.0, 0
		for _, v := range col {
			if !isMissing(v) {
				sum += v
				k++
			}
		}
		if k > 0 {
			m.fill[j] = sum / float64(k)
		}
	}

	// Encoded reference, then its standardisation.
	enc := make([][]float64, d)
	for j := range ref {
		enc[j] = make([]float64, n)
		m.encode(j, ref[j], enc[j])
		mu := 0.0
		for _, v := range enc[j] {
			mu += v
		}
		mu /= float64(n)
		ss := 0.0
		for _, v := range enc[j] {
			ss += (v - mu) * (v - mu)
		}
		sd := math.Sqrt(ss / float64(n))
		if sd < 1e-12*math.Max(1, math.Abs(mu)) { // constant column: StandardScaler leaves it unscaled
			sd = 1
		}
		m.mean[j], m.scale[j] = mu, sd
		for i, v := range enc[j] {
			enc[j][i] = (v - mu) / sd
		}
	}

	// Principal components of the standardised reference Z: the SVD of
	// its Gram matrix ZᵀZ (d×d, symmetric), whose singular values are the
	// squared singular values of Z and whose singular vectors are Z's right
	// singular vectors. Building it costs n·d² once, and the Gram matrix of
	// any set of blocks is a sum of block Gram matrices.
	folds := min(refFolds, n/(d+1))
	if folds < 2 {
		folds = 1
	}
	blocks := make([]*mat.SymDense, folds)
	total := mat.NewSymDense(d, nil)
	for f := range folds {
		blocks[f] = gram(enc, f*n/folds, (f+1)*n/folds)
		total.AddSym(total, blocks[f])
	}
	vals, v, err := eigen(total)
	if err != nil {
		return nil, err
	}
	sum := 0.0
	for _, x := range vals {
		sum += x
	}
	k := len(vals) // all components when varianceKept is 1 or the data is degenerate
	if sum > 0 && varianceKept < 1 {
		// sklearn: searchsorted(cumsum(ratio), varianceKept, side="right") + 1.
		cum := 0.0
		for i, x := range vals {
			cum += x / sum
			if cum > varianceKept {
				k = i + 1
				break
			}
		}
	}
	cum := 0.0
	for _, x := range vals[:k] {
		cum += x
	}
	m.k = k
	if sum > 0 {
		m.explained = cum / sum
	}
	m.proj = projector(v, k)

	// Reference errors for the alert band, out of sample: the reference is
	// cut into refFolds contiguous blocks and each block is scored by k
	// components fitted on the other blocks.
	m.refErr = make([]float64, n)
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	if folds == 1 {
		m.rowErrors(m.proj, enc, all, m.refErr)
		return m, nil
	}
	rest := mat.NewSymDense(d, nil)
	for f := range folds {
		lo, hi := f*n/folds, (f+1)*n/folds
		for a := range d {
			for b := a; b < d; b++ {
				rest.SetSym(a, b, total.At(a, b)-blocks[f].At(a, b))
			}
		}
		_, vf, err := eigen(rest)
		if err != nil {
			return nil, err
		}
		m.rowErrors(projector(vf, k), enc, all[lo:hi], m.refErr[lo:hi])
	}
	return m, nil
}

// refFolds is the number of blocks the reference is cross-fitted in to
// score it out of sample.
const refFolds = 5

// gram returns ZᵀZ over rows [lo, hi) of the column-major z.
func gram(z [][]float64, lo, hi int) *mat.SymDense {
	d := len(z)
	g := mat.NewSymDense(d, nil)
	for a := range d {
		za := z[a][lo:hi]
		for b := a; b < d; b++ {
			zb := z[b][lo:hi]
			s := 0.0
			for i, x := range za {
				s += x * zb[i]
			}
			g.SetSym(a, b, s)
		}
	}
	return g
}

// eigen returns the eigenvalues, in decreasing order, and eigenvectors (as
// columns) of the symmetric positive semi-definite g, by gonum's SVD.
func eigen(g *mat.SymDense) ([]float64, *mat.Dense, error) {
	var svd mat.SVD
	if !svd.Factorize(g, mat.SVDFull) {
		return nil, nil, errors.New("mvdrift: SVD did not converge")
	}
	var v mat.Dense
	svd.VTo(&v)
	return svd.Values(nil), &v, nil
}

// projector returns I − W·Wᵀ (d×d, row-major) for the first k columns W of
// v: the map from a standardised row to its reconstruction residual.
func projector(v *mat.Dense, k int) []float64 {
	d, _ := v.Dims()
	p := make([]float64, d*d)
	for a := range d {
		for b := range d {
			w := 0.0
			for c := range k {
				w += v.At(a, c) * v.At(b, c)
			}
			p[a*d+b] = -w
			if a == b {
				p[a*d+b]++
			}
		}
	}
	return p
}

// isMissing reports whether v counts as missing: NaN or ±Inf.
func isMissing(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }

// encode imputes and encodes raw column j into dst (not standardised).
func (m *PCAModel) encode(j int, col, dst []float64) {
	fill := m.fill[j]
	if f := m.freq[j]; f != nil {
		for i, v := range col {
			if isMissing(v) {
				v = fill
			}
			dst[i] = f[v] // unseen codes have frequency 0
		}
		return
	}
	for i, v := range col {
		if isMissing(v) {
			v = fill
		}
		dst[i] = v
	}
}

// rowErrors writes into dst the reconstruction error, under the residual
// projector proj, of the given rows of the standardised columns z.
func (m *PCAModel) rowErrors(proj []float64, z [][]float64, rows []int, dst []float64) {
	d := m.d
	row := make([]float64, d)
	for r, i := range rows {
		for j := range d {
			row[j] = z[j][i]
		}
		ss := 0.0
		for a := range d {
			p := proj[a*d : a*d+d]
			r := 0.0
			for b, x := range row {
				r += p[b] * x
			}
			ss += r * r
		}
		dst[r] = math.Sqrt(ss)
	}
}

// Components returns the number of principal components kept.
func (m *PCAModel) Components() int { return m.k }

// Explained returns the share of the reference's variance the kept
// components explain.
func (m *PCAModel) Explained() float64 { return m.explained }

// RowErrors returns the reconstruction error of every row of x
// (column-major, same columns as the reference, NaN for missing).
func (m *PCAModel) RowErrors(x [][]float64) ([]float64, error) {
	n, err := shape(x)
	if err != nil {
		return nil, err
	}
	if len(x) != m.d {
		return nil, fmt.Errorf("mvdrift: %d columns, the model was fitted on %d", len(x), m.d)
	}
	z := make([][]float64, m.d)
	for j := range x {
		z[j] = make([]float64, n)
		m.encode(j, x[j], z[j])
		mu, sd := m.mean[j], m.scale[j]
		for i, v := range z[j] {
			z[j][i] = (v - mu) / sd
		}
	}
	rows := make([]int, n)
	for i := range rows {
		rows[i] = i
	}
	out := make([]float64, n)
	m.rowErrors(m.proj, z, rows, out)
	return out, nil
}

// Error returns the mean reconstruction error of the rows of x
// (column-major, same columns as the reference, NaN for missing). It
// returns NaN when x is empty or malformed; Detect reports the reason.
func (m *PCAModel) Error(x [][]float64) float64 {
	e, err := m.RowErrors(x)
	if err != nil || len(e) == 0 {
		return math.NaN()
	}
	return mean(e)
}

// Threshold returns NannyML's alert band for windows of chunkSize rows:
// the reference, in order, is cut into chunks of chunkSize rows (a trailing
// partial chunk is dropped), and the band is the mean of the chunk-mean
// errors ± 3 standard deviations of them (sample standard deviation, as
// pandas computes it). The reference errors are out of sample (each of 5
// contiguous blocks scored by components fitted on the others; see the
// package documentation). The standard deviation is floored at
// std(row errors)/√chunkSize; with fewer than two chunks that standard
// error alone is used around the mean row error, and chunks is 0. The
// lower bound is clipped at 0.
func (m *PCAModel) Threshold(chunkSize int) (lower, upper float64, chunks int) {
	if chunkSize < 1 {
		chunkSize = 1
	}
	e := m.refErr
	se := stddev(e, mean(e)) / math.Sqrt(float64(chunkSize))
	center, sd := mean(e), se
	if nc := len(e) / chunkSize; nc >= 2 {
		means := make([]float64, nc)
		for c := range means {
			means[c] = mean(e[c*chunkSize : (c+1)*chunkSize])
		}
		center = mean(means)
		sd = math.Max(stddev(means, center), se)
		chunks = nc
	}
	return math.Max(0, center-3*sd), center + 3*sd, chunks
}

// Detect compares the window x (column-major, NaN for missing) with the
// reference: its mean reconstruction error against Threshold(chunkSize).
// chunkSize ≤ 0 means the window's own row count, the usual choice when
// every monitored window has about the same size.
func (m *PCAModel) Detect(x [][]float64, chunkSize int) (PCAResult, error) {
	e, err := m.RowErrors(x)
	if err != nil {
		return PCAResult{}, err
	}
	if len(e) == 0 {
		return PCAResult{}, fmt.Errorf("%w: empty window", ErrTooFewRows)
	}
	if chunkSize <= 0 {
		chunkSize = len(e)
	}
	r := PCAResult{Error: mean(e), Components: m.k, Explained: m.explained}
	r.Lower, r.Upper, r.Chunks = m.Threshold(chunkSize)
	r.Drifted = r.Error > r.Upper || r.Error < r.Lower
	return r, nil
}

func mean(x []float64) float64 {
	s := 0.0
	for _, v := range x {
		s += v
	}
	return s / float64(len(x))
}

// stddev is the sample standard deviation (ddof 1) around mu.
func stddev(x []float64, mu float64) float64 {
	if len(x) < 2 {
		return 0
	}
	ss := 0.0
	for _, v := range x {
		ss += (v - mu) * (v - mu)
	}
	return math.Sqrt(ss / float64(len(x)-1))
}
