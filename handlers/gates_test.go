package handlers_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

// pendingChallenger trains a champion on the first rows and a challenger
// on more, through the queue, with the model's gate in approval mode, and
// returns the pending decision.
func pendingChallenger(t *testing.T, e *env, shadow bool) (*ml.Model, *ml.GateDecision) {
	t.Helper()
	ctx := context.Background()
	m := e.demoModel()
	cfg := m.Config
	cfg.Policy = ml.PolicyConfig{}
	cfg.Gate = ml.GateConfig{Mode: ml.GateApproval, MaxECE: 1, WatchLabels: -1, Shadow: shadow}
	if _, err := e.DB.UpdateModelConfig(ctx, ml.SystemActor, m.Name, cfg); err != nil {
		t.Fatal(err)
	}
	admin := e.Tokens[ml.ScopeAdmin]
	if r := e.do(nil, "POST", "/api/v1/models/elec2/observations", e.Tokens[ml.ScopeIngest], "text/csv", strings.NewReader(elec2CSV(t, 0, 2000, true))); r.Status != 200 {
		t.Fatal(r.Body)
	}
	startRunner(t, e)
	train := func() int64 {
		r := e.do(nil, "POST", "/api/v1/models/elec2/retrain", admin, "", nil)
		var acc struct {
			JobID int64 `json:"job_id"`
		}
		json.Unmarshal([]byte(r.Body), &acc)
		j := waitJob(t, e, acc.JobID, ml.JobSucceeded, ml.JobFailed)
		if j.State != ml.JobSucceeded {
			t.Fatalf("job: %s\n%s", j.Error, j.Log)
		}
		return j.VersionID
	}
	first := train()
	champ, err := e.DB.FindChampion(ctx, m.ID)
	if err != nil || champ.ID != first {
		t.Fatalf("the first model was not promoted: %v %+v", err, champ)
	}
	if r := e.do(nil, "POST", "/api/v1/models/elec2/observations", e.Tokens[ml.ScopeIngest], "text/csv", strings.NewReader(elec2CSV(t, 2000, 5000, true))); r.Status != 200 {
		t.Fatal(r.Body)
	}
	second := train()
	gs, err := e.DB.FindGates(ctx, store.GateFilter{ModelID: m.ID})
	if err != nil || len(gs) != 2 || gs[0].ChallengerID != second {
		t.Fatalf("gates: %v %+v", err, gs)
	}
	if gs[0].Status != ml.GatePending {
		d, _ := e.DB.FindGate(ctx, gs[0].ID)
		t.Fatalf("the second challenger is %s, not pending: %s\n%s", d.Status, d.Summary, d.Report)
	}
	return m, gs[0]
}

func TestGateApprovalAndRollback(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m, d := pendingChallenger(t, e, false)
	base := "/api/v1/models/elec2/gates/" + jobID(d.ID)
	// The decision carries every check with its numbers.
	r := e.do(nil, "GET", base, e.Tokens[ml.ScopePredict], "", nil)
	for _, want := range []string{`"checks"`, `"significance"`, `"slices"`, `"calibration"`, `"ci_lo"`, `"status": "pending"`} {
		if !strings.Contains(r.Body, want) {
			t.Fatalf("decision lacks %s: %s", want, r.Body)
		}
	}
	// An annotator cannot approve: 403, audited, nothing changes.
	ann := e.client("ann")
	if r := e.do(ann, "POST", base+"/approve", "", "application/json", strings.NewReader(`{"comment":"looks fine"}`)); r.Status != 403 {
		t.Fatalf("annotator approves: %d %s", r.Status, r.Body)
	}
	if r := e.do(ann, "POST", "/models/elec2/gates/"+jobID(d.ID)+"/approve", "", "application/x-www-form-urlencoded", strings.NewReader("comment=x")); r.Status != 403 {
		t.Fatalf("annotator approves by form: %d", r.Status)
	}
	audit, _ := e.DB.FindAudit(ctx, store.AuditFilter{Actor: "user:ann", Action: "access.denied"})
	if len(audit) < 2 {
		t.Fatalf("denied approvals not audited: %+v", audit)
	}
	if still, _ := e.DB.FindGate(ctx, d.ID); still.Status != ml.GatePending {
		t.Fatalf("decision is %s after refusals", still.Status)
	}
	// Rejecting needs a reason.
	lee := e.client("lee")
	if r := e.do(lee, "POST", base+"/reject", "", "application/json", strings.NewReader(`{}`)); r.Status != 400 {
		t.Fatalf("reject without comment: %d %s", r.Status, r.Body)
	}
	old, _ := e.DB.FindChampion(ctx, m.ID)
	// A lead approves: the challenger serves.
	r = e.do(lee, "POST", base+"/approve", "", "application/json", strings.NewReader(`{"comment":"better on every slice"}`))
	if r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	champ, _ := e.DB.FindChampion(ctx, m.ID)
	if champ.ID != d.ChallengerID {
		t.Fatalf("champion %d after approving %d", champ.ID, d.ChallengerID)
	}
	if r := e.do(lee, "POST", base+"/approve", "", "application/json", strings.NewReader(`{}`)); r.Status != 409 {
		t.Fatalf("approve twice: %d", r.Status)
	}
	// Rollback under load: every in-flight prediction succeeds, and the
	// previous champion serves afterwards.
	body := elec2CSV(t, 5000, 5020, false)
	var wg sync.WaitGroup
	failures := make(chan string, 64)
	stop := make(chan struct{})
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := e.do(nil, "POST", "/api/v1/models/elec2/predict", e.Tokens[ml.ScopePredict], "text/csv", strings.NewReader(body))
				if r.Status != 200 {
					failures <- r.Body
					return
				}
			}
		}()
	}
	r = e.do(nil, "POST", "/api/v1/models/elec2/rollback", e.Tokens[ml.ScopeAdmin], "application/json", strings.NewReader(`{"comment":"drill"}`))
	close(stop)
	wg.Wait()
	close(failures)
	for f := range failures {
		t.Fatalf("a prediction failed during the rollback: %s", f)
	}
	if r.Status != 200 {
		t.Fatalf("rollback: %d %s", r.Status, r.Body)
	}
	r = e.do(nil, "POST", "/api/v1/models/elec2/predict", e.Tokens[ml.ScopePredict], "text/csv", strings.NewReader(body))
	var out struct{ Version int }
	json.Unmarshal([]byte(r.Body), &out)
	if out.Version != old.Number {
		t.Fatalf("after rollback /predict serves v%d, want v%d", out.Version, old.Number)
	}
	rolled, _ := e.DB.FindVersion(ctx, m.ID, d.ChallengerID)
	if rolled.Status != ml.StatusRolledBack {
		t.Fatalf("rolled-back version is %s", rolled.Status)
	}
	// The registry page shows the lineage and the history; no second
	// rollback past a rolled-back version.
	page := e.do(lee, "GET", "/models/elec2/versions", "", "", nil)
	for _, want := range []string{`data-testid="versions-registry"`, "rolled_back", "rollback", "drill"} {
		if !strings.Contains(page.Body, want) {
			t.Fatalf("versions page lacks %q", want)
		}
	}
	if r := e.do(nil, "POST", "/api/v1/models/elec2/rollback", e.Tokens[ml.ScopeAdmin], "", nil); r.Status != 409 {
		t.Fatalf("second rollback: %d %s", r.Status, r.Body)
	}
	// The gate pages render.
	if r := e.do(lee, "GET", "/gates", "", "", nil); r.Status != 200 || !strings.Contains(r.Body, `data-testid="gates-table"`) {
		t.Fatalf("gates page: %d", r.Status)
	}
	if r := e.do(ann, "GET", "/models/elec2/gates/"+jobID(d.ID), "", "", nil); r.Status != 200 || !strings.Contains(r.Body, `data-testid="gate-checks"`) || strings.Contains(r.Body, "gate-approve") {
		t.Fatalf("decision page for an annotator: %d", r.Status)
	}
}

func TestGateRejectByForm(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m, d := pendingChallenger(t, e, false)
	lee := e.client("lee")
	page := e.do(lee, "GET", "/models/elec2/gates/"+jobID(d.ID), "", "", nil)
	if !strings.Contains(page.Body, `data-testid="gate-approve"`) || !strings.Contains(page.Body, `data-testid="gate-ci"`) {
		t.Fatalf("decision page: %d", page.Status)
	}
	form := url.Values{"comment": {"slice day=6 looks off"}}
	r := e.do(lee, "POST", "/models/elec2/gates/"+jobID(d.ID)+"/reject", "", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if r.Status != 303 {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	got, _ := e.DB.FindGate(ctx, d.ID)
	v, _ := e.DB.FindVersion(ctx, m.ID, d.ChallengerID)
	if got.Status != ml.GateRejected || got.DecidedBy != "user:lee" || v.Status != ml.StatusRejected {
		t.Fatalf("after reject: %+v, version %s", got, v.Status)
	}
}

// TestShadowTraffic: with shadow on, the pending challenger scores live
// predictions too (not returned); once labeled, the decision page
// compares it with the champion on those rows.
func TestShadowTraffic(t *testing.T) {
	e := newEnv(t)
	_, d := pendingChallenger(t, e, true)
	r := e.do(nil, "POST", "/api/v1/models/elec2/predict", e.Tokens[ml.ScopePredict], "text/csv", strings.NewReader(elec2CSV(t, 5000, 5400, false)))
	if r.Status != 200 || strings.Contains(r.Body, "shadow") {
		t.Fatalf("predict: %d %s", r.Status, r.Body)
	}
	page := e.do(e.client("lee"), "GET", "/models/elec2/gates/"+jobID(d.ID), "", "", nil)
	if !strings.Contains(page.Body, `data-testid="gate-shadow"`) || !strings.Contains(page.Body, "400 rows scored in shadow, 400 labeled so far") || !strings.Contains(page.Body, "p(challenger worse)") {
		t.Fatalf("decision page: %s", page.Body)
	}
}
