package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/riverqueue/river"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/gate"
	"github.com/freshet/freshet/ml/metrics"
	"github.com/freshet/freshet/store"
)

// The post-deploy watch: after a promotion, the new champion's live
// scores on the first WatchLabels labeled observations it served are
// compared, in the model's primary metric, with the previous champion's
// scores on the same rows (scored now, through leaves; a multiclass
// champion's rows are scored again too, since only their top probability
// was logged). A significant drop larger than the gate's slice margin
// rolls the model back at once, with a trigger event and a webhook that
// say so, all in one transaction; otherwise the watch ends as passed.

// WatchArgs runs the post-deploy watches.
type WatchArgs struct{}

// Kind implements river.JobArgs.
func (WatchArgs) Kind() string { return "watch_deployments" }

type watchWorker struct {
	river.WorkerDefaults[WatchArgs]
	r *Runner
}

func (w *watchWorker) Timeout(*river.Job[WatchArgs]) time.Duration { return 5 * time.Minute }

func (w *watchWorker) Work(ctx context.Context, _ *river.Job[WatchArgs]) error {
	n, err := w.r.Watch(ctx)
	if n > 0 {
		river.RecordOutput(ctx, map[string]int{"watches ended": n})
	}
	return err
}

// WatchResult is what a watch found. It is stored as JSON and sent in
// webhooks, so numbers a test could not give are null, never NaN (which
// encoding/json refuses).
type WatchResult struct {
	Rows       int      `json:"rows"`
	Metric     string   `json:"metric"`
	New        *float64 `json:"new"`
	Old        *float64 `json:"old"`
	Drop       *float64 `json:"drop"`
	P          float64  `json:"p"`
	Test       string   `json:"test"`
	RolledBack bool     `json:"rolled_back"`
	Text       string   `json:"text"`
}

// Watch checks every deployment under watch and ends those with enough
// labels: passed, or rolled back. It returns how many ended.
func (r *Runner) Watch(ctx context.Context) (int, error) {
	deps, err := r.DB.FindDeployments(ctx, 0, 0)
	if err != nil {
		return 0, err
	}
	ended := 0
	var errs []error
	for _, dep := range deps {
		done, err := r.watchOne(ctx, dep)
		if err != nil {
			errs = append(errs, fmt.Errorf("deployment %d: %w", dep.ID, err))
		}
		if done {
			ended++
		}
	}
	return ended, errors.Join(errs...)
}

func (r *Runner) watchOne(ctx context.Context, dep *ml.Deployment) (bool, error) {
	m, err := r.DB.FindModelByID(ctx, dep.ModelID)
	if err != nil {
		return false, err
	}
	cfg := m.Config.Gate.WithDefaults()
	if cfg.WatchLabels <= 0 || dep.PreviousID == 0 {
		return true, r.DB.EndWatch(ctx, dep.ID, ml.WatchPassed, map[string]string{"ended": "watch off"})
	}
	fr, err := r.DB.Scan(ctx, m, store.ScanFilter{AfterID: dep.WatchFromID, LabeledOnly: true, WithScores: true})
	if err != nil {
		return false, err
	}
	// The rows the new champion served, in arrival order.
	var idx []int
	for i := range fr.Len() {
		if fr.Version[i] == dep.VersionID && !math.IsNaN(fr.Score[i]) {
			idx = append(idx, i)
			if len(idx) == cfg.WatchLabels {
				break
			}
		}
	}
	if len(idx) < cfg.WatchLabels {
		return false, nil
	}
	X := make([][]float64, len(fr.X))
	for j := range X {
		X[j] = make([]float64, len(idx))
		for i, k := range idx {
			X[j][i] = fr.X[j][k]
		}
	}
	y := make([]float64, len(idx))
	newer := make([]float64, len(idx))
	for i, k := range idx {
		y[i], newer[i] = fr.Label[k], fr.Score[k]
	}
	prev, err := r.DB.FindVersion(ctx, m.ID, dep.PreviousID)
	if err != nil {
		return false, err
	}
	cur, err := r.DB.FindVersion(ctx, m.ID, dep.VersionID)
	if err != nil {
		return false, err
	}
	if m.Task == ml.TaskMulticlass {
		// A multiclass prediction logs only its top probability; the
		// metric needs every class's. The new champion scores them again:
		// the same trees on the same features give what it served.
		if newer, err = r.scoreWith(ctx, cur, X); err != nil {
			return false, err
		}
	}
	older, err := r.scoreWith(ctx, prev, X)
	if err != nil {
		return false, err
	}
	d := dropTest(m, y, newer, older, cfg.Alpha, uint64(dep.ID))
	res := WatchResult{Rows: len(idx), Metric: d.Metric, New: ml.Finite(d.New), Old: ml.Finite(d.Old), Drop: ml.Finite(d.Drop), P: d.P, Test: d.Test}
	bad := d.P < cfg.Alpha && d.Drop > cfg.SliceMargin
	res.Text = fmt.Sprintf("post-deploy watch: %s %.4f (v%d, live) vs %.4f (v%d) on the same %s labeled rows, drop %+.4f, %s p = %.3g",
		d.Metric, d.New, cur.Number, d.Old, prev.Number, thousands(res.Rows), d.Drop, d.Test, d.P)
	if !bad {
		res.Text += fmt.Sprintf(" — passed (rolls back on p < %g and a drop over %g)", cfg.Alpha, cfg.SliceMargin)
		return true, r.DB.EndWatch(ctx, dep.ID, ml.WatchPassed, res)
	}
	res.RolledBack = true
	res.Text += fmt.Sprintf(": rolled back to v%d", prev.Number)
	ev := &ml.TriggerEvent{Triggers: []string{"watch"}, Reasons: []string{res.Text},
		StrategyWhy: "automatic rollback: the new champion did significantly worse than the old one on live labeled rows"}
	payload := map[string]any{"from": cur.Number, "to": prev.Number, "by": "watch", "reason": res.Text, "result": res}
	// The rollback, its trigger event and its webhook commit together: a
	// crash in between must not leave a rollback nobody is told about.
	err = r.DB.InTx(ctx, func(tx *sql.Tx) error {
		if _, _, err := r.DB.WatchRollbackTx(ctx, tx, ml.Actor{Kind: "system", Name: "watch"}, m, dep.ID, res, ev); err != nil {
			return err
		}
		return r.NotifyTx(ctx, tx, m, ml.EventRolledBack, payload)
	})
	if err != nil {
		return false, err
	}
	r.Log.Warn("automatic rollback", "model", m.Name, "from", cur.Number, "to", prev.Number, "why", res.Text)
	return true, nil
}

// scoreWith scores column-major rows X with version v.
func (r *Runner) scoreWith(ctx context.Context, v *ml.Version, X [][]float64) ([]float64, error) {
	sc, err := r.Serving.Version(ctx, v)
	if err != nil {
		return nil, err
	}
	return sc.Score(X)
}

// drop is a drop test's outcome; New, Old and Drop are NaN when the
// test could not run.
type drop struct {
	Metric         string
	New, Old, Drop float64
	// P is the one-sided p-value for "the new champion is worse"; 1 when
	// the test could not run, so that it never rolls back.
	P    float64
	Test string
}

// dropTest compares the new champion's scores with the old one's on the
// same rows in the model's primary metric. Binary models get the gate's
// own tests (DeLong for auc, McNemar for accuracy, a paired bootstrap
// otherwise); multiclass and regression models the gate's paired
// bootstrap of the improvement, read as a z-test on its standard error
// as BinaryDropTest does, in the metric's direction (a loss that grows is
// a drop). Scores are laid out as in gate.Input.
func dropTest(m *ml.Model, y, newer, older []float64, alpha float64, seed uint64) drop {
	failed := func(err error) drop {
		return drop{Metric: m.Metric, New: math.NaN(), Old: math.NaN(), Drop: math.NaN(), P: 1, Test: "error: " + err.Error()}
	}
	if m.Task == ml.TaskBinary {
		d, err := gate.BinaryDropTest(m.Metric, y, older, newer, seed)
		if err != nil {
			return failed(err)
		}
		return drop{Metric: d.Metric, New: d.New, Old: d.Old, Drop: d.Drop, P: finiteP(d.P), Test: d.Test}
	}
	classes := len(m.Classes)
	b, err := gate.BootstrapMetricDiff(m.Task, m.Metric, classes, y, older, newer, gate.DropBootstrap, alpha, seed)
	if err != nil {
		return failed(err)
	}
	// b.Estimate is the improvement: new − old, or old − new for a loss.
	z := b.Estimate / b.SE
	switch {
	case b.SE > 0:
	case math.IsNaN(b.SE) || math.IsNaN(b.Estimate):
		return failed(fmt.Errorf("no finite bootstrap replicate of %s", m.Metric)) // no evidence: never a rollback
	case b.Estimate == 0:
		z = 0 // the same scores: no evidence either way
	default:
		z = math.Copysign(math.Inf(1), b.Estimate) // no spread: the sign is certain
	}
	return drop{Metric: m.Metric, New: watchMetric(m, classes, y, newer), Old: watchMetric(m, classes, y, older),
		Drop: -b.Estimate, P: finiteP(0.5 * math.Erfc(-z/math.Sqrt2)), Test: "bootstrap"}
}

func finiteP(p float64) float64 {
	if math.IsNaN(p) {
		return 1
	}
	return p
}

// watchMetric is the primary metric of a multiclass or regression model
// on scores s, for the watch's report (its test is ml/gate's): accuracy
// of the first largest probability or log loss clipped as sklearn does
// (multiclass), rmse (regression).
func watchMetric(m *ml.Model, classes int, y, s []float64) float64 {
	if m.Task == ml.TaskRegression {
		v, err := metrics.RMSE(y, s, nil)
		if err != nil {
			return math.NaN()
		}
		return v
	}
	const eps = 2.220446049250313e-16 // sklearn's eps="auto" for float64, as ml/metrics and ml/gate
	var sum float64
	for i, label := range y {
		p := s[i*classes : (i+1)*classes]
		best, tot := 0, 0.0
		for k, q := range p {
			if q > p[best] {
				best = k
			}
			tot += min(max(q, eps), 1-eps)
		}
		if m.Metric == ml.MetricAccuracy {
			if best == int(label) {
				sum++
			}
		} else {
			sum -= math.Log(min(max(p[int(label)], eps), 1-eps) / tot)
		}
	}
	return sum / float64(len(y))
}
