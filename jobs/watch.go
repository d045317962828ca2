package jobs

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/riverqueue/river"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/gate"
	"github.com/freshet/freshet/store"
)

// The post-deploy watch: after a promotion, the new champion's live
// scores on the first WatchLabels labeled observations it served are
// compared with the previous champion's scores on the same rows (scored
// now, through leaves). A significant drop larger than the gate's slice
// margin rolls the model back at once, with a trigger event that says
// so; otherwise the watch ends as passed.

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

// WatchResult is what a watch found.
type WatchResult struct {
	Rows       int     `json:"rows"`
	Metric     string  `json:"metric"`
	New        float64 `json:"new"`
	Old        float64 `json:"old"`
	Drop       float64 `json:"drop"`
	P          float64 `json:"p"`
	Test       string  `json:"test"`
	RolledBack bool    `json:"rolled_back"`
	Text       string  `json:"text"`
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
	sc, err := r.Serving.Version(ctx, prev)
	if err != nil {
		return false, err
	}
	older, err := sc.Score(X)
	if err != nil {
		return false, err
	}
	res := dropTest(m, y, newer, older, uint64(dep.ID))
	res.Rows = len(idx)
	bad := res.P < cfg.Alpha && res.Drop > cfg.SliceMargin
	res.Text = fmt.Sprintf("post-deploy watch: %s %.4f (v%d, live) vs %.4f (v%d) on the same %s labeled rows, drop %+.4f, %s p = %.3g",
		res.Metric, res.New, cur.Number, res.Old, prev.Number, thousands(res.Rows), res.Drop, res.Test, res.P)
	if !bad {
		res.Text += fmt.Sprintf(" — passed (rolls back on p < %g and a drop over %g)", cfg.Alpha, cfg.SliceMargin)
		return true, r.DB.EndWatch(ctx, dep.ID, ml.WatchPassed, res)
	}
	res.RolledBack = true
	res.Text += fmt.Sprintf(": rolled back to v%d", prev.Number)
	if _, _, err := r.DB.WatchRollback(ctx, ml.Actor{Kind: "system", Name: "watch"}, m, dep.ID, res, res.Text); err != nil {
		return false, err
	}
	ev := &ml.TriggerEvent{ModelID: m.ID, Outcome: ml.OutcomeFired, Triggers: []string{"watch"}, Reasons: []string{res.Text},
		StrategyWhy: "automatic rollback: the new champion did significantly worse than the old one on live labeled rows"}
	if err := r.DB.RecordTrigger(ctx, ev); err != nil {
		return true, err
	}
	r.Log.Warn("automatic rollback", "model", m.Name, "from", cur.Number, "to", prev.Number, "why", res.Text)
	r.Notify(ctx, m, ml.EventRolledBack, map[string]any{"from": cur.Number, "to": prev.Number, "by": "watch", "reason": res.Text, "result": res})
	return true, nil
}

// dropTest compares the new champion's scores with the old one's on the
// same rows with the gate's tests (DeLong for AUC, McNemar for accuracy,
// a paired bootstrap otherwise); P is one-sided: the new one is worse.
// Multiclass and regression models are watched by no paired test yet:
// the result says so and never rolls back.
func dropTest(m *ml.Model, y, newer, older []float64, seed uint64) WatchResult {
	if m.Task != ml.TaskBinary {
		return WatchResult{Metric: m.Metric, New: math.NaN(), Old: math.NaN(), P: 1, Test: "none (binary models only)"}
	}
	d, err := gate.BinaryDropTest(m.Metric, y, older, newer, seed)
	if err != nil {
		return WatchResult{Metric: m.Metric, P: 1, Test: "error: " + err.Error()}
	}
	return WatchResult{Metric: d.Metric, New: d.New, Old: d.Old, Drop: d.Drop, P: d.P, Test: d.Test}
}
