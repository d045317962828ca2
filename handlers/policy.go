package handlers

import (
	"fmt"
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
// again with the problem named and nothing changed.
func (s *Server) handlePolicySave(w http.ResponseWriter, r *http.Request) error {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return ml.Errorf(ml.EINVALID, "bad form: %v", err)
	}
	p, err := policyFromForm(r)
	if err == nil {
		cfg := m.Config
		cfg.Policy = p
		_, err = s.DB.UpdateModelConfig(r.Context(), actorFrom(r), m.Name, cfg)
	}
	if err != nil {
		if ml.ErrorCode(err) != ml.EINVALID {
			return err
		}
		v := web.PolicyView{Nav: navFor(r, "models", m.Name+" · policy"), Model: m, P: p, Flash: &web.Flash{Kind: "bad", Text: ml.ErrorMessage(err) + " Nothing was changed."}}
		render(w, r, http.StatusUnprocessableEntity, web.PolicyPage(v))
		return nil
	}
	redirect(w, r, "/models/"+m.Name+"#policy")
	return nil
}

// policyFromForm reads the policy form; a field that is not a number is
// an EINVALID error naming it. Semantic checks are the model's.
func policyFromForm(r *http.Request) (ml.PolicyConfig, error) {
	var p ml.PolicyConfig
	var errs []string
	num := func(name string) float64 {
		v := strings.TrimSpace(r.PostFormValue(name))
		if v == "" {
			return 0
		}
		x, err := strconv.ParseFloat(strings.ReplaceAll(v, ",", ""), 64)
		if err != nil {
			errs = append(errs, fmt.Sprintf("%s %q is not a number", strings.ReplaceAll(name, "_", " "), v))
		}
		return x
	}
	integer := func(name string) int {
		x := num(name)
		if x != float64(int(x)) {
			errs = append(errs, fmt.Sprintf("%s must be a whole number", strings.ReplaceAll(name, "_", " ")))
		}
		return int(x)
	}
	on := func(name string) bool { return r.PostFormValue(name) != "" }
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
	if len(errs) > 0 {
		return p, ml.Errorf(ml.EINVALID, "%s.", strings.Join(errs, "; "))
	}
	return p, nil
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
