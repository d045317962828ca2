package handlers_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/web"
)

// TestGatePageShowsHoldoutAndShadowRejudgement: a pending challenger in
// shadow mode, trained and judged through the queue, then judged again
// once 250 of the live rows it shadow-scored are labeled. Its page says
// which rows the holdout verdict was reached on (its recorded holdout,
// verified) and shows the re-judgement: the live rows, the verdict, each
// check, and whether it confirmed or superseded the holdout's verdict.
func TestGatePageShowsHoldoutAndShadowRejudgement(t *testing.T) {
	if testing.Short() {
		t.Skip("trains two models")
	}
	ctx := context.Background()
	e := newEnv(t)
	_, d := pendingChallenger(t, e, true)
	if r := e.do(nil, "POST", "/api/v1/models/elec2/predict", e.Tokens[ml.ScopePredict], "text/csv", strings.NewReader(elec2CSV(t, 5000, 5250, false))); r.Status != 200 {
		t.Fatalf("predict: %d %s", r.Status, r.Body)
	}
	// The runner's own tick may have judged it already; either way it is
	// judged once.
	if _, err := e.Server.Jobs.Rejudge(ctx); err != nil {
		t.Fatal(err)
	}
	got, err := e.DB.FindGate(ctx, d.ID)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Pass    bool `json:"pass"`
		Holdout *struct {
			Rows     int   `json:"rows"`
			FirstID  int64 `json:"first_id"`
			Verified bool  `json:"verified"`
		} `json:"holdout"`
		Shadow *struct {
			Pass   bool `json:"pass"`
			N      int  `json:"n"`
			Checks []struct {
				Name string `json:"name"`
			} `json:"checks"`
		} `json:"shadow"`
	}
	if err := json.Unmarshal(got.Report, &rep); err != nil || rep.Holdout == nil || rep.Shadow == nil || !rep.Holdout.Verified || rep.Shadow.N != 250 {
		t.Fatalf("report: %v\n%s", err, got.Report)
	}

	page := e.do(e.client("lee"), "GET", "/models/elec2/gates/"+jobID(d.ID), "", "", nil)
	if page.Status != 200 {
		t.Fatalf("page: %d", page.Status)
	}
	want := []string{
		`data-testid="gate-holdout" data-kind="recorded"`,
		"<b>" + web.Int(rep.Holdout.Rows) + " rows</b> after the challenger's training window: the holdout it recorded, from row " + web.Int(rep.Holdout.FirstID) + " in time order",
		`<span class="pill ok">verified</span> ` + web.Int(rep.Holdout.Rows) + " rows, as many as it recorded, and its metrics on them match",
		`data-testid="gate-rejudge"`, "Judged again on 250 live rows", "labeled rows it shadow-scored, ids after ",
		`data-testid="gate-rejudge-checks"`, "Checks on the held-out rows",
	}
	if rep.Shadow.Pass {
		want = append(want, "<b>Confirmed</b> the holdout's pass; the decision is "+got.Status+".")
	} else {
		want = append(want, "<b>Superseded</b> the holdout's pass: the decision is now failed.")
	}
	// Every check of the re-judgement is a row of its table.
	_, shadowTable, _ := strings.Cut(page.Body, `data-testid="gate-rejudge-checks"`)
	shadowTable, _, _ = strings.Cut(shadowTable, "</table>")
	for _, c := range rep.Shadow.Checks {
		if !strings.Contains(shadowTable, `data-check="`+c.Name+`"`) {
			t.Errorf("the re-judgement's table lacks check %s", c.Name)
		}
	}
	for _, s := range want {
		if !strings.Contains(page.Body, s) {
			t.Errorf("page lacks %q", s)
		}
	}
}
