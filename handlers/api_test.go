package handlers_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

func TestHealthz(t *testing.T) {
	e := newEnv(t)
	r := e.do(nil, "GET", "/healthz", "", "", nil)
	if r.Status != 200 || !strings.Contains(r.Body, `"ok"`) {
		t.Fatalf("%d %s", r.Status, r.Body)
	}
}

func TestModelCreateAPI(t *testing.T) {
	e := newEnv(t)
	body := `{"name":"elec2","task":"binary","label":"label","time":"ts","features":[{"name":"nswprice","type":"numeric"},{"name":"day","type":"categorical"}]}`
	cases := []struct {
		name, token, body string
		status            int
		want              string
	}{
		{"no token", "", body, 401, "authentication required"},
		{"bad token", "frt_nope", body, 401, "invalid or revoked"},
		{"ingest scope", e.Tokens[ml.ScopeIngest], body, 403, `admin\" scope`},
		{"admin", e.Tokens[ml.ScopeAdmin], body, 201, `"observations": 0`},
		{"duplicate", e.Tokens[ml.ScopeAdmin], body, 409, "already exists"},
		{"invalid name", e.Tokens[ml.ScopeAdmin], strings.Replace(body, "elec2", "Bad Name", 1), 400, "model name"},
		{"bad type", e.Tokens[ml.ScopeAdmin], strings.Replace(strings.Replace(body, "elec2", "m2", 1), `"numeric"`, `"number"`, 1), 400, `type \"number\"`},
		{"syntax", e.Tokens[ml.ScopeAdmin], "{\n  \"name\": \"x\",\n  \"label\" \"y\"\n}", 422, `"line":3`},
		{"unknown field", e.Tokens[ml.ScopeAdmin], `{"name":"m3","label":"y","colour":1,"features":[]}`, 422, "colour"},
		{"wrong json type", e.Tokens[ml.ScopeAdmin], `{"name":"m4","label":7}`, 422, "label"},
	}
	for _, c := range cases {
		r := e.do(nil, "POST", "/api/v1/models", c.token, "application/json", strings.NewReader(c.body))
		compact := strings.ReplaceAll(strings.ReplaceAll(r.Body, "\n", ""), " ", "")
		if r.Status != c.status || !(strings.Contains(r.Body, c.want) || strings.Contains(compact, strings.ReplaceAll(c.want, " ", ""))) {
			t.Errorf("%s: %d %s", c.name, r.Status, r.Body)
		}
	}
	// Any authenticated principal can read.
	r := e.do(nil, "GET", "/api/v1/models/elec2", e.Tokens[ml.ScopePredict], "", nil)
	var got map[string]any
	json.Unmarshal([]byte(r.Body), &got)
	if r.Status != 200 || got["name"] != "elec2" || got["labeled"] != float64(0) {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	r = e.do(nil, "GET", "/api/v1/models", e.Tokens[ml.ScopeIngest], "", nil)
	if r.Status != 200 || !strings.Contains(r.Body, `"elec2"`) {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "GET", "/api/v1/models/nope", e.Tokens[ml.ScopeIngest], "", nil); r.Status != 404 {
		t.Fatalf("missing: %d", r.Status)
	}
	// A lead's session may create models; an annotator's may not.
	lead := e.client("lee")
	if r := e.do(lead, "POST", "/api/v1/models", "", "application/json", strings.NewReader(strings.Replace(body, "elec2", "lead-made", 1))); r.Status != 201 {
		t.Fatalf("lead create: %d %s", r.Status, r.Body)
	}
	if r := e.do(e.client("ann"), "POST", "/api/v1/models", "", "application/json", strings.NewReader(strings.Replace(body, "elec2", "ann-made", 1))); r.Status != 403 {
		t.Fatalf("annotator create: %d %s", r.Status, r.Body)
	}
}

func (e *env) count(name string) (obs, labeled int64) {
	e.t.Helper()
	m, err := e.DB.FindModelByName(context.Background(), name)
	if err != nil {
		e.t.Fatal(err)
	}
	f, err := e.DB.Scan(context.Background(), m, store.ScanFilter{})
	if err != nil {
		e.t.Fatal(err)
	}
	if int64(f.Len()) != m.Stats.Observations {
		e.t.Fatalf("scan has %d rows, counts say %d", f.Len(), m.Stats.Observations)
	}
	return m.Stats.Observations, m.Stats.Labeled
}

func TestIngestFormats(t *testing.T) {
	e := newEnv(t)
	e.demoModel()
	tok := e.Tokens[ml.ScopeIngest]
	r := e.do(nil, "POST", "/api/v1/models/elec2/observations", tok, "text/csv", strings.NewReader(elec2CSV(t, 0, 100, true)))
	if r.Status != 200 || !strings.Contains(r.Body, `"accepted": 100`) {
		t.Fatalf("csv: %d %s", r.Status, r.Body)
	}
	nd := `{"id":"a","ts":"1996-05-09T00:00","day":"4","period":0,"nswprice":0.05,"nswdemand":0.4,"vicprice":0.003,"vicdemand":0.42,"transfer":0.41}
{"id":"b","ts":"1996-05-09T00:30","day":"4","period":0.02,"nswprice":0.06,"nswdemand":0.4,"vicprice":0.003,"vicdemand":0.42,"transfer":0.41,"label":1}
`
	r = e.do(nil, "POST", "/api/v1/models/elec2/observations", tok, "application/x-ndjson", strings.NewReader(nd))
	if r.Status != 200 || !strings.Contains(r.Body, `"accepted": 2`) {
		t.Fatalf("ndjson: %d %s", r.Status, r.Body)
	}
	js := `[{"ts":"1996-05-09T01:00:00Z","day":4,"period":0.04,"nswprice":0.07,"nswdemand":0.4,"vicprice":null,"vicdemand":0.42,"transfer":0.41,"label":0}]`
	r = e.do(nil, "POST", "/api/v1/models/elec2/observations", tok, "application/json; charset=utf-8", strings.NewReader(js))
	if r.Status != 200 || !strings.Contains(r.Body, `"accepted": 1`) {
		t.Fatalf("json: %d %s", r.Status, r.Body)
	}
	if obs, lab := e.count("elec2"); obs != 103 || lab != 102 {
		t.Fatalf("counts %d %d", obs, lab)
	}
	// Late label for "a", by entity id.
	r = e.do(nil, "POST", "/api/v1/models/elec2/labels", tok, "application/x-ndjson", strings.NewReader(`{"id":"a","label":1}`+"\n"))
	if r.Status != 200 || !strings.Contains(r.Body, `"new": 1`) {
		t.Fatalf("labels: %d %s", r.Status, r.Body)
	}
	if _, lab := e.count("elec2"); lab != 103 {
		t.Fatalf("labeled %d", lab)
	}
	r = e.do(nil, "POST", "/api/v1/models/elec2/labels", tok, "text/csv", strings.NewReader("id,label\na,0\nzzz,1\n"))
	if r.Status != 422 || !strings.Contains(r.Body, "line 3") || !strings.Contains(r.Body, "zzz") {
		t.Fatalf("unknown entity: %d %s", r.Status, r.Body)
	}
	// Counters show in /metrics.
	m := e.do(nil, "GET", "/metrics", "", "", nil)
	if !strings.Contains(m.Body, `freshet_ingested_rows_total{model="elec2",source="ingest"} 103`) ||
		!strings.Contains(m.Body, `freshet_http_requests_total{code="200",method="POST",route="/api/v1/models/{name}/observations"} 3`) {
		t.Fatalf("metrics:\n%s", m.Body)
	}
}

// TestBadInputStoresNothing sends inputs that are wrong in one place each;
// every one is rejected whole with its line and column, and the model's
// data is unchanged.
func TestBadInputStoresNothing(t *testing.T) {
	e := newEnv(t)
	e.demoModel()
	tok := e.Tokens[ml.ScopeIngest]
	good := elec2CSV(t, 0, 50, true)
	lines := strings.Split(strings.TrimSuffix(good, "\n"), "\n")
	with := func(line int, f func(string) string) string {
		ls := append([]string(nil), lines...)
		ls[line-1] = f(ls[line-1])
		return strings.Join(ls, "\n") + "\n"
	}
	setField := func(k int, v string) func(string) string {
		return func(l string) string { fs := strings.Split(l, ","); fs[k] = v; return strings.Join(fs, ",") }
	}
	cases := []struct {
		name, ctype, body string
		status            int
		want              []string
	}{
		{"non-numeric", "text/csv", with(40, setField(4, "abc")), 422, []string{"line 40", "column 5", "nswprice", "abc"}},
		{"bad timestamp", "text/csv", with(2, setField(1, "yesterday")), 422, []string{"line 2", "ts", "yesterday"}},
		{"unknown category", "text/csv", with(50, setField(2, "9")), 422, []string{"line 50", "day", `\"9\" is not an allowed value`}},
		{"bad label", "text/csv", with(3, setField(9, "2")), 422, []string{"line 3", "label"}},
		{"duplicate entity", "text/csv", with(20, setField(0, "0-3")), 422, []string{"line 20", "0-3"}},
		{"extra column", "text/csv", with(1, func(l string) string { return l + ",extra" }), 422, []string{"line 1", "extra"}},
		{"missing column", "text/csv", strings.ReplaceAll(good, ",transfer,", ",xfer,"), 422, []string{"transfer"}},
		{"ndjson bad value", "application/x-ndjson", `{"ts":"1996-05-09T00:00","day":"4","period":0,"nswprice":0.05,"nswdemand":0.4,"vicprice":0.003,"vicdemand":0.42,"transfer":0.41}` + "\n" +
			`{"ts":"1996-05-09T00:30","day":"4","period":0,"nswprice":"x","nswdemand":0.4,"vicprice":0.003,"vicdemand":0.42,"transfer":0.41}` + "\n", 422, []string{"line 2", "nswprice"}},
		{"json syntax", "application/json", "[{\"ts\": \"1996-05-09T00:00\",\n \"day\": }]", 422, []string{"line 2"}},
		{"unsupported type", "text/plain", good, 415, []string{"text/csv"}},
		{"empty", "text/csv", "", 422, []string{"no rows"}},
	}
	for _, c := range cases {
		r := e.do(nil, "POST", "/api/v1/models/elec2/observations", tok, c.ctype, strings.NewReader(c.body))
		if r.Status != c.status {
			t.Errorf("%s: status %d, want %d: %s", c.name, r.Status, c.status, r.Body)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(r.Body, w) {
				t.Errorf("%s: body lacks %q: %s", c.name, w, r.Body)
			}
		}
	}
	if obs, _ := e.count("elec2"); obs != 0 {
		t.Fatalf("bad inputs stored %d rows", obs)
	}
	// A duplicate of an entity stored by an earlier request: whole batch out.
	if r := e.do(nil, "POST", "/api/v1/models/elec2/observations", tok, "text/csv", strings.NewReader(elec2CSV(t, 0, 10, true))); r.Status != 200 {
		t.Fatalf("seed: %d %s", r.Status, r.Body)
	}
	r := e.do(nil, "POST", "/api/v1/models/elec2/observations", tok, "text/csv", strings.NewReader(elec2CSV(t, 5, 30, true)))
	if r.Status != 422 || !strings.Contains(r.Body, "already stored") {
		t.Fatalf("stored duplicate: %d %s", r.Status, r.Body)
	}
	if obs, _ := e.count("elec2"); obs != 10 {
		t.Fatalf("partial write: %d rows", obs)
	}
}

func TestIngestLimits(t *testing.T) {
	e := newEnv(t)
	e.demoModel()
	e.Server.MaxBody = 4096
	tok := e.Tokens[ml.ScopeIngest]
	r := e.do(nil, "POST", "/api/v1/models/elec2/observations", tok, "text/csv", strings.NewReader(elec2CSV(t, 0, 500, false)))
	if r.Status != 413 || !strings.Contains(r.Body, "4096") {
		t.Fatalf("oversize: %d %s", r.Status, r.Body)
	}
	e.Server.MaxBody = 1 << 20
	e.Server.MaxRows = 20
	r = e.do(nil, "POST", "/api/v1/models/elec2/observations", tok, "text/csv", strings.NewReader(elec2CSV(t, 0, 21, false)))
	if r.Status != 422 || !strings.Contains(r.Body, "too many rows") {
		t.Fatalf("rows: %d %s", r.Status, r.Body)
	}
	if obs, _ := e.count("elec2"); obs != 0 {
		t.Fatalf("stored %d", obs)
	}
}

func TestIngestScopesAndOrigin(t *testing.T) {
	e := newEnv(t)
	e.demoModel()
	body := elec2CSV(t, 0, 5, false)
	for _, c := range []struct {
		name   string
		client *http.Client
		token  string
		hdr    []string
		status int
	}{
		{"predict token", nil, e.Tokens[ml.ScopePredict], nil, 403},
		{"admin token", nil, e.Tokens[ml.ScopeAdmin], nil, 200},
		{"annotator session", e.client("ann"), "", nil, 403},
		{"lead session", e.client("lee"), "", nil, 200},
		{"cross-site browser post", e.client("lee"), "", []string{"Sec-Fetch-Site", "cross-site"}, 403},
		{"foreign origin", e.client("lee"), "", []string{"Origin", "https://evil.example"}, 403},
	} {
		r := e.do(c.client, "POST", "/api/v1/models/elec2/observations", c.token, "text/csv", strings.NewReader(body), c.hdr...)
		if r.Status != c.status {
			t.Errorf("%s: %d, want %d: %s", c.name, r.Status, c.status, r.Body)
		}
	}
	es, _ := e.DB.FindAudit(context.Background(), store.AuditFilter{Action: "access.denied"})
	if len(es) < 2 {
		t.Errorf("denials not audited: %+v", es)
	}
	es, _ = e.DB.FindAudit(context.Background(), store.AuditFilter{Action: "observations.ingest"})
	if len(es) != 2 || !strings.HasPrefix(es[1].Actor, "token:") || es[0].Actor != "user:lee" {
		t.Errorf("ingest audit: %+v", es)
	}
}

func TestModelConfigAPI(t *testing.T) {
	e := newEnv(t)
	e.demoModel()
	put := func(token, body string) resp {
		return e.do(nil, "PUT", "/api/v1/models/elec2/config", token, "application/json", strings.NewReader(body))
	}
	good := `{"demo":true,"monitor":{"window":"day","wasserstein":0.3,"correction":"bh"},"trainer":{"train":{"rounds":50}}}`
	if r := put(e.Tokens[ml.ScopeIngest], good); r.Status != 403 {
		t.Fatalf("ingest scope: %d", r.Status)
	}
	r := put(e.Tokens[ml.ScopeAdmin], good)
	if r.Status != 200 || !strings.Contains(r.Body, `"wasserstein": 0.3`) {
		t.Fatalf("update: %d %s", r.Status, r.Body)
	}
	for _, bad := range []string{
		`{"monitor":{"window":"fortnight"}}`,
		`{"monitor":{"wasserstein":3}}`,
		`{"trainer":{"kind":"external"}}`,
		`{"trainer":{"kind":"external","command":["x"],"timeout":"forever"}}`,
		`{"monitor":{"colour":1}}`,
	} {
		if r := put(e.Tokens[ml.ScopeAdmin], bad); r.Status != 400 && r.Status != 422 {
			t.Errorf("%s: %d %s", bad, r.Status, r.Body)
		}
	}
	m, _ := e.DB.FindModelByName(context.Background(), "elec2")
	if m.Config.Monitor.Window != "day" || m.Config.Monitor.Wasserstein != 0.3 || m.Config.Trainer.Train.Rounds != 50 {
		t.Fatalf("config after bad updates: %+v", m.Config)
	}
	es, _ := e.DB.FindAudit(context.Background(), store.AuditFilter{Action: "model.config"})
	if len(es) != 1 {
		t.Fatalf("audit: %+v", es)
	}
}
