package jobs

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/gate"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/serving"
	"github.com/freshet/freshet/store"
)

// The gate: a new version (the challenger) and the champion are scored,
// through leaves, on the same rows the challenger never trained on, and
// ml/gate judges the challenger. For a trained version those are its
// recorded holdout, read back exactly (heldOutRows); for a version that
// recorded none (an online snapshot), the labeled rows that arrived after
// its data, and its judgement waits until there are enough of them. The
// decision is stored with the version in one transaction; in auto mode a
// passing challenger is promoted there too, otherwise it waits for a
// lead. While it waits, a challenger in shadow mode scores live traffic;
// once enough of those rows are labeled, Rejudge judges it again on them.

// holdoutRows is how many of the newest labeled rows judge a version that
// recorded no holdout.
const holdoutRows = 2000

// latencyProbes is how many single-row predictions measure p99 latency.
const latencyProbes = 300

// gateWait is Judge's answer for a version it cannot judge yet: too few
// labeled rows it never learned from. The version is stored without a
// decision, and Rejudge judges it once the rows are there.
type gateWait struct{ why string }

func (w *gateWait) Error() string { return w.why }

// judgedRows says which rows a verdict was reached on, so that anyone can
// read them back; it is stored in the decision's report as "holdout" (and
// "shadow").
type judgedRows struct {
	// Source is "recorded holdout", "after its data", "newest rows" (a
	// version that recorded no data) or "shadow".
	Source string `json:"source"`
	// FirstID and ToID are the recorded holdout: the labeled rows at or
	// after row FirstID in training order (time, then id) with ids up to
	// ToID. AfterID: the labeled rows with ids above it (after its data).
	FirstID int64 `json:"first_id,omitempty"`
	AfterID int64 `json:"after_id,omitempty"`
	ToID    int64 `json:"to_id,omitempty"`
	Rows    int   `json:"rows"`
	// Recorded is how many held-out rows the version recorded; Verified
	// is set when the rows read back were as many and the challenger's
	// metrics on them equal those it recorded on its holdout.
	Recorded int64  `json:"recorded,omitempty"`
	Verified bool   `json:"verified"`
	Note     string `json:"note,omitempty"`
}

// storedReport is the decision's report: ml/gate's, and where its rows
// came from.
type storedReport struct {
	*gate.Report
	Holdout *judgedRows `json:"holdout,omitempty"`
}

// shadowReport is the report of a re-judgement on shadow rows, stored
// under "shadow" next to the holdout's report.
type shadowReport struct {
	*gate.Report
	Rows    judgedRows `json:"rows"`
	Summary string     `json:"summary"`
}

// Judge scores a challenger against the model's champion and returns the
// gate's decision (not yet stored) and whether to promote now. A
// *gateWait error means it cannot judge yet; an ECONFLICT error, that the
// challenger's recorded holdout cannot be read back as it was.
func (r *Runner) Judge(ctx context.Context, m *ml.Model, v *ml.Version, artifact []byte) (*ml.GateDecision, bool, error) {
	cfg := m.Config.Gate.WithDefaults()
	hold, rows, err := r.holdout(ctx, m, v)
	if err != nil {
		return nil, false, err
	}
	d := &ml.GateDecision{Mode: cfg.Mode, HoldoutRows: hold.Len()}
	if hold.Len() == 0 {
		d.Summary = "no labeled holdout rows to judge on"
		d.Status = ml.GateFailed
		d.Report, _ = json.Marshal(map[string]any{"reasons": []string{d.Summary}, "holdout": rows})
		return d, false, nil
	}
	ev, err := r.evaluate(ctx, m, v, artifact, hold)
	if err != nil {
		return nil, false, err
	}
	if rows.Recorded > 0 && int64(hold.Len()) == rows.Recorded && len(v.Metrics) > 0 {
		// The challenger's metrics on the rows read back must be those it
		// recorded on its holdout: the same rows with the same labels.
		if err := sameMetrics(v.Metrics, train.Evaluate(m.Task, ev.challenger, ev.outputs, hold.Y)); err != nil {
			return nil, false, ml.Errorf(ml.ECONFLICT, "the challenger's %s held-out rows (from row %d, ids up to %d) changed since training: %v; "+
				"a retrain records a new holdout", thousands(hold.Len()), rows.FirstID, rows.ToID, err)
		}
		rows.Verified = true
	}
	rep, champ := ev.rep, ev.champ
	if champ != nil {
		d.ChampionID, d.ChampionNumber = champ.ID, champ.Number
	}
	d.Pass = rep.Pass
	d.Summary = gateSummary(rep, champ, hold.Len(), "held-out rows", rows.Note)
	d.Report, _ = json.Marshal(storedReport{Report: rep, Holdout: &rows})
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

// evaluation is ml/gate's report on some rows and what it was made from.
type evaluation struct {
	rep        *gate.Report
	champ      *ml.Version // nil: none
	challenger []float64   // the challenger's scores
	outputs    int
}

// evaluate scores the challenger and the model's champion on hold and
// has ml/gate judge them.
func (r *Runner) evaluate(ctx context.Context, m *ml.Model, v *ml.Version, artifact []byte, hold train.Data) (*evaluation, error) {
	champ, err := r.DB.FindChampion(ctx, m.ID)
	if err != nil && ml.ErrorCode(err) != ml.ENOTFOUND {
		return nil, err
	}
	challenger, err := serving.Load(v, artifact)
	if err != nil {
		return nil, ml.Errorf(ml.EINVALID, "the challenger does not load: %v", err)
	}
	in := gate.Input{Task: m.Task, Metric: m.Metric, Classes: len(m.Classes), Labels: hold.Y, ChallengerBytes: int64(len(artifact)),
		ChallengerP99Micros: p99Micros(challenger, hold.X), Seed: seedOf(artifact)}
	if in.Challenger, err = challenger.Score(hold.X); err != nil {
		return nil, err
	}
	ev := &evaluation{champ: champ, challenger: in.Challenger, outputs: challenger.Outputs()}
	if champ != nil {
		sc, err := r.Serving.Version(ctx, champ)
		if err != nil {
			return nil, err
		}
		if in.Champion, err = sc.Score(hold.X); err != nil {
			return nil, err
		}
	}
	cats, err := r.DB.FindCategories(ctx, m)
	if err != nil {
		return nil, err
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
	if ev.rep, err = gate.Evaluate(m.Config.Gate, in); err != nil {
		return nil, err
	}
	return ev, nil
}

// seedOf is the bootstrap seed for a challenger: from its artifact's
// hash, so that two challengers get different resamples and judging one
// again gives the same report. (The version number, used before, is not
// assigned until the version is stored: every challenger got seed 0.)
func seedOf(artifact []byte) uint64 {
	sum := sha256.Sum256(artifact)
	return binary.LittleEndian.Uint64(sum[:8])
}

// sameMetrics compares the metrics a version recorded on its holdout with
// those measured now; both are computed the same way from the same
// scores, so on the same rows they agree to rounding.
func sameMetrics(recorded, now map[string]float64) error {
	keys := make([]string, 0, len(recorded))
	for k := range recorded {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		a, b := recorded[k], now[k]
		if _, ok := now[k]; !ok || math.Abs(a-b) > 1e-9*max(1, math.Abs(a)) {
			return fmt.Errorf("%s was %.6g on them, now %.6g", k, a, b)
		}
	}
	return nil
}

// holdout reads the rows a version is judged on, and says which they are.
func (r *Runner) holdout(ctx context.Context, m *ml.Model, v *ml.Version) (train.Data, judgedRows, error) {
	dv := v.Data
	switch {
	case dv.HoldoutRows > 0:
		rows := judgedRows{Source: "recorded holdout", FirstID: dv.HoldoutFromID, ToID: dv.HoldoutToID, Recorded: dv.HoldoutRows}
		d, err := heldOutRows(ctx, r.DB, m, dv.HoldoutFromID, dv.HoldoutToID)
		if err != nil {
			return train.Data{}, rows, err
		}
		rows.Rows = d.Len()
		switch n := int64(d.Len()); {
		case n < dv.HoldoutRows:
			// Labels were taken back, or the record predates exact
			// holdouts (when its first id was the lowest, not the first
			// in time, and ids interleaved): judging on part of it would
			// pass for judging on all of it.
			return train.Data{}, rows, ml.Errorf(ml.ECONFLICT, "the challenger's holdout cannot be read back: %s labeled rows from row %d (ids up to %d), "+
				"%s recorded; a retrain records a new holdout", thousands(d.Len()), dv.HoldoutFromID, dv.HoldoutToID, thousands(int(dv.HoldoutRows)))
		case n > dv.HoldoutRows:
			// Rows labeled since training: after the first held-out row in
			// training order, so after every training row; never trained on.
			rows.Note = fmt.Sprintf("with %s rows more than the %s recorded: labeled since training, after its training rows in time, so never trained on",
				thousands(int(n-dv.HoldoutRows)), thousands(int(dv.HoldoutRows)))
		}
		return d, rows, nil
	case dv.ToID > 0:
		// No holdout recorded (an online snapshot, or a window without
		// one): the rows after its data, which it never learned from.
		rows := judgedRows{Source: "after its data", AfterID: dv.ToID}
		fr, err := r.DB.Scan(ctx, m, store.ScanFilter{AfterID: dv.ToID, LabeledOnly: true})
		if err != nil {
			return train.Data{}, rows, err
		}
		d := train.Data{X: fr.X, Y: fr.Label, Time: fr.Time, IDs: fr.ID}.TimeOrdered()
		// Fewer than GateConfig.FreshRows and it waits for more.
		fresh := m.Config.Gate.WithDefaults().FreshRows
		if d.Len() < fresh {
			return train.Data{}, rows, &gateWait{fmt.Sprintf("only %s labeled rows after its data (ids after %d); it is judged once %s have arrived, on rows it never learned from",
				thousands(d.Len()), dv.ToID, thousands(fresh))}
		}
		// The newest holdoutRows, or all it waited for when fresh_rows is more.
		if n, k := d.Len(), max(holdoutRows, fresh); n > k {
			d = d.Slice(n-k, n)
		}
		rows.Rows, rows.ToID = d.Len(), slices.Max(d.IDs)
		rows.Note = fmt.Sprintf("on the newest %s labeled rows after its data (ids after %d), which it never learned from", thousands(d.Len()), dv.ToID)
		return d, rows, nil
	}
	d, err := labeledHistory(ctx, r.DB, m)
	if err != nil {
		return train.Data{}, judgedRows{}, err
	}
	if n := d.Len(); n > holdoutRows {
		d = d.Slice(n-holdoutRows, n)
	}
	return d, judgedRows{Source: "newest rows", Rows: d.Len(), Note: "the newest labeled rows (this version recorded no data; it may have learned them)"}, nil
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

// gateSummary is the decision in one line; rows are what it was judged
// on ("held-out rows", "live shadow rows").
func gateSummary(rep *gate.Report, champ *ml.Version, n int, rows, note string) string {
	var b strings.Builder
	ch := rep.Challenger[rep.Metric]
	if champ == nil {
		fmt.Fprintf(&b, "first model: %s %.4f on %s %s", rep.Metric, ch, thousands(n), rows)
	} else if d := rep.Diff; d != nil {
		fmt.Fprintf(&b, "%s %.4f vs v%d's %.4f (%+.4f, CI %+.4f to %+.4f, %s p = %.3g) on %s %s", rep.Metric, ch, champ.Number,
			rep.Champion[rep.Metric], d.Value, d.CILo, d.CIHi, d.Test, d.P, thousands(n), rows)
	}
	if !rep.Pass && len(rep.Reasons) > 0 {
		b.WriteString("; fails: " + strings.Join(rep.Reasons, "; "))
	}
	if note != "" {
		b.WriteString("; " + note)
	}
	return b.String()
}

// finishGated judges a trained version and stores it, its job's success,
// the gate's decision and the webhooks that announce it in one
// transaction (promoting it when the gate says so). A version the gate
// cannot judge yet is stored without a decision; Rejudge judges it later.
func (r *Runner) finishGated(ctx context.Context, jobID int64, out store.JobOutcome, m *ml.Model, v *ml.Version, artifact []byte) error {
	dec, promote, err := r.Judge(ctx, m, v, artifact)
	var wait *gateWait
	if errors.As(err, &wait) {
		out.Log = append(out.Log, "gate: waiting — "+wait.why)
		return r.DB.FinishJobGated(ctx, jobID, out, m, v, artifact, false, nil, store.PromoteOptions{}, nil)
	}
	if err != nil {
		return fmt.Errorf("gate: %w", err)
	}
	out.Log = append(out.Log, "gate: "+dec.Status+" — "+dec.Summary)
	cfg := m.Config.Gate.WithDefaults()
	po := store.PromoteOptions{Reason: "gate: " + dec.Status, WatchLabels: max(cfg.WatchLabels, 0)}
	// The webhooks are queued in the transaction that stores the verdict
	// (dec.ID and v.ID are set by then): sent after the commit, a crash
	// in between lost them; sent before it, a rolled-back promotion was
	// announced. A refused queue row fails the job's attempt, and River
	// runs it again.
	return r.DB.FinishJobGated(ctx, jobID, out, m, v, artifact, promote, dec, po, func(tx *sql.Tx) error {
		if err := r.NotifyTx(ctx, tx, m, ml.EventGateVerdict, dec); err != nil {
			return err
		}
		if promote {
			return r.NotifyTx(ctx, tx, m, ml.EventPromoted, map[string]any{"version": v.Number, "version_id": v.ID, "decision_id": dec.ID, "by": "gate"})
		}
		return nil
	})
}

// RejudgeArgs runs Rejudge.
type RejudgeArgs struct{}

// Kind implements river.JobArgs.
func (RejudgeArgs) Kind() string { return "rejudge_gates" }

type rejudgeWorker struct {
	river.WorkerDefaults[RejudgeArgs]
	r *Runner
}

func (w *rejudgeWorker) Timeout(*river.Job[RejudgeArgs]) time.Duration { return 5 * time.Minute }

func (w *rejudgeWorker) Work(ctx context.Context, _ *river.Job[RejudgeArgs]) error {
	n, err := w.r.Rejudge(ctx)
	if n > 0 {
		river.RecordOutput(ctx, map[string]int{"decisions": n})
	}
	return err
}

// Rejudge comes back to what the gate left open: it judges the versions
// that waited for labeled rows they never learned from, once there are
// enough, and judges each pending challenger in shadow mode again on the
// live rows it shadow-scored, once enough of them are labeled. Each
// decision and its notifications are stored in one transaction. It
// returns how many decisions it made or changed.
func (r *Runner) Rejudge(ctx context.Context) (int, error) {
	n := 0
	var errs []error
	waiting, err := r.DB.FindWaitingVersions(ctx)
	if err != nil {
		return 0, err
	}
	for _, v := range waiting {
		latest, err := r.DB.FindVersions(ctx, v.ModelID, 1)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if len(latest) > 0 && latest[0].ID != v.ID {
			// A newer version came before enough rows did: it is the one
			// to judge, and this one will never serve.
			err := r.DB.RejectVersion(ctx, ml.Actor{Kind: "system", Name: "gate"}, v, fmt.Sprintf("superseded by v%d before the gate could judge it", latest[0].Number))
			if err != nil {
				errs = append(errs, fmt.Errorf("version %d: %w", v.ID, err))
			}
			continue
		}
		done, err := r.judgeWaiting(ctx, v)
		if done {
			n++
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("version %d: %w", v.ID, err))
		}
	}
	pending, err := r.DB.FindGates(ctx, store.GateFilter{Status: ml.GatePending, Limit: 1000})
	if err != nil {
		return n, errors.Join(append(errs, err)...)
	}
	for _, d := range pending {
		done, err := r.rejudgeShadow(ctx, d)
		if done {
			n++
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("decision %d: %w", d.ID, err))
		}
	}
	return n, errors.Join(errs...)
}

// judgeWaiting judges a version that waited for rows, when they are there,
// and stores the decision.
func (r *Runner) judgeWaiting(ctx context.Context, v *ml.Version) (bool, error) {
	m, err := r.DB.FindModelByID(ctx, v.ModelID)
	if err != nil {
		return false, err
	}
	art, err := r.DB.FindVersionArtifact(ctx, v.ID)
	if err != nil {
		return false, err
	}
	dec, promote, err := r.Judge(ctx, m, v, art)
	var wait *gateWait
	if errors.As(err, &wait) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	cfg := m.Config.Gate.WithDefaults()
	po := store.PromoteOptions{Reason: "gate: " + dec.Status, WatchLabels: max(cfg.WatchLabels, 0)}
	err = r.DB.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := r.DB.RecordGateTx(ctx, tx, m, v, dec, promote, po); err != nil {
			return err
		}
		return r.notifyVerdictTx(ctx, tx, m, v, dec, promote)
	})
	if ml.ErrorCode(err) == ml.ECONFLICT {
		// It changed while it was judged (see RecordGateTx): judged again
		// on the next round if it still waits, against the champion then.
		r.Log.Info("gate: judged again later", "model", m.Name, "version", v.Number, "why", ml.ErrorMessage(err))
		return false, nil
	}
	return err == nil, err
}

// rejudgeShadow judges pending decision d's challenger again on the live
// rows it shadow-scored, once GateConfig.ShadowRows of them are labeled
// (it judges once, at that size: re-testing as rows trickle in would peek
// at the same test until it says what one wants): a failure
// there fails the decision; a pass keeps it pending for the lead (or, in
// auto mode, promotes). Both reports stay in the decision.
func (r *Runner) rejudgeShadow(ctx context.Context, d *ml.GateDecision) (bool, error) {
	m, err := r.DB.FindModelByID(ctx, d.ModelID)
	if err != nil {
		return false, err
	}
	if !m.Config.Gate.Shadow {
		return false, nil
	}
	d, err = r.DB.FindGate(ctx, d.ID)
	if err != nil {
		return false, err
	}
	var report map[string]json.RawMessage
	if err := json.Unmarshal(d.Report, &report); err != nil {
		return false, fmt.Errorf("report: %w", err)
	}
	if _, done := report["shadow"]; done {
		return false, nil
	}
	v, err := r.DB.FindVersion(ctx, m.ID, d.ChallengerID)
	if err != nil {
		return false, err
	}
	hold, rows, err := r.shadowRows(ctx, m, v)
	if err != nil || hold.Len() < m.Config.Gate.WithDefaults().ShadowRows {
		return false, err
	}
	champ, err := r.DB.FindChampion(ctx, m.ID)
	if err != nil && ml.ErrorCode(err) != ml.ENOTFOUND {
		return false, err
	}
	if champ == nil || champ.ID != d.ChampionID {
		return false, nil // the champion changed since: the decision is the lead's to revisit
	}
	art, err := r.DB.FindVersionArtifact(ctx, v.ID)
	if err != nil {
		return false, err
	}
	ev, err := r.evaluate(ctx, m, v, art, hold)
	if err != nil {
		return false, err
	}
	sh := shadowReport{Report: ev.rep, Rows: rows, Summary: gateSummary(ev.rep, champ, hold.Len(), "live shadow rows", "")}
	if report["shadow"], err = json.Marshal(sh); err != nil {
		return false, err
	}
	if d.Report, err = json.Marshal(report); err != nil {
		return false, err
	}
	cfg := m.Config.Gate.WithDefaults()
	promote := false
	switch {
	case !ev.rep.Pass:
		d.Pass, d.Status = false, ml.GateFailed
		d.Summary = fmt.Sprintf("fails on %s live shadow rows: %s; on its holdout: %s", thousands(hold.Len()), sh.Summary, d.Summary)
	case cfg.Mode == ml.GateAuto:
		d.Status, promote = ml.GateAutoPromoted, true
		d.Summary = fmt.Sprintf("passes on %s live shadow rows: %s; on its holdout: %s", thousands(hold.Len()), sh.Summary, d.Summary)
	default:
		d.Summary = fmt.Sprintf("passes on %s live shadow rows: %s; on its holdout: %s", thousands(hold.Len()), sh.Summary, d.Summary)
	}
	po := store.PromoteOptions{Reason: "gate: " + d.Status + " on shadow rows", WatchLabels: max(cfg.WatchLabels, 0)}
	err = r.DB.InTx(ctx, func(tx *sql.Tx) error {
		if _, err := r.DB.RejudgeGateTx(ctx, tx, m, d, promote, po); err != nil {
			return err
		}
		if d.Status == ml.GatePending {
			return nil // the verdict stands: nothing new to tell
		}
		return r.notifyVerdictTx(ctx, tx, m, v, d, promote)
	})
	return err == nil, err
}

// shadowRows reads the labeled rows a challenger shadow-scored that lie
// beyond every row of its data (ids above its training and held-out
// rows), in time order: live rows it cannot have learned from.
func (r *Runner) shadowRows(ctx context.Context, m *ml.Model, v *ml.Version) (train.Data, judgedRows, error) {
	after := max(v.Data.ToID, v.Data.HoldoutToID)
	rows := judgedRows{Source: "shadow", AfterID: after}
	scored, err := r.DB.FindShadowScores(ctx, v.ID)
	if err != nil {
		return train.Data{}, rows, err
	}
	lo, hi := int64(math.MaxInt64), int64(0)
	for id := range scored {
		if id > after {
			lo, hi = min(lo, id), max(hi, id)
		}
	}
	if hi == 0 {
		return train.Data{}, rows, nil
	}
	fr, err := r.DB.Scan(ctx, m, store.ScanFilter{AfterID: lo - 1, ToID: hi, LabeledOnly: true})
	if err != nil {
		return train.Data{}, rows, err
	}
	var idx []int
	for i, id := range fr.ID {
		if _, ok := scored[id]; ok {
			idx = append(idx, i)
		}
	}
	d := train.Data{X: fr.X, Y: fr.Label, Time: fr.Time, IDs: fr.ID}.Rows(idx).TimeOrdered()
	rows.Rows, rows.ToID = d.Len(), hi
	rows.Note = fmt.Sprintf("the %s labeled live rows it shadow-scored (ids after %d)", thousands(d.Len()), after)
	return d, rows, nil
}

// notifyVerdictTx queues the verdict's notifications in tx, so that they
// are sent if and only if the decision is committed.
func (r *Runner) notifyVerdictTx(ctx context.Context, tx *sql.Tx, m *ml.Model, v *ml.Version, d *ml.GateDecision, promote bool) error {
	if err := r.NotifyTx(ctx, tx, m, ml.EventGateVerdict, d); err != nil {
		return err
	}
	if promote {
		return r.NotifyTx(ctx, tx, m, ml.EventPromoted, map[string]any{"version": v.Number, "version_id": v.ID, "decision_id": d.ID, "by": "gate"})
	}
	return nil
}
