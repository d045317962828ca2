package jobs

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/gate"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/serving"
	"github.com/freshet/freshet/store"
)

// lenientGate keeps the gate's statistical checks and drops the bounds a
// small test model would trip for reasons the test is not about.
func lenientGate(mode string) ml.GateConfig {
	return ml.GateConfig{Mode: mode, MaxECE: 1, MaxScoreShift: 100, WatchLabels: 300}
}

// TestGateAutoPromotesABetterChallenger: in auto mode the second version,
// trained on far more data, passes every check and serves.
func TestGateAutoPromotesABetterChallenger(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	var mu sync.Mutex
	var events []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		events = append(events, r.Header.Get("X-Freshet-Event"))
		mu.Unlock()
	}))
	defer hook.Close()
	m := elecModel(t, db, "auto", 1200, ml.ModelConfig{Gate: lenientGate(ml.GateAuto), Notify: ml.NotifyConfig{WebhookURL: hook.URL}})
	r := startRunner(t, db, Config{Work: true})
	run := func(reason string) *ml.Job {
		j, _, err := r.Enqueue(ctx, m, ml.SystemActor, JobRequest{Reason: reason})
		if err != nil {
			t.Fatal(err)
		}
		return waitJob(t, db, j.ID, 60*time.Second, "done", isDone)
	}
	first := run("first")
	if first.State != ml.JobSucceeded || !strings.Contains(first.Log, "gate: auto-promoted") {
		t.Fatalf("first: %s\n%s", first.State, first.Log)
	}
	addRows(t, db, m, 1200, 9000)
	second := run("more data")
	if second.State != ml.JobSucceeded {
		t.Fatalf("second: %s", second.Log)
	}
	gs, _ := db.FindGates(ctx, store.GateFilter{ModelID: m.ID})
	champ, _ := db.FindChampion(ctx, m.ID)
	if len(gs) != 2 || gs[0].Status != ml.GateAutoPromoted || !gs[0].Pass || champ.ID != second.VersionID {
		d, _ := db.FindGate(ctx, gs[0].ID)
		t.Fatalf("second decision %s (%s), champion %d, want %d\n%s", d.Status, d.Summary, champ.ID, second.VersionID, d.Report)
	}
	// The second retrain's gain, as the cost-aware trigger reads it: both
	// models' metrics on the gate's holdout, and the 7,800 labels that had
	// arrived since the champion's data.
	gap, recent := 0.03, 0.8
	ev := &ml.TriggerEvent{ModelID: m.ID, Outcome: ml.OutcomeFired, Triggers: []string{ml.TriggerVolume}, Reasons: []string{"volume"}, Gap: &gap, Recent: &recent}
	if err := db.RecordTrigger(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Write.ExecContext(ctx, `UPDATE trigger_events SET job_id = ? WHERE id = ?`, second.ID, ev.ID); err != nil {
		t.Fatal(err) // as when the job is queued for the event
	}
	gains, err := db.FindGainHistory(ctx, m.ID, 10)
	d, _ := db.FindGate(ctx, gs[0].ID)
	var rep gate.Report
	json.Unmarshal(d.Report, &rep)
	if err != nil || len(gains) != 1 || gains[0].Labels != 7800 || gains[0].Strategy != ml.StrategyFull ||
		gains[0].Champion["auc"] != rep.Champion["auc"] || gains[0].Challenger["auc"] != rep.Challenger["auc"] || rep.Champion["auc"] == 0 {
		t.Fatalf("gain history %+v (%v), gate report champion %v challenger %v", gains, err, rep.Champion, rep.Challenger)
	}
	deps, _ := db.FindDeployments(ctx, m.ID, 10)
	if len(deps) != 2 || deps[0].VersionID != second.VersionID || deps[0].PreviousID != first.VersionID || deps[0].Watch != ml.WatchWatching {
		t.Fatalf("deployments %+v", deps)
	}
	// The webhook heard both verdicts and both promotions.
	deadline := time.Now().Add(10 * time.Second)
	for {
		mu.Lock()
		got := strings.Join(events, ",")
		mu.Unlock()
		if strings.Count(got, ml.EventGateVerdict) == 2 && strings.Count(got, ml.EventPromoted) == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("webhook events: %s", got)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// badModel trains a model on Elec2's rows [lo, hi) with the labels
// flipped: confidently wrong.
func badModel(t *testing.T, db *store.DB, m *ml.Model, lo, hi int) []byte {
	t.Helper()
	tab, err := demo.Elec2()
	if err != nil {
		t.Fatal(err)
	}
	b := tab.Batch(lo, hi, 0, 0)
	X, err := db.CategoryCodes(context.Background(), m, b)
	if err != nil {
		t.Fatal(err)
	}
	y := make([]float64, hi-lo)
	for i := range y {
		y[i] = 1 - tab.Label[lo+i]
	}
	res, err := train.GBDT(m, train.Data{X: X, Y: y}, train.Config{Rounds: 30})
	if err != nil {
		t.Fatal(err)
	}
	return res.Text
}

// TestGateFailsAWorseChallenger: a confidently wrong challenger fails
// the significance check, named in the decision, and does not serve.
func TestGateFailsAWorseChallenger(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := elecModel(t, db, "worse", 3000, ml.ModelConfig{Gate: lenientGate(ml.GateAuto)})
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	champ, _ := db.FindChampion(ctx, m.ID)
	r := newRunner(t, db, Config{})
	bad := badModel(t, db, m, 0, 2700)
	v := &ml.Version{Trainer: ml.TrainerGBDT, Format: ml.FormatLightGBM, Data: champ.Data} // judged on the champion's holdout
	d, promote, err := r.Judge(ctx, m, v, bad)
	if err != nil {
		t.Fatal(err)
	}
	if d.Pass || promote || d.Status != ml.GateFailed || !strings.Contains(d.Summary, "significan") {
		t.Fatalf("bad challenger: %s promote=%v %s", d.Status, promote, d.Summary)
	}
	if !strings.Contains(string(d.Report), `"name":"significance","pass":false`) {
		t.Fatalf("report: %s", d.Report)
	}
}

// TestWatchRollsBackABadChampion: a planted bad version is promoted; the
// labeled rows it served show a significant drop against the previous
// champion on the same rows, and the watch rolls back on its own.
func TestWatchRollsBackABadChampion(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := elecModel(t, db, "watched", 3000, ml.ModelConfig{Gate: lenientGate(ml.GateAuto)})
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	good, _ := db.FindChampion(ctx, m.ID)
	bad := &ml.Version{Trainer: ml.TrainerGBDT, Format: ml.FormatLightGBM, Note: "planted: trained on flipped labels"}
	art := badModel(t, db, m, 0, 3000)
	if err := db.CreateVersion(ctx, ml.SystemActor, m, bad, art, false); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Promote(ctx, ml.SystemActor, m, bad.ID, store.PromoteOptions{Reason: "test", WatchLabels: 300}); err != nil {
		t.Fatal(err)
	}
	r := newRunner(t, db, Config{})
	// Not enough labels yet: the watch waits.
	if n, err := r.Watch(ctx); err != nil || n != 0 {
		t.Fatalf("early watch: %d %v", n, err)
	}
	// 400 rows served by the bad champion (scored and logged as /predict
	// does), with their labels.
	tab, _ := demo.Elec2()
	b := tab.Batch(3000, 3400, 0, 0)
	b.Label = tab.Label[3000:3400]
	sc, err := serving.Load(bad, art)
	if err != nil {
		t.Fatal(err)
	}
	X, err := db.CategoryCodes(ctx, m, b)
	if err != nil {
		t.Fatal(err)
	}
	scores, err := sc.Score(X)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.InsertScored(ctx, ml.SystemActor, m, b, scores, bad.ID); err != nil {
		t.Fatal(err)
	}
	n, err := r.Watch(ctx)
	if err != nil || n != 1 {
		t.Fatalf("watch: %d %v", n, err)
	}
	champ, _ := db.FindChampion(ctx, m.ID)
	if champ.ID != good.ID {
		t.Fatalf("champion v%d after the watch, want v%d", champ.Number, good.Number)
	}
	deps, _ := db.FindDeployments(ctx, m.ID, 10)
	if deps[0].Kind != ml.DeployAutoRollback || deps[1].Watch != ml.WatchRolledBack {
		t.Fatalf("deployments: %+v %+v", deps[0], deps[1])
	}
	evs, _ := db.FindTriggers(ctx, m.ID, 5)
	if len(evs) == 0 || evs[0].Triggers[0] != "watch" || !strings.Contains(evs[0].Reasons[0], "rolled back to v1") {
		t.Fatalf("trigger events: %+v", evs)
	}
	if v, _ := db.FindVersion(ctx, m.ID, bad.ID); v.Status != ml.StatusRolledBack {
		t.Fatalf("bad version is %s", v.Status)
	}
}

// TestGateSeedFollowsTheChallenger: the bootstrap seed comes from the
// challenger. Two artifacts that score every row alike but differ in
// their bytes get different resamples, so different intervals; judging
// one again gives the same interval. (The seed was the version number,
// 0 for every challenger, since the number is assigned on storing.)
func TestGateSeedFollowsTheChallenger(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := elecModel(t, db, "seeded", 3000, ml.ModelConfig{Gate: lenientGate(ml.GateApproval)})
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	champ, _ := db.FindChampion(ctx, m.ID)
	r := newRunner(t, db, Config{})
	art := badModel(t, db, m, 0, 2700)
	ci := func(artifact []byte) [2]float64 {
		t.Helper()
		v := &ml.Version{Trainer: ml.TrainerGBDT, Format: ml.FormatLightGBM, Data: champ.Data}
		d, _, err := r.Judge(ctx, m, v, artifact)
		if err != nil {
			t.Fatal(err)
		}
		var rep gate.Report
		if err := json.Unmarshal(d.Report, &rep); err != nil || rep.Diff == nil {
			t.Fatalf("report %s: %v", d.Report, err)
		}
		return [2]float64{rep.Diff.CILo, rep.Diff.CIHi}
	}
	// The same model with a trailing blank line: same scores, other bytes.
	twin := append(append([]byte{}, art...), '\n')
	a, again, b := ci(art), ci(art), ci(twin)
	if a != again {
		t.Errorf("judging the same challenger twice: intervals %v and %v", a, again)
	}
	if a == b {
		t.Errorf("two challengers got the same resamples: interval %v", a)
	}
}
