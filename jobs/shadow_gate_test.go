package jobs

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/serving"
	"github.com/freshet/freshet/store"
)

// shadowGate is a lenient gate in shadow mode with a webhook to queue.
func shadowGate(mode string) ml.ModelConfig {
	g := lenientGate(mode)
	g.Shadow = true
	return ml.ModelConfig{Gate: g, Notify: ml.NotifyConfig{WebhookURL: "http://127.0.0.1:1/hook"}}
}

// serveShadowed does what /predict does in shadow mode for Elec2's rows
// [lo, hi): the champion's scores are logged with the rows, the pending
// challenger's as shadow scores. With labeled, the rows carry their
// labels; otherwise they come later.
func serveShadowed(t *testing.T, db *store.DB, m *ml.Model, champ, challenger *ml.Version, lo, hi int, labeled bool) {
	t.Helper()
	ctx := context.Background()
	tab, err := demo.Elec2()
	if err != nil {
		t.Fatal(err)
	}
	b := tab.Batch(lo, hi, 0, 0)
	if labeled {
		b.Label = tab.Label[lo:hi]
	}
	X, err := db.CategoryCodes(ctx, m, b)
	if err != nil {
		t.Fatal(err)
	}
	score := func(v *ml.Version) []float64 {
		art, err := db.FindVersionArtifact(ctx, v.ID)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := serving.Load(v, art)
		if err != nil {
			t.Fatal(err)
		}
		p, err := sc.Score(X)
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	res, err := db.InsertScored(ctx, ml.SystemActor, m, b, score(champ), champ.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.InsertShadowScores(ctx, challenger.ID, res.FirstID, score(challenger)); err != nil {
		t.Fatal(err)
	}
}

// labelRows attaches Elec2's labels to its rows [lo, hi).
func labelRows(t *testing.T, db *store.DB, m *ml.Model, lo, hi int) {
	t.Helper()
	tab, _ := demo.Elec2()
	lb := &ml.LabelBatch{}
	for row := lo; row < hi; row++ {
		lb.Entity, lb.Label, lb.Line = append(lb.Entity, demo.EntityID(0, row)), append(lb.Label, tab.Label[row]), append(lb.Line, row-lo+2)
	}
	if _, err := db.AttachLabels(context.Background(), ml.SystemActor, m, lb, store.SourceUpload); err != nil {
		t.Fatal(err)
	}
}

// pendingDecision stores challenger v with decision d, as a job whose
// version waited for the gate would.
func pendingDecision(t *testing.T, db *store.DB, m *ml.Model, v *ml.Version, art []byte, d *ml.GateDecision) {
	t.Helper()
	ctx := context.Background()
	if err := db.CreateVersion(ctx, ml.SystemActor, m, v, art, false); err != nil {
		t.Fatal(err)
	}
	if err := db.InTx(ctx, func(tx *sql.Tx) error {
		_, err := db.RecordGateTx(ctx, tx, m, v, d, false, store.PromoteOptions{})
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if d.Status != ml.GatePending {
		t.Fatalf("decision %s: %s", d.Status, d.Summary)
	}
}

// shadowPart is the "shadow" part of a decision's report.
func shadowPart(t *testing.T, report json.RawMessage) (shadow *shadowReport, rest map[string]json.RawMessage) {
	t.Helper()
	if err := json.Unmarshal(report, &rest); err != nil {
		t.Fatal(err)
	}
	if raw, ok := rest["shadow"]; ok {
		shadow = &shadowReport{}
		if err := json.Unmarshal(raw, shadow); err != nil {
			t.Fatal(err)
		}
	}
	return shadow, rest
}

// TestShadowRejudgeFailsAWorseChallenger: a pending challenger that its
// holdout let through (here: planted, confidently wrong) shadow-scores
// live traffic. Until 200 of those rows are labeled nothing changes;
// then Rejudge scores it and the champion on them through ml/gate, and
// the decision fails: the challenger is rejected, both reports stay in
// the decision, the change is audited, and its webhook is queued with it.
func TestShadowRejudgeFailsAWorseChallenger(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := elecModel(t, db, "shadowed", 3000, shadowGate(ml.GateApproval))
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	champ, _ := db.FindChampion(ctx, m.ID)
	bad := &ml.Version{Trainer: ml.TrainerGBDT, Format: ml.FormatLightGBM, Data: champ.Data}
	d := &ml.GateDecision{Mode: ml.GateApproval, Pass: true, Status: ml.GatePending, ChampionID: champ.ID, HoldoutRows: 300,
		Summary: "planted: passed its holdout", Report: json.RawMessage(`{"metric":"auc","pass":true}`)}
	pendingDecision(t, db, m, bad, badModel(t, db, m, 0, 2700), d)
	r := newRunner(t, db, Config{})

	serveShadowed(t, db, m, champ, bad, 3000, 3150, true)
	serveShadowed(t, db, m, champ, bad, 3150, 3250, false)
	if n, err := r.Rejudge(ctx); err != nil || n != 0 {
		t.Fatalf("rejudged on 150 labeled shadow rows: %d %v", n, err)
	}
	if got, _ := db.FindGate(ctx, d.ID); got.Status != ml.GatePending || strings.Contains(string(got.Report), "shadow") {
		t.Fatalf("decision after 150 rows: %s %s", got.Status, got.Report)
	}

	labelRows(t, db, m, 3150, 3250)
	if n, err := r.Rejudge(ctx); err != nil || n != 1 {
		t.Fatalf("rejudged %d: %v", n, err)
	}
	got, _ := db.FindGate(ctx, d.ID)
	shadow, rest := shadowPart(t, got.Report)
	if got.Status != ml.GateFailed || got.Pass || !strings.HasPrefix(got.Summary, "fails on 250 live shadow rows: ") ||
		!strings.HasSuffix(got.Summary, "on its holdout: planted: passed its holdout") {
		t.Fatalf("decision %s pass=%v: %s", got.Status, got.Pass, got.Summary)
	}
	if shadow == nil || shadow.Pass || shadow.N != 250 || !strings.Contains(shadow.Summary, " on 250 live shadow rows") || shadow.Rows.Source != "shadow" || shadow.Rows.Rows != 250 || shadow.Rows.AfterID != 3000 ||
		!strings.Contains(string(rest["metric"]), "auc") {
		t.Fatalf("report %s", got.Report)
	}
	var sig bool
	for _, c := range shadow.Checks {
		sig = sig || (c.Name == "significance" && !c.Pass)
	}
	if !sig {
		t.Errorf("the shadow report's checks %+v do not fail significance", shadow.Checks)
	}
	if v, _ := db.FindVersion(ctx, m.ID, bad.ID); v.Status != ml.StatusRejected {
		t.Errorf("challenger is %s", v.Status)
	}
	if c, _ := db.FindChampion(ctx, m.ID); c.ID != champ.ID {
		t.Errorf("champion v%d", c.Number)
	}
	audit, _ := db.FindAudit(ctx, store.AuditFilter{Action: "gate.rejudge"})
	if len(audit) != 1 || !strings.Contains(audit[0].Detail, "failed") {
		t.Errorf("audit %+v", audit)
	}
	if got := queuedEvents(t, r); !slices.Equal(got, []string{ml.EventGateVerdict}) {
		t.Errorf("queued webhooks %v", got)
	}
	// Judged once: more rows change nothing.
	serveShadowed(t, db, m, champ, bad, 3250, 3300, true)
	if n, err := r.Rejudge(ctx); err != nil || n != 0 {
		t.Fatalf("rejudged again: %d %v", n, err)
	}
}

// TestShadowRejudgeKeepsOrPromotes: a genuine challenger, pending for a
// lead, does as well as the champion on live rows: in approval mode the
// decision stays pending for the lead, with the shadow evidence added;
// with the gate switched to auto mode it is promoted by the re-judgement,
// with its deployment pointing at the decision.
func TestShadowRejudgeKeepsOrPromotes(t *testing.T) {
	ctx := context.Background()
	for _, mode := range []string{ml.GateApproval, ml.GateAuto} {
		t.Run(mode, func(t *testing.T) {
			db := newDB(t)
			m := elecModel(t, db, "shadow-"+mode, 2000, shadowGate(ml.GateApproval))
			if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
				t.Fatal(err)
			}
			champ, _ := db.FindChampion(ctx, m.ID)
			addRows(t, db, m, 2000, 3000)
			tr, err := Train(ctx, db, t.TempDir(), TrainSpec{ModelID: m.ID}, nil)
			if err != nil {
				t.Fatal(err)
			}
			r := newRunner(t, db, Config{})
			d, _, err := r.Judge(ctx, m, tr.Version, tr.Artifact)
			if err != nil {
				t.Fatal(err)
			}
			pendingDecision(t, db, m, tr.Version, tr.Artifact, d)
			holdoutSummary := d.Summary
			if mode == ml.GateAuto {
				cfg := m.Config
				cfg.Gate.Mode = ml.GateAuto
				if m, err = db.UpdateModelConfig(ctx, ml.SystemActor, m.Name, cfg); err != nil {
					t.Fatal(err)
				}
			}
			serveShadowed(t, db, m, champ, tr.Version, 3000, 3250, true)
			if n, err := r.Rejudge(ctx); err != nil || n != 1 {
				t.Fatalf("rejudged %d: %v", n, err)
			}
			got, _ := db.FindGate(ctx, d.ID)
			shadow, _ := shadowPart(t, got.Report)
			if shadow == nil || !shadow.Pass || shadow.N != 250 || !got.Pass ||
				got.Summary != "passes on 250 live shadow rows: "+shadow.Summary+"; on its holdout: "+holdoutSummary {
				t.Fatalf("decision %s: %s\n%s", got.Status, got.Summary, got.Report)
			}
			champNow, _ := db.FindChampion(ctx, m.ID)
			events := queuedEvents(t, r)
			switch mode {
			case ml.GateApproval:
				if got.Status != ml.GatePending || champNow.ID != champ.ID || len(events) != 0 {
					t.Errorf("approval: %s, champion v%d, webhooks %v", got.Status, champNow.Number, events)
				}
			case ml.GateAuto:
				deps, _ := db.FindDeployments(ctx, m.ID, 1)
				if got.Status != ml.GateAutoPromoted || champNow.ID != tr.Version.ID || deps[0].DecisionID != d.ID ||
					!slices.Equal(events, []string{ml.EventGateVerdict, ml.EventPromoted}) && !slices.Equal(events, []string{ml.EventPromoted, ml.EventGateVerdict}) {
					t.Errorf("auto: %s, champion v%d, deployment %+v, webhooks %v", got.Status, champNow.Number, deps[0], events)
				}
			}
		})
	}
}
