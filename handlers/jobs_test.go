package handlers_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/jobs"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/policy"
	"github.com/freshet/freshet/store"
	"github.com/freshet/freshet/web"
)

// startRunner attaches a working job runner to the env's server.
func startRunner(t *testing.T, e *env) *jobs.Runner {
	t.Helper()
	ctx := context.Background()
	runner, err := jobs.New(ctx, e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{Work: true, DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	e.Server.Jobs = runner
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		runner.Stop(sctx)
	})
	return runner
}

func waitJob(t *testing.T, e *env, id int64, states ...string) *ml.Job {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		j, err := e.DB.FindJob(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range states {
			if j.State == s {
				return j
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("job %d still %s after 30 s; log:\n%s", id, j.State, j.Log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestJobsAPI(t *testing.T) {
	e := newEnv(t)
	m := e.demoModel()
	if r := e.do(nil, "POST", "/api/v1/models/elec2/observations", e.Tokens[ml.ScopeIngest], "text/csv", strings.NewReader(elec2CSV(t, 0, 1500, true))); r.Status != 200 {
		t.Fatal(r.Body)
	}
	startRunner(t, e)
	admin := e.Tokens[ml.ScopeAdmin]
	r := e.do(nil, "POST", "/api/v1/models/elec2/retrain", admin, "application/json", strings.NewReader(`{"reason":"api test"}`))
	if r.Status != 202 {
		t.Fatalf("retrain: %d %s", r.Status, r.Body)
	}
	var acc struct {
		JobID int64 `json:"job_id"`
	}
	json.Unmarshal([]byte(r.Body), &acc)
	j := waitJob(t, e, acc.JobID, ml.JobSucceeded, ml.JobFailed)
	if j.State != ml.JobSucceeded || j.Reason != "api test" {
		t.Fatalf("job: %+v", j)
	}
	// The list has the documented fields.
	r = e.do(nil, "GET", "/api/v1/models/elec2/jobs", e.Tokens[ml.ScopePredict], "", nil)
	var list struct {
		Jobs []map[string]any `json:"jobs"`
	}
	if err := json.Unmarshal([]byte(r.Body), &list); err != nil || len(list.Jobs) != 1 {
		t.Fatalf("jobs: %d %s", r.Status, r.Body)
	}
	for _, k := range []string{"state", "cpu_seconds", "wall_seconds", "peak_rss_bytes", "data", "validation"} {
		if _, ok := list.Jobs[0][k]; !ok {
			t.Errorf("job lacks %q: %v", k, list.Jobs[0])
		}
	}
	if list.Jobs[0]["cpu_seconds"].(float64) <= 0 || list.Jobs[0]["peak_rss_bytes"].(float64) <= 0 {
		t.Errorf("cost not measured: %v", list.Jobs[0])
	}
	// One job with its log; the trigger that asked for it.
	r = e.do(nil, "GET", "/api/v1/jobs/"+jobID(acc.JobID), e.Tokens[ml.ScopePredict], "", nil)
	if r.Status != 200 || !strings.Contains(r.Body, "round") {
		t.Fatalf("job: %d %s", r.Status, r.Body)
	}
	r = e.do(nil, "GET", "/api/v1/models/elec2/triggers", e.Tokens[ml.ScopePredict], "", nil)
	if r.Status != 200 || !strings.Contains(r.Body, `"manual"`) || !strings.Contains(r.Body, `"fired"`) {
		t.Fatalf("triggers: %d %s", r.Status, r.Body)
	}
	// The data version exports as Parquet with its hash.
	r = e.do(nil, "GET", "/api/v1/jobs/"+jobID(acc.JobID)+"/data.parquet", admin, "", nil)
	if r.Status != 200 || !strings.HasPrefix(r.Body, "PAR1") || r.Header.Get("X-Freshet-Data-Hash") != j.Data.Hash || r.Header.Get("X-Freshet-Data-Hash-Match") != "true" {
		t.Fatalf("parquet: %d %v", r.Status, r.Header)
	}
	// Cancel needs admin; a finished job cannot be cancelled but can be retried.
	if r := e.do(nil, "POST", "/api/v1/jobs/"+jobID(acc.JobID)+"/cancel", e.Tokens[ml.ScopeIngest], "", nil); r.Status != 403 {
		t.Fatalf("ingest cancels: %d", r.Status)
	}
	if r := e.do(nil, "POST", "/api/v1/jobs/"+jobID(acc.JobID)+"/cancel", admin, "", nil); r.Status != 409 {
		t.Fatalf("cancel finished: %d %s", r.Status, r.Body)
	}
	r = e.do(nil, "POST", "/api/v1/jobs/"+jobID(acc.JobID)+"/retry", admin, "", nil)
	if r.Status != 202 {
		t.Fatalf("retry: %d %s", r.Status, r.Body)
	}
	var again struct {
		JobID int64 `json:"job_id"`
	}
	json.Unmarshal([]byte(r.Body), &again)
	if again.JobID == acc.JobID {
		t.Fatal("retry reused the job")
	}
	waitJob(t, e, again.JobID, ml.JobSucceeded)
	vs, _ := e.DB.FindVersions(context.Background(), m.ID, 10)
	if len(vs) != 2 {
		t.Fatalf("%d versions", len(vs))
	}
	// A bad strategy is refused and queues nothing.
	if r := e.do(nil, "POST", "/api/v1/models/elec2/retrain", admin, "application/json", strings.NewReader(`{"strategy":"quantum"}`)); r.Status != 400 {
		t.Fatalf("bad strategy: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "GET", "/api/v1/jobs/99999", admin, "", nil); r.Status != 404 {
		t.Fatalf("missing job: %d", r.Status)
	}
}

func TestPolicyAPIValidatesWhole(t *testing.T) {
	e := newEnv(t)
	e.demoModel()
	admin := e.Tokens[ml.ScopeAdmin]
	r := e.do(nil, "PUT", "/api/v1/models/elec2/policy", admin, "application/json", strings.NewReader(`{"schedule":"0 3 * * *","time_zone":"Europe/Paris","volume":{"labels":500},"cooldown":"30m","daily_cpu_seconds":60}`))
	if r.Status != 200 || !strings.Contains(r.Body, "every 500 new labels") {
		t.Fatalf("put policy: %d %s", r.Status, r.Body)
	}
	for body, want := range map[string]string{
		`{"schedule":"61 * * * *"}`:              "schedule",
		`{"cooldown":"soon"}`:                    "cooldown",
		`{"window":{"kind":"sliding_rows"}}`:     "window.rows",
		`{"volume":{"labels":0}}`:                "volume.labels",
		`{"strategy":"quantum"}`:                 "strategy",
		`{"cost_aware":{"value_per_point":-1}}`:  "value_per_point",
		`{"time_zone":"Mars/Olympus"}`:           "time_zone",
		`{"drift":{"share":2}}`:                  "drift.share",
		`{"priority":9}`:                         "priority",
		`{"alpha":2}`:                            "alpha",
		`{"validation":{"max_missing":1.5}}`:     "max_missing",
		`{"window":{"kind":"recency_weighted"}}`: "half_life_days",
		`{"unknown_field":1}`:                    "unknown_field",
		"{\"volume\":{\"labels\":10},\n\"x\": }": "line 2",
	} {
		r := e.do(nil, "PUT", "/api/v1/models/elec2/policy", admin, "application/json", strings.NewReader(body))
		if r.Status/100 != 4 || !strings.Contains(r.Body, want) {
			t.Errorf("%s: %d %s (want %q)", body, r.Status, r.Body, want)
		}
	}
	// Nothing changed by the bad ones.
	r = e.do(nil, "GET", "/api/v1/models/elec2/policy", admin, "", nil)
	if !strings.Contains(r.Body, `"labels": 500`) || !strings.Contains(r.Body, `"cooldown": "30m"`) {
		t.Fatalf("policy after bad puts: %s", r.Body)
	}
	if r := e.do(nil, "PUT", "/api/v1/models/elec2/policy", e.Tokens[ml.ScopeIngest], "application/json", strings.NewReader(`{}`)); r.Status != 403 {
		t.Fatalf("ingest edits policy: %d", r.Status)
	}
}

func TestPolicyForm(t *testing.T) {
	e := newEnv(t)
	e.demoModel()
	lee := e.client("lee")
	if r := e.do(e.client("ann"), "GET", "/models/elec2/policy", "", "", nil); r.Status != 403 {
		t.Fatalf("annotator opens the policy form: %d", r.Status)
	}
	r := e.do(lee, "GET", "/models/elec2/policy", "", "", nil)
	if r.Status != 200 || !strings.Contains(r.Body, `data-testid="policy-form"`) || !strings.Contains(r.Body, `value="4704"`) {
		t.Fatalf("form: %d", r.Status)
	}
	form := url.Values{"drift": {"1"}, "drift_share": {"0.4"}, "volume_labels": {"1,000"}, "cooldown": {"10m"}, "weekly_cpu_seconds": {"120"},
		"strategy": {"auto"}, "window_kind": {"sliding_days"}, "window_days": {"14"}, "combine": {"any"}}
	r = e.do(lee, "POST", "/models/elec2/policy", "", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if r.Status != 303 {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	m, _ := e.DB.FindModelByName(context.Background(), "elec2")
	p := m.Config.Policy
	if p.Drift == nil || p.Drift.Share != 0.4 || p.Volume == nil || p.Volume.Labels != 1000 || p.Window.Days != 14 || p.WeeklyCPU != 120 {
		t.Fatalf("saved %+v", p)
	}
	// A bad value shows the form again, names the field, changes nothing.
	form.Set("window_days", "")
	form.Set("priority", "two")
	r = e.do(lee, "POST", "/models/elec2/policy", "", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if r.Status != 422 || !strings.Contains(r.Body, "priority") || !strings.Contains(r.Body, "Nothing was changed") {
		t.Fatalf("bad save: %d %s", r.Status, r.Body)
	}
	form.Set("priority", "1")
	r = e.do(lee, "POST", "/models/elec2/policy", "", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if r.Status != 422 || !strings.Contains(r.Body, "window.days") {
		t.Fatalf("bad window: %d %s", r.Status, r.Body)
	}
	m2, _ := e.DB.FindModelByName(context.Background(), "elec2")
	if m2.Config.Policy.Window.Days != 14 {
		t.Fatal("a refused form changed the policy")
	}
	// The model page shows the policy and its budget.
	r = e.do(lee, "GET", "/models/elec2", "", "", nil)
	if !strings.Contains(r.Body, `data-testid="trigger-timeline"`) || !strings.Contains(r.Body, "on drift or every 1,000 new labels") || !strings.Contains(r.Body, "0.0 CPU-s / 120 CPU-s") {
		t.Fatalf("model page: %s", r.Body)
	}
}

func jobID(n int64) string { return strconv.FormatInt(n, 10) }

// queueOnly attaches a job runner that queues but does not work: jobs
// stay where the test puts them.
func queueOnly(t *testing.T, e *env) *jobs.Runner {
	t.Helper()
	runner, err := jobs.New(context.Background(), e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{DataDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	e.Server.Jobs = runner
	return runner
}

// Leads and admins get Cancel on unfinished jobs and Retry on failed ones,
// on the jobs page and a job's page; annotators see the jobs without the
// buttons, and the buttons' routes refuse them.
func TestJobButtonsByRole(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	m := e.demoModel()
	runner := queueOnly(t, e)
	other := demo.Elec2Model()
	other.Name = "elec2-b"
	if err := e.DB.CreateModel(ctx, ml.SystemActor, other); err != nil {
		t.Fatal(err)
	}
	queued, _, err := runner.Enqueue(ctx, m, ml.SystemActor, jobs.JobRequest{Reason: "waits"})
	if err != nil {
		t.Fatal(err)
	}
	failed, _, err := runner.Enqueue(ctx, other, ml.SystemActor, jobs.JobRequest{Reason: "fails"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.DB.StartJob(ctx, failed.ID, 1); err != nil {
		t.Fatal(err)
	}
	if err := e.DB.FinishJob(ctx, failed.ID, store.JobOutcome{State: ml.JobFailed, Error: "the training process was killed"}, nil, nil, nil, false); err != nil {
		t.Fatal(err)
	}
	cancelAt := `action="/jobs/` + jobID(queued.ID) + `/cancel"`
	retryAt := `action="/jobs/` + jobID(failed.ID) + `/retry"`

	for _, tc := range []struct {
		user    string
		buttons bool
	}{{"ada", true}, {"lee", true}, {"ann", false}} {
		c := e.client(tc.user)
		for _, path := range []string{"/jobs", "/jobs/" + jobID(queued.ID), "/jobs/" + jobID(failed.ID)} {
			r := e.do(c, "GET", path, "", "", nil)
			if r.Status != 200 || !strings.Contains(r.Body, `data-testid="job-state"`) {
				t.Fatalf("%s GET %s: %d", tc.user, path, r.Status)
			}
			wantCancel := tc.buttons && path != "/jobs/"+jobID(failed.ID)
			wantRetry := tc.buttons && path != "/jobs/"+jobID(queued.ID)
			if got := strings.Contains(r.Body, cancelAt) && strings.Contains(r.Body, `data-testid="job-cancel"`); got != wantCancel {
				t.Errorf("%s GET %s: cancel button %v, want %v", tc.user, path, got, wantCancel)
			}
			if got := strings.Contains(r.Body, retryAt) && strings.Contains(r.Body, `data-testid="job-retry"`); got != wantRetry {
				t.Errorf("%s GET %s: retry button %v, want %v", tc.user, path, got, wantRetry)
			}
		}
	}

	ann := e.client("ann")
	for _, path := range []string{"/jobs/" + jobID(queued.ID) + "/cancel", "/jobs/" + jobID(failed.ID) + "/retry"} {
		if r := e.do(ann, "POST", path, "", "application/x-www-form-urlencoded", nil); r.Status != 403 {
			t.Errorf("annotator POST %s: %d", path, r.Status)
		}
	}
	if j, _ := e.DB.FindJob(ctx, queued.ID); j.State != ml.JobQueued {
		t.Fatalf("the annotator's cancel changed the job: %s", j.State)
	}
	if js, _ := e.DB.FindJobs(ctx, store.JobFilter{ModelID: other.ID}); len(js) != 1 {
		t.Fatalf("the annotator's retry queued a job: %d jobs", len(js))
	}
	// A lead's do.
	lee := e.client("lee")
	if r := e.do(lee, "POST", "/jobs/"+jobID(queued.ID)+"/cancel", "", "application/x-www-form-urlencoded", nil); r.Status != 303 || r.Header.Get("Location") != "/jobs/"+jobID(queued.ID) {
		t.Fatalf("lead cancels: %d %v", r.Status, r.Header)
	}
	if j, _ := e.DB.FindJob(ctx, queued.ID); j.State != ml.JobCancelled {
		t.Errorf("after the lead's cancel the job is %s", j.State)
	}
	r := e.do(lee, "POST", "/jobs/"+jobID(failed.ID)+"/retry", "", "application/x-www-form-urlencoded", nil)
	if js, _ := e.DB.FindJobs(ctx, store.JobFilter{ModelID: other.ID}); r.Status != 303 || len(js) != 2 || r.Header.Get("Location") != "/jobs/"+jobID(js[0].ID) {
		t.Fatalf("lead retries: %d %v, %d jobs", r.Status, r.Header, len(js))
	}
}

// A cost-aware decision's cost and gain estimates, stored with the
// trigger event, are shown where it is: the job it queued, the model
// page's decisions, the triggers API; and the decay chart's marks (GET
// …/decay) place every decision at the data it saw, with what it said.
func TestTriggerEstimatesShown(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	m := e.demoModel()
	runner := queueOnly(t, e)

	cfg := ml.PolicyConfig{CostAware: &ml.CostAwareTrigger{ValuePerPoint: 10}, Strategy: ml.StrategyFull, DailyCPU: 50}
	s := policy.State{Now: time.Now(), HasChampion: true, TrainRows: 4704, Gap: 0.05, FullRounds: 100, EarlyStopping: true,
		Costs: []policy.CostPoint{{Strategy: ml.StrategyFull, Rows: 4000, Rounds: 6, CPUSeconds: 0.06}, {Strategy: ml.StrategyFull, Rows: 4704, Rounds: 8, CPUSeconds: 0.08}}}
	d := policy.Evaluate(cfg, s)
	if d.Outcome != policy.OutcomeFired || d.Gain == nil {
		t.Fatalf("decision %+v", d)
	}
	cost, _ := json.Marshal(d.Cost)
	gain, _ := json.Marshal(d.Gain)
	at := time.Date(1997, 6, 12, 0, 0, 0, 0, time.UTC)
	ev := &ml.TriggerEvent{ModelID: m.ID, Outcome: d.Outcome, Triggers: d.Fired, Reasons: d.Reasons, Strategy: d.Strategy, StrategyWhy: d.StrategyWhy,
		Cost: cost, Gain: gain, DataAt: &at}
	if err := e.DB.RecordTrigger(ctx, ev); err != nil {
		t.Fatal(err)
	}
	j, _, err := runner.Enqueue(ctx, m, ml.Actor{Kind: "system", Name: "policy"}, jobs.JobRequest{Reason: "policy: cost_aware", TriggerID: ev.ID})
	if err != nil {
		t.Fatal(err)
	}
	// A later suppressed decision.
	later := at.Add(7 * 24 * time.Hour)
	held := &ml.TriggerEvent{ModelID: m.ID, Outcome: ml.OutcomeSuppressed, Triggers: []string{ml.TriggerVolume}, Reasons: []string{"volume: 600 new labels ≥ 500"},
		Suppressed: "a retrain is already queued (job " + jobID(j.ID) + ")", Strategy: ml.StrategyFull, Cost: cost, DataAt: &later}
	if err := e.DB.RecordTrigger(ctx, held); err != nil {
		t.Fatal(err)
	}

	costText, gainText := html.EscapeString(web.CostText(cost)), html.EscapeString(web.GainText(gain))
	if !strings.Contains(costText, "; for 4,704 rows × 7 rounds, the median of the last 2 full retrains") || !strings.Contains(gainText, "points") {
		t.Fatalf("texts %q, %q", costText, gainText)
	}
	lee := e.client("lee")
	for _, path := range []string{"/jobs/" + jobID(j.ID), "/models/elec2"} {
		r := e.do(lee, "GET", path, "", "", nil)
		if r.Status != 200 || !strings.Contains(r.Body, costText) || !strings.Contains(r.Body, gainText) || !strings.Contains(r.Body, html.EscapeString(d.Reasons[0])) {
			t.Errorf("GET %s: %d; want the cost %q, the gain %q and the reason %q", path, r.Status, costText, gainText, d.Reasons[0])
		}
	}

	api := e.Tokens[ml.ScopePredict]
	r := e.do(nil, "GET", "/api/v1/models/elec2/triggers", api, "", nil)
	var list struct {
		Triggers []struct {
			ID   int64           `json:"id"`
			Cost json.RawMessage `json:"cost"`
			Gain json.RawMessage `json:"gain"`
		} `json:"triggers"`
	}
	if err := json.Unmarshal([]byte(r.Body), &list); err != nil || len(list.Triggers) != 2 {
		t.Fatalf("triggers: %d %s", r.Status, r.Body)
	}
	var gotCost policy.CostEstimate
	var gotGain policy.GainEstimate
	if first := list.Triggers[1]; first.ID != ev.ID || json.Unmarshal(first.Cost, &gotCost) != nil || json.Unmarshal(first.Gain, &gotGain) != nil ||
		gotCost.CPUSeconds != d.Cost.CPUSeconds || gotCost.Basis != d.Cost.Basis || gotGain.Points != d.Gain.Points || gotGain.Value != d.Gain.Value {
		t.Errorf("API event %+v: cost %+v gain %+v, want %+v and %+v", list.Triggers[1], gotCost, gotGain, d.Cost, *d.Gain)
	}

	r = e.do(nil, "GET", "/api/v1/models/elec2/decay", api, "", nil)
	var decay struct {
		Triggers []struct {
			At       int64    `json:"at"`
			Outcome  string   `json:"outcome"`
			Triggers []string `json:"triggers"`
			Text     string   `json:"text"`
			JobID    int64    `json:"job_id"`
		} `json:"triggers"`
	}
	if err := json.Unmarshal([]byte(r.Body), &decay); err != nil || r.Status != 200 || len(decay.Triggers) != 2 {
		t.Fatalf("decay: %d %s", r.Status, r.Body)
	}
	marks := decay.Triggers // newest first
	if mk := marks[1]; mk.At != at.UnixMilli() || mk.Outcome != ml.OutcomeFired || mk.JobID != j.ID || mk.Text != "cost_aware → full retrain" || len(mk.Triggers) != 1 {
		t.Errorf("fired mark %+v", mk)
	}
	if mk := marks[0]; mk.At != later.UnixMilli() || mk.Outcome != ml.OutcomeSuppressed || mk.JobID != 0 || mk.Text != "volume — suppressed: "+held.Suppressed {
		t.Errorf("suppressed mark %+v", mk)
	}
}

// The model page says when a schedule next fires, in the policy's time
// zone; without a schedule it says nothing of the kind.
func TestModelPageNextScheduledRun(t *testing.T) {
	e := newEnv(t)
	e.demoModel()
	lee := e.client("lee")
	if r := e.do(lee, "GET", "/models/elec2", "", "", nil); r.Status != 200 || strings.Contains(r.Body, "Next scheduled run") {
		t.Fatalf("no schedule: %d, says %v", r.Status, strings.Contains(r.Body, "Next scheduled run"))
	}
	admin := e.Tokens[ml.ScopeAdmin]
	if r := e.do(nil, "PUT", "/api/v1/models/elec2/policy", admin, "application/json", strings.NewReader(`{"schedule":"30 3 * * 1","time_zone":"Europe/Paris"}`)); r.Status != 200 {
		t.Fatalf("put policy: %d %s", r.Status, r.Body)
	}
	m, err := e.DB.FindModelByName(context.Background(), "elec2")
	if err != nil {
		t.Fatal(err)
	}
	before := m.Config.Policy.NextRun(time.Now())
	r := e.do(lee, "GET", "/models/elec2", "", "", nil)
	after := m.Config.Policy.NextRun(time.Now())
	if before.Weekday() != time.Monday || before.Format("15:04 MST") != "03:30 CET" && before.Format("15:04 MST") != "03:30 CEST" {
		t.Fatalf("next run %v", before)
	}
	want := func(t time.Time) string { return "Next scheduled run: <b>" + t.Format("2006-01-02 15:04 MST") + "</b>" }
	if r.Status != 200 || !strings.Contains(r.Body, want(before)) && !strings.Contains(r.Body, want(after)) {
		t.Errorf("model page: %d, want %q", r.Status, want(before))
	}
}
