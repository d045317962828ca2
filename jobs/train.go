package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/datacheck"
	"github.com/freshet/freshet/ml/modelfile"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/ml/window"
	"github.com/freshet/freshet/serving"
	"github.com/freshet/freshet/store"
)

// TrainSpec is one training run: which model, which update, why.
type TrainSpec struct {
	ModelID  int64        `json:"model_id"`
	Strategy string       `json:"strategy,omitempty"` // full (default) or warm_start
	Reason   string       `json:"reason,omitempty"`
	Config   train.Config `json:"config"` // overrides the model's (zero: the model's)
	JobID    int64        `json:"job_id,omitempty"`
}

// Trained is what a training run produced: a version to store, and what
// the job records about its data.
type Trained struct {
	Version    *ml.Version    `json:"version"`
	Artifact   []byte         `json:"-"`
	Rows       int            `json:"rows"`
	Rounds     int            `json:"rounds"`
	Validation []ml.Check     `json:"validation"`
	Data       ml.DataVersion `json:"data"`
	// ExternalCPU and ExternalRSS are an external trainer's own usage
	// (already inside the child's when the child ran it).
	ExternalCPU float64 `json:"external_cpu_seconds,omitempty"`
	ExternalRSS int64   `json:"external_peak_rss,omitempty"`
}

// Progress reports a run's phase, its progress in [0, 1] and a log line
// (empty for none).
type Progress func(phase string, frac float64, line string)

// Train runs the data window, data validation and the trainer for a
// model and returns the version it made without storing it. On a data
// problem it returns an EINVALID error together with what it found (the
// validation checks and the data version), so the job can show both.
func Train(ctx context.Context, db *store.DB, dataDir string, spec TrainSpec, progress Progress) (*Trained, error) {
	if progress == nil {
		progress = func(string, float64, string) {}
	}
	m, err := db.FindModelByID(ctx, spec.ModelID)
	if err != nil {
		return nil, err
	}
	pol := m.Config.Policy.WithDefaults()
	cfg := m.Config.Trainer.Train
	if spec.Config != (train.Config{}) {
		cfg = spec.Config
	}
	progress("loading", 0.02, "loading labeled rows")
	all, err := labeledHistory(ctx, db, m)
	if err != nil {
		return nil, err
	}
	progress("loading", 0.08, fmt.Sprintf("%s labeled rows loaded", thousands(all.Len())))
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Data validation against the champion's training rows.
	champ, err := db.FindChampion(ctx, m.ID)
	if err != nil && ml.ErrorCode(err) != ml.ENOTFOUND {
		return nil, err
	}
	// A drift-aware window starts where the monitoring found the data
	// changed (0: no change found).
	var changePoint int64
	validate := func(d train.Data, windowRows int) ([]ml.Check, error) {
		in := datacheck.Input{Task: m.Task, Classes: len(m.Classes), Labels: d.Y, MinRows: max(1, pol.Window.MinRows-(windowRows-d.Len()))}
		for j, f := range m.Features {
			in.Features = append(in.Features, datacheck.Column{Name: f.Name, Categorical: f.Type == ml.Categorical, Values: d.X[j]})
		}
		if champ != nil && champ.Data.ToID > 0 {
			in.Reference = referenceOf(m, all, champ.Data)
		}
		rep := datacheck.Run(pol.Validation, in)
		checks := make([]ml.Check, 0, len(rep.Checks))
		for i, c := range rep.Checks {
			if c.Name == datacheck.CheckMinRows {
				// The floor is the policy's window.min_rows, which counts the
				// window (training and held-out rows), as window.Select does.
				c.Value, c.Limit = float64(windowRows), float64(pol.Window.MinRows)
				c.Message = fmt.Sprintf("%s labeled rows in the window", thousands(windowRows))
				if windowRows != d.Len() {
					c.Message += fmt.Sprintf(" (%s to train on)", thousands(d.Len()))
				}
				c.Message += "; the policy's window.min_rows is " + thousands(pol.Window.MinRows)
				if !c.Pass {
					c.Message = "min_rows: only " + c.Message
				}
				rep.Checks[i] = c
			}
			if c.Name == datacheck.CheckRange && !c.Pass && changePoint > 0 {
				// The window was drawn to start at a change the monitoring
				// found: values outside the champion's range are what it is
				// for, not a sign of broken data, so they are shown and not
				// enforced (they stopped every drift-aware retrain after a
				// shift).
				c.Pass = true
				c.Message += fmt.Sprintf("; not enforced: the drift-aware window starts at the change found at %s",
					time.UnixMilli(changePoint).UTC().Format("2006-01-02 15:04"))
				rep.Checks[i] = c
			}
			checks = append(checks, ml.Check{Name: c.Name, Feature: c.Feature, Pass: c.Pass, Value: finiteOr0(c.Value), Limit: finiteOr0(c.Limit), Message: c.Message})
		}
		rep.OK = len(rep.Failures()) == 0
		return checks, rep.Error()
	}
	if all.Len() < pol.Window.MinRows {
		// Fewer labeled rows than the policy's min_rows: the window cannot
		// be drawn, and retrying cannot help. Every row would be the
		// window, so they are what the record shows and validates.
		dv := all.Version()
		dv.Hash, dv.LabeledTotal = all.Hash(), int64(all.Len())
		out := &Trained{Data: dv, Rows: all.Len()}
		checks, err := validate(all, all.Len())
		out.Validation = checks
		if err == nil {
			err = ml.Errorf(ml.EINVALID, "min_rows: only %s labeled rows; the policy's window.min_rows is %s", thousands(all.Len()), thousands(pol.Window.MinRows))
		}
		progress("validating", 0.15, err.Error())
		return out, err
	}

	// The data window.
	if pol.Window.Kind == ml.WindowDriftAware {
		changePoint = findChangePoint(ctx, db, m)
	}
	sel, err := window.Select(pol.Window, all.Time, changePoint)
	if err != nil {
		return nil, err
	}
	dTrain := all.Slice(sel.Lo, sel.Hi)
	if sel.Weights != nil {
		dTrain.W = sel.Weights
	}
	hold := all.Slice(sel.HoldoutLo, all.Len())
	dv := dTrain.Version()
	dv.Hash, dv.Window, dv.LabeledTotal = dTrain.Hash(), sel.Why, int64(all.Len())
	if hold.Len() > 0 {
		dv.HoldoutFromID, dv.HoldoutToID, dv.HoldoutRows = holdoutRecord(hold)
	}
	out := &Trained{Data: dv, Rows: dTrain.Len()}
	progress("window", 0.1, sel.Why+fmt.Sprintf("; %s rows held out for the gate", thousands(hold.Len())))

	progress("validating", 0.12, "validating the window")
	checks, err := validate(dTrain, dTrain.Len()+hold.Len())
	out.Validation = checks
	if err != nil {
		progress("validating", 0.15, err.Error())
		return out, err
	}
	progress("validating", 0.15, fmt.Sprintf("%d checks passed", len(checks)))

	strategy := spec.Strategy
	if strategy == "" {
		strategy = ml.StrategyFull
	}
	if strategy == ml.StrategyWarmStart && (champ == nil || champ.Trainer != ml.TrainerGBDT) {
		progress("training", 0.15, "no built-in champion to warm-start; training from scratch")
		strategy = ml.StrategyFull
	}
	trainFrom := func(round, rounds int, loss float64) bool {
		line := ""
		if round == 1 || round%10 == 0 || round == rounds {
			line = fmt.Sprintf("round %d/%d", round, rounds)
			if !math.IsNaN(loss) {
				line += fmt.Sprintf(", validation loss %.5f", loss)
			}
		}
		progress("training", 0.15+0.75*float64(round)/float64(max(rounds, 1)), line)
		return ctx.Err() == nil
	}
	var (
		v       = &ml.Version{Format: ml.FormatLightGBM, JobID: spec.JobID}
		trainer = ml.TrainerGBDT
	)
	switch {
	case m.Config.Trainer.Kind == ml.TrainerKindExternal:
		if dTrain.Len() < train.MinRows {
			return out, ml.Errorf(ml.EINVALID, "only %d labeled rows; a model needs at least %d", dTrain.Len(), train.MinRows)
		}
		tIdx, vIdx := train.Split(dTrain, cfg.ValidFrac)
		dir := filepath.Join(dataDir, "runs", fmt.Sprintf("job-%d-%d", spec.JobID, time.Now().UnixNano()))
		progress("training", 0.2, "running "+strings.Join(m.Config.Trainer.Command, " "))
		run, err := RunExternal(ctx, dir, m, m.Config.Trainer, snapshotOf(m, dTrain.X, dTrain.Y, dTrain.Time, tIdx), snapshotOf(m, dTrain.X, dTrain.Y, dTrain.Time, vIdx))
		if run != nil {
			out.ExternalCPU, out.ExternalRSS = run.CPUSeconds, run.PeakRSS
			for _, l := range strings.Split(lastLines(run.Log, 40), "\n") {
				if l != "" {
					progress("training", 0.85, "trainer: "+l)
				}
			}
		}
		if err != nil {
			return out, err
		}
		mf, err := modelfile.Load(run.Model, modelfile.Limits{})
		if err != nil {
			return out, ml.Errorf(ml.EINVALID, "the trainer's model file was refused: %v", err)
		}
		if mf.NumFeatures > len(m.Features) {
			return out, ml.Errorf(ml.EINVALID, "the trainer's model uses %d features; model %s has %d", mf.NumFeatures, m.Name, len(m.Features))
		}
		params, _ := json.Marshal(orMap(m.Config.Trainer.Params))
		v.Trainer, v.Params, v.UpdateKind, out.Artifact = ml.TrainerExternal, params, ml.UpdateFull, mf.Text
		trainer = strings.Join(m.Config.Trainer.Command, " ")
		if hold.Len() == 0 {
			hold = dTrain.Rows(vIdx)
		}
	case strategy == ml.StrategyWarmStart:
		base, err := db.FindVersionArtifact(ctx, champ.ID)
		if err != nil {
			return out, err
		}
		// The new rows since the champion's data, at least a few dozen.
		lo := dTrain.Len()
		for lo > 0 && dTrain.IDs[lo-1] > champ.Data.ToID {
			lo--
		}
		lo = min(lo, max(0, dTrain.Len()-train.MinRows))
		dNew := dTrain.Slice(lo, dTrain.Len())
		out.Rows = dNew.Len()
		progress("training", 0.15, fmt.Sprintf("warm start: %d trees on the newest %s rows on top of v%d", pol.WarmRounds, thousands(dNew.Len()), champ.Number))
		r, err := train.WarmStart(m, base, dNew, pol.WarmRounds, cfg, train.Options{Progress: trainFrom})
		if err != nil {
			return out, err
		}
		params, _ := json.Marshal(map[string]any{"warm_rounds": pol.WarmRounds, "base_version": champ.Number})
		v.Trainer, v.Params, v.UpdateKind, v.Importance, out.Artifact, out.Rounds = ml.TrainerGBDT, params, ml.UpdateWarmStart, r.Importance, r.Text, r.Rounds
		v.ParentID = champ.ID
		dv.FromID = dNew.Version().FromID
		dv.Rows = int64(dNew.Len())
		dv.Hash = dNew.Hash()
		out.Data = dv
		if hold.Len() == 0 {
			return out, ml.Errorf(ml.EINVALID, "a warm start needs a holdout to be measured on (window.holdout_frac is 0)")
		}
	default:
		r, err := train.Fit(m, dTrain, cfg, train.Options{Progress: trainFrom})
		if err != nil {
			return out, err
		}
		params, _ := json.Marshal(train.Defaults(cfg))
		v.Trainer, v.Params, v.UpdateKind, v.Importance, out.Artifact, out.Rounds = ml.TrainerGBDT, params, ml.UpdateFull, r.Importance, r.Text, r.Rounds
		if hold.Len() == 0 {
			v.Metrics = train.Evaluate(m.Task, r.ValidScores, r.Outputs, r.ValidY)
		}
	}
	if err := ctx.Err(); err != nil {
		return out, err
	}
	// Measured on the holdout, through leaves like every prediction.
	if hold.Len() > 0 {
		progress("evaluating", 0.92, fmt.Sprintf("scoring the %s held-out rows", thousands(hold.Len())))
		sc, err := serving.Load(&ml.Version{Format: ml.FormatLightGBM}, out.Artifact)
		if err != nil {
			return out, ml.Errorf(ml.EINVALID, "the trained model does not load: %v", err)
		}
		scores, err := sc.Score(hold.X)
		if err != nil {
			return out, err
		}
		v.Metrics = train.Evaluate(m.Task, scores, sc.Outputs(), hold.Y)
	}
	v.Data = out.Data
	v.Note = fmt.Sprintf("%s; %s (%s) on %s rows, measured on the newest %s held out", orText(spec.Reason, "manual retrain"), trainer,
		strings.ReplaceAll(v.UpdateKind, "_", " "), thousands(out.Rows), thousands(hold.Len()))
	out.Version = v
	progress("evaluating", 0.95, metricLine(v.Metrics))
	return out, nil
}

// holdoutRecord is how a version records its held-out rows (the newest
// rows of the window in training order: time, then id) so that the gate
// reads back exactly them: the first held-out row's id, the highest id
// among them, and their count. Every training row comes before the first
// held-out row in that order, so the labeled rows at or after it, up to
// the highest id, are held-out rows or rows labeled since, never training
// rows; see heldOutRows. (By id range alone they were not: uploads that
// overlap in time interleave ids, and the range took in training rows.)
func holdoutRecord(hold train.Data) (firstID, toID, rows int64) {
	firstID = hold.IDs[0]
	for _, id := range hold.IDs {
		toID = max(toID, id)
	}
	return firstID, toID, int64(hold.Len())
}

// labeledHistory loads a model's labeled rows in time order: what a
// retrain's window and a backtest's replay read.
func labeledHistory(ctx context.Context, db *store.DB, m *ml.Model) (train.Data, error) {
	fr, err := db.Scan(ctx, m, store.ScanFilter{LabeledOnly: true})
	if err != nil {
		return train.Data{}, err
	}
	return train.Data{X: fr.X, Y: fr.Label, Time: fr.Time, IDs: fr.ID}.TimeOrdered(), nil
}

// Retrain trains a model in this process and stores the version as the
// champion (tests and tools; the worker trains in a child process).
func Retrain(ctx context.Context, db *store.DB, dataDir string, args RetrainArgs, jobID int64) (*RetrainResult, error) {
	start, cpu0 := time.Now(), cpuSeconds()
	t, err := Train(ctx, db, dataDir, TrainSpec{ModelID: args.ModelID, Strategy: args.Strategy, Reason: args.Reason, Config: args.Config, JobID: jobID}, nil)
	if err != nil {
		return nil, err
	}
	m, err := db.FindModelByID(ctx, args.ModelID)
	if err != nil {
		return nil, err
	}
	if err := db.CreateVersion(ctx, ml.Actor{Kind: "system", Name: "retrain"}, m, t.Version, t.Artifact, true); err != nil {
		return nil, err
	}
	return &RetrainResult{Version: t.Version.Number, VersionID: t.Version.ID, Rows: t.Rows, Rounds: t.Rounds, Metrics: t.Version.Metrics,
		CPUSeconds: round3(cpuSeconds() - cpu0 + t.ExternalCPU), PeakRSS: t.ExternalRSS, Seconds: round3(time.Since(start).Seconds())}, nil
}

func metricLine(mt map[string]float64) string {
	var parts []string
	for _, k := range []string{ml.MetricAUC, ml.MetricAccuracy, ml.MetricLogLoss, ml.MetricRMSE} {
		if x, ok := mt[k]; ok && !math.IsNaN(x) {
			parts = append(parts, fmt.Sprintf("%s %.4f", k, x))
		}
	}
	return "holdout: " + strings.Join(parts, ", ")
}

func finiteOr0(x float64) float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return 0
	}
	return x
}

// referenceOf summarises the champion's training rows (those of all in
// its id range) for data validation.
func referenceOf(m *ml.Model, all train.Data, dv ml.DataVersion) []datacheck.RefColumn {
	var idx []int
	for i, id := range all.IDs {
		if id >= dv.FromID && id <= dv.ToID {
			idx = append(idx, i)
		}
	}
	if len(idx) == 0 {
		return nil
	}
	ref := all.Rows(idx)
	cols := make([]datacheck.Column, len(m.Features))
	for j, f := range m.Features {
		cols[j] = datacheck.Column{Name: f.Name, Categorical: f.Type == ml.Categorical, Values: ref.X[j]}
	}
	return datacheck.ReferenceOf(cols)
}

// findChangePoint is where the newest run of drifted or decayed
// monitoring windows began (0: none).
func findChangePoint(ctx context.Context, db *store.DB, m *ml.Model) int64 {
	h, err := (&Monitor{DB: db}).Health(ctx, m, 156)
	if err != nil || len(h.Drift) == 0 {
		return 0
	}
	starts := make([]int64, len(h.Drift))
	flagged := make([]bool, len(h.Drift))
	for i, d := range h.Drift {
		starts[i] = d.Start
		p := h.Perf[i]
		flagged[i] = d.DatasetDrift || d.WeightedDrift || p.Significant || len(p.Alarms) > 0
	}
	cp, ok := window.ChangePoint(starts, flagged)
	if !ok {
		return 0
	}
	return cp
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
