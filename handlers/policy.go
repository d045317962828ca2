package handlers

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
	"github.com/freshet/freshet/web"
)

// handlePolicyView is the form that edits a model's retraining policy.
func (s *Server) handlePolicyView(w http.ResponseWriter, r *http.Request) error {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return err
	}
	render(w, r, http.StatusOK, web.PolicyPage(web.PolicyView{Nav: navFor(r, "models", m.Name+" · policy"), Model: m, P: m.Config.Policy}))
	return nil
}

// handlePolicySave validates the whole form and saves it, or shows it
// again with the problem named and nothing changed. The form holds the
// promotion gate's settings too (marked by its gate_form field, so that a
// post of the policy fields alone leaves the gate as it is); both are
// saved, and audited, as one change of the model's config.
func (s *Server) handlePolicySave(w http.ResponseWriter, r *http.Request) error {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return ml.Errorf(ml.EINVALID, "bad form: %v", err)
	}
	cfg := m.Config
	p, err := policyFromForm(r)
	cfg.Policy = p
	if r.PostFormValue("gate_form") != "" {
		var gerr error
		cfg.Gate, gerr = gateFromForm(r)
		err = joinInvalid(err, gerr)
	}
	if err == nil {
		_, err = s.DB.UpdateModelConfig(r.Context(), actorFrom(r), m.Name, cfg)
	}
	if err != nil {
		if ml.ErrorCode(err) != ml.EINVALID {
			return err
		}
		// The form again as it was sent: the gate fields are read from
		// the model, so a copy carries the sent ones.
		sent := *m
		sent.Config.Gate = cfg.Gate
		v := web.PolicyView{Nav: navFor(r, "models", m.Name+" · policy"), Model: &sent, P: p, Flash: &web.Flash{Kind: "bad", Text: ml.ErrorMessage(err) + " Nothing was changed."}}
		render(w, r, http.StatusUnprocessableEntity, web.PolicyPage(v))
		return nil
	}
	redirect(w, r, "/models/"+m.Name+"#policy")
	return nil
}

// formReader reads the numbers of a posted form and collects the fields
// that are not numbers, by name ("gate alpha "x" is not a number").
type formReader struct {
	r    *http.Request
	errs []string
}

// num is the field as a number (commas allowed as thousands separators); 0
// when empty.
func (f *formReader) num(name string) float64 {
	v := strings.TrimSpace(f.r.PostFormValue(name))
	if v == "" {
		return 0
	}
	x, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		f.errs = append(f.errs, fmt.Sprintf("%s %q is not a number", strings.ReplaceAll(name, "_", " "), v))
		return 0
	}
	return x
}

// integer is the field as a whole number; 0 when empty.
func (f *formReader) integer(name string) int {
	x := f.num(name)
	if x != float64(int(x)) {
		f.errs = append(f.errs, fmt.Sprintf("%s must be a whole number", strings.ReplaceAll(name, "_", " ")))
	}
	return int(x)
}

// on reports whether a checkbox is ticked.
func (f *formReader) on(name string) bool { return f.r.PostFormValue(name) != "" }

// err is an EINVALID error naming every field that is not a number.
func (f *formReader) err() error {
	if len(f.errs) == 0 {
		return nil
	}
	return ml.Errorf(ml.EINVALID, "%s.", strings.Join(f.errs, "; "))
}

// joinInvalid puts two form errors into one message; any other error
// wins.
func joinInvalid(a, b error) error {
	switch {
	case a == nil:
		return b
	case b == nil:
		return a
	case ml.ErrorCode(a) != ml.EINVALID:
		return a
	case ml.ErrorCode(b) != ml.EINVALID:
		return b
	}
	return ml.Errorf(ml.EINVALID, "%s %s", ml.ErrorMessage(a), ml.ErrorMessage(b))
}

// policyFromForm reads the policy form; a field that is not a number is
// an EINVALID error naming it. Semantic checks are the model's.
func policyFromForm(r *http.Request) (ml.PolicyConfig, error) {
	var p ml.PolicyConfig
	f := &formReader{r: r}
	num, integer, on := f.num, f.integer, f.on
	p.Combine = r.PostFormValue("combine")
	p.AtLeast = integer("at_least")
	p.Schedule = strings.TrimSpace(r.PostFormValue("schedule"))
	p.TimeZone = strings.TrimSpace(r.PostFormValue("time_zone"))
	if on("drift") {
		p.Drift = &ml.DriftTrigger{Share: num("drift_share"), Unweighted: on("drift_unweighted"), Prediction: on("drift_prediction")}
	}
	if on("decay") {
		p.Decay = &ml.DecayTrigger{SignificantOnly: on("decay_significant_only"), MinLabeled: integer("decay_min_labeled")}
	}
	if n := integer("volume_labels"); n != 0 {
		p.Volume = &ml.VolumeTrigger{Labels: n}
	}
	if x := num("value_per_point"); x != 0 {
		p.CostAware = &ml.CostAwareTrigger{ValuePerPoint: x}
	}
	p.Alpha = num("alpha")
	p.Cooldown = strings.TrimSpace(r.PostFormValue("cooldown"))
	p.Priority = integer("priority")
	p.DailyCPU = num("daily_cpu_seconds")
	p.WeeklyCPU = num("weekly_cpu_seconds")
	p.Strategy = r.PostFormValue("strategy")
	p.FullEvery = integer("full_every")
	p.WarmRounds = integer("warm_rounds")
	p.OnlineEvery = integer("online_every")
	p.Window = ml.DataWindow{Kind: r.PostFormValue("window_kind"), Rows: integer("window_rows"), Days: num("window_days"),
		HalfLifeDays: num("half_life_days"), MinRows: integer("min_rows"), HoldoutFrac: num("holdout_frac")}
	p.Validation = ml.ValidationConfig{MaxMissing: num("max_missing"), MaxOutOfRange: num("max_out_of_range"), MinMinority: num("min_minority")}
	return p, f.err()
}

// gateFromForm reads the promotion gate's fields of the policy form
// (gate_…; an empty field takes the default). The model size is entered
// in MiB. A field that is not a number is an EINVALID error naming it;
// ranges are GateConfig's to check.
func gateFromForm(r *http.Request) (ml.GateConfig, error) {
	f := &formReader{r: r}
	mib := f.num("gate_max_model_mib")
	if mib < 0 || mib > 1<<20 {
		f.errs = append(f.errs, fmt.Sprintf("gate max model MiB %v: use 0 (the default, 64) to 1,048,576", mib))
		mib = 0
	}
	g := ml.GateConfig{
		Mode:               r.PostFormValue("gate_mode"),
		Floor:              f.num("gate_floor"),
		MinImprovement:     f.num("gate_min_improvement"),
		RequireSignificant: f.on("gate_require_significant"),
		Alpha:              f.num("gate_alpha"),
		SliceTest:          r.PostFormValue("gate_slice_test"),
		SliceMargin:        f.num("gate_slice_margin"),
		MinSliceRows:       f.integer("gate_min_slice_rows"),
		MaxECE:             f.num("gate_max_ece"),
		StrictCalibration:  f.on("gate_strict_calibration"),
		MaxScoreShift:      f.num("gate_max_score_shift"),
		StrictScoreShift:   f.on("gate_strict_score_shift"),
		MaxModelBytes:      int64(math.Round(mib * (1 << 20))),
		MaxP99Micros:       f.num("gate_max_p99_micros"),
		Bootstrap:          f.integer("gate_bootstrap"),
		WatchLabels:        f.integer("gate_watch_labels"),
		FreshRows:          f.integer("gate_fresh_rows"),
		ShadowRows:         f.integer("gate_shadow_rows"),
		Shadow:             f.on("gate_shadow"),
	}
	return g, f.err()
}

// policyPanel gathers the model page's retraining card.
func (s *Server) policyPanel(r *http.Request, m *ml.Model) (web.PolicyPanel, error) {
	ctx := r.Context()
	now := time.Now()
	p := web.PolicyPanel{Describe: m.Config.Policy.Describe(), Policy: m.Config.Policy.WithDefaults()}
	var err error
	if p.UsedDay, err = s.DB.CPUUsed(ctx, m.ID, now.Add(-24*time.Hour)); err != nil {
		return p, err
	}
	if p.UsedWeek, err = s.DB.CPUUsed(ctx, m.ID, now.Add(-7*24*time.Hour)); err != nil {
		return p, err
	}
	if t := m.Config.Policy.NextRun(now); !t.IsZero() {
		p.NextRun = &t
	}
	if m.Config.Policy.Automatic() {
		last, err := s.DB.LastJobStart(ctx, m.ID)
		if err != nil {
			return p, err
		}
		if until := last.Add(m.Config.Policy.CooldownDuration()); !last.IsZero() && until.After(now) {
			p.Cooldown = &until
		}
	}
	js, err := s.DB.FindJobs(ctx, store.JobFilter{ModelID: m.ID, Active: true, Limit: 1})
	if err != nil {
		return p, err
	}
	if len(js) > 0 {
		p.ActiveJob = js[0]
	}
	if p.Events, err = s.DB.FindTriggers(ctx, m.ID, 30); err != nil {
		return p, err
	}
	return p, nil
}
