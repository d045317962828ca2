package web

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/gate"
)

// GatesView is the gates page.
type GatesView struct {
	Nav
	Decisions []*ml.GateDecision
}

// GateView is one gate decision's page.
type GateView struct {
	Nav
	D      *ml.GateDecision
	Report *gate.Report
	Alpha  float64
	Flash  *Flash
	Shadow *ShadowView
}

// ShadowView is what shadow traffic showed: rows the challenger scored
// live, those labeled since, and the paired test on them (challenger as
// "new", champion as "old").
type ShadowView struct {
	Scored, Labeled int
	Test            *gate.DropTest
	Note            string
}

// VersionsView is a model's registry page.
type VersionsView struct {
	Nav
	Model       *ml.Model
	Versions    []*ml.Version
	Deployments []*ml.Deployment
	Gates       map[int64]*ml.GateDecision // by challenger version id
	CanRollback bool
	Flash       *Flash
}

// VersionName names a version by id: "v3".
func (v VersionsView) VersionName(id int64) string {
	if id == 0 {
		return "–"
	}
	for _, x := range v.Versions {
		if x.ID == id {
			return "v" + strconv.Itoa(x.Number)
		}
	}
	return fmt.Sprintf("#%d", id)
}

// ParentName is a version's parent: "v2", or "–".
func (v VersionsView) ParentName(x *ml.Version) string { return v.VersionName(x.ParentID) }

// GateURL is a decision's page.
func GateURL(d *ml.GateDecision) string { return fmt.Sprintf("/models/%s/gates/%d", d.Model, d.ID) }

// GatePill is a decision status's pill class.
func GatePill(s string) string {
	switch s {
	case ml.GateApproved, ml.GateAutoPromoted:
		return "pill ok"
	case ml.GateFailed, ml.GateRejected:
		return "pill bad"
	case ml.GatePending:
		return "pill warn"
	}
	return "pill"
}

// VersionPill is a version status's pill class.
func VersionPill(s string) string {
	switch s {
	case ml.StatusChampion:
		return "pill ok"
	case ml.StatusRejected, ml.StatusRolledBack:
		return "pill bad"
	case ml.StatusCandidate:
		return "pill warn"
	}
	return "pill"
}

// DeployPill is a deployment kind's pill class.
func DeployPill(k string) string {
	if k == ml.DeployPromote {
		return "pill info"
	}
	return "pill bad"
}

// WatchPill is a watch state's pill class.
func WatchPill(s string) string {
	switch s {
	case ml.WatchWatching:
		return "pill warn"
	case ml.WatchPassed:
		return "pill ok"
	case ml.WatchRolledBack:
		return "pill bad"
	}
	return "pill"
}

// WatchText reads a watch's result.
func WatchText(raw json.RawMessage) string {
	var r struct {
		Text  string `json:"text"`
		Ended string `json:"ended"`
	}
	if json.Unmarshal(raw, &r) != nil {
		return ""
	}
	if r.Text != "" {
		return r.Text
	}
	return r.Ended
}

// MetricKeys lists a metric map's keys in a fixed, readable order.
func MetricKeys(m map[string]float64) []string {
	order := map[string]int{ml.MetricAUC: 0, ml.MetricAccuracy: 1, ml.MetricLogLoss: 2, ml.MetricF1: 3, "brier": 4, ml.MetricRMSE: 5, "mae": 6}
	var keys []string
	for k := range m {
		if k != "rows" {
			keys = append(keys, k)
		}
	}
	sort.Slice(keys, func(a, b int) bool {
		oa, ok := order[keys[a]]
		if !ok {
			oa = 99
		}
		ob, ok := order[keys[b]]
		if !ok {
			ob = 99
		}
		if oa != ob {
			return oa < ob
		}
		return keys[a] < keys[b]
	})
	return keys
}

// MetricOf formats one metric of a map ("–" when absent).
func MetricOf(m map[string]float64, k string) string {
	x, ok := m[k]
	if !ok {
		return "–"
	}
	return Num(x)
}

// MetricChange is challenger − champion with an arrow for better/worse.
func MetricChange(champ, chal map[string]float64, k string) string {
	a, ok1 := champ[k]
	b, ok2 := chal[k]
	if !ok1 || !ok2 || math.IsNaN(a) || math.IsNaN(b) {
		return "–"
	}
	d := b - a
	better := d > 0
	if gate.LowerIsBetter(k) {
		better = d < 0
	}
	arrow := "▼"
	if better {
		arrow = "▲"
	}
	if d == 0 {
		arrow = "="
	}
	return Signed(d) + " " + arrow
}

// Num formats a statistic: 4 significant digits, "–" for NaN.
func Num(x float64) string {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return "–"
	}
	return strconv.FormatFloat(x, 'g', 4, 64)
}

// Signed formats a difference with its sign.
func Signed(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return fmt.Sprintf("%+.4f", x)
}

// P3 formats a p-value.
func P3(p float64) string {
	switch {
	case math.IsNaN(p):
		return "–"
	case p < 0.001:
		return "< 0.001"
	}
	return strconv.FormatFloat(p, 'f', 3, 64)
}

// CIPositions maps zero, the interval and the value onto a 10..390 axis.
func CIPositions(v, lo, hi float64) (x0, xlo, xhi, xv string) {
	a, b := math.Min(math.Min(lo, 0), v), math.Max(math.Max(hi, 0), v)
	if b-a < 1e-9 {
		a, b = a-0.01, b+0.01
	}
	pad := (b - a) * 0.12
	a, b = a-pad, b+pad
	pos := func(x float64) string {
		if math.IsNaN(x) {
			x = 0
		}
		return strconv.FormatFloat(10+380*(x-a)/(b-a), 'f', 1, 64)
	}
	return pos(0), pos(lo), pos(hi), pos(v)
}

// CIColor is green when the interval is above zero, red when below.
func CIColor(lo, hi float64) string {
	switch {
	case lo > 0:
		return "#1a9e5f"
	case hi < 0:
		return "#d3343b"
	}
	return "#1f7ae0"
}

// CalibrationJSON is the calibration chart's data.
func CalibrationJSON(c *gate.Calibration) string {
	type pt struct {
		X, Y float64
		N    int
	}
	conv := func(bins []gate.CalBin) []pt {
		out := []pt{}
		for _, b := range bins {
			if b.N > 0 {
				out = append(out, pt{b.MeanScore, b.FracPositive, b.N})
			}
		}
		return out
	}
	b, _ := json.Marshal(map[string]any{"champion": conv(c.Champion), "challenger": conv(c.Challenger)})
	return string(b)
}

// PEq is "p = 0.13" or "p < 0.001".
func PEq(p float64) string {
	s := P3(p)
	if strings.HasPrefix(s, "<") {
		return "p " + s
	}
	return "p = " + s
}
