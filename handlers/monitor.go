package handlers

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/freshet/freshet/jobs"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/monitor"
	"github.com/freshet/freshet/web"
)

type apiFeatureDrift struct {
	Name      string   `json:"name"`
	Method    string   `json:"method"`
	Statistic *float64 `json:"statistic"`
	PValue    *float64 `json:"p_value"`
	Score     *float64 `json:"score"`
	Threshold float64  `json:"threshold"`
	Ratio     *float64 `json:"ratio"`
	PSI       *float64 `json:"psi"`
	Drifted   bool     `json:"drifted"`
	Weight    float64  `json:"importance"`
}

type apiWindowDrift struct {
	Start         int64                 `json:"start"`
	End           int64                 `json:"end"`
	Rows          int                   `json:"rows"`
	Drifted       int                   `json:"drifted_features"`
	Share         float64               `json:"share"`
	WeightedShare float64               `json:"weighted_share"`
	DatasetDrift  bool                  `json:"dataset_drift"`
	WeightedDrift bool                  `json:"weighted_drift"`
	Features      []apiFeatureDrift     `json:"features"`
	Prediction    *apiFeatureDrift      `json:"prediction,omitempty"`
	Multivariate  *monitor.Multivariate `json:"multivariate,omitempty"`
}

type apiPerf struct {
	Start       int64       `json:"start"`
	End         int64       `json:"end"`
	Labeled     int         `json:"labeled"`
	Scored      int         `json:"scored"`
	Accuracy    *float64    `json:"accuracy"`
	AUC         *float64    `json:"auc"`
	AUCStdErr   *float64    `json:"auc_stderr"`
	AccStdErr   *float64    `json:"accuracy_stderr"`
	LogLoss     *float64    `json:"logloss"`
	F1          *float64    `json:"f1"`
	RMSE        *float64    `json:"rmse"`
	Drop        *float64    `json:"drop"`
	PValue      *float64    `json:"p_value"`
	Significant bool        `json:"significant"`
	EstAccuracy *float64    `json:"estimated_accuracy"`
	EstAUC      *float64    `json:"estimated_auc"`
	Alarms      []string    `json:"alarms"`
	ErrorRate   *apiErrRate `json:"error_rate_vs_baseline,omitempty"`
}

type apiErrRate struct {
	Method string   `json:"method"`
	Diff   float64  `json:"diff"`
	Lower  *float64 `json:"lower"`
	Upper  *float64 `json:"upper"`
	PValue *float64 `json:"p_value"`
}

func (s *Server) health(r *http.Request) (*ml.Model, *jobs.Health, error) {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return nil, nil, err
	}
	n := 52
	if v, err := strconv.Atoi(r.URL.Query().Get("windows")); err == nil && v > 0 && v <= 1000 {
		n = v
	}
	h, err := s.monitor.Health(r.Context(), m, n)
	return m, h, err
}

func toAPIDrift(h *jobs.Health) []apiWindowDrift {
	out := make([]apiWindowDrift, 0, len(h.Drift))
	conv := func(f monitorFeature) apiFeatureDrift {
		return apiFeatureDrift{Name: f.Name, Method: string(f.Method), Statistic: ml.Finite(f.Statistic), PValue: ml.Finite(f.PValue), Score: ml.Finite(f.Score),
			Threshold: f.Threshold, Ratio: ml.Finite(f.Ratio), PSI: ml.Finite(f.PSI), Drifted: f.Drifted, Weight: f.Weight}
	}
	for _, d := range h.Drift {
		w := apiWindowDrift{Start: d.Start, End: d.End, Rows: d.Rows, Drifted: d.Drifted, Share: d.Share, WeightedShare: d.WeightedShare,
			DatasetDrift: d.DatasetDrift, WeightedDrift: d.WeightedDrift, Features: []apiFeatureDrift{}, Multivariate: d.Multi}
		for _, f := range d.Features {
			w.Features = append(w.Features, conv(f))
		}
		if d.Prediction != nil {
			p := conv(*d.Prediction)
			w.Prediction = &p
		}
		out = append(out, w)
	}
	return out
}

func toAPIPerf(h *jobs.Health) []apiPerf {
	out := make([]apiPerf, 0, len(h.Perf))
	for _, p := range h.Perf {
		var er *apiErrRate
		if e := p.ErrorRate; e != nil {
			er = &apiErrRate{Method: e.Method, Diff: e.Diff, Lower: e.Lower, Upper: e.Upper, PValue: ml.Finite(e.PValue)}
		}
		out = append(out, apiPerf{ErrorRate: er, Start: p.Start, End: p.End, Labeled: p.Labeled, Scored: p.Scored, Accuracy: ml.Finite(p.Accuracy), AUC: ml.Finite(p.AUC),
			AUCStdErr: ml.Finite(p.AUCStdErr), AccStdErr: ml.Finite(p.AccuracyStdErr), LogLoss: ml.Finite(p.LogLoss), F1: ml.Finite(p.F1), RMSE: ml.Finite(p.RMSE), Drop: ml.Finite(p.Drop), PValue: ml.Finite(p.PValue),
			Significant: p.Significant, EstAccuracy: ml.Finite(p.EstAccuracy), EstAUC: ml.Finite(p.EstAUC), Alarms: orNone(p.Alarms)})
	}
	return out
}

// handleDrift is GET …/drift: drift per window, oldest first.
func (s *Server) handleDrift(w http.ResponseWriter, r *http.Request) error {
	_, h, err := s.health(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": h.Model, "window": h.Window, "reference": h.Reference, "windows": toAPIDrift(h)})
	return nil
}

// handleDecay is GET …/decay: performance per window with the baseline.
func (s *Server) handleDecay(w http.ResponseWriter, r *http.Request) error {
	_, h, err := s.health(r)
	if err != nil {
		return err
	}
	var baseline map[string]float64
	if h.Reference != nil {
		baseline = h.Reference.Baseline
	}
	m, err := s.DB.FindModelByName(r.Context(), h.Model)
	if err != nil {
		return err
	}
	evs, err := s.DB.FindTriggers(r.Context(), m.ID, 200)
	if err != nil {
		return err
	}
	// Trigger events, placed at the observation time they saw up to.
	type mark struct {
		At       int64    `json:"at"` // unix ms, observation time
		Outcome  string   `json:"outcome"`
		Triggers []string `json:"triggers"`
		Text     string   `json:"text"`
		JobID    int64    `json:"job_id,omitempty"`
	}
	marks := []mark{}
	for _, e := range evs {
		if e.DataAt == nil {
			continue
		}
		text := strings.Join(e.Triggers, " + ")
		if e.Suppressed != "" {
			text += " — suppressed: " + e.Suppressed
		} else if e.Strategy != "" {
			text += " → " + web.Strategy(e.Strategy)
		}
		marks = append(marks, mark{At: e.DataAt.UnixMilli(), Outcome: e.Outcome, Triggers: e.Triggers, Text: text, JobID: e.JobID})
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": h.Model, "window": h.Window, "baseline": baseline, "windows": toAPIPerf(h), "triggers": marks})
	return nil
}

// handleDistribution renders the reference-vs-window distribution of one
// feature (the htmx feature selector swaps it in).
func (s *Server) handleDistribution(w http.ResponseWriter, r *http.Request) error {
	m, h, err := s.health(r)
	if err != nil {
		return err
	}
	v := distributionView(m, h, r.URL.Query().Get("feature"))
	varyHX(w)
	if isFragment(r) {
		render(w, r, http.StatusOK, web.Distribution(v))
		return nil
	}
	return ml.Errorf(ml.EINVALID, "this is an htmx fragment; open the model page")
}

type monitorFeature = monitor.FeatureDrift

// windowLabel names a window by its start date.
func windowLabel(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02") }

func heatClass(ratio float64, drifted bool) string {
	switch {
	case math.IsNaN(ratio):
		return "h-na"
	case drifted && ratio >= 3:
		return "h4"
	case drifted:
		return "h3"
	case ratio >= 0.7:
		return "h2"
	case ratio >= 0.35:
		return "h1"
	}
	return "h0"
}

// monitorView builds the model page's monitoring section; the
// distribution shows feature, or the most drifted one when "".
func monitorView(m *ml.Model, h *jobs.Health, feature string) web.MonitorView {
	v := web.MonitorView{Model: m.Name, Window: h.Window}
	if len(h.Drift) == 0 {
		return v
	}
	v.HasData = true
	v.ReferenceRows = h.Reference.Rows
	from := max(0, len(h.Drift)-26)
	for _, d := range h.Drift[from:] {
		v.HeatCols = append(v.HeatCols, windowLabel(d.Start))
	}
	for j, f := range h.Drift[len(h.Drift)-1].Features {
		row := web.HeatRow{Name: f.Name}
		for _, d := range h.Drift[from:] {
			if j >= len(d.Features) {
				continue
			}
			fd := d.Features[j]
			row.Cells = append(row.Cells, web.HeatCell{Class: heatClass(fd.Ratio, fd.Drifted),
				Title: fmt.Sprintf("%s, week of %s: %s %.3g (threshold %.3g)", fd.Name, windowLabel(d.Start), fd.Method, fd.Score, fd.Threshold)})
		}
		v.Heat = append(v.Heat, row)
	}
	// The newest window whose labels have mostly arrived is "current":
	// the last closed window.
	cur := h.Drift[len(h.Drift)-1]
	v.Current = windowLabel(cur.Start) + " – " + windowLabel(cur.End-1)
	v.CurrentRows = cur.Rows
	v.Share, v.WeightedShare, v.DatasetDrift, v.WeightedDrift = cur.Share, cur.WeightedShare, cur.DatasetDrift, cur.WeightedDrift
	top, topRatio := "", -1.0
	for _, f := range cur.Features {
		pv := "–"
		if !math.IsNaN(f.PValue) {
			pv = strconv.FormatFloat(f.PValue, 'g', 3, 64)
		}
		psi := "–"
		if !math.IsNaN(f.PSI) {
			psi = strconv.FormatFloat(f.PSI, 'f', 3, 64)
		}
		v.Rows = append(v.Rows, web.DriftRow{Name: f.Name, Method: string(f.Method), Statistic: strconv.FormatFloat(f.Statistic, 'g', 4, 64),
			PValue: pv, Threshold: strconv.FormatFloat(f.Threshold, 'g', 3, 64), Importance: f.Weight, PSI: psi, Drifted: f.Drifted})
		if f.Ratio > topRatio {
			top, topRatio = f.Name, f.Ratio
		}
	}
	if mv := cur.Multi; mv != nil {
		v.Multivariate = fmt.Sprintf("PCA reconstruction error %.3f (no-drift band %.3f–%.3f) · domain classifier AUC %.3f (bound %.3f)",
			mv.PCAError, mv.PCALower, mv.PCAUpper, mv.DomainAUC, mv.DomainBound)
		v.MultiDrifted = mv.PCADrifted || mv.DomainDrift
	}
	if p := cur.Prediction; p != nil {
		v.PredictionDrift = fmt.Sprintf("%s %.3g (threshold %.3g)", p.Method, p.Score, p.Threshold)
		v.PredictionDrifted = p.Drifted
	}
	if feature != "" && m.FeatureIndex(feature) >= 0 {
		top = feature
	}
	v.Dist = distributionView(m, h, top)
	return v
}

// distributionView is the reference-vs-window histogram of a feature in
// the newest window.
func distributionView(m *ml.Model, h *jobs.Health, feature string) web.DistView {
	v := web.DistView{Model: m.Name, Feature: feature}
	for _, f := range m.Features {
		v.Features = append(v.Features, f.Name)
	}
	if len(h.Profiles) == 0 {
		return v
	}
	w := h.Profiles[len(h.Profiles)-1]
	ref := h.Refs[h.RefOf[len(h.RefOf)-1]]
	j := m.FeatureIndex(feature)
	if j < 0 {
		j = 0
		v.Feature = m.Features[0].Name
	}
	rf, wf := ref.Features[j], w.Features[j]
	v.Window = windowLabel(w.Start)
	n := max(len(rf.Counts), len(wf.Counts))
	share := func(c []float64) []float64 {
		out := make([]float64, n)
		t := 0.0
		for _, x := range c {
			t += x
		}
		for i := range c {
			if t > 0 {
				out[i] = c[i] / t
			}
		}
		return out
	}
	v.Ref, v.Cur = share(rf.Counts), share(wf.Counts)
	for i := range n {
		switch {
		case rf.Categorical:
			v.Labels = append(v.Labels, "code "+strconv.Itoa(i))
		case i == 0 && len(rf.Cuts) > 0:
			v.Labels = append(v.Labels, "< "+strconv.FormatFloat(rf.Cuts[0], 'g', 3, 64))
		case i > 0 && i-1 < len(rf.Cuts):
			v.Labels = append(v.Labels, "≥ "+strconv.FormatFloat(rf.Cuts[i-1], 'g', 3, 64))
		default:
			v.Labels = append(v.Labels, "all")
		}
	}
	return v
}

func orNone(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// handleMonitoring re-renders the model page's monitoring section (the
// page polls it with htmx); without htmx it redirects to the page.
func (s *Server) handleMonitoring(w http.ResponseWriter, r *http.Request) error {
	m, h, err := s.health(r)
	if err != nil {
		return err
	}
	varyHX(w)
	if !isFragment(r) {
		http.Redirect(w, r, "/models/"+m.Name, http.StatusSeeOther)
		return nil
	}
	render(w, r, http.StatusOK, web.MonitorSection(monitorView(m, h, r.URL.Query().Get("feature"))))
	return nil
}
