package ml

import (
	"strings"
	"testing"
)

// TestGateConfigRows covers fresh_rows and shadow_rows: their defaults
// (the gate's former constants), and a value out of range refused with a
// message that names the field.
func TestGateConfigRows(t *testing.T) {
	t.Parallel()
	if got := (GateConfig{}).WithDefaults(); got.FreshRows != 100 || got.ShadowRows != 200 {
		t.Errorf("defaults: fresh_rows %d, shadow_rows %d; want 100 and 200", got.FreshRows, got.ShadowRows)
	}
	if got := (GateConfig{FreshRows: 30, ShadowRows: 50}).WithDefaults(); got.FreshRows != 30 || got.ShadowRows != 50 {
		t.Errorf("set values replaced by defaults: fresh_rows %d, shadow_rows %d", got.FreshRows, got.ShadowRows)
	}
	for _, g := range []GateConfig{{FreshRows: 1}, {ShadowRows: 1}, {FreshRows: 1_000_000, ShadowRows: 1_000_000}} {
		if err := g.validate(); err != nil {
			t.Errorf("%+v: %v", g, err)
		}
	}
	for _, c := range []struct {
		g    GateConfig
		want string
	}{
		{GateConfig{FreshRows: -1}, "gate fresh_rows -1: use 1 to 1,000,000"},
		{GateConfig{FreshRows: 1_000_001}, "gate fresh_rows 1000001: "},
		{GateConfig{ShadowRows: -5}, "gate shadow_rows -5: use 1 to 1,000,000"},
		{GateConfig{ShadowRows: 2_000_000}, "gate shadow_rows 2000000: "},
	} {
		err := c.g.validate()
		if ErrorCode(err) != EINVALID || !strings.HasPrefix(ErrorMessage(err), c.want) {
			t.Errorf("%+v: %v, want %q", c.g, err, c.want)
		}
	}
	// Through the model's own validation, as the API and the form reach it.
	m := &Model{Config: ModelConfig{Gate: GateConfig{ShadowRows: -1}}}
	if err := m.Validate(); err == nil || !strings.Contains(ErrorMessage(err), "shadow_rows") {
		t.Errorf("model with shadow_rows -1: %v", err)
	}
}
