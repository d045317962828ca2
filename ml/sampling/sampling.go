package sampling

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/freshet/freshet/ml"
)

// Pool is the unlabeled rows a strategy picks from, scored by the current
// model.
type Pool struct {
	// Scores are the model's probabilities: P(class 1) per row for a
	// binary model, Classes probabilities per row (row-major) otherwise.
	Scores []float64
	// Classes is the number of classes; 0 or 2 means binary.
	Classes int
	// X holds the features, column-major (X[j][i]; NaN = missing), for
	// density and diversity. The uncertainty strategies ignore it.
	X [][]float64
	// Members is an optional committee: Members[k][i] is member k's P(1)
	// for row i (bootstrap models or groups of trees).
	Members [][]float64
	// Labeled, if set, lists rows that already have a label: they are
	// never picked, and diversity keeps new picks away from them too.
	Labeled []int
	// Density, if set, is Density(X, …) computed beforehand (it depends
	// only on X, so a caller scoring the same pool again can keep it);
	// nil means the density strategy computes it.
	Density []float64
}

// Strategy names a way of choosing rows.
type Strategy string

// The strategies; see the package documentation.
const (
	StrategyRandom          Strategy = "random"
	StrategyLeastConfidence Strategy = "least_confidence"
	StrategyMargin          Strategy = "margin"
	StrategyEntropy         Strategy = "entropy"
	StrategyCommittee       Strategy = "committee"
	StrategyDensity         Strategy = "density"
	StrategyDiversity       Strategy = "diversity"
	StrategyEpsilon         Strategy = "epsilon"
)

// DefaultStrategy is the strategy a query batch uses unless told
// otherwise.
const DefaultStrategy = StrategyDiversity

// Strategies lists every strategy, the control first.
var Strategies = []Strategy{
	StrategyRandom, StrategyLeastConfidence, StrategyMargin, StrategyEntropy,
	StrategyCommittee, StrategyDensity, StrategyDiversity, StrategyEpsilon,
}

// Valid reports whether s is a known strategy.
func (s Strategy) Valid() bool { return slices.Contains(Strategies, s) }

// Options tune Select. Zero fields take their defaults.
type Options struct {
	// Seed makes every random choice (the random strategy, the ε share,
	// tie-breaking, the density sample) reproducible.
	Seed uint64
	// Epsilon is the share of an epsilon batch drawn at random (default
	// 0.1).
	Epsilon float64
	// Candidates is how many of the least sure rows k-center greedy
	// chooses from in diversity and epsilon (default 10 × the batch).
	Candidates int
	// Beta weighs density against uncertainty: uncertainty × density^Beta
	// (default 1).
	Beta float64
	// DensitySample is how many pool rows Density compares each row with
	// (default 1,000).
	DensitySample int
}

// Defaults of Options.
const (
	DefaultEpsilon          = 0.1
	DefaultCandidatesFactor = 10
	DefaultBeta             = 1
	DefaultDensitySample    = 1000
)

// Pick is one row chosen for labeling.
type Pick struct {
	// Row indexes the pool.
	Row int
	// Uncertainty is the strategy's score for the row, higher = less sure
	// (committee: variance; density: uncertainty × density^Beta; random:
	// the margin uncertainty, for display).
	Uncertainty float64
	// Why says in words why the row was chosen, for the labeling page.
	Why string
}

// Select picks n distinct unlabeled rows of p with strategy s. The result
// is deterministic for a given o.Seed. Bad input (an unknown strategy, n
// out of range, scores of the wrong length or outside [0, 1], a strategy
// without the data it needs) is an EINVALID error.
func Select(s Strategy, p Pool, n int, o Options) ([]Pick, error) {
	if !s.Valid() {
		return nil, ml.Errorf(ml.EINVALID, "unknown sampling strategy %q (want one of %v)", s, Strategies)
	}
	o, err := o.resolve(n)
	if err != nil {
		return nil, err
	}
	rows, err := p.check(s)
	if err != nil {
		return nil, err
	}
	avail := unlabeled(rows, p.Labeled)
	if n <= 0 || n > len(avail) {
		return nil, ml.Errorf(ml.EINVALID, "cannot pick %d rows from a pool of %d unlabeled rows", n, len(avail))
	}
	rng := rand.New(rand.NewPCG(o.Seed, 0x73616d706c696e67)) // "sampling"
	sel := selector{p: p, rows: rows, avail: avail, rng: rng, o: o}
	switch s {
	case StrategyRandom:
		return sel.random(n, nil, "random (control)"), nil
	case StrategyLeastConfidence, StrategyMargin, StrategyEntropy, StrategyCommittee:
		return sel.ranked(s, n), nil
	case StrategyDensity:
		return sel.density(n), nil
	case StrategyDiversity:
		return sel.diversity(n), nil
	}
	// StrategyEpsilon
	nr := int(math.Round(o.Epsilon * float64(n)))
	picks := sel.diversity(n - nr)
	taken := make(map[int]bool, len(picks))
	for _, pk := range picks {
		taken[pk.Row] = true
	}
	why := fmt.Sprintf("random (the %s exploration share)", pct(o.Epsilon))
	return append(picks, sel.random(nr, taken, why)...), nil
}

func (o Options) resolve(n int) (Options, error) {
	if o.Epsilon == 0 {
		o.Epsilon = DefaultEpsilon
	}
	if !(o.Epsilon >= 0 && o.Epsilon <= 1) {
		return o, ml.Errorf(ml.EINVALID, "epsilon must be in [0, 1], got %v", o.Epsilon)
	}
	if o.Candidates < 0 {
		return o, ml.Errorf(ml.EINVALID, "candidates must be ≥ 0, got %d", o.Candidates)
	}
	if o.Candidates == 0 {
		o.Candidates = DefaultCandidatesFactor * max(n, 1)
	}
	if o.Beta == 0 {
		o.Beta = DefaultBeta
	}
	if !(o.Beta > 0) || math.IsInf(o.Beta, 0) {
		return o, ml.Errorf(ml.EINVALID, "beta must be > 0, got %v", o.Beta)
	}
	if o.DensitySample < 0 {
		return o, ml.Errorf(ml.EINVALID, "density sample must be ≥ 0, got %d", o.DensitySample)
	}
	if o.DensitySample == 0 {
		o.DensitySample = DefaultDensitySample
	}
	return o, nil
}

// check validates p for strategy s and returns the number of rows.
func (p Pool) check(s Strategy) (int, error) {
	k := p.classes()
	if p.Classes < 0 || p.Classes == 1 {
		return 0, ml.Errorf(ml.EINVALID, "classes must be 0 or ≥ 2, got %d", p.Classes)
	}
	rows := -1
	switch {
	case p.Scores != nil:
		if len(p.Scores)%k != 0 {
			return 0, ml.Errorf(ml.EINVALID, "%d scores is not a whole number of rows of %d classes", len(p.Scores), k)
		}
		rows = len(p.Scores) / k
	case len(p.X) > 0:
		rows = len(p.X[0])
	case len(p.Members) > 0:
		rows = len(p.Members[0])
	}
	if rows <= 0 {
		return 0, ml.Errorf(ml.EINVALID, "the pool is empty")
	}
	for i, v := range p.Scores {
		if !(v >= 0 && v <= 1) {
			return 0, ml.Errorf(ml.EINVALID, "score %d is %v, want a probability in [0, 1]", i, v)
		}
	}
	if s != StrategyRandom && s != StrategyCommittee && p.Scores == nil {
		return 0, ml.Errorf(ml.EINVALID, "strategy %s needs the model's scores", s)
	}
	needX := s == StrategyDensity || s == StrategyDiversity || s == StrategyEpsilon
	if needX && len(p.X) == 0 {
		return 0, ml.Errorf(ml.EINVALID, "strategy %s needs the rows' features", s)
	}
	for j, col := range p.X {
		if len(col) != rows {
			return 0, ml.Errorf(ml.EINVALID, "feature column %d has %d rows, the pool has %d", j, len(col), rows)
		}
	}
	if s == StrategyCommittee && len(p.Members) < 2 {
		return 0, ml.Errorf(ml.EINVALID, "strategy committee needs at least 2 members, got %d", len(p.Members))
	}
	for k, m := range p.Members {
		if len(m) != rows {
			return 0, ml.Errorf(ml.EINVALID, "committee member %d scored %d rows, the pool has %d", k, len(m), rows)
		}
		for i, v := range m {
			if !(v >= 0 && v <= 1) {
				return 0, ml.Errorf(ml.EINVALID, "committee member %d: score %d is %v, want a probability in [0, 1]", k, i, v)
			}
		}
	}
	if p.Density != nil && len(p.Density) != rows {
		return 0, ml.Errorf(ml.EINVALID, "%d density values for a pool of %d rows", len(p.Density), rows)
	}
	for _, r := range p.Labeled {
		if r < 0 || r >= rows {
			return 0, ml.Errorf(ml.EINVALID, "labeled row %d is outside the pool of %d rows", r, rows)
		}
	}
	return rows, nil
}

// classes is the number of probabilities per row in Scores (1 for binary).
func (p Pool) classes() int {
	if p.Classes <= 2 {
		return 1
	}
	return p.Classes
}

// unlabeled returns the rows not in labeled, in order.
func unlabeled(rows int, labeled []int) []int {
	skip := make([]bool, rows)
	for _, r := range labeled {
		skip[r] = true
	}
	out := make([]int, 0, max(0, rows-len(labeled)))
	for i := range rows {
		if !skip[i] {
			out = append(out, i)
		}
	}
	return out
}

type selector struct {
	p     Pool
	rows  int
	avail []int
	rng   *rand.Rand
	o     Options
}

// random draws n unlabeled rows not in taken, uniformly (a partial
// Fisher–Yates shuffle).
func (s *selector) random(n int, taken map[int]bool, why string) []Pick {
	from := s.avail
	if len(taken) > 0 {
		from = make([]int, 0, len(s.avail))
		for _, r := range s.avail {
			if !taken[r] {
				from = append(from, r)
			}
		}
	} else {
		from = slices.Clone(from)
	}
	var u []float64
	if s.p.Scores != nil {
		u = Margin(s.p)
	}
	out := make([]Pick, n)
	for i := range n {
		j := i + s.rng.IntN(len(from)-i)
		from[i], from[j] = from[j], from[i]
		out[i] = Pick{Row: from[i], Why: why}
		if u != nil {
			out[i].Uncertainty = u[from[i]]
		}
	}
	return out
}

// order returns the unlabeled rows sorted by score, highest first, ties
// in a random order; only the first k are sorted (k ≤ len(avail)).
func (s *selector) order(score []float64, k int) []int {
	type row struct {
		i   int
		s   float64
		key uint64
	}
	rs := make([]row, len(s.avail))
	for n, i := range s.avail {
		rs[n] = row{i, score[i], s.rng.Uint64()}
	}
	less := func(a, b row) int {
		if c := cmp.Compare(b.s, a.s); c != 0 {
			return c
		}
		return cmp.Compare(a.key, b.key)
	}
	top := topK(rs, k, less)
	out := make([]int, len(top))
	for n, r := range top {
		out[n] = r.i
	}
	return out
}

// topK returns the k smallest elements of xs under cmpf, sorted.
// It partitions around a pivot (quickselect) before sorting, so it costs
// O(len(xs) + k log k) on average.
func topK[T any](xs []T, k int, cmpf func(a, b T) int) []T {
	if k >= len(xs) {
		slices.SortFunc(xs, cmpf)
		return xs
	}
	lo, hi := 0, len(xs) // the k-th element is in xs[lo:hi]
	for hi-lo > 32 {
		// Median of three as the pivot.
		a, b, c := lo, lo+(hi-lo)/2, hi-1
		if cmpf(xs[b], xs[a]) < 0 {
			a, b = b, a
		}
		if cmpf(xs[c], xs[b]) < 0 {
			b = c
			if cmpf(xs[b], xs[a]) < 0 {
				b = a
			}
		}
		pivot := xs[b]
		// Three-way partition: < pivot, == pivot, > pivot.
		lt, i, gt := lo, lo, hi
		for i < gt {
			switch c := cmpf(xs[i], pivot); {
			case c < 0:
				xs[lt], xs[i] = xs[i], xs[lt]
				lt++
				i++
			case c > 0:
				gt--
				xs[i], xs[gt] = xs[gt], xs[i]
			default:
				i++
			}
		}
		switch {
		case k < lt:
			hi = lt
		case k >= gt:
			lo = gt
		default:
			lo, hi = k, k
		}
	}
	// xs[:lo] holds elements no greater than those in xs[lo:hi] and
	// xs[hi:] none smaller; sort the few in between to settle the rest.
	slices.SortFunc(xs[lo:hi], cmpf)
	slices.SortFunc(xs[:k], cmpf)
	return xs[:k]
}

// uncertainty returns strategy s's score per row and how to describe it.
func (s *selector) uncertainty(st Strategy) (u []float64, describe func(row int) string, noun string) {
	switch st {
	case StrategyLeastConfidence:
		u = LeastConfidence(s.p)
		return u, func(r int) string { return "confidence " + num(1-u[r]) }, "least sure"
	case StrategyEntropy:
		u = Entropy(s.p)
		return u, func(r int) string { return "entropy " + num(u[r]) + " of 1" }, "least sure"
	case StrategyCommittee:
		u = CommitteeVariance(s.p.Members)
		return u, func(r int) string { return "committee sd " + num(math.Sqrt(u[r])) }, "most disputed"
	}
	u = Margin(s.p)
	return u, func(r int) string { return "margin " + num(1-u[r]) }, "least sure"
}

// ranked picks the n rows with the highest uncertainty.
func (s *selector) ranked(st Strategy, n int) []Pick {
	u, describe, noun := s.uncertainty(st)
	top := s.order(u, n)
	out := make([]Pick, n)
	for i, r := range top {
		out[i] = Pick{Row: r, Uncertainty: u[r], Why: fmt.Sprintf("%s (among the %s %s)", describe(r), share(i, len(s.avail)), noun)}
	}
	return out
}

// density picks the n rows with the highest margin uncertainty ×
// density^Beta.
func (s *selector) density(n int) []Pick {
	d := s.p.Density
	if d == nil {
		d = Density(s.p.X, s.o.DensitySample, s.rng.Uint64())
	}
	u := Margin(s.p)
	score := make([]float64, s.rows)
	for i := range score {
		score[i] = u[i] * math.Pow(d[i], s.o.Beta)
	}
	top := s.order(score, n)
	out := make([]Pick, n)
	for i, r := range top {
		out[i] = Pick{Row: r, Uncertainty: score[r], Why: fmt.Sprintf("margin %s × density %s (among the %s most informative)",
			num(1-u[r]), num(d[r]), share(i, len(s.avail)))}
	}
	return out
}

// diversity picks n rows by k-center greedy among the Candidates least
// sure rows by margin.
func (s *selector) diversity(n int) []Pick {
	if n == 0 {
		return nil
	}
	u := Margin(s.p)
	c := min(max(s.o.Candidates, n), len(s.avail))
	cand := s.order(u, c)
	rank := make(map[int]int, len(cand))
	for i, r := range cand {
		rank[r] = i
	}
	picks, dist := kCenter(s.p.X, cand, s.p.Labeled, n)
	out := make([]Pick, len(picks))
	for i, r := range picks {
		why := fmt.Sprintf("margin %s (among the %s least sure)", num(1-u[r]), share(rank[r], len(s.avail)))
		if !math.IsInf(dist[i], 1) {
			why += fmt.Sprintf(", %s from the nearest row already chosen or labeled", num(dist[i]))
		}
		out[i] = Pick{Row: r, Uncertainty: u[r], Why: why}
	}
	return out
}

// share formats rank (0-based) among n rows as the smallest top share
// holding it: "2%", "0.1%".
func share(rank, n int) string {
	p := 100 * float64(rank+1) / float64(n)
	if p < 1 {
		return strip(fmt.Sprintf("%.1f", math.Ceil(p*10)/10)) + "%"
	}
	return fmt.Sprintf("%.0f%%", math.Ceil(p))
}

// pct formats a share in [0, 1] as a percentage.
func pct(x float64) string { return strip(fmt.Sprintf("%.1f", 100*x)) + "%" }

// num formats a score for people: two decimals, "< 0.01" for a tiny
// positive value.
func num(x float64) string {
	if x > 0 && x < 0.005 {
		return "< 0.01"
	}
	return fmt.Sprintf("%.2f", x)
}

func strip(s string) string {
	for len(s) > 1 && s[len(s)-1] == '0' && slices.Contains([]byte(s), '.') {
		s = s[:len(s)-1]
	}
	if len(s) > 1 && s[len(s)-1] == '.' {
		s = s[:len(s)-1]
	}
	return s
}
