package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/jobs"
	"github.com/freshet/freshet/ml"
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
