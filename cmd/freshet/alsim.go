package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"text/tabwriter"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/gbdt"
	"github.com/freshet/freshet/ml/metrics"
	"github.com/freshet/freshet/ml/sampling"
)

// alsimConfig is what `freshet al-sim` may set.
type alsimConfig struct {
	Data, Label, Time, Drop string
	Strategies              []sampling.Strategy
	Seeds                   int
	MaxLabels, Batch, Start int
	Rounds, Depth           int
	TestFrac                float64
	TargetShare             float64 // of the full-pool AUC
	Window                  int     // mean AUC up to this many labels
	Committee               int     // bootstrap members
	Options                 sampling.Options
}

// runALSim simulates pool-based active learning on a labeled file: the
// oldest rows are the unlabeled pool, the newest the test set; every
// strategy starts from the same random labels per seed, asks an oracle
// (the file's labels) for a batch at a time and refits the built-in GBDT
// after each batch. The committee strategy's members are --committee
// models fitted on bootstrap resamples of the labels (query by bagging,
// Abe & Mamitsuka 1998), so it costs that many extra fits per batch.
// Runs (strategy × seed) go in parallel, one per CPU, each fitting and
// scoring single-threaded.
func runALSim(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("al-sim", stderr)
	var c alsimConfig
	fs.StringVar(&c.Data, "data", "", "CSV file with a header row (- for standard input)")
	fs.StringVar(&c.Label, "label", "", "binary label column (0/1)")
	fs.StringVar(&c.Time, "time", "", "time column: rows are ordered by it (default: file order)")
	fs.StringVar(&c.Drop, "drop", "", "comma-separated columns to leave out")
	strategies := fs.String("strategies", "all", "comma-separated strategies, or all: "+strategyList())
	fs.IntVar(&c.Seeds, "seeds", 10, "repetitions, each with its own starting labels")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	svg := fs.String("svg", "", "write an SVG chart of the median learning curves here")
	jsonOut := fs.String("json-out", "", "also write the JSON report here")
	fs.IntVar(&c.MaxLabels, "max-labels", 5000, "stop at this many labels")
	fs.IntVar(&c.Batch, "batch", 100, "labels per query batch")
	fs.IntVar(&c.Start, "start", 100, "random labels to start from")
	fs.IntVar(&c.Rounds, "rounds", 50, "boosting rounds per refit")
	fs.IntVar(&c.Depth, "depth", 6, "tree depth")
	fs.Float64Var(&c.TestFrac, "test-frac", 0.2, "share of the newest rows kept for the test set")
	fs.Float64Var(&c.TargetShare, "target", 0.98, "target: this share of the AUC of training on the whole pool")
	fs.IntVar(&c.Window, "auc-window", 2000, "report the mean AUC of the curve up to this many labels")
	fs.IntVar(&c.Committee, "committee", 4, "bootstrap models in the committee strategy")
	fs.IntVar(&c.Options.Candidates, "candidates", 0, "diversity: k-center chooses among this many least sure rows (default 10 × batch)")
	fs.Float64Var(&c.Options.Epsilon, "epsilon", 0, "epsilon: random share of a batch (default 0.1)")
	fs.Float64Var(&c.Options.Beta, "beta", 0, "density: weight exponent (default 1)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if c.Data == "" || c.Label == "" {
		return errors.New("usage: freshet al-sim --data F.csv --label COL [--time COL] [--strategies LIST] [--seeds N] [--json] [--svg out.svg]")
	}
	var err error
	if c.Strategies, err = parseStrategies(*strategies); err != nil {
		return err
	}
	if err := c.validate(); err != nil {
		return err
	}
	in, err := loadALSim(c)
	if err != nil {
		return err
	}
	rep, err := simulate(in, c)
	if err != nil {
		return err
	}
	rep.Data = c.Data
	if *svg != "" {
		var b bytes.Buffer
		writeALSimSVG(&b, rep)
		if err := os.WriteFile(*svg, b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	js, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		return err
	}
	js = append(js, '\n')
	if *jsonOut != "" {
		if err := os.WriteFile(*jsonOut, js, 0o644); err != nil {
			return err
		}
	}
	if *asJSON {
		_, err := stdout.Write(js)
		return err
	}
	writeALSimText(stdout, rep)
	return nil
}

func strategyList() string {
	var s []string
	for _, st := range sampling.Strategies {
		s = append(s, string(st))
	}
	return strings.Join(s, ",")
}

// parseStrategies reads --strategies; random, the control, is always
// included and comes first.
func parseStrategies(s string) ([]sampling.Strategy, error) {
	if s == "" || s == "all" {
		return slices.Clone(sampling.Strategies), nil
	}
	out := []sampling.Strategy{sampling.StrategyRandom}
	for _, name := range splitList(s) {
		st := sampling.Strategy(name)
		if !st.Valid() {
			return nil, fmt.Errorf("unknown strategy %q (want %s)", name, strategyList())
		}
		if !slices.Contains(out, st) {
			out = append(out, st)
		}
	}
	return out, nil
}

func (c alsimConfig) validate() error {
	switch {
	case c.Seeds < 1:
		return errors.New("--seeds must be ≥ 1")
	case c.Start < 2:
		return errors.New("--start must be ≥ 2")
	case c.Batch < 1:
		return errors.New("--batch must be ≥ 1")
	case c.MaxLabels < c.Start:
		return errors.New("--max-labels must be ≥ --start")
	case c.Rounds < 1 || c.Depth < 1:
		return errors.New("--rounds and --depth must be ≥ 1")
	case !(c.TestFrac > 0 && c.TestFrac < 1):
		return errors.New("--test-frac must be in (0, 1)")
	case !(c.TargetShare > 0 && c.TargetShare <= 1):
		return errors.New("--target must be in (0, 1]")
	case c.Committee < 2 && slices.Contains(c.Strategies, sampling.StrategyCommittee):
		return errors.New("--committee must be ≥ 2")
	}
	return nil
}

// alsimInput is a time-ordered labeled data set split into pool and test,
// column-major.
type alsimInput struct {
	Names        []string
	PoolX, TestX [][]float64
	PoolY, TestY []float64
}

// loadALSim reads the file the way `freshet train` does (the same column
// type inference, categorical coding and time ordering) and splits it.
func loadALSim(c alsimConfig) (*alsimInput, error) {
	m, d, err := loadBinaryCSV(c.Data, c.Label, c.Time, c.Drop, "al-sim")
	if err != nil {
		return nil, err
	}
	n := d.Len()
	nTest := int(math.Round(float64(n) * c.TestFrac))
	nPool := n - nTest
	if nTest < 10 || nPool < c.Start+c.Batch {
		return nil, fmt.Errorf("%s: %d labeled rows are too few for a pool of at least %d and a test set", c.Data, n, c.Start+c.Batch)
	}
	pool, test := d.Slice(0, nPool), d.Slice(nPool, n)
	in := &alsimInput{PoolX: pool.X, TestX: test.X, PoolY: pool.Y, TestY: test.Y}
	for _, f := range m.Features {
		in.Names = append(in.Names, f.Name)
	}
	return in, nil
}

// alsimReport is al-sim's result; its JSON form is a stable contract.
type alsimReport struct {
	Data            string  `json:"data"`
	PoolRows        int     `json:"pool_rows"`
	TestRows        int     `json:"test_rows"`
	Features        int     `json:"features"`
	Seeds           int     `json:"seeds"`
	Start           int     `json:"start"`
	Batch           int     `json:"batch"`
	MaxLabels       int     `json:"max_labels"`
	Rounds          int     `json:"rounds"`
	Depth           int     `json:"depth"`
	FullPoolAUC     float64 `json:"full_pool_auc"`
	TargetShare     float64 `json:"target_share"`
	TargetAUC       float64 `json:"target_auc"`
	AUCWindow       int     `json:"auc_window"`
	DefaultStrategy string  `json:"default_strategy"`
	Refits          int     `json:"refits"`
	WallSeconds     float64 `json:"wall_seconds"`
	// FitSeconds, ScoreSeconds and SelectSeconds split the work (summed
	// over the runs, which run in parallel).
	FitSeconds    float64          `json:"fit_seconds"`
	ScoreSeconds  float64          `json:"score_seconds"`
	SelectSeconds float64          `json:"select_seconds"`
	CPUs          int              `json:"cpus"`
	Labels        []int            `json:"labels"`
	Strategies    []alsimStrategy  `json:"strategies"`
	Verdict       *alsimComparison `json:"default_vs_random,omitempty"`
}

// alsimStrategy is one strategy's figures over the seeds.
type alsimStrategy struct {
	Name string `json:"name"`
	// Curve has one point per entry of alsimReport.Labels.
	Curve []alsimPoint `json:"curve"`
	// LabelsToTarget is per seed the labels from which the test AUC stays
	// at or above the target (null: not by max_labels).
	LabelsToTarget []*int   `json:"labels_to_target"`
	Reached        int      `json:"reached"`
	MedianLabels   *float64 `json:"median_labels_to_target"`
	Ratio          *float64 `json:"ratio_to_random"`
	RatioLo        *float64 `json:"ratio_to_random_lo"`
	RatioHi        *float64 `json:"ratio_to_random_hi"`
	// MeanAUC is the mean over seeds of each curve's mean test AUC up to
	// auc_window labels; PerSeed are those per-seed means.
	MeanAUC      float64   `json:"mean_auc_window"`
	MeanAUCSeeds []float64 `json:"mean_auc_window_per_seed"`
	DeltaAUC     float64   `json:"mean_auc_window_minus_random"`
	DeltaLo      float64   `json:"mean_auc_window_minus_random_lo"`
	DeltaHi      float64   `json:"mean_auc_window_minus_random_hi"`
	Refits       int       `json:"refits"`
}

// alsimPoint is the test AUC over seeds at one label count.
type alsimPoint struct {
	Labels int       `json:"labels"`
	Median float64   `json:"median"`
	Q25    float64   `json:"q25"`
	Q75    float64   `json:"q75"`
	Min    float64   `json:"min"`
	Max    float64   `json:"max"`
	Seeds  []float64 `json:"seeds"`
}

// alsimComparison states issue 7's bar for the default strategy.
type alsimComparison struct {
	Strategy string   `json:"strategy"`
	Ratio    *float64 `json:"ratio_to_random"`
	Delta    float64  `json:"mean_auc_window_minus_random"`
	// Pass: ratio ≤ 0.6 and delta ≥ 0.005; Goal: ratio ≤ 0.5.
	Pass bool `json:"pass"`
	Goal bool `json:"goal"`
}

// sim holds a simulation's shared, read-only state.
type sim struct {
	in       *alsimInput
	c        alsimConfig
	poolRows []float64 // row-major
	testRows []float64
	nf       int
	density  []float64
	threads  int // per run
	// Time spent fitting, scoring and selecting, summed over runs.
	fitNs, scoreNs, selectNs atomic.Int64
}

func simulate(in *alsimInput, c alsimConfig) (*alsimReport, error) {
	t0 := time.Now()
	nPool, nTest := len(in.PoolY), len(in.TestY)
	c.MaxLabels = min(c.MaxLabels, nPool)
	s := &sim{in: in, c: c, nf: len(in.PoolX), poolRows: rowMajor(in.PoolX, nPool), testRows: rowMajor(in.TestX, nTest)}
	cpus := runtime.GOMAXPROCS(0)
	runs := len(c.Strategies) * c.Seeds
	s.threads = max(1, cpus/runs)
	if slices.Contains(c.Strategies, sampling.StrategyDensity) {
		s.density = sampling.Density(in.PoolX, sampling.DefaultDensitySample, 1)
	}

	// The reference: the same model trained on the whole pool.
	all := make([]int, nPool)
	for i := range all {
		all[i] = i
	}
	full, err := s.fit(all, nil, cpus)
	if err != nil {
		return nil, err
	}
	fullAUC, err := metrics.AUC(in.TestY, s.score(full, s.testRows, nil, cpus), nil)
	if err != nil {
		return nil, fmt.Errorf("test set: %w", err)
	}
	target := c.TargetShare * fullAUC

	var labels []int
	for l := c.Start; ; l += c.Batch {
		l = min(l, c.MaxLabels)
		labels = append(labels, l)
		if l >= c.MaxLabels {
			break
		}
	}

	// One run per strategy and seed, GOMAXPROCS at a time.
	curves := make([][][]float64, len(c.Strategies)) // [strategy][seed][point]
	refits := make([]int, len(c.Strategies))
	for i := range curves {
		curves[i] = make([][]float64, c.Seeds)
	}
	type job struct{ st, seed int }
	jobs := make(chan job)
	errs := make([]error, runs)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for range min(cpus, runs) {
		wg.Go(func() {
			for j := range jobs {
				curve, n, err := s.run(c.Strategies[j.st], j.seed)
				mu.Lock()
				curves[j.st][j.seed] = curve
				refits[j.st] += n
				errs[j.st*c.Seeds+j.seed] = err
				mu.Unlock()
			}
		})
	}
	for st := range c.Strategies {
		for seed := range c.Seeds {
			jobs <- job{st, seed}
		}
	}
	close(jobs)
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}

	rep := &alsimReport{
		PoolRows: nPool, TestRows: nTest, Features: s.nf, Seeds: c.Seeds, Start: c.Start, Batch: c.Batch,
		MaxLabels: c.MaxLabels, Rounds: c.Rounds, Depth: c.Depth, FullPoolAUC: round4(fullAUC),
		TargetShare: c.TargetShare, TargetAUC: round4(target), AUCWindow: c.Window,
		DefaultStrategy: string(sampling.DefaultStrategy), CPUs: cpus, Labels: labels,
	}
	rng := rand.New(rand.NewPCG(7, 7))
	for st, name := range c.Strategies {
		a := summarize(string(name), labels, curves[st], target, c.Window)
		a.Refits = refits[st]
		rep.Refits += refits[st]
		rep.Strategies = append(rep.Strategies, a)
	}
	if k := slices.Index(c.Strategies, sampling.StrategyRandom); k >= 0 {
		random := rep.Strategies[k]
		for i := range rep.Strategies {
			compare(&rep.Strategies[i], &random, rng)
		}
		for _, a := range rep.Strategies {
			if a.Name == string(sampling.DefaultStrategy) {
				v := &alsimComparison{Strategy: a.Name, Ratio: a.Ratio, Delta: a.DeltaAUC}
				v.Pass = a.Ratio != nil && *a.Ratio <= 0.6 && a.DeltaAUC >= 0.005
				v.Goal = v.Pass && *a.Ratio <= 0.5
				rep.Verdict = v
			}
		}
	}
	rep.FitSeconds = math.Round(float64(s.fitNs.Load())/1e8) / 10
	rep.ScoreSeconds = math.Round(float64(s.scoreNs.Load())/1e8) / 10
	rep.SelectSeconds = math.Round(float64(s.selectNs.Load())/1e8) / 10
	rep.WallSeconds = math.Round(time.Since(t0).Seconds()*10) / 10
	return rep, nil
}

// run is one strategy and seed: the test AUC after each refit, and the
// number of models trained.
func (s *sim) run(st sampling.Strategy, seed int) ([]float64, int, error) {
	c := s.c
	nPool := len(s.in.PoolY)
	// The starting labels depend on the seed only, so every strategy
	// starts from the same rows.
	rng := rand.New(rand.NewPCG(uint64(seed), 0x616c2d73696d)) // "al-sim"
	labeled := rng.Perm(nPool)[:c.Start]
	var curve []float64
	fits := 0
	for round := 0; ; round++ {
		m, err := s.fit(labeled, nil, s.threads)
		if err != nil {
			return nil, fits, err
		}
		fits++
		auc, err := metrics.AUC(s.in.TestY, s.score(m, s.testRows, nil, s.threads), nil)
		if err != nil {
			return nil, fits, err
		}
		curve = append(curve, auc)
		if len(labeled) >= c.MaxLabels {
			return curve, fits, nil
		}
		n := min(c.Batch, c.MaxLabels-len(labeled))
		// Only unlabeled rows need scores; labeled ones keep 0.
		unl := unlabeledRows(nPool, labeled)
		p := sampling.Pool{X: s.in.PoolX, Labeled: labeled, Density: s.density}
		if st != sampling.StrategyRandom {
			p.Scores = s.score(m, s.poolRows, unl, s.threads)
		}
		if st == sampling.StrategyCommittee {
			brng := rand.New(rand.NewPCG(uint64(seed), uint64(round)))
			for range c.Committee {
				w := make([]float64, len(labeled))
				for range labeled {
					w[brng.IntN(len(labeled))]++
				}
				mk, err := s.fit(labeled, w, s.threads)
				if err != nil {
					return nil, fits, err
				}
				fits++
				p.Members = append(p.Members, s.score(mk, s.poolRows, unl, s.threads))
			}
		}
		o := c.Options
		o.Seed = uint64(seed)<<32 | uint64(round)
		t0 := time.Now()
		picks, err := sampling.Select(st, p, n, o)
		s.selectNs.Add(int64(time.Since(t0)))
		if err != nil {
			return nil, fits, fmt.Errorf("%s: %s", st, ml.ErrorMessage(err))
		}
		for _, pk := range picks {
			labeled = append(labeled, pk.Row)
		}
	}
}

// fit trains the built-in GBDT on the pool rows idx (weighted by w if
// set): c.Rounds rounds, c.Depth deep, no early stopping.
func (s *sim) fit(idx []int, w []float64, threads int) (*gbdt.Model, error) {
	defer s.since(&s.fitNs, time.Now())
	X := make([][]float64, s.nf)
	for j, col := range s.in.PoolX {
		X[j] = make([]float64, len(idx))
		for n, i := range idx {
			X[j][n] = col[i]
		}
	}
	y := make([]float64, len(idx))
	for n, i := range idx {
		y[n] = s.in.PoolY[i]
	}
	p := gbdt.DefaultParams()
	p.Rounds, p.MaxDepth, p.Threads = s.c.Rounds, s.c.Depth, threads
	m, err := gbdt.Train(gbdt.Dataset{X: X, Y: y, Weight: w, Names: s.in.Names}, nil, p)
	if err != nil {
		return nil, fmt.Errorf("al-sim: %s", ml.ErrorMessage(err))
	}
	return m, nil
}

func (s *sim) since(acc *atomic.Int64, t0 time.Time) { acc.Add(int64(time.Since(t0))) }

// unlabeledRows lists the rows of [0, n) not in labeled.
func unlabeledRows(n int, labeled []int) []int {
	skip := make([]bool, n)
	for _, i := range labeled {
		skip[i] = true
	}
	out := make([]int, 0, n-len(labeled))
	for i := range n {
		if !skip[i] {
			out = append(out, i)
		}
	}
	return out
}

// score returns m's P(1) for the rows idx of rows (row-major; all rows if
// idx is nil, else the other entries stay 0), on threads goroutines. It
// walks flattened copies of the trees, tree by tree so a tree stays in
// cache, and sums each row's leaves in the model's order, so the result
// equals gbdt's (and leaves') Predict bit for bit.
func (s *sim) score(m *gbdt.Model, rows []float64, idx []int, threads int) []float64 {
	defer s.since(&s.scoreNs, time.Now())
	nf := s.nf
	n := len(rows) / max(nf, 1)
	out := make([]float64, n)
	if idx == nil {
		idx = make([]int, n)
		for i := range idx {
			idx[i] = i
		}
	}
	trees := flatten(m)
	work := func(lo, hi int) {
		raw := make([]float64, hi-lo)
		for t, tr := range trees {
			if tr == nil { // a decision type flatten does not handle
				orig := &m.Trees[t]
				for k, i := range idx[lo:hi] {
					raw[k] += orig.LeafValue[orig.Leaf(rows[i*nf:(i+1)*nf])]
				}
				continue
			}
			for k, i := range idx[lo:hi] {
				row := rows[i*nf : (i+1)*nf]
				nd := int32(0)
				for nd >= 0 {
					nd = tr.step(nd, row)
				}
				raw[k] += tr.leaf[^nd]
			}
		}
		for k, i := range idx[lo:hi] {
			out[i] = 1 / (1 + math.Exp(-raw[k]))
		}
	}
	n = len(idx)
	if threads <= 1 || n < 4096 {
		work(0, n)
		return out
	}
	var wg sync.WaitGroup
	per := (n + threads - 1) / threads
	for lo := 0; lo < n; lo += per {
		wg.Go(func() { work(lo, min(n, lo+per)) })
	}
	wg.Wait()
	return out
}

// flatTree is a gbdt.Tree laid out for scoring: one small struct per
// split, and missing values handled in one comparison (NaN fails x ≤ t,
// so only default-left splits look further). Child k < 0 is leaf ^k.
type flatTree struct {
	nodes []flatNode
	leaf  []float64
}

type flatNode struct {
	threshold   float64
	feature     int32
	left, right int32
	defaultLeft bool
}

// step moves row one level down from split k.
func (t *flatTree) step(k int32, row []float64) int32 {
	nd := &t.nodes[k]
	x := row[nd.feature]
	if x <= nd.threshold || (nd.defaultLeft && x != x) {
		return nd.left
	}
	return nd.right
}

// flatten lays out m's trees for scoring. A tree with a missing-value
// type other than NaN (LightGBM's zero or none, which the built-in
// trainer never writes) is left nil and scored with gbdt.Tree.Leaf.
func flatten(m *gbdt.Model) []*flatTree {
	out := make([]*flatTree, len(m.Trees))
	for t := range m.Trees {
		tr := &m.Trees[t]
		ft := &flatTree{leaf: tr.LeafValue}
		if len(tr.SplitFeature) == 0 {
			// A single leaf: one split whose both sides lead to it.
			ft.nodes = []flatNode{{threshold: math.Inf(1), left: ^0, right: ^0, defaultLeft: true}}
			out[t] = ft
			continue
		}
		ok := true
		for i, f := range tr.SplitFeature {
			dt := tr.DecisionType[i]
			if dt&(gbdt.DecisionMissingNaN|gbdt.DecisionMissingZero) != gbdt.DecisionMissingNaN {
				ok = false
				break
			}
			ft.nodes = append(ft.nodes, flatNode{threshold: tr.Threshold[i], feature: int32(f),
				left: int32(tr.Left[i]), right: int32(tr.Right[i]), defaultLeft: dt&gbdt.DecisionDefaultLeft != 0})
		}
		if ok {
			out[t] = ft
		}
	}
	return out
}

func rowMajor(X [][]float64, n int) []float64 {
	nf := len(X)
	out := make([]float64, n*nf)
	for j, col := range X {
		for i := range n {
			out[i*nf+j] = col[i]
		}
	}
	return out
}

// summarize computes a strategy's curve and targets from its per-seed
// curves.
func summarize(name string, labels []int, curves [][]float64, target float64, window int) alsimStrategy {
	a := alsimStrategy{Name: name}
	for k, l := range labels {
		v := make([]float64, len(curves))
		for s := range curves {
			v[s] = curves[s][k]
		}
		sorted := slices.Sorted(slices.Values(v))
		a.Curve = append(a.Curve, alsimPoint{Labels: l, Median: round4(quantile(sorted, 0.5)),
			Q25: round4(quantile(sorted, 0.25)), Q75: round4(quantile(sorted, 0.75)),
			Min: round4(sorted[0]), Max: round4(sorted[len(sorted)-1]), Seeds: roundAll(v)})
	}
	for _, curve := range curves {
		a.LabelsToTarget = append(a.LabelsToTarget, labelsToTarget(labels, curve, target))
		sum, n := 0.0, 0
		for k, l := range labels {
			if l <= window {
				sum += curve[k]
				n++
			}
		}
		a.MeanAUCSeeds = append(a.MeanAUCSeeds, round4(sum/float64(max(n, 1))))
	}
	for _, l := range a.LabelsToTarget {
		if l != nil {
			a.Reached++
		}
	}
	a.MedianLabels = ml.Finite(medianLabels(a.LabelsToTarget, nil))
	a.MeanAUC = round4(mean(a.MeanAUCSeeds))
	return a
}

// labelsToTarget is the first label count from which the curve stays at or
// above target, nil if its last point is below.
func labelsToTarget(labels []int, curve []float64, target float64) *int {
	k := len(curve)
	for k > 0 && curve[k-1] >= target {
		k--
	}
	if k == len(curve) {
		return nil
	}
	l := labels[k]
	return &l
}

// medianLabels is the median of the per-seed labels to target (resampled
// by idx if set), +Inf where a seed never got there.
func medianLabels(v []*int, idx []int) float64 {
	if idx == nil {
		idx = make([]int, len(v))
		for i := range idx {
			idx[i] = i
		}
	}
	x := make([]float64, len(idx))
	for n, i := range idx {
		x[n] = math.Inf(1)
		if v[i] != nil {
			x[n] = float64(*v[i])
		}
	}
	slices.Sort(x)
	return quantile(x, 0.5)
}

// compare fills a's ratio to random's labels and its mean-AUC difference,
// with 95% percentile intervals from a paired bootstrap over seeds (2,000
// resamples of the seeds, the same resample for a and random: a seed's
// starting labels are shared).
func compare(a, random *alsimStrategy, rng *rand.Rand) {
	if r := medianLabels(random.LabelsToTarget, nil); a.MedianLabels != nil && r > 0 {
		a.Ratio = ml.Finite(round4(*a.MedianLabels / r))
	}
	seeds := len(a.MeanAUCSeeds)
	d := make([]float64, seeds)
	for i := range d {
		d[i] = a.MeanAUCSeeds[i] - random.MeanAUCSeeds[i]
	}
	a.DeltaAUC = round4(mean(d))
	const B = 2000
	var ratios, deltas []float64
	idx := make([]int, seeds)
	for range B {
		for i := range idx {
			idx[i] = rng.IntN(seeds)
		}
		// A resample where random never reaches the target has no ratio
		// (it is left out); one where only a does not has +Inf.
		num, den := medianLabels(a.LabelsToTarget, idx), medianLabels(random.LabelsToTarget, idx)
		if !math.IsInf(den, 1) {
			ratios = append(ratios, num/den)
		}
		s := 0.0
		for _, i := range idx {
			s += d[i]
		}
		deltas = append(deltas, s/float64(seeds))
	}
	slices.Sort(deltas)
	a.DeltaLo, a.DeltaHi = round4(quantile(deltas, 0.025)), round4(quantile(deltas, 0.975))
	if a.Ratio != nil && len(ratios) > 0 {
		slices.Sort(ratios)
		a.RatioLo = ml.Finite(round4(quantile(ratios, 0.025)))
		a.RatioHi = ml.Finite(round4(quantile(ratios, 0.975)))
	}
}

// quantile of sorted values, linear between order statistics (numpy's
// default); +Inf values propagate.
func quantile(sorted []float64, q float64) float64 {
	if len(sorted) == 0 {
		return math.NaN()
	}
	h := q * float64(len(sorted)-1)
	lo := int(math.Floor(h))
	hi := min(lo+1, len(sorted)-1)
	if sorted[hi] == sorted[lo] || h == float64(lo) {
		return sorted[lo]
	}
	return sorted[lo] + (h-float64(lo))*(sorted[hi]-sorted[lo])
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(max(len(v), 1))
}

func round4(x float64) float64 {
	if math.IsInf(x, 0) || math.IsNaN(x) {
		return x
	}
	return math.Round(x*1e4) / 1e4
}

func roundAll(v []float64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = round4(x)
	}
	return out
}

// writeALSimText prints the report as tables.
func writeALSimText(w io.Writer, r *alsimReport) {
	fmt.Fprintf(w, "al-sim %s: pool %d rows (oldest), test %d rows (newest), %d features\n", r.Data, r.PoolRows, r.TestRows, r.Features)
	fmt.Fprintf(w, "GBDT %d rounds, depth %d, refit after every batch; %d random labels to start, batches of %d, up to %d labels; %d seeds\n",
		r.Rounds, r.Depth, r.Start, r.Batch, r.MaxLabels, r.Seeds)
	fmt.Fprintf(w, "whole pool: test AUC %.4f; target (%.0f%%) %.4f\n", r.FullPoolAUC, 100*r.TargetShare, r.TargetAUC)
	fmt.Fprintf(w, "wall time %.1f s on %d CPUs: %d refits (%.1f s), scoring (%.1f s), selection (%.1f s)\n\n",
		r.WallSeconds, r.CPUs, r.Refits, r.FitSeconds, r.ScoreSeconds, r.SelectSeconds)

	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "strategy\tlabels to target\tseeds\tratio to random [95%% CI]\tmean AUC ≤ %d\tvs random [95%% CI]\n", r.AUCWindow)
	for _, a := range r.Strategies {
		name := a.Name
		if name == r.DefaultStrategy {
			name += " *"
		}
		med := "—"
		if a.MedianLabels != nil {
			med = fmt.Sprintf("%.0f", *a.MedianLabels)
		} else if a.Reached > 0 {
			med = fmt.Sprintf("> %d", r.MaxLabels)
		}
		lo, hi := math.Inf(1), math.Inf(-1)
		for _, l := range a.LabelsToTarget {
			if l != nil {
				lo, hi = min(lo, float64(*l)), max(hi, float64(*l))
			}
		}
		if a.Reached > 0 {
			miss := ""
			if a.Reached < len(a.LabelsToTarget) {
				miss = "+"
			}
			med += fmt.Sprintf(" (%.0f–%.0f%s)", lo, hi, miss)
		}
		ratio := "—"
		if a.Ratio != nil {
			ratio = fmt.Sprintf("%.2f [%s, %s]", *a.Ratio, fmtPtr(a.RatioLo), fmtPtr(a.RatioHi))
		}
		delta := "—"
		if a.Name != string(sampling.StrategyRandom) {
			delta = fmt.Sprintf("%+.4f [%+.4f, %+.4f]", a.DeltaAUC, a.DeltaLo, a.DeltaHi)
		}
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%s\t%.4f\t%s\n", name, med, a.Reached, len(a.LabelsToTarget), ratio, a.MeanAUC, delta)
	}
	tw.Flush()
	fmt.Fprintf(w, "* default strategy. Labels to target: median over seeds (min–max; + when some seeds never stay above it by %d labels).\n", r.MaxLabels)
	if v := r.Verdict; v != nil {
		verdict := "does not meet"
		if v.Pass {
			verdict = "meets"
		}
		goal := ""
		if v.Goal {
			goal = " and the goal (≤ 0.5×)"
		}
		fmt.Fprintf(w, "%s %s issue 7's bar (≤ 0.6× random's labels, mean AUC ≥ random + 0.005)%s: %s×, %+.4f\n",
			v.Strategy, verdict, goal, fmtPtr(v.Ratio), v.Delta)
	}

	fmt.Fprintf(w, "\ntest AUC, median over seeds, by labels\n")
	tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprint(tw, "labels\t")
	for _, a := range r.Strategies {
		fmt.Fprintf(tw, "%s\t", a.Name)
	}
	fmt.Fprintln(tw)
	show := []int{100, 200, 300, 500, 700, 1000, 1500, 2000, 2500, 3000, 4000, 5000}
	for k, l := range r.Labels {
		if !slices.Contains(show, l) && k != 0 && k != len(r.Labels)-1 {
			continue
		}
		fmt.Fprintf(tw, "%d\t", l)
		for _, a := range r.Strategies {
			fmt.Fprintf(tw, "%.4f\t", a.Curve[k].Median)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
}

func fmtPtr(x *float64) string {
	if x == nil {
		return "∞"
	}
	return fmt.Sprintf("%.2f", *x)
}

// writeALSimSVG draws the median learning curves: test AUC against labels,
// one line per strategy, with the target and the whole-pool AUC.
func writeALSimSVG(w io.Writer, r *alsimReport) {
	const W, H = 800, 440
	const left, right, top, bottom = 64, 230, 40, 52
	pw, ph := float64(W-left-right), float64(H-top-bottom)
	lo, hi := math.Inf(1), r.FullPoolAUC
	for _, a := range r.Strategies {
		for _, p := range a.Curve {
			lo, hi = min(lo, p.Median), max(hi, p.Median)
		}
	}
	lo, hi = math.Floor(lo*50)/50, math.Ceil(hi*50)/50
	if hi <= lo {
		hi = lo + 0.02
	}
	maxX := float64(r.MaxLabels)
	x := func(l float64) float64 { return float64(left) + pw*l/maxX }
	y := func(v float64) float64 { return float64(top) + ph*(hi-v)/(hi-lo) }
	colors := []string{"#222222", "#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#d62728", "#e377c2", "#17becf", "#bcbd22"}

	fmt.Fprintf(w, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif" font-size="12">`+"\n", W, H, W, H)
	fmt.Fprintf(w, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", W, H)
	title := fmt.Sprintf("Active learning on %s: test AUC vs labels (median of %d seeds)", svgEscape(baseName(r.Data)), r.Seeds)
	fmt.Fprintf(w, `<text x="%d" y="22" font-size="14" font-weight="600" fill="#222">%s</text>`+"\n", left, title)
	// Grid and ticks.
	step := 0.01
	if (hi-lo)/step > 10 {
		step = 0.02
	}
	if (hi-lo)/step > 10 {
		step = 0.05
	}
	for v := lo; v <= hi+1e-9; v += step {
		fmt.Fprintf(w, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#e6e6e6"/>`+"\n", left, float64(left)+pw, y(v), y(v))
		fmt.Fprintf(w, `<text x="%d" y="%.1f" text-anchor="end" fill="#555">%.2f</text>`+"\n", left-6, y(v)+4, v)
	}
	xstep := niceStep(maxX / 6)
	for l := 0.0; l <= maxX+1e-9; l += xstep {
		fmt.Fprintf(w, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%.1f" stroke="#e6e6e6"/>`+"\n", x(l), x(l), top, float64(top)+ph)
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#555">%.0f</text>`+"\n", x(l), float64(top)+ph+16, l)
	}
	fmt.Fprintf(w, `<rect x="%d" y="%d" width="%.0f" height="%.0f" fill="none" stroke="#999"/>`+"\n", left, top, pw, ph)
	fmt.Fprintf(w, `<text x="%.1f" y="%d" text-anchor="middle" fill="#222">labels</text>`+"\n", float64(left)+pw/2, H-12)
	fmt.Fprintf(w, `<text transform="translate(18 %.1f) rotate(-90)" text-anchor="middle" fill="#222">test AUC</text>`+"\n", float64(top)+ph/2)
	// Reference lines.
	ref := func(v float64, label string) {
		if v < lo || v > hi {
			return
		}
		fmt.Fprintf(w, `<line x1="%d" x2="%.1f" y1="%.1f" y2="%.1f" stroke="#888" stroke-dasharray="5 4"/>`+"\n", left, float64(left)+pw, y(v), y(v))
		fmt.Fprintf(w, `<text x="%d" y="%.1f" fill="#555" font-size="11" stroke="#fff" stroke-width="3" paint-order="stroke">%s</text>`+"\n", left+6, y(v)-4, label)
	}
	ref(r.FullPoolAUC, fmt.Sprintf("whole pool %.3f", r.FullPoolAUC))
	ref(r.TargetAUC, fmt.Sprintf("target %.0f%% = %.3f", 100*r.TargetShare, r.TargetAUC))
	// Curves and legend.
	for i, a := range r.Strategies {
		col := colors[i%len(colors)]
		width := "1.5"
		if a.Name == r.DefaultStrategy {
			width = "3"
		}
		var pts []string
		for _, p := range a.Curve {
			pts = append(pts, fmt.Sprintf("%.1f,%.1f", x(float64(p.Labels)), y(max(p.Median, lo))))
		}
		fmt.Fprintf(w, `<polyline fill="none" stroke="%s" stroke-width="%s" stroke-linejoin="round" points="%s"/>`+"\n", col, width, strings.Join(pts, " "))
		ly := float64(top) + 10 + 20*float64(i)
		lx := float64(left) + pw + 14
		fmt.Fprintf(w, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="%s"/>`+"\n", lx, lx+22, ly, ly, col, width)
		name := a.Name
		if a.Name == r.DefaultStrategy {
			name += " (default)"
		}
		// For a binary label least_confidence, margin and entropy rank
		// rows alike, so their curves coincide: say so.
		for _, b := range r.Strategies[:i] {
			if sameCurve(a.Curve, b.Curve) {
				name += " = " + b.Name
				break
			}
		}
		fmt.Fprintf(w, `<text x="%.1f" y="%.1f" fill="#222">%s</text>`+"\n", lx+28, ly+4, svgEscape(name))
	}
	fmt.Fprintln(w, `</svg>`)
}

func sameCurve(a, b []alsimPoint) bool {
	return slices.EqualFunc(a, b, func(p, q alsimPoint) bool { return slices.Equal(p.Seeds, q.Seeds) })
}

func niceStep(x float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(x)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= x {
			return m * p
		}
	}
	return 10 * p
}

func baseName(path string) string {
	if i := strings.LastIndexAny(path, `/\`); i >= 0 {
		return path[i+1:]
	}
	return path
}

func svgEscape(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		case '"':
			b.WriteString("&quot;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}
