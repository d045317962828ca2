package sampling

import (
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

func near(a, b float64) bool { return math.Abs(a-b) < 1e-4 }

func nearAll(t *testing.T, name string, got, want []float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", name, len(got), len(want))
	}
	for i := range got {
		if !near(got[i], want[i]) {
			t.Errorf("%s[%d] = %.6f, want %.6f", name, i, got[i], want[i])
		}
	}
}

// TestUncertainty checks the three measures on hand-computed values.
func TestUncertainty(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                   string
		p                      Pool
		least, margin, entropy []float64
	}{
		{
			name: "binary",
			p:    Pool{Scores: []float64{0.5, 0.9, 0.2, 1, 0}},
			// LC = 1 − max(p, 1−p); margin = 1 − |2p − 1|;
			// entropy in bits: H(0.9) = −0.9·log₂0.9 − 0.1·log₂0.1.
			least:   []float64{0.5, 0.1, 0.2, 0, 0},
			margin:  []float64{1, 0.2, 0.4, 0, 0},
			entropy: []float64{1, 0.468996, 0.721928, 0, 0},
		},
		{
			name: "binary, Classes 2",
			p:    Pool{Scores: []float64{0.75}, Classes: 2},
			// H(0.75) = 0.811278 bits.
			least: []float64{0.25}, margin: []float64{0.5}, entropy: []float64{0.811278},
		},
		{
			name: "three classes",
			p:    Pool{Scores: []float64{0.5, 0.3, 0.2, 1.0 / 3, 1.0 / 3, 1.0 / 3, 0, 1, 0}, Classes: 3},
			// Row 0: −(0.5 ln 0.5 + 0.3 ln 0.3 + 0.2 ln 0.2) / ln 3
			// = 1.029653 / 1.098612.
			least:   []float64{0.5, 2.0 / 3, 0},
			margin:  []float64{0.8, 1, 0},
			entropy: []float64{0.937231, 1, 0},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			nearAll(t, "LeastConfidence", LeastConfidence(tt.p), tt.least)
			nearAll(t, "Margin", Margin(tt.p), tt.margin)
			nearAll(t, "Entropy", Entropy(tt.p), tt.entropy)
		})
	}
}

func TestCommitteeVariance(t *testing.T) {
	t.Parallel()
	got := CommitteeVariance([][]float64{{0.2, 0.5, 0}, {0.4, 0.5, 1}, {0.6, 0.5, 0}, {0.4, 0.5, 1}})
	// Row 0: mean 0.4, squared deviations 0.04, 0, 0.04, 0 → 0.02.
	nearAll(t, "CommitteeVariance", got, []float64{0.02, 0, 0.25})
	if CommitteeVariance(nil) != nil {
		t.Error("no members: want nil")
	}
}

// TestKCenterGreedy runs farthest-first on five points of a line, where the
// ranks of both coordinates are 0.1, 0.3, …, 0.9.
func TestKCenterGreedy(t *testing.T) {
	t.Parallel()
	X := [][]float64{{0, 1, 2, 3, 4}, {0, 10, 20, 30, 40}}
	tests := []struct {
		name                string
		candidates, labeled []int
		n                   int
		want                []int
	}{
		// No labels: start at the first candidate (2, the middle), then
		// the farthest (0 and 4 tie; 0 comes first among the candidates),
		// then the farthest from {2, 0}.
		{"from the first candidate", []int{2, 0, 1, 3, 4}, nil, 3, []int{2, 0, 4}},
		// 4 is labeled: 0 is farthest from it, then 2 (halfway).
		{"away from labeled rows", []int{0, 1, 2, 3}, []int{4}, 2, []int{0, 2}},
		{"n beyond the candidates", []int{1, 3}, nil, 5, []int{1, 3}},
		{"n = 0", []int{1, 3}, nil, 0, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := KCenterGreedy(X, tt.candidates, tt.labeled, tt.n)
			if !slices.Equal(got, tt.want) {
				t.Errorf("KCenterGreedy = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestKCenterClusters: three well separated clusters, three picks, one per
// cluster.
func TestKCenterClusters(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 1))
	X := [][]float64{nil, nil}
	cluster := func(i int) int { return i / 10 }
	for i := range 30 {
		c := float64(cluster(i)) * 10
		X[0] = append(X[0], c+r.Float64())
		X[1] = append(X[1], c+r.Float64())
	}
	cand := make([]int, 30)
	for i := range cand {
		cand[i] = i
	}
	got := KCenterGreedy(X, cand, nil, 3)
	seen := map[int]bool{}
	for _, i := range got {
		seen[cluster(i)] = true
	}
	if len(seen) != 3 {
		t.Errorf("picks %v cover clusters %v, want all three", got, seen)
	}
}

func TestDensity(t *testing.T) {
	t.Parallel()
	// 50 rows near the origin, one far away, one with a missing value,
	// and a constant column that must not matter.
	r := rand.New(rand.NewPCG(2, 2))
	X := [][]float64{nil, nil, nil}
	for range 50 {
		X[0] = append(X[0], r.NormFloat64()*0.1)
		X[1] = append(X[1], r.NormFloat64()*0.1)
	}
	X[0] = append(X[0], 8, math.NaN())
	X[1] = append(X[1], 8, 0)
	for range 52 {
		X[2] = append(X[2], 3)
	}
	d := Density(X, 0, 1)
	if len(d) != 52 {
		t.Fatalf("%d values", len(d))
	}
	for i, v := range d {
		if !(v > 0 && v <= 1) {
			t.Errorf("density[%d] = %v, want (0, 1]", i, v)
		}
	}
	if !(d[50] < d[0]/2) {
		t.Errorf("outlier density %.3f, cluster %.3f: want the outlier far lower", d[50], d[0])
	}
	if !(d[51] > d[50]) {
		t.Errorf("the missing value counts as the column mean: %.3f vs outlier %.3f", d[51], d[50])
	}
	// A sample gives the same order of magnitude and is deterministic.
	s1, s2 := Density(X, 20, 7), Density(X, 20, 7)
	if !slices.Equal(s1, s2) {
		t.Error("Density with a sample is not deterministic")
	}
	if !(s1[50] < s1[0]/2) {
		t.Errorf("sampled: outlier %.3f, cluster %.3f", s1[50], s1[0])
	}
}

// testPool is 1,000 rows with random scores, three features, a committee
// and 100 labeled rows.
func testPool() Pool {
	r := rand.New(rand.NewPCG(3, 3))
	const n = 1000
	p := Pool{Scores: make([]float64, n), X: make([][]float64, 3), Members: make([][]float64, 3)}
	for i := range n {
		p.Scores[i] = r.Float64()
	}
	for j := range p.X {
		p.X[j] = make([]float64, n)
		for i := range n {
			p.X[j][i] = r.NormFloat64()
		}
	}
	for k := range p.Members {
		p.Members[k] = make([]float64, n)
		for i := range n {
			p.Members[k][i] = min(1, max(0, p.Scores[i]+0.1*r.NormFloat64()))
		}
	}
	p.Labeled = r.Perm(n)[:100]
	return p
}

// TestSelectAll: every strategy picks n distinct unlabeled rows, the same
// ones for the same seed, with an explanation.
func TestSelectAll(t *testing.T) {
	t.Parallel()
	p := testPool()
	labeled := map[int]bool{}
	for _, i := range p.Labeled {
		labeled[i] = true
	}
	for _, s := range Strategies {
		t.Run(string(s), func(t *testing.T) {
			t.Parallel()
			a, err := Select(s, p, 50, Options{Seed: 9})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := Select(s, p, 50, Options{Seed: 9})
			c, _ := Select(s, p, 50, Options{Seed: 10})
			if len(a) != 50 {
				t.Fatalf("%d picks", len(a))
			}
			if !slices.Equal(a, b) {
				t.Error("not deterministic under the seed")
			}
			if s == StrategyRandom && slices.Equal(a, c) {
				t.Error("random ignores the seed")
			}
			seen := map[int]bool{}
			for _, pk := range a {
				if seen[pk.Row] || labeled[pk.Row] || pk.Row < 0 || pk.Row >= 1000 {
					t.Fatalf("row %d repeated, labeled or out of range", pk.Row)
				}
				seen[pk.Row] = true
				if pk.Why == "" || math.IsNaN(pk.Uncertainty) {
					t.Fatalf("pick %+v", pk)
				}
			}
		})
	}
}

// TestSelectRanked: the uncertainty strategies take the rows with the
// highest uncertainty, and say so.
func TestSelectRanked(t *testing.T) {
	t.Parallel()
	scores := make([]float64, 100)
	for i := range scores {
		scores[i] = float64(i) / 100 // row 50 is the least sure, then 49 and 51 ...
	}
	scores[7] = 0.515
	p := Pool{Scores: scores}
	for _, s := range []Strategy{StrategyLeastConfidence, StrategyMargin, StrategyEntropy} {
		picks, err := Select(s, p, 3, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if picks[0].Row != 50 {
			t.Errorf("%s: first pick %d, want 50", s, picks[0].Row)
		}
		got := []int{picks[1].Row, picks[2].Row}
		slices.Sort(got)
		if !slices.Equal(got, []int{49, 51}) {
			t.Errorf("%s: picks %v", s, picks)
		}
	}
	picks, _ := Select(StrategyMargin, p, 1, Options{})
	if want := "margin 0.00 (among the 1% least sure)"; picks[0].Why != want {
		t.Errorf("Why = %q, want %q", picks[0].Why, want)
	}
	p.Labeled = []int{50, 49, 51}
	picks, _ = Select(StrategyMargin, p, 1, Options{})
	// The first of 97: in the top 1.03%.
	if want := "margin 0.03 (among the 2% least sure)"; picks[0].Row != 7 || picks[0].Why != want {
		t.Errorf("pick %+v, want row 7 %q", picks[0], want)
	}
	if !near(picks[0].Uncertainty, 0.97) {
		t.Errorf("uncertainty %v, want 0.97", picks[0].Uncertainty)
	}
	rp, _ := Select(StrategyRandom, p, 1, Options{})
	if rp[0].Why != "random (control)" {
		t.Errorf("random Why = %q", rp[0].Why)
	}
	cp, err := Select(StrategyCommittee, Pool{Members: [][]float64{{0, 0.5, 0.5}, {0, 0.5, 1}}}, 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if cp[0].Row != 2 || cp[0].Why != "committee sd 0.25 (among the 34% most disputed)" {
		t.Errorf("committee pick %+v", cp[0])
	}
}

// TestSelectTies: equal scores are broken by the seed, not by row order
// (a pool in time order would otherwise favour its oldest rows).
func TestSelectTies(t *testing.T) {
	t.Parallel()
	p := Pool{Scores: make([]float64, 1000)}
	for i := range p.Scores {
		p.Scores[i] = 0.5
	}
	picks, _ := Select(StrategyMargin, p, 20, Options{Seed: 1})
	firstRows := 0
	for _, pk := range picks {
		if pk.Row < 100 {
			firstRows++
		}
	}
	if firstRows > 10 {
		t.Errorf("%d of 20 tied picks from the first 100 rows", firstRows)
	}
}

// TestSelectDiversity: the least sure rows sit in one tight cluster and
// almost as unsure ones in two others; margin takes every pick from the
// first cluster, diversity spreads the batch over all three.
func TestSelectDiversity(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(4, 4))
	p := Pool{X: [][]float64{nil, nil}}
	cluster := func(i int) int { return i / 100 }
	for i := range 300 {
		c := cluster(i)
		p.Scores = append(p.Scores, []float64{0.5, 0.45, 0.55}[c]+0.001*r.Float64())
		p.X[0] = append(p.X[0], float64(10*c)+r.Float64())
		p.X[1] = append(p.X[1], float64(10*c)+r.Float64())
	}
	count := func(picks []Pick) map[int]int {
		m := map[int]int{}
		for _, pk := range picks {
			m[cluster(pk.Row)]++
		}
		return m
	}
	mp, _ := Select(StrategyMargin, p, 9, Options{})
	if c := count(mp); c[0] != 9 {
		t.Errorf("margin: clusters %v, want all from cluster 0", c)
	}
	dp, err := Select(StrategyDiversity, p, 9, Options{Candidates: 300})
	if err != nil {
		t.Fatal(err)
	}
	if c := count(dp); len(c) != 3 {
		t.Errorf("diversity: clusters %v, want all three", c)
	}
	if !regexp.MustCompile(`^margin (0\.\d\d|< 0\.01) \(among the [\d.]+% least sure\)`).MatchString(dp[0].Why) {
		t.Errorf("Why %q", dp[0].Why)
	}
	if !strings.Contains(dp[1].Why, "from the nearest row already chosen or labeled") {
		t.Errorf("Why %q", dp[1].Why)
	}
	// With 20 candidates, all in cluster 0, diversity stays there.
	dp, _ = Select(StrategyDiversity, p, 9, Options{Candidates: 20})
	if c := count(dp); c[0] != 9 {
		t.Errorf("diversity over 20 candidates: clusters %v", c)
	}
}

// TestSelectEpsilon: the random share of a batch is round(ε·n).
func TestSelectEpsilon(t *testing.T) {
	t.Parallel()
	p := testPool()
	for _, tt := range []struct {
		eps  float64
		n    int
		want int
	}{{0, 50, 5}, {0.2, 50, 10}, {0.1, 100, 10}, {1, 20, 20}, {0.1, 4, 0}} {
		picks, err := Select(StrategyEpsilon, p, tt.n, Options{Epsilon: tt.eps, Seed: 5})
		if err != nil {
			t.Fatal(err)
		}
		random := 0
		for _, pk := range picks {
			if strings.HasPrefix(pk.Why, "random") {
				random++
			}
		}
		if len(picks) != tt.n || random != tt.want {
			t.Errorf("ε %v, n %d: %d picks, %d random; want %d random", tt.eps, tt.n, len(picks), random, tt.want)
		}
	}
}

func TestSelectDensity(t *testing.T) {
	t.Parallel()
	// Two equally unsure rows; the one inside the crowd wins.
	p := Pool{Scores: []float64{0.5, 0.5, 0.9, 0.9, 0.9, 0.9, 0.9}, X: [][]float64{{0, 100, 0.1, 0.2, -0.1, -0.2, 0}}}
	picks, err := Select(StrategyDensity, p, 1, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if picks[0].Row != 0 || !strings.HasPrefix(picks[0].Why, "margin 0.00 × density ") {
		t.Errorf("pick %+v", picks[0])
	}
	// A precomputed density is used as given.
	p.Density = []float64{0.1, 1, 1, 1, 1, 1, 1}
	picks, _ = Select(StrategyDensity, p, 1, Options{})
	if picks[0].Row != 1 {
		t.Errorf("with Pool.Density: pick %+v", picks[0])
	}
}

func TestSelectInvalid(t *testing.T) {
	t.Parallel()
	good := Pool{Scores: []float64{0.1, 0.5, 0.9}, X: [][]float64{{1, 2, 3}}}
	tests := []struct {
		name string
		s    Strategy
		p    Pool
		n    int
		o    Options
	}{
		{"unknown strategy", "oracle", good, 1, Options{}},
		{"n = 0", StrategyMargin, good, 0, Options{}},
		{"n too large", StrategyMargin, Pool{Scores: good.Scores, Labeled: []int{0}}, 3, Options{}},
		{"empty pool", StrategyRandom, Pool{}, 1, Options{}},
		{"NaN score", StrategyMargin, Pool{Scores: []float64{0.1, math.NaN()}}, 1, Options{}},
		{"score above 1", StrategyMargin, Pool{Scores: []float64{1.5}}, 1, Options{}},
		{"ragged multiclass", StrategyEntropy, Pool{Scores: []float64{0.5, 0.5, 0.5, 0.5}, Classes: 3}, 1, Options{}},
		{"one class", StrategyEntropy, Pool{Scores: []float64{0.5}, Classes: 1}, 1, Options{}},
		{"no scores", StrategyMargin, Pool{X: [][]float64{{1, 2}}}, 1, Options{}},
		{"diversity without X", StrategyDiversity, Pool{Scores: good.Scores}, 1, Options{}},
		{"short feature column", StrategyDiversity, Pool{Scores: good.Scores, X: [][]float64{{1, 2}}}, 1, Options{}},
		{"one member", StrategyCommittee, Pool{Scores: good.Scores, Members: [][]float64{{0, 0, 0}}}, 1, Options{}},
		{"short member", StrategyCommittee, Pool{Scores: good.Scores, Members: [][]float64{{0, 0, 0}, {0}}}, 1, Options{}},
		{"labeled out of range", StrategyMargin, Pool{Scores: good.Scores, Labeled: []int{3}}, 1, Options{}},
		{"bad density", StrategyDensity, Pool{Scores: good.Scores, X: good.X, Density: []float64{1}}, 1, Options{}},
		{"epsilon above 1", StrategyEpsilon, good, 1, Options{Epsilon: 2}},
		{"negative beta", StrategyDensity, good, 1, Options{Beta: -1}},
		{"negative candidates", StrategyDiversity, good, 1, Options{Candidates: -1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := Select(tt.s, tt.p, tt.n, tt.o)
			if ml.ErrorCode(err) != ml.EINVALID {
				t.Errorf("err = %v, want EINVALID", err)
			}
		})
	}
}

func TestShare(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		rank, n int
		want    string
	}{{0, 100, "1%"}, {1, 100, "2%"}, {0, 10000, "0.1%"}, {14, 10000, "0.2%"}, {0, 1, "100%"}, {149, 10000, "2%"}} {
		if got := share(tt.rank, tt.n); got != tt.want {
			t.Errorf("share(%d, %d) = %q, want %q", tt.rank, tt.n, got, tt.want)
		}
	}
}

func TestTopK(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(6, 6))
	for _, n := range []int{0, 1, 5, 33, 100, 1000} {
		xs := make([]int, n)
		for i := range xs {
			xs[i] = r.IntN(50) // many ties
		}
		want := slices.Sorted(slices.Values(xs))
		for _, k := range []int{0, 1, 7, n / 2, n} {
			if k > n {
				continue
			}
			got := topK(slices.Clone(xs), k, func(a, b int) int { return a - b })
			if !slices.Equal(got, want[:k]) {
				t.Fatalf("n %d k %d: %v, want %v", n, k, got, want[:k])
			}
		}
	}
}
