package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/gate"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/serving"
	"github.com/freshet/freshet/store"
)

// The gate: a new version (the challenger) and the champion are scored,
// through leaves, on the same out-of-time holdout — the newest labeled
// rows of the challenger's window, which it never trained on — and
// ml/gate judges the challenger. The decision is stored with the version
// in one transaction; in auto mode a passing challenger is promoted
// there too, otherwise it waits for a lead.

// holdoutRows is how many of the newest labeled rows judge a version that
// recorded no holdout (online snapshots).
const holdoutRows = 2000

// latencyProbes is how many single-row predictions measure p99 latency.
const latencyProbes = 300

// Judge scores a challenger against the model's champion and returns the
// gate's decision (not yet stored) and whether to promote now.
func (r *Runner) Judge(ctx context.Context, m *ml.Model, v *ml.Version, artifact []byte) (*ml.GateDecision, bool, error) {
	cfg := m.Config.Gate.WithDefaults()
	champ, err := r.DB.FindChampion(ctx, m.ID)
	if err != nil && ml.ErrorCode(err) != ml.ENOTFOUND {
		return nil, false, err
	}
	hold, note, err := r.holdout(ctx, m, v)
	if err != nil {
		return nil, false, err
	}
	d := &ml.GateDecision{Mode: cfg.Mode, HoldoutRows: hold.Len()}
	if hold.Len() == 0 {
		d.Summary = "no labeled holdout rows to judge on"
		d.Status = ml.GateFailed
		d.Report, _ = json.Marshal(map[string]any{"reasons": []string{d.Summary}})
		return d, false, nil
	}
	challenger, err := serving.Load(v, artifact)
	if err != nil {
		return nil, false, ml.Errorf(ml.EINVALID, "the challenger does not load: %v", err)
	}
	in := gate.Input{Task: m.Task, Metric: m.Metric, Classes: len(m.Classes), Labels: hold.Y, ChallengerBytes: int64(len(artifact)),
		ChallengerP99Micros: p99Micros(challenger, hold.X), Seed: uint64(v.Number)}
	if in.Challenger, err = challenger.Score(hold.X); err != nil {
		return nil, false, err
	}
	if champ != nil {
		d.ChampionID, d.ChampionNumber = champ.ID, champ.Number
		sc, err := r.Serving.Version(ctx, champ)
		if err != nil {
			return nil, false, err
		}
		if in.Champion, err = sc.Score(hold.X); err != nil {
			return nil, false, err
		}
	}
	cats, err := r.DB.FindCategories(ctx, m)
	if err != nil {
		return nil, false, err
	}
	for j, f := range m.Features {
		if f.Type != ml.Categorical {
			continue
		}
		col := gate.SliceColumn{Name: f.Name, Values: make([]string, hold.Len())}
		for i, x := range hold.X[j] {
			col.Values[i] = categoryName(cats, j, x)
		}
		in.Slices = append(in.Slices, col)
	}
	rep, err := gate.Evaluate(m.Config.Gate, in)
	if err != nil {
		return nil, false, err
	}
	d.Pass = rep.Pass
	d.Summary = gateSummary(rep, champ, hold.Len(), note)
	d.Report, _ = json.Marshal(rep)
	promote := false
	switch {
	case !rep.Pass:
		d.Status = ml.GateFailed
	case champ == nil:
		// Nothing serves yet: a first model that passes its floors serves.
		d.Status, promote = ml.GateAutoPromoted, true
	case cfg.Mode == ml.GateAuto:
		d.Status, promote = ml.GateAutoPromoted, true
	default:
		d.Status = ml.GatePending
	}
	return d, promote, nil
}

// holdout reads the rows a version is judged on.
func (r *Runner) holdout(ctx context.Context, m *ml.Model, v *ml.Version) (train.Data, string, error) {
	dv := v.Data
	if dv.HoldoutRows > 0 {
		d, err := labeledRange(ctx, r.DB, m, dv.HoldoutFromID, dv.HoldoutToID)
		return d, "", err
	}
	d, err := labeledHistory(ctx, r.DB, m)
	if err != nil {
		return train.Data{}, "", err
	}
	if n := d.Len(); n > holdoutRows {
		d = d.Slice(n-holdoutRows, n)
	}
	return d, "the newest labeled rows (this version recorded no holdout; it may have learned them)", nil
}

func categoryName(cats [][]string, j int, code float64) string {
	if math.IsNaN(code) {
		return "(missing)"
	}
	k := int(code)
	if j < len(cats) && k >= 0 && k < len(cats[j]) && float64(k) == code {
		return cats[j][k]
	}
	return fmt.Sprintf("code %g", code)
}

// p99Micros is the 99th percentile of single-row prediction latency.
func p99Micros(s *serving.Scorer, X [][]float64) float64 {
	n := 0
	if len(X) > 0 {
		n = len(X[0])
	}
	if n == 0 {
		return math.NaN()
	}
	row := make([][]float64, len(X))
	for j := range row {
		row[j] = make([]float64, 1)
	}
	lat := make([]float64, 0, latencyProbes)
	for i := range latencyProbes {
		k := i % n
		for j := range X {
			row[j][0] = X[j][k]
		}
		t0 := time.Now()
		if _, err := s.Score(row); err != nil {
			return math.NaN()
		}
		lat = append(lat, float64(time.Since(t0).Nanoseconds())/1000)
	}
	slices.Sort(lat)
	return lat[len(lat)*99/100]
}

// gateSummary is the decision in one line.
func gateSummary(rep *gate.Report, champ *ml.Version, rows int, note string) string {
	var b strings.Builder
	ch := rep.Challenger[rep.Metric]
	if champ == nil {
		fmt.Fprintf(&b, "first model: %s %.4f on %s held-out rows", rep.Metric, ch, thousands(rows))
	} else if d := rep.Diff; d != nil {
		fmt.Fprintf(&b, "%s %.4f vs v%d's %.4f (%+.4f, CI %+.4f to %+.4f, %s p = %.3g) on %s held-out rows", rep.Metric, ch, champ.Number,
			rep.Champion[rep.Metric], d.Value, d.CILo, d.CIHi, d.Test, d.P, thousands(rows))
	}
	if !rep.Pass && len(rep.Reasons) > 0 {
		b.WriteString("; fails: " + strings.Join(rep.Reasons, "; "))
	}
	if note != "" {
		b.WriteString("; " + note)
	}
	return b.String()
}

// finishGated judges a trained version and stores it, its job's success
// and the gate's decision in one transaction (promoting it when the gate
// says so), then sends the notifications.
func (r *Runner) finishGated(ctx context.Context, jobID int64, out store.JobOutcome, m *ml.Model, v *ml.Version, artifact []byte) error {
	dec, promote, err := r.Judge(ctx, m, v, artifact)
	if err != nil {
		return fmt.Errorf("gate: %w", err)
	}
	out.Log = append(out.Log, "gate: "+dec.Status+" — "+dec.Summary)
	cfg := m.Config.Gate.WithDefaults()
	po := store.PromoteOptions{Reason: "gate: " + dec.Status, WatchLabels: max(cfg.WatchLabels, 0)}
	if err := r.DB.FinishJobGated(ctx, jobID, out, m, v, artifact, promote, dec, po); err != nil {
		return err
	}
	r.Notify(ctx, m, ml.EventGateVerdict, dec)
	if promote {
		r.Notify(ctx, m, ml.EventPromoted, map[string]any{"version": v.Number, "version_id": v.ID, "decision_id": dec.ID, "by": "gate"})
	}
	return nil
}
