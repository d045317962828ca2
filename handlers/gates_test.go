package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/train"
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
	hook := newHookReceiver(t)
	setWebhook(t, e, m, hook.URL)
	// A lead approves: the challenger serves.
	r = e.do(lee, "POST", base+"/approve", "", "application/json", strings.NewReader(`{"comment":"better on every slice"}`))
	if r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	champ, _ := e.DB.FindChampion(ctx, m.ID)
	if champ.ID != d.ChallengerID {
		t.Fatalf("champion %d after approving %d", champ.ID, d.ChallengerID)
	}
	// Who approved, with their comment, is audited, and the webhook
	// hears the verdict and the promotion.
	audit, _ = e.DB.FindAudit(ctx, store.AuditFilter{Action: "gate.approve"})
	if len(audit) != 1 || audit[0].Actor != "user:lee" || audit[0].Target != "model:elec2" ||
		audit[0].Detail != fmt.Sprintf("decision %d (v%d): better on every slice", d.ID, d.ChallengerNumber) {
		t.Fatalf("approval audit: %+v", audit)
	}
	hook.wait(t, ml.EventGateVerdict, func(d map[string]any) bool {
		return d["status"] == ml.GateApproved && d["decided_by"] == "user:lee" && d["comment"] == "better on every slice"
	})
	hook.wait(t, ml.EventPromoted, func(m map[string]any) bool {
		return m["version"] == float64(d.ChallengerNumber) && m["by"] == "user:lee"
	})
	if r := e.do(lee, "POST", base+"/approve", "", "application/json", strings.NewReader(`{}`)); r.Status != 409 {
		t.Fatalf("approve twice: %d", r.Status)
	}
	// Rollback under load: predictions run on four connections before,
	// during and after it. Every one succeeds, served by either version,
	// and some provably overlap the rollback's commit: they started
	// before its deployment was stamped (inside its transaction) and
	// ended after its response came back.
	body := elec2CSV(t, 5000, 7000, false)
	calls := make(chan predictCall, 4096)
	stop := make(chan struct{})
	var wg sync.WaitGroup
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
				calls <- e.predict(body)
			}
		}()
	}
	var done []predictCall
	collect := func(until func() bool) {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for !until() {
			select {
			case c := <-calls:
				done = append(done, c)
			case <-deadline:
				t.Fatalf("predictions stalled after %d", len(done))
			}
		}
	}
	collect(func() bool { return len(done) >= 8 })
	r = e.do(nil, "POST", "/api/v1/models/elec2/rollback", e.Tokens[ml.ScopeAdmin], "application/json", strings.NewReader(`{"comment":"drill"}`))
	rolledBack := time.Now()
	if r.Status != 200 {
		t.Fatalf("rollback: %d %s", r.Status, r.Body)
	}
	after := func() int {
		n := 0
		for _, c := range done {
			if c.start.After(rolledBack) {
				n++
			}
		}
		return n
	}
	collect(func() bool { return after() >= 8 })
	close(stop)
	wg.Wait()
	close(calls)
	for c := range calls {
		done = append(done, c)
	}
	deps, _ := e.DB.FindDeployments(ctx, m.ID, 1)
	stamped := deps[0].At // ms, taken before the commit
	overlapped := 0
	for _, c := range done {
		if c.err != "" {
			t.Fatalf("a prediction failed around the rollback: %s", c.err)
		}
		if c.version != old.Number && c.version != d.ChallengerNumber {
			t.Fatalf("a prediction was served by v%d", c.version)
		}
		if c.start.After(rolledBack) && c.version != old.Number {
			t.Fatalf("a prediction started after the rollback was served by v%d", c.version)
		}
		if c.start.Before(stamped) && c.end.After(rolledBack) {
			overlapped++
		}
	}
	if overlapped == 0 {
		t.Fatalf("none of %d predictions overlapped the rollback (stamped %s, answered %s)", len(done), stamped.Format(time.StampMicro), rolledBack.Format(time.StampMicro))
	}
	t.Logf("%d predictions, %d in flight across the rollback's commit", len(done), overlapped)
	audit, _ = e.DB.FindAudit(ctx, store.AuditFilter{Action: "version.rollback"})
	if len(audit) != 1 || audit[0].Actor != "token:t-admin" || audit[0].Detail != fmt.Sprintf("v%d is the champion: rolled back by hand: drill", old.Number) {
		t.Fatalf("rollback audit: %+v", audit)
	}
	hook.wait(t, ml.EventRolledBack, func(m map[string]any) bool {
		return m["to"] == float64(old.Number) && m["by"] == "token:t-admin" && m["reason"] == "rolled back by hand: drill"
	})
	r = e.do(nil, "POST", "/api/v1/models/elec2/predict", e.Tokens[ml.ScopePredict], "text/csv", strings.NewReader(elec2CSV(t, 5000, 5020, false)))
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
	hook := newHookReceiver(t)
	setWebhook(t, e, m, hook.URL)
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
	audit, _ := e.DB.FindAudit(ctx, store.AuditFilter{Action: "gate.reject"})
	if len(audit) != 1 || audit[0].Actor != "user:lee" || !strings.HasSuffix(audit[0].Detail, ": slice day=6 looks off") {
		t.Fatalf("rejection audit: %+v", audit)
	}
	hook.wait(t, ml.EventGateVerdict, func(m map[string]any) bool {
		return m["status"] == ml.GateRejected && m["comment"] == "slice day=6 looks off"
	})
	// The lead overrides the gate: the rejected version serves, and the
	// webhook says so.
	r = e.do(nil, "POST", "/api/v1/models/elec2/versions/"+jobID(d.ChallengerID)+"/promote", e.Tokens[ml.ScopeAdmin], "application/json", strings.NewReader(`{"comment":"day 6 is a holiday"}`))
	if r.Status != 200 {
		t.Fatalf("promote: %d %s", r.Status, r.Body)
	}
	hook.wait(t, ml.EventPromoted, func(m map[string]any) bool {
		return m["version_id"] == float64(d.ChallengerID) && m["reason"] == "promoted by hand: day 6 is a holiday"
	})
	// A rollback and its webhook commit together: with the webhook's
	// queue row refused, the rollback fails whole and nothing changes.
	if _, err := e.DB.Write.ExecContext(ctx, `CREATE TRIGGER refuse_webhook BEFORE INSERT ON river_job WHEN NEW.kind = 'webhook'
		BEGIN SELECT RAISE(ABORT, 'webhook queue refused'); END`); err != nil {
		t.Fatal(err)
	}
	if r := e.do(nil, "POST", "/api/v1/models/elec2/rollback", e.Tokens[ml.ScopeAdmin], "", nil); r.Status != 500 || !strings.Contains(r.Body, `"code": "internal"`) {
		t.Fatalf("rollback with the webhook refused: %d %s", r.Status, r.Body)
	}
	if c, _ := e.DB.FindChampion(ctx, m.ID); c.ID != d.ChallengerID {
		t.Fatalf("champion %d after a failed rollback, want %d still", c.ID, d.ChallengerID)
	}
	if audit, _ := e.DB.FindAudit(ctx, store.AuditFilter{Action: "version.rollback"}); len(audit) != 0 {
		t.Fatalf("a failed rollback was audited: %+v", audit)
	}
	if _, err := e.DB.Write.ExecContext(ctx, `DROP TRIGGER refuse_webhook`); err != nil {
		t.Fatal(err)
	}
	if r := e.do(nil, "POST", "/api/v1/models/elec2/rollback", e.Tokens[ml.ScopeAdmin], "", nil); r.Status != 200 {
		t.Fatalf("rollback: %d %s", r.Status, r.Body)
	}
	hook.wait(t, ml.EventRolledBack, func(m map[string]any) bool { return m["by"] == "token:t-admin" })
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

// predictCall is one /predict request: when it ran, and what served it.
type predictCall struct {
	start, end time.Time
	version    int
	err        string
}

// predict posts a CSV batch to elec2's /predict. It reports failures in
// the call instead of failing the test: it runs on other goroutines.
func (e *env) predict(body string) predictCall {
	c := predictCall{start: time.Now()}
	defer func() { c.end = time.Now() }()
	req, err := http.NewRequest("POST", e.HTTP.URL+"/api/v1/models/elec2/predict", strings.NewReader(body))
	if err != nil {
		c.err = err.Error()
		return c
	}
	req.Header.Set("Authorization", "Bearer "+e.Tokens[ml.ScopePredict])
	req.Header.Set("Content-Type", "text/csv")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		c.err = err.Error()
		return c
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	c.end = time.Now()
	var out struct{ Version int }
	if res.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil {
		c.err = fmt.Sprintf("%d %s", res.StatusCode, b)
	}
	c.version = out.Version
	return c
}

// hookReceiver is a webhook endpoint that keeps what it is sent.
type hookReceiver struct {
	URL string
	mu  sync.Mutex
	got []hookCall
}

type hookCall struct {
	Event string
	Data  map[string]any
}

func newHookReceiver(t *testing.T) *hookReceiver {
	t.Helper()
	h := &hookReceiver{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Data map[string]any `json:"data"`
		}
		json.NewDecoder(r.Body).Decode(&b)
		h.mu.Lock()
		h.got = append(h.got, hookCall{Event: r.Header.Get("X-Freshet-Event"), Data: b.Data})
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

// wait waits up to 15 s for a delivery of event whose data satisfies ok.
func (h *hookReceiver) wait(t *testing.T, event string, ok func(map[string]any) bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		h.mu.Lock()
		got := slices.Clone(h.got)
		h.mu.Unlock()
		for _, c := range got {
			if c.Event == event && ok(c.Data) {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s webhook as expected; received %+v", event, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// setWebhook sends m's events to url.
func setWebhook(t *testing.T, e *env, m *ml.Model, url string) {
	t.Helper()
	cur, err := e.DB.FindModelByID(context.Background(), m.ID)
	if err != nil {
		t.Fatal(err)
	}
	cfg := cur.Config
	cfg.Notify = ml.NotifyConfig{WebhookURL: url}
	if _, err := e.DB.UpdateModelConfig(context.Background(), ml.SystemActor, m.Name, cfg); err != nil {
		t.Fatal(err)
	}
}

// zonesCSV is Elec2's rows [lo, hi), with ids, for the multiclass model
// zonesModel makes: the label is the third of the day the row's period
// falls in (wrong: the next third). Without labels, it returns the rows
// unlabeled and the labels apart, as late labels.
func zonesCSV(t *testing.T, lo, hi int, withLabel, wrong bool) (rows, labels string) {
	t.Helper()
	tab, err := demo.Elec2()
	if err != nil {
		t.Fatal(err)
	}
	var b, l strings.Builder
	b.WriteString("id,ts,day,period,nswprice,nswdemand,vicprice,vicdemand,transfer")
	if withLabel {
		b.WriteString(",label")
	}
	b.WriteString("\n")
	l.WriteString("id,label\n")
	for i := lo; i < hi; i++ {
		b.WriteString(demo.EntityID(0, i) + "," + msToTS(tab.Time[i]) + "," + tab.Day[i])
		for j := range 6 {
			b.WriteString("," + ftoa(tab.Num[j][i]))
		}
		c := min(int(tab.Num[0][i]*3), 2)
		if wrong {
			c = (c + 1) % 3
		}
		if withLabel {
			b.WriteString("," + zones[c])
		}
		b.WriteString("\n")
		l.WriteString(demo.EntityID(0, i) + "," + zones[c] + "\n")
	}
	return b.String(), l.String()
}

var zones = []string{"night", "day", "evening"}

// TestDeploymentsAPIAfterAMulticlassWatch: a multiclass model's planted
// bad champion, promoted by hand, serves /predict; once its rows are
// labeled the post-deploy watch rolls it back, and the deployments API
// answers valid JSON with the watch's numbers (multiclass watches used
// to store a result that was not JSON at all).
func TestDeploymentsAPIAfterAMulticlassWatch(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m := demo.Elec2Model()
	m.Name, m.Task, m.Classes, m.Metric = "zones", ml.TaskMulticlass, zones, ""
	m.Config = ml.ModelConfig{Gate: ml.GateConfig{Mode: ml.GateAuto, MaxECE: 1, MaxScoreShift: 100, WatchLabels: 300}}
	if err := e.DB.CreateModel(ctx, ml.SystemActor, m); err != nil {
		t.Fatal(err)
	}
	rows, _ := zonesCSV(t, 0, 3000, true, false)
	if r := e.do(nil, "POST", "/api/v1/models/zones/observations", e.Tokens[ml.ScopeIngest], "text/csv", strings.NewReader(rows)); r.Status != 200 {
		t.Fatal(r.Body)
	}
	runner := startRunner(t, e)
	r := e.do(nil, "POST", "/api/v1/models/zones/retrain", e.Tokens[ml.ScopeAdmin], "", nil)
	var acc struct {
		JobID int64 `json:"job_id"`
	}
	json.Unmarshal([]byte(r.Body), &acc)
	if j := waitJob(t, e, acc.JobID, ml.JobSucceeded, ml.JobFailed); j.State != ml.JobSucceeded {
		t.Fatalf("first model: %s\n%s", j.Error, j.Log)
	}
	good, err := e.DB.FindChampion(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	// The planted version: trained on the wrong third of the day.
	tab, _ := demo.Elec2()
	X, err := e.DB.CategoryCodes(ctx, m, tab.Batch(0, 3000, 0, 0))
	if err != nil {
		t.Fatal(err)
	}
	y := make([]float64, 3000)
	for i := range y {
		y[i] = float64((min(int(tab.Num[0][i]*3), 2) + 1) % 3)
	}
	res, err := train.GBDT(m, train.Data{X: X, Y: y}, train.Config{Rounds: 30})
	if err != nil {
		t.Fatal(err)
	}
	bad := &ml.Version{Trainer: ml.TrainerGBDT, Format: ml.FormatLightGBM, Note: "planted"}
	if err := e.DB.CreateVersion(ctx, ml.SystemActor, m, bad, res.Text, false); err != nil {
		t.Fatal(err)
	}
	if r := e.do(nil, "POST", "/api/v1/models/zones/versions/"+jobID(bad.ID)+"/promote", e.Tokens[ml.ScopeAdmin], "", nil); r.Status != 200 {
		t.Fatalf("promote: %d %s", r.Status, r.Body)
	}
	rows, labels := zonesCSV(t, 3000, 3400, false, false)
	if r := e.do(nil, "POST", "/api/v1/models/zones/predict", e.Tokens[ml.ScopePredict], "text/csv", strings.NewReader(rows)); r.Status != 200 || !strings.Contains(r.Body, `"probabilities"`) {
		t.Fatalf("predict: %d %.300s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/models/zones/labels", e.Tokens[ml.ScopeIngest], "text/csv", strings.NewReader(labels)); r.Status != 200 {
		t.Fatalf("labels: %d %s", r.Status, r.Body)
	}
	if _, err := runner.Watch(ctx); err != nil {
		t.Fatal(err)
	}
	if c, _ := e.DB.FindChampion(ctx, m.ID); c.ID != good.ID {
		t.Fatalf("champion v%d after the watch, want v%d", c.Number, good.Number)
	}
	r = e.do(nil, "GET", "/api/v1/models/zones/deployments", e.Tokens[ml.ScopePredict], "", nil)
	if r.Status != 200 || !json.Valid([]byte(r.Body)) {
		t.Fatalf("deployments: %d %q", r.Status, r.Body)
	}
	var out struct {
		Deployments []struct {
			Kind        string
			Watch       string
			WatchResult *struct {
				Metric         string
				New, Old, Drop *float64
				P              float64
				RolledBack     bool `json:"rolled_back"`
			} `json:"watch_result"`
		}
	}
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil || len(out.Deployments) != 3 {
		t.Fatalf("deployments: %v %s", err, r.Body)
	}
	w := out.Deployments[1]
	if out.Deployments[0].Kind != ml.DeployAutoRollback || w.Watch != ml.WatchRolledBack || w.WatchResult == nil || w.WatchResult.Metric != ml.MetricLogLoss ||
		w.WatchResult.New == nil || w.WatchResult.Old == nil || w.WatchResult.Drop == nil || !w.WatchResult.RolledBack || *w.WatchResult.New <= *w.WatchResult.Old {
		t.Fatalf("deployments: %s", r.Body)
	}
}

// TestDeploymentsAPIRefusesToSendHalfABody: a stored watch result that is
// not JSON cannot be encoded; the API answers a 500 with a JSON error,
// not a 200 with an empty or cut-off body.
func TestDeploymentsAPIRefusesToSendHalfABody(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m := e.demoModel()
	v := &ml.Version{Trainer: ml.TrainerGBDT, Format: ml.FormatLightGBM}
	if err := e.DB.CreateVersion(ctx, ml.SystemActor, m, v, []byte("tree"), true); err != nil {
		t.Fatal(err)
	}
	if r := e.do(nil, "GET", "/api/v1/models/elec2/deployments", e.Tokens[ml.ScopePredict], "", nil); r.Status != 200 || !json.Valid([]byte(r.Body)) {
		t.Fatalf("deployments: %d %s", r.Status, r.Body)
	}
	if _, err := e.DB.Write.ExecContext(ctx, `UPDATE deployments SET watch_result = '{"new": ' WHERE model_id = ?`, m.ID); err != nil {
		t.Fatal(err)
	}
	r := e.do(nil, "GET", "/api/v1/models/elec2/deployments", e.Tokens[ml.ScopePredict], "", nil)
	var body struct {
		Error struct{ Code, Message string }
	}
	if r.Status != 500 || json.Unmarshal([]byte(r.Body), &body) != nil || body.Error.Code != ml.EINTERNAL || body.Error.Message != "Internal error." {
		t.Fatalf("deployments with a corrupt result: %d %q", r.Status, r.Body)
	}
}
