package handlers_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

// TestGateForm: the policy page edits the promotion gate too, validated
// on the server with the field named, saved with the policy as one
// audited change of the model's config.
func TestGateForm(t *testing.T) {
	e := newEnv(t)
	e.demoModel()
	lee := e.client("lee")
	ctx := context.Background()
	r := e.do(lee, "GET", "/models/elec2/policy", "", "", nil)
	// The demo model's gate: auto, a 672-label watch.
	if r.Status != 200 || !strings.Contains(r.Body, `data-testid="gate-settings"`) || !strings.Contains(r.Body, `<option value="auto" selected>`) ||
		!strings.Contains(r.Body, `name="gate_watch_labels" value="672"`) || !strings.Contains(r.Body, `<option value="drop" selected>`) {
		t.Fatalf("form: %d %s", r.Status, r.Body)
	}
	policy := url.Values{"strategy": {"auto"}, "window_kind": {"expanding"}, "combine": {"any"}}
	post := func(v url.Values) resp {
		t.Helper()
		return e.do(lee, "POST", "/models/elec2/policy", "", "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
	}
	// Without the gate's fields (an older form, a script): the gate is
	// left as it is.
	if r := post(policy); r.Status != 303 {
		t.Fatalf("policy only: %d %s", r.Status, r.Body)
	}
	if m, _ := e.DB.FindModelByName(ctx, "elec2"); m.Config.Gate.Mode != ml.GateAuto || m.Config.Gate.WatchLabels != 672 {
		t.Fatalf("a policy-only save changed the gate: %+v", m.Config.Gate)
	}

	form := url.Values{}
	for k, v := range policy {
		form[k] = v
	}
	for k, v := range map[string]string{
		"gate_form": "1", "gate_mode": "approval", "gate_floor": "0.7", "gate_min_improvement": "-0.005", "gate_alpha": "0.01",
		"gate_slice_test": "noninferiority", "gate_slice_margin": "0.03", "gate_min_slice_rows": "1,000", "gate_max_ece": "0.1",
		"gate_strict_calibration": "1", "gate_max_score_shift": "0.5", "gate_max_model_mib": "16", "gate_max_p99_micros": "800",
		"gate_bootstrap": "2000", "gate_watch_labels": "-1", "gate_require_significant": "1",
	} {
		form.Set(k, v)
	}
	if r := post(form); r.Status != 303 {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	m, _ := e.DB.FindModelByName(ctx, "elec2")
	want := ml.GateConfig{Mode: ml.GateApproval, Floor: 0.7, MinImprovement: -0.005, RequireSignificant: true, Alpha: 0.01,
		SliceMargin: 0.03, MinSliceRows: 1000, SliceTest: ml.SliceTestNonInferiority, MaxECE: 0.1, StrictCalibration: true,
		MaxScoreShift: 0.5, MaxModelBytes: 16 << 20, MaxP99Micros: 800, Bootstrap: 2000, WatchLabels: -1}
	if m.Config.Gate != want {
		t.Fatalf("saved %+v\nwant  %+v", m.Config.Gate, want)
	}
	a, err := e.DB.FindAudit(ctx, store.AuditFilter{Action: "model.config", Target: "model:elec2", Limit: 1})
	if err != nil || len(a) != 1 || a[0].Actor != "user:lee" || !strings.Contains(a[0].Detail, `"slice_test":"noninferiority"`) {
		t.Fatalf("audit %+v, %v", a, err)
	}
	// The form shows what was saved.
	r = e.do(lee, "GET", "/models/elec2/policy", "", "", nil)
	for _, s := range []string{`<option value="noninferiority" selected>`, `name="gate_max_model_mib" value="16"`, `name="gate_min_slice_rows" value="1000"`,
		`name="gate_strict_calibration" value="1" checked`, `name="gate_strict_score_shift" value="1">`} {
		if !strings.Contains(r.Body, s) {
			t.Errorf("saved form lacks %s", s)
		}
	}

	// Refused: the problem named, the form shown as sent, nothing changed.
	for _, c := range []struct{ field, value, msg string }{
		{"gate_alpha", "0.7", "gate alpha 0.7: use a level between 0 and 0.5"},
		{"gate_alpha", "often", `gate alpha &#34;often&#34; is not a number`},
		{"gate_slice_test", "equivalence", "gate slice_test &#34;equivalence&#34;: use drop or noninferiority"},
		{"gate_min_slice_rows", "12.5", "gate min slice rows must be a whole number"},
		{"gate_max_ece", "2", "gate max_ece 2: use 0 to 1"},
		{"gate_max_model_mib", "-3", "gate max model MiB -3"},
		{"gate_mode", "yolo", "gate mode &#34;yolo&#34;: use auto or approval"},
	} {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set(c.field, c.value)
		bad.Set("gate_floor", "0.75")
		r := post(bad)
		if r.Status != 422 || !strings.Contains(r.Body, c.msg) || !strings.Contains(r.Body, "Nothing was changed") || !strings.Contains(r.Body, `name="gate_floor" value="0.75"`) {
			t.Errorf("%s=%s: %d, want 422 with %q", c.field, c.value, r.Status, c.msg)
		}
	}
	// A policy error and a gate error are named together.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("priority", "two")
	bad.Set("gate_bootstrap", "many")
	if r := post(bad); r.Status != 422 || !strings.Contains(r.Body, "priority &#34;two&#34; is not a number") || !strings.Contains(r.Body, "gate bootstrap &#34;many&#34; is not a number") {
		t.Errorf("two errors: %d", r.Status)
	}
	if m2, _ := e.DB.FindModelByName(ctx, "elec2"); m2.Config.Gate != want {
		t.Fatalf("a refused form changed the gate: %+v", m2.Config.Gate)
	}
	// Leads only, as the policy.
	if r := e.do(e.client("ann"), "POST", "/models/elec2/policy", "", "application/x-www-form-urlencoded", strings.NewReader(form.Encode())); r.Status != 403 {
		t.Errorf("annotator saves the gate: %d", r.Status)
	}
}
