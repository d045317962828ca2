package handlers_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/freshet/freshet/jobs"
	"github.com/freshet/freshet/ml"
)

func TestDriftAndDecayAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m := e.demoModel()
	// Before any version: empty, not an error.
	r := e.do(nil, "GET", "/api/v1/models/elec2/drift", e.Tokens[ml.ScopeIngest], "", nil)
	if r.Status != 200 || !strings.Contains(r.Body, `"windows": []`) {
		t.Fatalf("empty drift: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/models/elec2/observations", e.Tokens[ml.ScopeIngest], "text/csv", strings.NewReader(elec2CSV(t, 0, 3000, true))); r.Status != 200 {
		t.Fatal(r.Body)
	}
	if _, err := jobs.Retrain(ctx, e.DB, t.TempDir(), jobs.RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	// Two more weeks through /predict, so they carry scores; labels later.
	if r := e.do(nil, "POST", "/api/v1/models/elec2/predict", e.Tokens[ml.ScopePredict], "text/csv", strings.NewReader(elec2CSV(t, 3000, 3672, true))); r.Status != 200 {
		t.Fatal(r.Body)
	}
	var labels strings.Builder
	labels.WriteString("id,label\n")
	for _, line := range strings.Split(strings.TrimSpace(elec2CSV(t, 3000, 3600, true)), "\n")[1:] {
		f := strings.Split(line, ",")
		labels.WriteString(f[0] + "," + f[len(f)-1] + "\n")
	}
	if r := e.do(nil, "POST", "/api/v1/models/elec2/labels", e.Tokens[ml.ScopeIngest], "text/csv", strings.NewReader(labels.String())); r.Status != 200 {
		t.Fatal(r.Body)
	}
	m, _ = e.DB.FindModelByName(ctx, "elec2")
	if _, err := (&jobs.Monitor{DB: e.DB, Serving: e.Server.Serving}).RunModel(ctx, m); err != nil {
		t.Fatal(err)
	}
	r = e.do(nil, "GET", "/api/v1/models/elec2/drift?windows=5", e.Tokens[ml.ScopeIngest], "", nil)
	var d struct {
		Window  string
		Windows []struct {
			Rows     int
			Features []struct {
				Name  string
				Ratio *float64
			}
		}
	}
	if err := json.Unmarshal([]byte(r.Body), &d); err != nil || r.Status != 200 || len(d.Windows) != 5 || len(d.Windows[0].Features) != 7 || d.Window != "week" {
		t.Fatalf("drift: %d %v %s", r.Status, err, r.Body[:min(300, len(r.Body))])
	}
	r = e.do(nil, "GET", "/api/v1/models/elec2/decay", e.Tokens[ml.ScopeIngest], "", nil)
	var p struct {
		Baseline map[string]float64
		Windows  []struct {
			Scored       int
			AUC          *float64
			EstimatedAUC *float64 `json:"estimated_auc"`
		}
	}
	if err := json.Unmarshal([]byte(r.Body), &p); err != nil || p.Baseline["auc"] == 0 {
		t.Fatalf("decay: %v %s", err, r.Body[:min(300, len(r.Body))])
	}
	scored := false
	for _, w := range p.Windows {
		if w.Scored > 0 && w.AUC != nil && w.EstimatedAUC != nil {
			scored = true
		}
	}
	if !scored {
		t.Fatalf("no scored window with AUC and its estimate: %s", r.Body)
	}
	// The model page renders the monitoring section; the distribution
	// fragment swaps by feature.
	page := e.do(e.client("ann"), "GET", "/models/elec2", "", "", nil)
	if !strings.Contains(page.Body, `data-testid="drift-heatmap"`) || !strings.Contains(page.Body, `data-testid="decay-chart"`) {
		t.Fatal("model page lacks the monitoring section")
	}
	frag := e.do(e.client("ann"), "GET", "/models/elec2/distribution?feature=vicprice", "", "", nil, "HX-Request", "true")
	if frag.Status != 200 || strings.Contains(frag.Body, "<html") || !strings.Contains(frag.Body, `data-feature="vicprice"`) {
		t.Fatalf("distribution fragment: %d %s", frag.Status, frag.Body)
	}
	mon := e.do(e.client("ann"), "GET", "/models/elec2/monitoring", "", "", nil, "HX-Request", "true")
	if mon.Status != 200 || strings.Contains(mon.Body, "<html") || !strings.Contains(mon.Body, `data-testid="drift-table"`) {
		t.Fatalf("monitoring fragment: %d", mon.Status)
	}
	if full := e.do(e.client("ann"), "GET", "/models/elec2/monitoring", "", "", nil); full.Status != 303 {
		t.Fatalf("monitoring without htmx: %d", full.Status)
	}
	if full := e.do(e.client("ann"), "GET", "/models/elec2/distribution?feature=vicprice", "", "", nil); full.Status != 400 {
		t.Fatalf("distribution without htmx: %d", full.Status)
	}
}
