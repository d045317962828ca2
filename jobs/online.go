package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"syscall"
	"time"

	"github.com/riverqueue/river"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/online"
	"github.com/freshet/freshet/store"
)

// Online learning: for a model whose policy strategy is "online", every
// labeled observation updates an FTRL-Proximal learner (ml/online) in the
// worker, in arrival order. Every OnlineEvery labels the learner is
// exported as a LightGBM model (so leaves serves it like any version) and
// a training job of strategy "online" turns that snapshot into a version.

// OnlineArgs feeds new labels to the online learners.
type OnlineArgs struct{}

// Kind implements river.JobArgs.
func (OnlineArgs) Kind() string { return "online_updates" }

type onlineWorker struct {
	river.WorkerDefaults[OnlineArgs]
	r *Runner
}

func (w *onlineWorker) Timeout(*river.Job[OnlineArgs]) time.Duration { return 10 * time.Minute }

func (w *onlineWorker) Work(ctx context.Context, _ *river.Job[OnlineArgs]) error {
	ms, err := w.r.DB.FindModels(ctx)
	if err != nil {
		return err
	}
	var errs []error
	learned := 0
	for _, m := range ms {
		if m.Config.Policy.Strategy != ml.StrategyOnline || m.Task != ml.TaskBinary {
			continue
		}
		n, err := w.r.OnlineUpdate(ctx, m)
		learned += n
		if err != nil {
			errs = append(errs, fmt.Errorf("model %s: %w", m.Name, err))
		}
	}
	if learned > 0 {
		river.RecordOutput(ctx, map[string]int{"labels": learned})
	}
	return errors.Join(errs...)
}

// onlineSkipAfter is how many later labeled rows make the learner pass
// over a row whose label has not come: labels arrive late, and a row
// whose label never comes must not stop learning.
const onlineSkipAfter = 1000

// onlineBatch bounds the rows one update reads.
const onlineBatch = 100_000

// onlineSnapshot is a learner export waiting to become a version.
type onlineSnapshot struct {
	Text       []byte             `json:"text"`
	Metrics    map[string]float64 `json:"metrics"`
	Rows       int                `json:"rows"`
	FromID     int64              `json:"from_id"`
	ToID       int64              `json:"to_id"`
	CPUSeconds float64            `json:"cpu_seconds"`
}

// OnlineUpdate teaches a model's online learner the labeled rows that
// arrived since its last update and, every OnlineEvery labels, queues a
// snapshot to become a version. It returns how many labels it learned.
func (r *Runner) OnlineUpdate(ctx context.Context, m *ml.Model) (int, error) {
	pol := m.Config.Policy.WithDefaults()
	// Learning is measured by this thread's CPU time.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	cpu0 := threadCPU()
	ps, err := r.DB.FindPolicyState(ctx, m.ID)
	if err != nil {
		return 0, err
	}
	learner, err := restoreLearner(m, ps.OnlineState)
	if err != nil {
		return 0, err
	}
	fr, err := r.DB.Scan(ctx, m, store.ScanFilter{AfterID: ps.OnlineCursor, Limit: onlineBatch})
	if err != nil {
		return 0, err
	}
	// Labeled rows after each row, to know which unlabeled ones to pass.
	labeledAfter := make([]int, fr.Len()+1)
	for i := fr.Len() - 1; i >= 0; i-- {
		labeledAfter[i] = labeledAfter[i+1]
		if !math.IsNaN(fr.Label[i]) {
			labeledAfter[i]++
		}
	}
	row := make([]float64, len(m.Features))
	learned, snapFrom := 0, ps.OnlineCursor+1
	var snap *onlineSnapshot
	for i := range fr.Len() {
		if math.IsNaN(fr.Label[i]) {
			if labeledAfter[i] < onlineSkipAfter {
				break
			}
			ps.OnlineCursor = fr.ID[i]
			continue
		}
		for j := range row {
			row[j] = fr.X[j][i]
		}
		if err := learner.LearnOne(row, fr.Label[i]); err != nil {
			return learned, err
		}
		ps.OnlineCursor = fr.ID[i]
		ps.OnlineSince++
		learned++
		if ps.OnlineSince >= pol.OnlineEvery {
			if snap, err = r.exportLearner(ctx, m, learner, ps.OnlineSince, snapFrom, ps.OnlineCursor); err != nil {
				return learned, err
			}
			learner.ResetMetrics()
			ps.OnlineSince, snapFrom = 0, ps.OnlineCursor+1
		}
	}
	if learned == 0 && snap == nil {
		return 0, nil
	}
	var buf bytes.Buffer
	if err := learner.Snapshot(&buf); err != nil {
		return learned, err
	}
	ps.OnlineState = buf.Bytes()
	used := threadCPU() - cpu0
	if snap != nil {
		snap.CPUSeconds = round3(ps.OnlineCPU + used)
		ps.OnlineCPU = 0
		ps.OnlineSnapshot, _ = json.Marshal(snap)
	} else {
		ps.OnlineCPU += used
	}
	if err := r.DB.SaveOnlineState(ctx, m.ID, ps); err != nil {
		return learned, err
	}
	if snap != nil {
		ev := &ml.TriggerEvent{ModelID: m.ID, Outcome: ml.OutcomeFired, Triggers: []string{ml.TriggerVolume},
			Reasons:  []string{fmt.Sprintf("online: %s labels learned since the last snapshot ≥ %s", thousands(snap.Rows), thousands(pol.OnlineEvery))},
			Strategy: ml.StrategyOnline, StrategyWhy: "online: the policy's strategy; the learner is already up to date, the snapshot becomes a version",
			Cost: json.RawMessage(fmt.Sprintf(`{"CPUSeconds":%g,"Basis":"measured: learning since the last snapshot"}`, snap.CPUSeconds))}
		if err := r.DB.RecordTrigger(ctx, ev); err != nil {
			return learned, err
		}
		if _, _, err := r.Enqueue(ctx, m, ml.Actor{Kind: "system", Name: "online"}, JobRequest{Strategy: ml.StrategyOnline, Priority: pol.Priority,
			Reason: "online snapshot after " + thousands(snap.Rows) + " labels", TriggerID: ev.ID}); err != nil {
			return learned, err
		}
	}
	return learned, nil
}

func restoreLearner(m *ml.Model, state []byte) (*online.Model, error) {
	if len(state) > 0 {
		l, err := online.Restore(bytes.NewReader(state))
		if err == nil && l.Config().Schema.Features() == len(m.Features) {
			return l, nil
		}
	}
	return online.ForModel(m)
}

// exportLearner writes the learner as a LightGBM model with its
// prequential metrics since the last snapshot.
func (r *Runner) exportLearner(ctx context.Context, m *ml.Model, l *online.Model, rows int, from, to int64) (*onlineSnapshot, error) {
	names := make([]string, len(m.Features))
	codes := map[int][]float64{}
	cats, err := r.DB.FindCategories(ctx, m)
	if err != nil {
		return nil, err
	}
	for j, f := range m.Features {
		names[j] = f.Name
		if f.Type == ml.Categorical {
			cs := []float64{}
			if j < len(cats) {
				for k := range cats[j] {
					cs = append(cs, float64(k))
				}
			}
			codes[j] = cs
		}
	}
	text, err := l.LightGBMTextWithCodes(names, codes)
	if err != nil {
		return nil, err
	}
	pm := l.Metrics()
	metrics := map[string]float64{"rows": float64(pm.Rows)}
	for k, v := range map[string]float64{ml.MetricAccuracy: pm.Accuracy, ml.MetricLogLoss: pm.LogLoss, ml.MetricAUC: pm.AUC} {
		if !math.IsNaN(v) {
			metrics[k] = v
		}
	}
	return &onlineSnapshot{Text: text, Metrics: metrics, Rows: rows, FromID: from, ToID: to}, nil
}

// publishOnline turns the model's waiting online snapshot into a version
// (the "online" strategy of a training job, run in the worker: there is
// nothing left to train).
func (w *retrainWorker) publishOnline(ctx context.Context, job *river.Job[RetrainArgs], m *ml.Model) error {
	db := w.r.DB
	ps, err := db.FindPolicyState(ctx, m.ID)
	if err != nil {
		return err
	}
	var snap onlineSnapshot
	if len(ps.OnlineSnapshot) == 0 || json.Unmarshal(ps.OnlineSnapshot, &snap) != nil {
		msg := "no online snapshot is waiting (the learner takes labels every few seconds; a snapshot comes every online_every labels)"
		db.FinishJob(ctx, job.ID, store.JobOutcome{State: ml.JobFailed, Error: msg, Log: []string{msg}}, nil, nil, nil, false)
		return river.JobCancel(errors.New(msg))
	}
	dv := ml.DataVersion{FromID: snap.FromID, ToID: snap.ToID, Rows: int64(snap.Rows), Window: "online: every labeled row in arrival order"}
	v := &ml.Version{Trainer: ml.TrainerOnline, UpdateKind: ml.UpdateOnline, Format: ml.FormatLightGBM, Params: json.RawMessage(fmt.Sprintf(`{"clip":%d}`, online.ModelClip)),
		Metrics: snap.Metrics, Data: dv, Note: fmt.Sprintf("online FTRL snapshot after %s labels; metrics are prequential (each row scored before it was learned)", thousands(snap.Rows))}
	out := store.JobOutcome{State: ml.JobSucceeded, CPUSeconds: snap.CPUSeconds, Rows: snap.Rows, Rounds: 1, Data: &dv,
		Log:            []string{fmt.Sprintf("published the online snapshot of %s labels (%.3f CPU-s of learning)", thousands(snap.Rows), snap.CPUSeconds)},
		OnlineSnapshot: ps.OnlineSnapshot}
	return w.r.finishGated(ctx, job.ID, out, m, v, snap.Text)
}

// threadCPU is the calling thread's CPU time (the goroutine must be
// locked to it).
func threadCPU() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return 0
	}
	return tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
}
