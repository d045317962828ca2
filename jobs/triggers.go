package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/monitor"
	"github.com/freshet/freshet/ml/policy"
)

// TriggerArgs evaluates every model's retraining policy.
type TriggerArgs struct{}

// Kind implements river.JobArgs.
func (TriggerArgs) Kind() string { return "evaluate_triggers" }

type triggerWorker struct {
	river.WorkerDefaults[TriggerArgs]
	r *Runner
}

func (w *triggerWorker) Timeout(*river.Job[TriggerArgs]) time.Duration { return 5 * time.Minute }

func (w *triggerWorker) Work(ctx context.Context, _ *river.Job[TriggerArgs]) error {
	ms, err := w.r.DB.FindModels(ctx)
	if err != nil {
		return err
	}
	var errs []error
	fired := 0
	for _, m := range ms {
		if !m.Config.Policy.Automatic() {
			continue
		}
		ev, _, err := w.r.Evaluate(ctx, m, nil)
		if err != nil {
			errs = append(errs, fmt.Errorf("model %s: %w", m.Name, err))
			continue
		}
		if ev != nil && ev.Outcome == ml.OutcomeFired {
			fired++
		}
	}
	if fired > 0 {
		river.RecordOutput(ctx, map[string]int{"fired": fired})
	}
	return errors.Join(errs...)
}

// Evaluate runs a model's policy once: it gathers what the triggers need
// (new monitoring windows, labels, past jobs, budget used), decides,
// stores the decision when it fired or was suppressed, and queues the
// job it asked for. manual is a person's (or a tool's) request.
func (r *Runner) Evaluate(ctx context.Context, m *ml.Model, manual *policy.Manual) (*ml.TriggerEvent, *ml.Job, error) {
	db := r.DB
	pol := m.Config.Policy
	now := r.Now()
	ps, err := db.FindPolicyState(ctx, m.ID)
	if err != nil {
		return nil, nil, err
	}
	s := policy.State{Now: now, Manual: manual, Created: m.CreatedAt, LastScheduled: ps.LastScheduled, Gap: math.NaN(),
		FullRounds: max(m.Config.Trainer.Train.Rounds, 0), OnlineCapable: m.Task == ml.TaskBinary,
		// Early stopping is on unless turned off (-1): the configured
		// rounds are then only a cap, and the cost model predicts the
		// rounds past retrains trained.
		EarlyStopping: m.Config.Trainer.Train.EarlyStopping >= 0}
	if s.FullRounds == 0 {
		s.FullRounds = 100
	}
	external := m.Config.Trainer.Kind == ml.TrainerKindExternal
	if external {
		// An external trainer's rounds are unknown (its jobs record 0):
		// its cost is fitted on rows alone, one "round" per job.
		s.FullRounds, s.EarlyStopping = 1, false
	}
	if s.PendingJob, err = db.ActiveJob(ctx, m.ID); err != nil {
		return nil, nil, err
	}
	s.Pending = s.PendingJob != 0
	if s.Pending {
		// "Already running" rather than "queued" once it has started.
		j, err := db.FindJob(ctx, s.PendingJob)
		if err != nil && ml.ErrorCode(err) != ml.ENOTFOUND {
			return nil, nil, err
		}
		s.PendingRunning = j != nil && j.State == ml.JobRunning
	}
	if s.LastTrain, err = db.LastJobStart(ctx, m.ID); err != nil {
		return nil, nil, err
	}
	versions, err := db.FindVersions(ctx, m.ID, 50)
	if err != nil {
		return nil, nil, err
	}
	var champ *ml.Version
	for _, v := range versions {
		if v.Status == ml.StatusChampion {
			champ = v
			break
		}
	}
	s.HasChampion = champ != nil
	for _, v := range versions { // newest first
		if v.UpdateKind == ml.UpdateFull {
			break
		}
		s.UpdatesSinceFull++
	}
	stats := m.Stats
	s.TrainRows = int(stats.Labeled)
	if w := pol.Window; w.Kind == ml.WindowSlidingRows && w.Rows > 0 {
		s.TrainRows = min(s.TrainRows, w.Rows)
	}
	if champ != nil {
		labeledThen := champ.Data.Rows + champ.Data.HoldoutRows
		if champ.JobID != 0 {
			if j, err := db.FindJob(ctx, champ.JobID); err == nil && j.Data.LabeledTotal > 0 {
				labeledThen = j.Data.LabeledTotal
			}
		}
		s.NewLabels = max(0, int(stats.Labeled-labeledThen))
		s.WarmRows = max(min(s.NewLabels, s.TrainRows), 50)
		// Labels since the newest full retrain's data, for the cost-aware
		// trigger's measured gains of full retrains.
		for _, v := range versions { // newest first
			if v.UpdateKind != ml.UpdateFull {
				continue
			}
			if v.JobID != 0 {
				if j, err := db.FindJob(ctx, v.JobID); err == nil && j.Data.LabeledTotal > 0 {
					s.LabelsSinceFull = max(0, int(stats.Labeled-j.Data.LabeledTotal))
				}
			}
			break
		}
	}
	if s.UsedDay, err = db.CPUUsed(ctx, m.ID, now.Add(-24*time.Hour)); err != nil {
		return nil, nil, err
	}
	if s.UsedWeek, err = db.CPUUsed(ctx, m.ID, now.Add(-7*24*time.Hour)); err != nil {
		return nil, nil, err
	}
	costs, err := db.JobCosts(ctx, m.ID, 60)
	if err != nil {
		return nil, nil, err
	}
	for _, c := range costs {
		rounds := c.Rounds
		if external && c.Strategy != ml.StrategyOnline {
			rounds = 1
		}
		s.Costs = append(s.Costs, policy.CostPoint{Strategy: c.Strategy, Rows: c.Rows, Rounds: rounds, CPUSeconds: c.CPUSeconds})
	}
	primary := primaryFor(m)
	gains, err := db.FindGainHistory(ctx, m.ID, 30)
	if err != nil {
		return nil, nil, err
	}
	for _, g := range gains {
		// The gate scored the new version and the champion it replaced on
		// the same holdout: a measured gain (see ml/policy.MeasuredGain).
		ch, okCh := g.Challenger[primary]
		old, okOld := g.Champion[primary]
		if okCh && okOld && g.Labels > 0 && !math.IsNaN(ch) && !math.IsNaN(old) {
			s.Gains = append(s.Gains, policy.GainPoint{Gap: g.Gap, Recovered: ch - old, Strategy: g.Strategy, Measured: true, Labels: int(g.Labels)})
		} else if x, ok := g.Metrics[primary]; ok && !math.IsNaN(x) && !math.IsNaN(g.Recent) {
			s.Gains = append(s.Gains, policy.GainPoint{Gap: g.Gap, Recovered: x - g.Recent, Strategy: g.Strategy})
		}
	}

	// The monitoring windows profiled since the last evaluation.
	newCursor := ps.WindowCursor
	var recent *float64
	if champ != nil {
		h, err := r.Monitor.Health(ctx, m, 26)
		if err != nil {
			return nil, nil, err
		}
		minLabeled := 100
		if pol.Decay != nil && pol.Decay.MinLabeled > 0 {
			minLabeled = pol.Decay.MinLabeled
		}
		for i, d := range h.Drift {
			p := h.Perf[i]
			// Only windows judged against the current champion count.
			if ref := h.Refs[h.RefOf[i]]; ref == nil || ref.VersionID != champ.ID {
				continue
			}
			if p.Labeled >= minLabeled && !math.IsNaN(p.Drop) {
				gap, val := p.Drop, metricOf(p, primary)
				s.Gap, recent = gap, &val
			}
			if d.End <= ps.WindowCursor || manual != nil {
				continue
			}
			newCursor = max(newCursor, d.End)
			feats := len(d.Features)
			wd := policy.WindowDrift{Start: time.UnixMilli(d.Start).UTC(), End: time.UnixMilli(d.End).UTC(), Share: d.Share, WeightedShare: d.WeightedShare,
				Drifted: d.Drifted, Features: feats, Rows: d.Rows}
			if d.Prediction != nil {
				wd.PredictionDrift = d.Prediction.Drifted
			}
			if d.Rows > 0 {
				s.Drift = append(s.Drift, wd)
			}
			if p.Labeled > 0 {
				s.Decay = append(s.Decay, policy.WindowDecay{Start: wd.Start, End: wd.End, Metric: primary, Baseline: metricOf(p, primary) + p.Drop,
					Value: metricOf(p, primary), Drop: p.Drop, PValue: p.PValue, Significant: p.Significant, Alarms: p.Alarms, Labeled: p.Labeled})
			}
		}
	}

	dec := policy.Evaluate(pol, s)
	if manual == nil {
		ps.WindowCursor = newCursor
		// A schedule is consumed by the retrain it queues; held back
		// (cooldown, budget, a job already queued) it stays due and fires
		// once the suppression lifts (see ml/policy, "The caller's part").
		if dec.Outcome == policy.OutcomeFired && slices.Contains(dec.Fired, ml.TriggerSchedule) {
			ps.LastScheduled = now
		}
		// A firing saves it with its event and job, below.
		if dec.Outcome != policy.OutcomeFired {
			if err := db.SavePolicyState(ctx, m.ID, ps); err != nil {
				return nil, nil, err
			}
		}
	}
	if dec.Outcome == policy.OutcomeQuiet {
		return nil, nil, nil
	}
	cost, _ := json.Marshal(dec.Cost)
	var gain json.RawMessage
	if dec.Gain != nil {
		gain, _ = json.Marshal(dec.Gain)
	}
	ev := &ml.TriggerEvent{ModelID: m.ID, Outcome: dec.Outcome, Triggers: dec.Fired, Reasons: dec.Reasons, Suppressed: dec.Suppressed,
		Strategy: dec.Strategy, StrategyWhy: dec.StrategyWhy, Cost: cost, Gain: gain, Recent: recent}
	if !math.IsNaN(s.Gap) {
		g := s.Gap
		ev.Gap = &g
	}
	if newCursor > 0 {
		t := time.UnixMilli(newCursor).UTC()
		ev.DataAt = &t
	}
	if dec.Outcome != policy.OutcomeFired {
		if err := db.RecordTrigger(ctx, ev); err != nil {
			return nil, nil, err
		}
		if manual == nil {
			r.Log.Info("retrain suppressed", "model", m.Name, "triggers", strings.Join(dec.Fired, ","), "why", dec.Suppressed)
		}
		return ev, nil, nil
	}
	actor := ml.Actor{Kind: "system", Name: "policy"}
	reason := "policy: " + strings.Join(dec.Fired, " + ")
	if manual != nil {
		actor = ml.Actor{Kind: "user", Name: manual.By}
		if strings.Contains(manual.By, ":") {
			kind, name, _ := strings.Cut(manual.By, ":")
			actor = ml.Actor{Kind: kind, Name: name}
		}
		reason = orText(manual.Reason, "manual retrain by "+manual.By)
	}
	// The fired event, the job it queues (linked to it) and the
	// trigger.fired webhook commit in one transaction: announced after
	// the commit, a crash in between lost the webhook; and a refused
	// webhook leaves no event claiming a job nobody was told of. The
	// policy state (the windows judged, the schedule used) commits with
	// them: should they fail, the same windows are judged again.
	req := JobRequest{Strategy: dec.Strategy, Priority: dec.Priority, Reason: reason}
	var id int64
	var dup bool
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		if manual == nil {
			if err := db.SavePolicyStateTx(ctx, tx, m.ID, ps); err != nil {
				return err
			}
		}
		if err := db.RecordTriggerTx(ctx, tx, ev); err != nil {
			return err
		}
		req.TriggerID = ev.ID
		var err error
		if id, dup, err = r.enqueueTx(ctx, tx, m, actor, req); err != nil || dup {
			return err
		}
		ev.JobID = id
		return r.NotifyTx(ctx, tx, m, ml.EventTriggerFired, ev)
	})
	if err != nil {
		ev.ID, ev.JobID = 0, 0 // rolled back: never stored
		return nil, nil, err
	}
	job, dup, err := r.queuedJob(ctx, m, id, dup)
	if err != nil {
		return ev, nil, err
	}
	if dup {
		r.Log.Info("retrain already queued or running", "model", m.Name, "job", job.ID)
	} else {
		r.Log.Info("retrain fired", "model", m.Name, "triggers", strings.Join(dec.Fired, ","), "strategy", dec.Strategy, "job", job.ID)
	}
	return ev, job, nil
}

// RequestRetrain is a person's or a tool's request to retrain now. It
// goes through the policy like any trigger (recorded, deduplicated; a
// person's request skips cooldown and budget) and returns the job, or
// the one already queued.
func (r *Runner) RequestRetrain(ctx context.Context, m *ml.Model, actor ml.Actor, reason, strategy string) (*ml.TriggerEvent, *ml.Job, error) {
	ev, job, err := r.Evaluate(ctx, m, &policy.Manual{By: actor.String(), Reason: reason, Strategy: strategy})
	if err != nil {
		return ev, nil, err
	}
	if job == nil && ev != nil && ev.Outcome == ml.OutcomeSuppressed {
		if id, err := r.DB.ActiveJob(ctx, m.ID); err == nil && id != 0 {
			job, err = r.DB.FindJob(ctx, id)
			return ev, job, err
		}
	}
	return ev, job, nil
}

func metricOf(p monitor.Perf, metric string) float64 {
	if metric == ml.MetricAccuracy {
		return p.Accuracy
	}
	return p.AUC
}
