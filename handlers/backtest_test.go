package handlers_test

import (
	"context"
	"encoding/json"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/backtest"
	"github.com/freshet/freshet/store"
)

// backtestModel is the Elec2 model with its first n rows labeled, retrained
// by hand only, and a running queue.
func backtestModel(t *testing.T, e *env, n int) *ml.Model {
	t.Helper()
	m := e.demoModel()
	cfg := m.Config
	cfg.Policy = ml.PolicyConfig{Cooldown: "3h", Priority: 3, WeeklyCPU: 500}
	if _, err := e.DB.UpdateModelConfig(context.Background(), ml.SystemActor, m.Name, cfg); err != nil {
		t.Fatal(err)
	}
	if r := e.do(nil, "POST", "/api/v1/models/elec2/observations", e.Tokens[ml.ScopeIngest], "text/csv", strings.NewReader(elec2CSV(t, 0, n, true))); r.Status != 200 {
		t.Fatal(r.Body)
	}
	startRunner(t, e)
	return m
}

func waitBacktest(t *testing.T, e *env, id int64) *ml.Backtest {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		b, err := e.DB.FindBacktest(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if b.Done() {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("backtest %d still %s after 60 s", id, b.State)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBacktestAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m := backtestModel(t, e, 3000)
	admin := e.Tokens[ml.ScopeAdmin]
	post := func(token, body string) resp {
		return e.do(nil, "POST", "/api/v1/models/elec2/backtests", token, "application/json", strings.NewReader(body))
	}
	none := func(what string) {
		t.Helper()
		if bs, _ := e.DB.FindBacktests(ctx, store.BacktestFilter{ModelID: m.ID}); len(bs) != 0 {
			t.Fatalf("%s stored %d backtests", what, len(bs))
		}
	}
	// Who may: an admin-scoped token or a lead's session.
	if r := post(e.Tokens[ml.ScopeIngest], `{}`); r.Status != 403 {
		t.Fatalf("ingest token: %d %s", r.Status, r.Body)
	}
	if r := e.do(e.client("ann"), "POST", "/api/v1/models/elec2/backtests", "", "application/json", strings.NewReader(`{}`)); r.Status != 403 {
		t.Fatalf("annotator: %d %s", r.Status, r.Body)
	}
	if r := e.do(e.client("ann"), "GET", "/api/v1/models/elec2/backtests", "", "", nil); r.Status != 403 {
		t.Fatalf("annotator lists: %d", r.Status)
	}
	none("refused requests")

	// Bad bodies: 400 with the reason, nothing stored.
	for _, c := range []struct{ body, want string }{
		{`{"batch": "many"}`, "batch should be int"},
		{`{"rounds": 0.5}`, "rounds should be int"},
		{`{"sample": 3}`, `unknown field \"sample\"`},
		{`[1, 2]`, "backtest settings"},
		{`{"batch": 5}`, "batch: 5 rows: use at least 10"},
		{`{"policies": ["never", "sometimes"]}`, `policies: policy \"sometimes\": unknown policy`},
		{`{"policies": 7}`, "policies should be an array"},
		{`{"alpha": 3, "window": 3}`, "window: 3 rows: use 50 to 10,000,000 rows; alpha: 3: use a number above 0"},
		{`{"batch": 3000}`, "a backtest needs at least 2"},
	} {
		r := post(admin, c.body)
		if r.Status != 400 || !strings.Contains(r.Body, c.want) {
			t.Errorf("%s: %d %s", c.body, r.Status, r.Body)
		}
	}
	none("bad bodies")
	if r := e.do(nil, "POST", "/api/v1/models/nope/backtests", admin, "application/json", strings.NewReader(`{}`)); r.Status != 404 {
		t.Fatalf("unknown model: %d", r.Status)
	}

	// A good one: queued at once, run by the worker, the report stored.
	r := post(admin, `{"batch": 300, "policies": "never,every:1,cost_aware", "rounds": 5}`)
	if r.Status != 202 || r.Header.Get("Location") == "" {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	var created ml.Backtest
	json.Unmarshal([]byte(r.Body), &created)
	if created.State != ml.JobQueued || created.Settings.Window != 4704 || created.Settings.Alpha != 0.01 || len(created.Settings.Policies) != 3 ||
		created.CreatedBy != "token:t-admin" {
		t.Fatalf("created: %s", r.Body)
	}
	if b := waitBacktest(t, e, created.ID); b.State != ml.JobSucceeded {
		t.Fatalf("backtest %s: %s", b.State, b.Error)
	}
	r = e.do(nil, "GET", r.Header.Get("Location"), admin, "", nil)
	var got struct {
		ml.Backtest
		Report *backtest.Report `json:"report"`
	}
	if err := json.Unmarshal([]byte(r.Body), &got); err != nil || r.Status != 200 || got.Report == nil || len(got.Report.Results) != 3 ||
		got.Report.Recommended == "" || got.Progress.Done != got.Progress.Total {
		t.Fatalf("get: %v %d %.300s", err, r.Status, r.Body)
	}
	for _, k := range []string{`"mean_auc"`, `"rel_cost"`, `"c_alpha_auc"`, `"pareto"`, `"batches"`, `"why"`} {
		if !strings.Contains(r.Body, k) {
			t.Errorf("report lacks %s", k)
		}
	}
	r = e.do(nil, "GET", "/api/v1/models/elec2/backtests", admin, "", nil)
	if r.Status != 200 || !strings.Contains(r.Body, `"recommended"`) || strings.Contains(r.Body, `"report"`) {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	base := "/api/v1/backtests/" + jobID(created.ID)
	if r := e.do(nil, "POST", base+"/cancel", admin, "", nil); r.Status != 409 {
		t.Fatalf("cancel a finished one: %d %s", r.Status, r.Body)
	}

	// Apply: the named policy only, from an admin; audited.
	for _, c := range []struct {
		token, body string
		status      int
		want        string
	}{
		{e.Tokens[ml.ScopePredict], `{"policy": "cost_aware"}`, 403, "admin"},
		{admin, `{"policy": "sometimes"}`, 400, `replayed no policy \"sometimes\"; it replayed never, every:1, cost_aware`},
		{admin, `{}`, 400, "name the policy to apply"},
		{admin, `{"policy": 1}`, 400, "apply:"},
	} {
		if r := e.do(nil, "POST", base+"/apply", c.token, "application/json", strings.NewReader(c.body)); r.Status != c.status || !strings.Contains(r.Body, c.want) {
			t.Errorf("apply %s: %d %s", c.body, r.Status, r.Body)
		}
	}
	if mm, _ := e.DB.FindModelByName(ctx, "elec2"); mm.Config.Policy.Automatic() {
		t.Fatal("a refused apply changed the policy")
	}
	r = e.do(nil, "POST", base+"/apply", admin, "application/json", strings.NewReader(`{"policy": "cost_aware"}`))
	if r.Status != 200 || !strings.Contains(r.Body, "when the gain is worth the cost") {
		t.Fatalf("apply: %d %s", r.Status, r.Body)
	}
	p := mustModelPolicy(t, e)
	if p.CostAware == nil || p.CostAware.ValuePerPoint <= 0 || p.Volume == nil || p.Volume.Labels != 2400 || p.Strategy != ml.StrategyAuto ||
		p.Window.Kind != ml.WindowSlidingRows || p.Window.Rows != 4704 || p.Cooldown != "3h" || p.Priority != 3 || p.WeeklyCPU != 500 {
		t.Fatalf("policy after apply: %+v", p)
	}
	audit, _ := e.DB.FindAudit(ctx, store.AuditFilter{Action: "backtest.apply"})
	if len(audit) != 1 || audit[0].Actor != "token:t-admin" || audit[0].Target != "model:elec2" {
		t.Fatalf("audit: %+v", audit)
	}
}

func mustModelPolicy(t *testing.T, e *env) ml.PolicyConfig {
	t.Helper()
	m, err := e.DB.FindModelByName(context.Background(), "elec2")
	if err != nil {
		t.Fatal(err)
	}
	return m.Config.Policy
}

func TestBacktestPages(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m := backtestModel(t, e, 3000)
	lee, ann := e.client("lee"), e.client("ann")

	// The model page and the policy page link to the backtests.
	for _, path := range []string{"/models/elec2", "/models/elec2/policy"} {
		if r := e.do(lee, "GET", path, "", "", nil); r.Status != 200 || !strings.Contains(r.Body, `href="/models/elec2/backtests"`) {
			t.Errorf("%s: %d, no link to the backtests", path, r.Status)
		}
	}
	// Annotators get 403 on every backtest page and button.
	for _, c := range []struct{ method, path string }{{"GET", "/models/elec2/backtests"}, {"POST", "/models/elec2/backtests"}} {
		if r := e.do(ann, c.method, c.path, "", "application/x-www-form-urlencoded", strings.NewReader("batch=300")); r.Status != 403 {
			t.Errorf("annotator %s %s: %d", c.method, c.path, r.Status)
		}
	}

	r := e.do(lee, "GET", "/models/elec2/backtests", "", "", nil)
	if r.Status != 200 || !strings.Contains(r.Body, `data-testid="backtest-form"`) || !strings.Contains(r.Body, `value="150"`) ||
		!strings.Contains(r.Body, `value="4704"`) || !strings.Contains(r.Body, "cost_aware[:V]") {
		t.Fatalf("form: %d (defaults: 150-row batches for 3,000 rows, the live window)", r.Status)
	}
	form := func(v url.Values) resp {
		return e.do(lee, "POST", "/models/elec2/backtests", "", "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
	}
	// Each problem next to its field; nothing queued.
	r = form(url.Values{"batch": {"300"}, "rounds": {"lots"}, "policies": {"never,sometimes"}, "alpha": {"2"}})
	for _, want := range []string{`data-testid="error-rounds"`, `&#34;lots&#34; is not a whole number`, `data-testid="error-policies"`, `unknown policy &#34;sometimes&#34;`,
		`data-testid="error-alpha"`, `value="never,sometimes"`, "The backtest was not started"} {
		if r.Status != 422 || !strings.Contains(r.Body, want) {
			t.Errorf("bad form: %d lacks %s", r.Status, want)
		}
	}
	if strings.Contains(r.Body, `data-testid="error-batch"`) {
		t.Error("a good field is marked")
	}
	if bs, _ := e.DB.FindBacktests(ctx, store.BacktestFilter{ModelID: m.ID}); len(bs) != 0 {
		t.Fatalf("a bad form queued %d", len(bs))
	}
	r = form(url.Values{"batch": {"300"}, "rounds": {"5"}, "policies": {"never, every:1, cost_aware"}})
	loc := r.Header.Get("Location")
	if r.Status != 303 || !strings.HasPrefix(loc, "/backtests/") {
		t.Fatalf("start: %d %q", r.Status, loc)
	}
	// While it runs, the page polls its live part; htmx gets that part only.
	if r := e.do(lee, "GET", loc, "", "", nil, "HX-Request", "true"); r.Status != 200 || strings.Contains(r.Body, "<html") || !strings.Contains(r.Body, `id="backtest-live"`) {
		t.Fatalf("fragment: %d %.200s", r.Status, r.Body)
	}
	var id int64
	for _, b := range mustBacktests(t, e, m.ID) {
		id = b.ID
	}
	if b := waitBacktest(t, e, id); b.State != ml.JobSucceeded {
		t.Fatalf("backtest %s: %s", b.State, b.Error)
	}
	r = e.do(lee, "GET", loc, "", "", nil)
	for _, want := range []string{`data-testid="frontier-chart"`, `data-testid="auc-chart"`, `data-testid="backtest-table"`, `data-testid="result-cost_aware"`,
		`data-testid="recommendation-why"`, "has the best C_α", `data-testid="apply-cost_aware"`, `hx-trigger="none"`} {
		if r.Status != 200 || !strings.Contains(r.Body, want) {
			t.Errorf("done page: %d lacks %s", r.Status, want)
		}
	}
	if r := e.do(lee, "GET", loc, "", "", nil, "HX-Request", "true"); !strings.Contains(r.Body, `data-testid="frontier-chart"`) || r.Header.Get("Vary") != "HX-Request" {
		t.Errorf("done fragment: %v", r.Header)
	}
	if r := e.do(ann, "GET", loc, "", "", nil); r.Status != 403 {
		t.Errorf("annotator opens the backtest: %d", r.Status)
	}

	// Apply: a confirmation that changes nothing, then the change.
	r = e.do(lee, "GET", loc+"/apply?policy=cost_aware", "", "", nil)
	if r.Status != 200 || !strings.Contains(r.Body, `data-testid="apply-diff"`) || !strings.Contains(r.Body, "Retrained by hand only") ||
		!strings.Contains(r.Body, "cooldown 3h, priority 3") {
		t.Fatalf("confirm: %d", r.Status)
	}
	if mustModelPolicy(t, e).Automatic() {
		t.Fatal("the confirmation page applied the policy")
	}
	if r := e.do(lee, "GET", loc+"/apply?policy=sometimes", "", "", nil); r.Status != 400 {
		t.Errorf("confirm unknown: %d", r.Status)
	}
	if r := e.do(ann, "POST", loc+"/apply", "", "application/x-www-form-urlencoded", strings.NewReader("policy=cost_aware")); r.Status != 403 {
		t.Errorf("annotator applies: %d", r.Status)
	}
	r = e.do(lee, "POST", loc+"/apply", "", "application/x-www-form-urlencoded", strings.NewReader("policy=never"))
	if r.Status != 303 || r.Header.Get("Location") != loc+"#applied" {
		t.Fatalf("apply: %d %v", r.Status, r.Header)
	}
	if p := mustModelPolicy(t, e); p.Automatic() || p.Window.Rows != 4704 {
		t.Fatalf("never applied: %+v", p)
	}
	r = e.do(lee, "POST", loc+"/apply", "", "application/x-www-form-urlencoded", strings.NewReader("policy=cost_aware"))
	if r.Status != 303 || mustModelPolicy(t, e).CostAware == nil {
		t.Fatalf("apply cost_aware: %d", r.Status)
	}
	r = e.do(lee, "GET", loc, "", "", nil)
	if !strings.Contains(r.Body, `data-testid="applied"`) || !strings.Contains(r.Body, "</b> was applied to elec2's live policy by user:lee") {
		t.Fatalf("no confirmation on the page: %d", r.Status)
	}
	audit, _ := e.DB.FindAudit(ctx, store.AuditFilter{Action: "backtest.apply", Actor: "user:lee"})
	if len(audit) != 2 || !strings.Contains(audit[0].Detail, "policy cost_aware of backtest") {
		t.Fatalf("audit: %+v", audit)
	}
	// The list shows it, recommended and applied.
	r = e.do(lee, "GET", "/models/elec2/backtests", "", "", nil)
	if !strings.Contains(r.Body, `data-state="succeeded"`) || !strings.Contains(r.Body, "<code>cost_aware</code>") {
		t.Errorf("list: %d", r.Status)
	}
}

func mustBacktests(t *testing.T, e *env, modelID int64) []*ml.Backtest {
	t.Helper()
	bs, err := e.DB.FindBacktests(context.Background(), store.BacktestFilter{ModelID: modelID})
	if err != nil || len(bs) != 1 {
		t.Fatalf("backtests: %v %d", err, len(bs))
	}
	return bs
}
