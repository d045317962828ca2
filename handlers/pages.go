package handlers

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
	"github.com/freshet/freshet/web"
)

func (s *Server) overview(r *http.Request, active, title string) (web.OverviewView, error) {
	v := web.OverviewView{Nav: navFor(r, active, title), Demo: s.Demo, DemoSpeed: s.DemoSpeed}
	ms, err := s.DB.FindModels(r.Context())
	if err != nil {
		return v, err
	}
	for _, m := range ms {
		row := web.ModelRow{Name: m.Name, Task: string(m.Task), Description: m.Description, Features: len(m.Features), Stats: m.Stats, Demo: m.Config.Demo}
		if c, err := s.DB.FindChampion(r.Context(), m.ID); err == nil {
			row.Champion = fmt.Sprintf("v%d", c.Number)
			if x, ok := c.Metrics[m.Metric]; ok {
				row.Champion += fmt.Sprintf(" · %s %.3f", m.Metric, x)
			}
		}
		if d, err := s.monitor.Latest(r.Context(), m); err != nil {
			return v, err
		} else if d != nil {
			row.Drift = "ok"
			switch {
			case d.WeightedDrift:
				row.Drift = "drift"
			case d.DatasetDrift || d.Drifted > 0:
				row.Drift = "minor"
			}
			row.DriftTitle = fmt.Sprintf("window of %s: %d of %d features drifted, %.0f%% of importance", windowLabel(d.Start), d.Drifted, len(d.Features), 100*d.WeightedShare)
		}
		v.Models = append(v.Models, row)
		v.TotalObs += m.Stats.Observations
		v.TotalLabels += m.Stats.Labeled
	}
	return v, nil
}

func (s *Server) handleOverview(w http.ResponseWriter, r *http.Request) error {
	v, err := s.overview(r, "overview", "Overview")
	if err != nil {
		return err
	}
	if v.Users, err = s.DB.CountUsers(r.Context()); err != nil {
		return err
	}
	if v.CanLead() {
		if v.Recent, err = s.DB.FindAudit(r.Context(), store.AuditFilter{Limit: 8}); err != nil {
			return err
		}
	}
	renderPage(w, r, web.OverviewBodyWrap(v), web.OverviewPage(v))
	return nil
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) error {
	v, err := s.overview(r, "models", "Models")
	if err != nil {
		return err
	}
	render(w, r, http.StatusOK, web.ModelsPage(v))
	return nil
}

func (s *Server) modelView(r *http.Request, withMonitor bool) (web.ModelView, error) {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return web.ModelView{}, err
	}
	cats, err := s.DB.FindCategories(r.Context(), m)
	if err != nil {
		return web.ModelView{}, err
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	vs, err := s.DB.FindVersions(r.Context(), m.ID, 10)
	if err != nil {
		return web.ModelView{}, err
	}
	mv := web.ModelView{Nav: navFor(r, "models", m.Name), Model: m, Categories: cats, Versions: vs, Origin: scheme + "://" + r.Host}
	if !withMonitor {
		return mv, nil
	}
	if mv.Policy, err = s.policyPanel(r, m); err != nil {
		return web.ModelView{}, err
	}
	h, err := s.monitor.Health(r.Context(), m, 52)
	if err != nil {
		return web.ModelView{}, err
	}
	mv.Monitor = monitorView(m, h, "")
	return mv, nil
}

func (s *Server) handleModelView(w http.ResponseWriter, r *http.Request) error {
	v, err := s.modelView(r, !isFragment(r))
	if err != nil {
		return err
	}
	renderPage(w, r, web.ModelStats(v), web.ModelPage(v))
	return nil
}

// outputText renders a job's JSON output in a few words: rows and
// labels fed, windows profiled, or the version a retrain made.
func outputText(raw string) string {
	var m map[string]any
	if json.Unmarshal([]byte(raw), &m) != nil {
		return raw
	}
	var parts []string
	if v, ok := m["version"].(float64); ok {
		parts = append(parts, fmt.Sprintf("v%d", int(v)))
		if ms, ok := m["metrics"].(map[string]any); ok {
			if auc, ok := ms["auc"].(float64); ok {
				parts = append(parts, fmt.Sprintf("auc %.3f", auc))
			}
		}
		if rows, ok := m["rows"].(float64); ok {
			parts = append(parts, fmt.Sprintf("%s rows", web.Int(int64(rows))))
		}
		if cpu, ok := m["cpu_seconds"].(float64); ok {
			parts = append(parts, fmt.Sprintf("%.2f CPU-s", cpu))
		}
		return strings.Join(parts, " · ")
	}
	for _, k := range []string{"rows", "labels", "windows"} {
		if v, ok := m[k]; ok {
			parts = append(parts, fmt.Sprintf("%v %s", v, k))
		}
	}
	if len(parts) == 0 {
		return raw
	}
	return strings.Join(parts, ", ")
}

func (s *Server) handleAudit(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	f := store.AuditFilter{Actor: strings.TrimSpace(q.Get("actor")), Action: strings.TrimSpace(q.Get("action")), Target: strings.TrimSpace(q.Get("target")), Limit: 100}
	f.Before, _ = strconv.ParseInt(q.Get("before"), 10, 64)
	es, err := s.DB.FindAudit(r.Context(), f)
	if err != nil {
		return err
	}
	v := web.AuditView{Nav: navFor(r, "audit", "Audit"), Entries: es, Actor: f.Actor, Action: f.Action, Target: f.Target}
	if len(es) == f.Limit {
		nq := url.Values{"actor": {f.Actor}, "action": {f.Action}, "target": {f.Target}, "before": {strconv.FormatInt(es[len(es)-1].ID, 10)}}
		v.NextURL = "/audit?" + nq.Encode()
	}
	varyHX(w)
	render(w, r, http.StatusOK, web.AuditPage(v))
	return nil
}

func (s *Server) settingsView(r *http.Request, f *web.Flash) (web.SettingsView, error) {
	v := web.SettingsView{Nav: navFor(r, "settings", "Settings"), Flash: f}
	var err error
	if v.Users, err = s.DB.FindUsers(r.Context()); err != nil {
		return v, err
	}
	if v.Tokens, err = s.DB.FindTokens(r.Context()); err != nil {
		return v, err
	}
	v.Models, err = s.DB.FindModels(r.Context())
	return v, err
}

func (s *Server) renderSettings(w http.ResponseWriter, r *http.Request, status int, f *web.Flash) error {
	v, err := s.settingsView(r, f)
	if err != nil {
		return err
	}
	render(w, r, status, web.SettingsPage(v))
	return nil
}

func (s *Server) handleSettings(w http.ResponseWriter, r *http.Request) error {
	return s.renderSettings(w, r, http.StatusOK, nil)
}

func (s *Server) handleUserCreate(w http.ResponseWriter, r *http.Request) error {
	role, err := ml.ParseRole(r.PostFormValue("role"))
	if err == nil {
		var u *ml.User
		var pw string
		u, pw, err = s.DB.CreateUser(r.Context(), actorFrom(r), strings.TrimSpace(r.PostFormValue("name")), role, true)
		if err == nil {
			return s.renderSettings(w, r, http.StatusOK, &web.Flash{Kind: "ok", Text: fmt.Sprintf("Added %s (%s). Give them this one-time password; it is shown only now:", u.Name, u.Role), Secret: pw})
		}
	}
	if code := ml.ErrorCode(err); code == ml.EINVALID || code == ml.ECONFLICT {
		return s.renderSettings(w, r, statusOf(code), &web.Flash{Kind: "bad", Text: ml.ErrorMessage(err)})
	}
	return err
}

func (s *Server) handleTokenCreate(w http.ResponseWriter, r *http.Request) error {
	if err := r.ParseForm(); err != nil {
		return ml.Errorf(ml.EINVALID, "bad form")
	}
	scopes, err := ml.ParseScopes(strings.Join(r.PostForm["scope"], ","))
	if err == nil {
		var t *ml.Token
		var secret string
		t, secret, err = s.DB.CreateToken(r.Context(), actorFrom(r), strings.TrimSpace(r.PostFormValue("name")), scopes)
		if err == nil {
			return s.renderSettings(w, r, http.StatusOK, &web.Flash{Kind: "ok", Text: fmt.Sprintf("Token %s (%s) created. Copy it now; it is shown only once:", t.Name, strings.Join(t.Scopes, ", ")), Secret: secret})
		}
	}
	if code := ml.ErrorCode(err); code == ml.EINVALID || code == ml.ECONFLICT {
		return s.renderSettings(w, r, statusOf(code), &web.Flash{Kind: "bad", Text: ml.ErrorMessage(err)})
	}
	return err
}

func (s *Server) handleTokenRevoke(w http.ResponseWriter, r *http.Request) error {
	id, err := strconv.ParseInt(chi.URLParam(r, "id"), 10, 64)
	if err != nil {
		return ml.Errorf(ml.ENOTFOUND, "token not found")
	}
	if err := s.DB.RevokeToken(r.Context(), actorFrom(r), id); err != nil {
		return err
	}
	return s.renderSettings(w, r, http.StatusOK, &web.Flash{Kind: "ok", Text: "Token revoked."})
}
