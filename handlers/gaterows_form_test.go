package handlers_test

import (
	"context"
	"net/url"
	"strings"
	"testing"
)

// TestGateFormRows: the gate settings hold fresh_rows and shadow_rows,
// saved from the form, shown again, and refused with the field named.
func TestGateFormRows(t *testing.T) {
	e := newEnv(t)
	e.demoModel()
	lee := e.client("lee")
	ctx := context.Background()
	r := e.do(lee, "GET", "/models/elec2/policy", "", "", nil)
	if r.Status != 200 || !strings.Contains(r.Body, `name="gate_fresh_rows" value="" placeholder="100"`) ||
		!strings.Contains(r.Body, `name="gate_shadow_rows" value="" placeholder="200"`) {
		t.Fatalf("form lacks the two fields with their defaults: %d", r.Status)
	}
	form := url.Values{"strategy": {"auto"}, "window_kind": {"expanding"}, "combine": {"any"}, "gate_form": {"1"}, "gate_mode": {"approval"},
		"gate_fresh_rows": {"50"}, "gate_shadow_rows": {"1,500"}}
	post := func(v url.Values) resp {
		t.Helper()
		return e.do(lee, "POST", "/models/elec2/policy", "", "application/x-www-form-urlencoded", strings.NewReader(v.Encode()))
	}
	if r := post(form); r.Status != 303 {
		t.Fatalf("save: %d %s", r.Status, r.Body)
	}
	m, _ := e.DB.FindModelByName(ctx, "elec2")
	if g := m.Config.Gate; g.FreshRows != 50 || g.ShadowRows != 1500 {
		t.Fatalf("saved fresh_rows %d, shadow_rows %d", g.FreshRows, g.ShadowRows)
	}
	r = e.do(lee, "GET", "/models/elec2/policy", "", "", nil)
	if !strings.Contains(r.Body, `name="gate_fresh_rows" value="50"`) || !strings.Contains(r.Body, `name="gate_shadow_rows" value="1500"`) {
		t.Errorf("the form does not show what was saved")
	}
	for _, c := range []struct{ field, value, msg string }{
		{"gate_fresh_rows", "-1", "gate fresh_rows -1: use 1 to 1,000,000"},
		{"gate_fresh_rows", "ten", "gate fresh rows &#34;ten&#34; is not a number"},
		{"gate_shadow_rows", "2000000", "gate shadow_rows 2000000: use 1 to 1,000,000"},
		{"gate_shadow_rows", "12.5", "gate shadow rows must be a whole number"},
	} {
		bad := url.Values{}
		for k, v := range form {
			bad[k] = v
		}
		bad.Set(c.field, c.value)
		if r := post(bad); r.Status != 422 || !strings.Contains(r.Body, c.msg) || !strings.Contains(r.Body, "Nothing was changed") {
			t.Errorf("%s=%s: %d, want 422 with %q", c.field, c.value, r.Status, c.msg)
		}
	}
	if m, _ := e.DB.FindModelByName(ctx, "elec2"); m.Config.Gate.FreshRows != 50 || m.Config.Gate.ShadowRows != 1500 {
		t.Errorf("a refused form changed them: %+v", m.Config.Gate)
	}
}
