package handlers_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/freshet/freshet/handlers"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

func TestLoginFlow(t *testing.T) {
	e := newEnv(t)
	anon := e.client("")
	if r := e.do(anon, "GET", "/", "", "", nil); r.Status != 303 || r.Header.Get("Location") != "/login" {
		t.Fatalf("anonymous: %d %v", r.Status, r.Header)
	}
	if r := e.do(anon, "GET", "/models/elec2", "", "", nil); r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/login?next=") {
		t.Fatalf("anonymous deep link: %d %v", r.Status, r.Header.Get("Location"))
	}
	// htmx requests get HX-Redirect instead of a 303.
	if r := e.do(anon, "GET", "/", "", "", nil, "HX-Request", "true"); r.Header.Get("HX-Redirect") != "/login" {
		t.Fatalf("htmx anonymous: %d %v", r.Status, r.Header)
	}
	r := e.do(anon, "GET", "/login", "", "", nil)
	if r.Status != 200 || !strings.Contains(r.Body, `name="password"`) {
		t.Fatalf("login page: %d", r.Status)
	}
	post := func(name, pw string) resp {
		return e.do(anon, "POST", "/login", "", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"name": {name}, "password": {pw}, "next": {"//evil.example"}}.Encode()))
	}
	if r := post("ada", "wrong"); r.Status != 401 || !strings.Contains(r.Body, "Wrong user name or password") {
		t.Fatalf("wrong password: %d", r.Status)
	}
	r = post("ada", e.Passwords["ada"])
	if r.Status != 303 || r.Header.Get("Location") != "/" {
		t.Fatalf("login: %d %v", r.Status, r.Header.Get("Location"))
	}
	ck := r.Header.Get("Set-Cookie")
	if !strings.Contains(ck, "HttpOnly") || !strings.Contains(ck, "SameSite=Lax") {
		t.Fatalf("cookie flags: %s", ck)
	}
	if r := e.do(anon, "GET", "/", "", "", nil); r.Status != 200 || !strings.Contains(r.Body, "Overview") {
		t.Fatalf("after login: %d", r.Status)
	}
	if r := e.do(anon, "POST", "/logout", "", "", nil); r.Status != 303 {
		t.Fatalf("logout: %d", r.Status)
	}
	if r := e.do(anon, "GET", "/", "", "", nil); r.Status != 303 {
		t.Fatalf("after logout: %d", r.Status)
	}
}

func TestLoginRateLimit(t *testing.T) {
	e := newEnv(t)
	c := e.client("")
	var last resp
	for range 6 {
		last = e.do(c, "POST", "/login", "", "application/x-www-form-urlencoded", strings.NewReader("name=lee&password=nope"))
	}
	if last.Status != 429 || !strings.Contains(last.Body, "Too many failed attempts") {
		t.Fatalf("6th failure: %d", last.Status)
	}
	// Even the right password is refused while blocked.
	r := e.do(c, "POST", "/login", "", "application/x-www-form-urlencoded", strings.NewReader(url.Values{"name": {"lee"}, "password": {e.Passwords["lee"]}}.Encode()))
	if r.Status != 429 {
		t.Fatalf("blocked login: %d", r.Status)
	}
	// Other users from elsewhere are not affected: ada logs in fine.
	e.client("ada")
	es, _ := e.DB.FindAudit(context.Background(), store.AuditFilter{Action: "session.login_"})
	if len(es) < 6 {
		t.Fatalf("failed logins not audited: %d", len(es))
	}
}

func TestMustChangePassword(t *testing.T) {
	e := newEnv(t)
	_, pw, err := e.DB.CreateUser(context.Background(), ml.SystemActor, "newbie", ml.RoleLead, true)
	if err != nil {
		t.Fatal(err)
	}
	e.Passwords["newbie"] = pw
	c := e.client("newbie")
	if r := e.do(c, "GET", "/models", "", "", nil); r.Status != 303 || r.Header.Get("Location") != "/account/password" {
		t.Fatalf("must change: %d %s", r.Status, r.Header.Get("Location"))
	}
	form := func(a, b string) *strings.Reader {
		return strings.NewReader(url.Values{"password": {a}, "password2": {b}}.Encode())
	}
	if r := e.do(c, "POST", "/account/password", "", "application/x-www-form-urlencoded", form("long-enough-1", "long-enough-2")); r.Status != 422 || !strings.Contains(r.Body, "differ") {
		t.Fatalf("mismatch: %d", r.Status)
	}
	if r := e.do(c, "POST", "/account/password", "", "application/x-www-form-urlencoded", form("short", "short")); r.Status != 422 {
		t.Fatalf("short: %d", r.Status)
	}
	if r := e.do(c, "POST", "/account/password", "", "application/x-www-form-urlencoded", form("long-enough-1", "long-enough-1")); r.Status != 303 {
		t.Fatalf("change: %d %s", r.Status, r.Body)
	}
	if r := e.do(c, "GET", "/models", "", "", nil); r.Status != 200 {
		t.Fatalf("after change: %d", r.Status)
	}
}

// TestPages renders every page for every role, as a full page and, where
// the page has an htmx fragment, as a fragment.
func TestPages(t *testing.T) {
	e := newEnv(t)
	e.demoModel()
	if r := e.do(nil, "POST", "/api/v1/models/elec2/observations", e.Tokens[ml.ScopeIngest], "text/csv", strings.NewReader(elec2CSV(t, 0, 200, true))); r.Status != 200 {
		t.Fatal(r.Body)
	}
	clients := map[string]*http.Client{"admin": e.client("ada"), "lead": e.client("lee"), "annotator": e.client("ann")}
	cases := []struct {
		path     string
		minRole  string
		want     string
		fragment string // wanted in the htmx fragment; "" when the page has none
	}{
		{"/", "annotator", "models-table", "stat-observations"},
		{"/models", "annotator", "model-link-elec2", ""},
		{"/models/elec2", "annotator", "counts-chart", "model-observations"},
		{"/jobs", "annotator", "Jobs", "No jobs yet"},
		{"/gates", "annotator", "Gates", ""},
		{"/labeling", "annotator", "Labeling", ""},
		{"/audit", "lead", "audit-table", ""},
		{"/models/elec2/backtests", "lead", "a backtest needs at least 500", "Backtests of elec2"},
		{"/models/new", "lead", "upload-file", ""},
		{"/settings", "admin", "tokens-table", ""},
		{"/account/password", "annotator", "new-password", ""},
	}
	rank := map[string]int{"annotator": 1, "lead": 2, "admin": 3}
	for _, c := range cases {
		for role, cl := range clients {
			r := e.do(cl, "GET", c.path, "", "", nil)
			if rank[role] < rank[c.minRole] {
				if r.Status != 403 {
					t.Errorf("%s as %s: %d, want 403", c.path, role, r.Status)
				}
				continue
			}
			if r.Status != 200 || !strings.Contains(r.Body, c.want) || !strings.Contains(r.Body, "<html") {
				t.Errorf("%s as %s: %d, missing %q", c.path, role, r.Status, c.want)
			}
			if c.fragment == "" {
				continue
			}
			f := e.do(cl, "GET", c.path, "", "", nil, "HX-Request", "true")
			if f.Status != 200 || strings.Contains(f.Body, "<html") || !strings.Contains(f.Body, c.fragment) || !strings.Contains(f.Header.Get("Vary"), "HX-Request") {
				t.Errorf("%s fragment as %s: %d %q", c.path, role, f.Status, f.Body[:min(len(f.Body), 200)])
			}
			// A history restore gets the whole page.
			h := e.do(cl, "GET", c.path, "", "", nil, "HX-Request", "true", "HX-History-Restore-Request", "true")
			if !strings.Contains(h.Body, "<html") {
				t.Errorf("%s history restore as %s: not a full page", c.path, role)
			}
		}
	}
	// Navigation shows only what a role may open.
	ann := e.do(clients["annotator"], "GET", "/", "", "", nil)
	if strings.Contains(ann.Body, `href="/settings"`) || strings.Contains(ann.Body, `href="/audit"`) {
		t.Error("annotator sees admin navigation")
	}
	// The counts chart's data.
	r := e.do(clients["annotator"], "GET", "/models/elec2/counts?bucket=hour", "", "", nil)
	if r.Status != 200 || !strings.Contains(r.Body, `"labeled"`) {
		t.Fatalf("counts: %d %s", r.Status, r.Body)
	}
	if r := e.do(clients["annotator"], "GET", "/models/elec2/counts?bucket=week", "", "", nil); r.Status != 400 {
		t.Fatalf("bad bucket: %d", r.Status)
	}
	if r := e.do(clients["annotator"], "GET", "/models/nope", "", "", nil); r.Status != 404 || !strings.Contains(r.Body, "not found") {
		t.Fatalf("missing model page: %d", r.Status)
	}
	// Static assets are served under hashed names, cached forever.
	i := strings.Index(ann.Body, "/static/app.")
	path := ann.Body[i : i+strings.Index(ann.Body[i:], `"`)]
	s := e.do(nil, "GET", path, "", "", nil)
	if s.Status != 200 || !strings.Contains(s.Header.Get("Cache-Control"), "immutable") {
		t.Fatalf("static %s: %d", path, s.Status)
	}
	if s := e.do(nil, "GET", "/static/app.css", "", "", nil); s.Status != 404 {
		t.Fatalf("unhashed static: %d", s.Status)
	}
}

func TestSettingsCreatesUsersAndTokens(t *testing.T) {
	e := newEnv(t)
	admin := e.client("ada")
	r := e.do(admin, "POST", "/settings/users", "", "application/x-www-form-urlencoded", strings.NewReader("name=zoe&role=annotator"))
	if r.Status != 200 || !strings.Contains(r.Body, `data-testid="secret"`) {
		t.Fatalf("add user: %d", r.Status)
	}
	if r := e.do(admin, "POST", "/settings/users", "", "application/x-www-form-urlencoded", strings.NewReader("name=zoe&role=annotator")); r.Status != 409 {
		t.Fatalf("dup user: %d", r.Status)
	}
	if r := e.do(admin, "POST", "/settings/users", "", "application/x-www-form-urlencoded", strings.NewReader("name=zed&role=boss")); r.Status != 400 {
		t.Fatalf("bad role: %d", r.Status)
	}
	r = e.do(admin, "POST", "/settings/tokens", "", "application/x-www-form-urlencoded", strings.NewReader("name=svc&scope=ingest&scope=predict"))
	if r.Status != 200 || !strings.Contains(r.Body, store.TokenPrefix) {
		t.Fatalf("add token: %d", r.Status)
	}
	i := strings.Index(r.Body, store.TokenPrefix)
	secret := r.Body[i : i+len(store.TokenPrefix)+52]
	if g := e.do(nil, "GET", "/api/v1/models", secret, "", nil); g.Status != 200 {
		t.Fatalf("new token does not work: %d %s", g.Status, g.Body)
	}
	// Lead cannot.
	if r := e.do(e.client("lee"), "POST", "/settings/tokens", "", "application/x-www-form-urlencoded", strings.NewReader("name=x&scope=admin")); r.Status != 403 {
		t.Fatalf("lead adds token: %d", r.Status)
	}
}

func TestJobOutputText(t *testing.T) {
	for raw, want := range map[string]string{
		`{"rows":28,"labels":28}`: "28 rows, 28 labels",
		`{"windows":3}`:           "3 windows",
		`{"version":2,"version_id":9,"rows":16080,"metrics":{"auc":0.8653},"cpu_seconds":1.234}`: "v2 · auc 0.865 · 16,080 rows · 1.23 CPU-s",
		`not json`: "not json",
	} {
		if got := handlers.OutputText(raw); got != want {
			t.Errorf("%s: %q, want %q", raw, got, want)
		}
	}
}
