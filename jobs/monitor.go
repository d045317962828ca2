package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/drift"
	"github.com/freshet/freshet/ml/monitor"
	"github.com/freshet/freshet/ml/mvdrift"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/serving"
	"github.com/freshet/freshet/store"
)

// MonitorArgs is the periodic monitoring job: profile every model's newly
// closed windows (and re-profile the last few, whose labels may have
// arrived since).
type MonitorArgs struct{}

// Kind implements river.JobArgs.
func (MonitorArgs) Kind() string { return "monitor_windows" }

// Monitoring settings.
const (
	// RecomputeWindows are re-profiled on every run: late labels land in
	// recent windows.
	RecomputeWindows = 2
	// maxWindowsPerRun bounds one run after downtime.
	maxWindowsPerRun = 200
)

type monitorWorker struct {
	river.WorkerDefaults[MonitorArgs]
	mon *Monitor
}

func (w *monitorWorker) Timeout(*river.Job[MonitorArgs]) time.Duration { return 5 * time.Minute }

func (w *monitorWorker) Work(ctx context.Context, job *river.Job[MonitorArgs]) error {
	n, err := w.mon.Run(ctx)
	if err != nil {
		return err
	}
	return river.RecordOutput(ctx, map[string]int{"windows": n})
}

// Monitor builds references and profiles and reads drift and decay.
type Monitor struct {
	DB      *store.DB
	Serving *serving.Registry

	// refs caches decoded references by id: they never change once
	// stored, and the dashboard reads them on every poll.
	refs sync.Map // int64 → *monitor.Reference
	// windows caches each profile's decoded window and drift, keyed by
	// the profile's content and the champion whose importances weigh it:
	// a page load recomputes only windows that changed.
	mu      sync.Mutex
	windows map[windowKey]*windowEntry
}

type windowKey struct {
	refID, start, champion int64
	sum, cfg               uint64
}

type windowEntry struct {
	w     *monitor.Window
	drift *monitor.WindowDrift
}

// maxCachedWindows bounds the window cache (a few KB each).
const maxCachedWindows = 20000

// loadReference decodes a stored reference, once.
func (mo *Monitor) loadReference(ctx context.Context, id int64) (*monitor.Reference, error) {
	if r, ok := mo.refs.Load(id); ok {
		return r.(*monitor.Reference), nil
	}
	sr, err := mo.DB.FindReferenceByID(ctx, id)
	if err != nil {
		return nil, err
	}
	ref := &monitor.Reference{}
	if err := json.Unmarshal(sr.Data, ref); err != nil {
		return nil, err
	}
	ref.UnpackJoint()
	mo.refs.Store(id, ref)
	return ref, nil
}

// Run profiles the closed windows of every model with a champion and
// returns how many windows it wrote.
func (mo *Monitor) Run(ctx context.Context) (int, error) {
	models, err := mo.DB.FindModels(ctx)
	if err != nil {
		return 0, err
	}
	total := 0
	for _, m := range models {
		n, err := mo.RunModel(ctx, m)
		if err != nil {
			return total, fmt.Errorf("monitor %s: %w", m.Name, err)
		}
		total += n
	}
	return total, nil
}

// reference returns (building once) the champion's monitoring reference:
// its training rows summarised, with its own scores on them.
func (mo *Monitor) reference(ctx context.Context, m *ml.Model, v *ml.Version) (int64, *monitor.Reference, error) {
	sr, err := mo.DB.FindReference(ctx, m.ID, v.ID)
	if err != nil {
		return 0, nil, err
	}
	if sr != nil {
		ref, err := mo.loadReference(ctx, sr.ID)
		return sr.ID, ref, err
	}
	filter := store.ScanFilter{AfterID: v.Data.FromID - 1, ToID: v.Data.ToID, LabeledOnly: true}
	if mc := m.Config.Monitor; mc.Pinned() {
		// A pinned period: all its rows, labeled or not.
		filter = store.ScanFilter{From: mc.ReferenceFrom.UnixMilli(), To: mc.ReferenceTo.UnixMilli()}
	}
	fr, err := mo.DB.Scan(ctx, m, filter)
	if err != nil {
		return 0, nil, err
	}
	if fr.Len() == 0 {
		return 0, nil, ml.Errorf(ml.EINVALID, "the monitoring reference of %s has no rows", m.Name)
	}
	var scores []float64
	if sc, err := mo.Serving.Version(ctx, v); err == nil && sc.Outputs() == 1 && fr.Len() > 0 {
		scores, _ = sc.Score(fr.X)
	}
	ref := monitor.NewReference(m, fr.X, scores)
	ref.VersionID, ref.Metrics = v.ID, v.Metrics
	if scores != nil {
		// The champion's errors on its own validation rows: the baseline
		// the windows' error rates are tested against.
		cfg := m.Config.Trainer.Train
		_, vIdx := train.Split(train.Data{X: fr.X, Y: fr.Label, Time: fr.Time}, cfg.ValidFrac)
		if m.Config.Monitor.Pinned() {
			// The pinned period's labeled rows are the baseline.
			vIdx = vIdx[:0]
			for i, y := range fr.Label {
				if !math.IsNaN(y) {
					vIdx = append(vIdx, i)
				}
			}
		}
		for _, k := range monitor.SampleRows(len(vIdx), monitor.JointSample, 77) {
			i := vIdx[k]
			wrong := uint8(0)
			if (scores[i] >= 0.5) != (fr.Label[i] == 1) {
				wrong = 1
			}
			ref.BaselineErrors = append(ref.BaselineErrors, wrong)
		}
	}
	ref.PackJoint()
	data, err := json.Marshal(ref)
	if err != nil {
		return 0, nil, err
	}
	id, err := mo.DB.SaveReference(ctx, m.ID, v.ID, fr.Len(), data)
	return id, ref, err
}

// RunModel profiles one model's closed windows.
func (mo *Monitor) RunModel(ctx context.Context, m *ml.Model) (int, error) {
	if m.Stats.FirstObservation == nil {
		return 0, nil
	}
	champ, err := mo.DB.FindChampion(ctx, m.ID)
	if ml.ErrorCode(err) == ml.ENOTFOUND {
		return 0, nil // nothing to compare with yet
	}
	if err != nil {
		return 0, err
	}
	refID, ref, err := mo.reference(ctx, m, champ)
	if ml.ErrorCode(err) == ml.EINVALID {
		return 0, nil // an empty pinned period: nothing to compare with
	}
	if err != nil {
		return 0, err
	}
	if m.Config.Monitor.WindowRows > 0 {
		return mo.runRows(ctx, m, ref, refID)
	}
	W := m.Config.Monitor.WindowMS()
	floor := func(t int64) int64 { return t - ((t%W)+W)%W }
	start := floor(m.Stats.FirstObservation.UnixMilli())
	if last, ok, err := mo.DB.LastProfileStart(ctx, m.ID); err != nil {
		return 0, err
	} else if ok {
		start = max(start, last-(RecomputeWindows-1)*W)
	}
	closedBefore := m.Stats.LastObservation.UnixMilli() // a window is closed once data past its end exists
	categorical := categoricalOf(m)
	pca := fitPCA(ref, categorical)
	n := 0
	for s := start; s+W <= closedBefore && n < maxWindowsPerRun; s += W {
		fr, err := mo.DB.Scan(ctx, m, store.ScanFilter{From: s, To: s + W, WithScores: true})
		if err != nil {
			return n, err
		}
		w := ref.Profile(s, s+W, fr.X, fr.Score, fr.Label)
		w.Multi = multivariate(pca, ref.Joint, fr.X, categorical, uint64(s))
		data, err := json.Marshal(w)
		if err != nil {
			return n, err
		}
		if err := mo.DB.SaveProfile(ctx, m.ID, store.Profile{Start: s, End: s + W, Rows: w.Rows, Labeled: w.Labels.Labeled, RefID: refID, Data: data}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

func categoricalOf(m *ml.Model) []bool {
	c := make([]bool, len(m.Features))
	for j, f := range m.Features {
		c[j] = f.Type == ml.Categorical
	}
	return c
}

// fitPCA fits the reference's PCA for multivariate drift; nil when the
// reference is too small.
func fitPCA(ref *monitor.Reference, categorical []bool) *mvdrift.PCAModel {
	if len(ref.Joint) == 0 || len(ref.Joint[0]) < 50 {
		return nil
	}
	pca, _ := mvdrift.FitPCA(ref.Joint, categorical, 0, 1)
	return pca
}

// runRows profiles windows of WindowRows observations each, in arrival
// order: window k holds observation ids k·N+1 .. (k+1)·N and closes once
// they all exist. Profiles are keyed by k; their times are the rows'.
func (mo *Monitor) runRows(ctx context.Context, m *ml.Model, ref *monitor.Reference, refID int64) (int, error) {
	N := int64(m.Config.Monitor.WindowRows)
	categorical := categoricalOf(m)
	pca := fitPCA(ref, categorical)
	var k int64
	if last, ok, err := mo.DB.LastProfileStart(ctx, m.ID); err != nil {
		return 0, err
	} else if ok {
		k = max(0, last-(RecomputeWindows-1))
	}
	n := 0
	for ; (k+1)*N <= m.Stats.Observations && n < maxWindowsPerRun; k++ {
		fr, err := mo.DB.Scan(ctx, m, store.ScanFilter{AfterID: k * N, ToID: (k + 1) * N, WithScores: true})
		if err != nil {
			return n, err
		}
		if fr.Len() == 0 {
			continue
		}
		t0, t1 := fr.Time[0], fr.Time[0]
		for _, t := range fr.Time {
			t0, t1 = min(t0, t), max(t1, t)
		}
		w := ref.Profile(t0, t1+1, fr.X, fr.Score, fr.Label)
		w.Multi = multivariate(pca, ref.Joint, fr.X, categorical, uint64(k))
		data, err := json.Marshal(w)
		if err != nil {
			return n, err
		}
		if err := mo.DB.SaveProfile(ctx, m.ID, store.Profile{Start: k, End: k + 1, Rows: w.Rows, Labeled: w.Labels.Labeled, RefID: refID, Data: data}); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// multivariate runs ml/mvdrift on a window's rows; nil when a method
// cannot run (too few rows).
func multivariate(pca *mvdrift.PCAModel, ref, cur [][]float64, categorical []bool, seed uint64) *monitor.Multivariate {
	if pca == nil || len(cur) == 0 || len(cur[0]) < 30 {
		return nil
	}
	mv := &monitor.Multivariate{}
	r, err := pca.Detect(cur, 0)
	if err != nil || math.IsNaN(r.Error) {
		return nil
	}
	mv.PCAError, mv.PCALower, mv.PCAUpper, mv.PCADrifted = r.Error, r.Lower, r.Upper, r.Drifted
	d, err := mvdrift.DomainClassifier(ref, cur, categorical, seed)
	if err != nil || math.IsNaN(d.AUC) {
		return nil
	}
	mv.DomainAUC, mv.DomainBound, mv.DomainDrift = d.AUC, d.Bound, d.Drifted
	return mv
}

// DriftConfig maps a model's monitor settings to ml/drift's.
func DriftConfig(c ml.MonitorConfig) drift.Config {
	return drift.Config{PValue: c.PValue, Wasserstein: c.Wasserstein, JensenShannon: c.JensenShannon, DriftShare: c.DriftShare, Correction: drift.Correction(c.Correction)}
}

// Health is a model's monitoring read: drift and performance per window,
// newest last, against the reference each window was profiled with.
type Health struct {
	Model     string                       `json:"model"`
	Window    string                       `json:"window"`
	Reference *RefInfo                     `json:"reference,omitempty"`
	Drift     []*monitor.WindowDrift       `json:"drift"`
	Perf      []monitor.Perf               `json:"performance"`
	Profiles  []*monitor.Window            `json:"-"`
	Refs      map[int64]*monitor.Reference `json:"-"`
	RefOf     []int64                      `json:"-"`
}

// RefInfo describes the current reference.
type RefInfo struct {
	VersionID int64              `json:"version_id"`
	Rows      int                `json:"rows"`
	Baseline  map[string]float64 `json:"baseline"`
}

// Health reads the newest n windows of a model and computes their drift
// and performance.
func (mo *Monitor) Health(ctx context.Context, m *ml.Model, n int) (*Health, error) {
	h := &Health{Model: m.Name, Window: m.Config.Monitor.WindowName(), Drift: []*monitor.WindowDrift{}, Perf: []monitor.Perf{}, Refs: map[int64]*monitor.Reference{}}
	ps, err := mo.DB.FindProfiles(ctx, m.ID, n)
	if err != nil {
		return nil, err
	}
	var importance map[string]float64
	var champID int64
	if champ, err := mo.DB.FindChampion(ctx, m.ID); err == nil {
		champID = champ.ID
		importance = map[string]float64{}
		for _, imp := range champ.Importance {
			importance[imp.Feature] = imp.Gain
		}
		if len(champ.Importance) == 0 {
			importance = nil
		}
	}
	cfg := DriftConfig(m.Config.Monitor)
	for _, p := range ps {
		ref := h.Refs[p.RefID]
		if ref == nil {
			if ref, err = mo.loadReference(ctx, p.RefID); err != nil {
				return nil, err
			}
			h.Refs[p.RefID] = ref
		}
		e, err := mo.window(p, ref, cfg, importance, champID)
		if err != nil {
			return nil, err
		}
		h.Drift = append(h.Drift, e.drift)
		h.Perf = append(h.Perf, monitor.Performance(e.w, primaryFor(m), ref.Metrics))
		h.Profiles = append(h.Profiles, e.w)
		h.RefOf = append(h.RefOf, p.RefID)
		h.Reference = &RefInfo{VersionID: ref.VersionID, Rows: ref.Rows, Baseline: ref.Metrics}
	}
	monitor.Detect(h.Profiles, h.Perf)
	return h, nil
}

// window decodes a profile and computes its drift, or takes both from
// the cache when the profile, its reference and the champion are
// unchanged. The cached values are shared: callers must not modify them.
func (mo *Monitor) window(p store.Profile, ref *monitor.Reference, cfg drift.Config, importance map[string]float64, champID int64) (*windowEntry, error) {
	h := fnv.New64a()
	h.Write(p.Data)
	c := fnv.New64a()
	fmt.Fprintf(c, "%+v", cfg)
	key := windowKey{refID: p.RefID, start: p.Start, champion: champID, sum: h.Sum64(), cfg: c.Sum64()}
	mo.mu.Lock()
	e := mo.windows[key]
	mo.mu.Unlock()
	if e != nil {
		return e, nil
	}
	var w monitor.Window
	if err := json.Unmarshal(p.Data, &w); err != nil {
		return nil, err
	}
	d, err := monitor.Drift(ref, &w, cfg, importance)
	if err != nil {
		return nil, err
	}
	e = &windowEntry{w: &w, drift: d}
	mo.mu.Lock()
	if mo.windows == nil || len(mo.windows) >= maxCachedWindows {
		mo.windows = map[windowKey]*windowEntry{}
	}
	mo.windows[key] = e
	mo.mu.Unlock()
	return e, nil
}

func primaryFor(m *ml.Model) string {
	if m.Metric == ml.MetricAccuracy {
		return ml.MetricAccuracy
	}
	return ml.MetricAUC
}

// Latest is the drift of a model's newest profiled window, nil when none.
func (mo *Monitor) Latest(ctx context.Context, m *ml.Model) (*monitor.WindowDrift, error) {
	h, err := mo.Health(ctx, m, 1)
	if err != nil || len(h.Drift) == 0 {
		return nil, err
	}
	return h.Drift[0], nil
}
