package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/gate"
	"github.com/freshet/freshet/web"
)

// renderGate renders the decision page for a decision whose stored report
// is rep (ml/gate's) with the extra sections jobs adds to it.
func renderGate(t *testing.T, d *ml.GateDecision, rep *gate.Report, extra map[string]any) string {
	t.Helper()
	raw, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var all map[string]any
	if err := json.Unmarshal(raw, &all); err != nil {
		t.Fatal(err)
	}
	for k, v := range extra {
		all[k] = v
	}
	if d.Report, err = json.Marshal(all); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := web.GatePage(web.GateView{D: d, Report: rep, Alpha: 0.05}, gateRows(d.Report, rep.Pass)).Render(context.Background(), &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

// testReport is a passing report on n rows with two checks.
func testReport(n int, pass bool) *gate.Report {
	sig := gate.Check{Name: gate.CheckSignificance, Pass: pass, Value: 0.01, Threshold: 0.05, Detail: "one-sided p(worse)"}
	rep := &gate.Report{Pass: pass, Task: ml.TaskBinary, Metric: ml.MetricAUC, N: n,
		Champion: map[string]float64{"auc": 0.84}, Challenger: map[string]float64{"auc": 0.86},
		Diff:   &gate.Difference{Value: 0.02, CILo: 0.005, CIHi: 0.035, Test: "paired bootstrap", P: 0.012},
		Checks: []gate.Check{{Name: gate.CheckFloor, Pass: true, Skipped: true}, sig}}
	if !pass {
		rep.Challenger["auc"], rep.Diff.Value = 0.79, -0.05
		rep.Reasons = []string{"auc significantly worse than the champion's"}
	}
	return rep
}

// TestGatePageRowVariants: the decision page says how each kind of rows
// was chosen — a recorded holdout verified or with late labels, the rows
// after an online snapshot, the newest rows of a version with no data —
// and, for a re-judgement on shadow rows that failed a holdout pass, that
// it superseded it.
func TestGatePageRowVariants(t *testing.T) {
	d := func(status string, pass bool) *ml.GateDecision {
		return &ml.GateDecision{ID: 7, Model: "elec2", ChallengerNumber: 3, ChampionNumber: 2, Status: status, Pass: pass, HoldoutRows: 330}
	}
	cases := []struct {
		name      string
		d         *ml.GateDecision
		rep       *gate.Report
		extra     map[string]any
		want, not []string
	}{
		{
			name: "late labels",
			d:    d(ml.GatePending, true), rep: testReport(330, true),
			extra: map[string]any{"holdout": map[string]any{"source": "recorded holdout", "first_id": 2701, "to_id": 3000, "rows": 330, "recorded": 300, "verified": false}},
			want: []string{`data-kind="recorded"`, "<b>330 rows</b> after the challenger's training window", "from row 2,701 in time order (ids up to 3,000)",
				"late labels added", "30 rows labeled since training, added to the 300 it recorded"},
			not: []string{"not verified", `data-testid="gate-rejudge"`, "Checks on the held-out rows"},
		},
		{
			name: "no metrics recorded",
			d:    d(ml.GatePending, true), rep: testReport(300, true),
			extra: map[string]any{"holdout": map[string]any{"source": "recorded holdout", "first_id": 2701, "to_id": 3000, "rows": 300, "recorded": 300}},
			want:  []string{"not verified", "recorded no metrics"},
			not:   []string{"late labels added", "metrics match"},
		},
		{
			name: "online snapshot",
			d:    d(ml.GateAutoPromoted, true), rep: testReport(200, true),
			extra: map[string]any{"holdout": map[string]any{"source": "after its data", "after_id": 600, "to_id": 800, "rows": 200}},
			want:  []string{`data-kind="after"`, "<b>200 rows labeled after the snapshot</b> (ids after 600, up to 800)", "never learned these rows"},
			not:   []string{"verified", "training window"},
		},
		{
			name: "no data recorded",
			d:    d(ml.GatePending, true), rep: testReport(2000, true),
			extra: map[string]any{"holdout": map[string]any{"source": "newest rows", "rows": 2000}},
			want:  []string{`data-kind="newest"`, "may have learned them", "the newest 2,000 labeled rows"},
		},
		{
			name: "shadow superseded",
			d:    d(ml.GateFailed, false), rep: testReport(300, true),
			extra: map[string]any{
				"holdout": map[string]any{"source": "recorded holdout", "first_id": 2701, "to_id": 3000, "rows": 300, "recorded": 300, "verified": true},
				"shadow": func() map[string]any {
					raw, _ := json.Marshal(testReport(250, false))
					var m map[string]any
					json.Unmarshal(raw, &m)
					m["rows"] = map[string]any{"source": "shadow", "after_id": 3000, "to_id": 3250, "rows": 250}
					m["summary"] = "auc 0.79 vs v2's 0.84"
					return m
				}(),
			},
			want: []string{"verified", "300 rows, as many as it recorded, and its metrics on them match",
				`data-testid="gate-rejudge"`, "Judged again on 250 live rows", "ids after 3,000 up to 3,250",
				"<b>Superseded</b> the holdout's pass: the decision is now failed.", "auc significantly worse than the champion&#39;s",
				`data-testid="gate-rejudge-checks"`, "Checks on the held-out rows"},
			not: []string{"Confirmed"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			page := renderGate(t, c.d, c.rep, c.extra)
			for _, s := range c.want {
				if !strings.Contains(page, s) {
					t.Errorf("page lacks %q", s)
				}
			}
			for _, s := range c.not {
				if strings.Contains(page, s) {
					t.Errorf("page has %q", s)
				}
			}
		})
	}
	// A decision stored before the report named its rows shows no such card.
	if page := renderGate(t, d(ml.GatePending, true), testReport(300, true), nil); strings.Contains(page, `data-testid="gate-holdout"`) {
		t.Errorf("a report without a holdout section got a holdout card")
	}
}
