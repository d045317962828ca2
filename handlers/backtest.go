package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/freshet/freshet/jobs"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/backtest"
	"github.com/freshet/freshet/store"
	"github.com/freshet/freshet/web"
)

// policyList is a backtest body's policies: a JSON array of presets or
// one comma-separated string.
type policyList []string

func (p *policyList) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		*p = strings.Split(s, ",")
		return nil
	}
	var list []string
	if err := json.Unmarshal(b, &list); err != nil {
		return errors.New(`policies should be an array of presets such as ["never","every:4","cost_aware"], or one comma-separated string`)
	}
	*p = list
	return nil
}

// backtestBody is the body of POST /api/v1/models/{name}/backtests;
// omitted fields take the model's defaults.
type backtestBody struct {
	Batch    int        `json:"batch"`
	Policies policyList `json:"policies"`
	Rounds   int        `json:"rounds"`
	Window   int        `json:"window"`
	Alpha    float64    `json:"alpha"`
}

// startBacktest queues a backtest of the model the URL names.
func (s *Server) startBacktest(r *http.Request, in ml.BacktestSettings) (*ml.Backtest, error) {
	m, err := s.modelFromURL(r)
	if err != nil {
		return nil, err
	}
	if s.Jobs == nil {
		return nil, ml.Errorf(ml.ECONFLICT, "this server runs without a job queue")
	}
	return s.Jobs.EnqueueBacktest(r.Context(), m, actorFrom(r), in)
}

// handleAPIBacktestCreate is POST /api/v1/models/{name}/backtests with
// {"batch": 336, "policies": ["never", "every:4", "cost_aware"], "rounds":
// 50, "window": 4704, "alpha": 0.01}, each optional: 202 with the queued
// backtest; a bad body is a 400 that names every bad field, and nothing
// is queued.
func (s *Server) handleAPIBacktestCreate(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		return err
	}
	var in backtestBody
	if len(strings.TrimSpace(string(body))) > 0 {
		if err := decodeStrict(body, &in); err != nil {
			return ml.Errorf(ml.EINVALID, "backtest settings: %s", strings.ReplaceAll(ml.ErrorMessage(err), "\n", "; "))
		}
	}
	b, err := s.startBacktest(r, ml.BacktestSettings{Batch: in.Batch, Policies: in.Policies, Rounds: in.Rounds, Window: in.Window, Alpha: in.Alpha})
	if err != nil {
		return err
	}
	w.Header().Set("Location", fmt.Sprintf("/api/v1/backtests/%d", b.ID))
	writeJSON(w, http.StatusAccepted, b)
	return nil
}

// handleAPIBacktests is GET /api/v1/models/{name}/backtests: the model's
// backtests, newest first, without their reports.
func (s *Server) handleAPIBacktests(w http.ResponseWriter, r *http.Request) error {
	m, err := s.modelFromURL(r)
	if err != nil {
		return err
	}
	bs, err := s.DB.FindBacktests(r.Context(), store.BacktestFilter{ModelID: m.ID, Limit: atoiOr(r.URL.Query().Get("limit"), 100)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": m.Name, "backtests": bs})
	return nil
}

func (s *Server) backtestFromURL(r *http.Request) (*ml.Backtest, error) {
	id, err := idParam(r, "id")
	if err != nil {
		return nil, err
	}
	return s.DB.FindBacktest(r.Context(), id)
}

// handleAPIBacktest is GET /api/v1/backtests/{id}: one backtest with its
// report (every policy's results and per-batch metrics).
func (s *Server) handleAPIBacktest(w http.ResponseWriter, r *http.Request) error {
	b, err := s.backtestFromURL(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

func (s *Server) cancelBacktest(r *http.Request) (*ml.Backtest, error) {
	if s.Jobs == nil {
		return nil, ml.Errorf(ml.ECONFLICT, "this server runs without a job queue")
	}
	b, err := s.backtestFromURL(r)
	if err != nil {
		return nil, err
	}
	return s.Jobs.CancelBacktest(r.Context(), actorFrom(r), b.ID)
}

// handleAPIBacktestCancel is POST /api/v1/backtests/{id}/cancel.
func (s *Server) handleAPIBacktestCancel(w http.ResponseWriter, r *http.Request) error {
	b, err := s.cancelBacktest(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, b)
	return nil
}

// backtestReport decodes a finished backtest's report (nil before).
func backtestReport(b *ml.Backtest) (*backtest.Report, error) {
	if len(b.Report) == 0 {
		return nil, nil
	}
	var rep backtest.Report
	if err := json.Unmarshal(b.Report, &rep); err != nil {
		return nil, fmt.Errorf("backtest %d report: %w", b.ID, err)
	}
	return &rep, nil
}

// backtestResult finds the named policy's result in a finished backtest.
func backtestResult(b *ml.Backtest, name string) (*backtest.Result, error) {
	if b.State != ml.JobSucceeded {
		return nil, ml.Errorf(ml.ECONFLICT, "backtest %d is %s; only a finished backtest's policies can be applied", b.ID, b.State)
	}
	if name == "" {
		return nil, ml.Errorf(ml.EINVALID, `name the policy to apply, e.g. {"policy": "%s"}`, b.Recommended)
	}
	rep, err := backtestReport(b)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, res := range rep.Results {
		if res.Name == name {
			return res, nil
		}
		names = append(names, res.Name)
	}
	return nil, ml.Errorf(ml.EINVALID, "backtest %d replayed no policy %q; it replayed %s", b.ID, name, strings.Join(names, ", "))
}

// replayedPolicy is the live configuration a result stands for: an
// online policy snapshots after every batch, so its snapshots come every
// batch's rows.
func replayedPolicy(b *ml.Backtest, res *backtest.Result) ml.PolicyConfig {
	q := res.Config
	if q.Strategy == ml.StrategyOnline {
		q.OnlineEvery = b.Settings.Batch
	}
	return q
}

// applyBacktest makes a backtest's policy the model's live one (audited).
func (s *Server) applyBacktest(r *http.Request, name string) (*ml.Model, *ml.Backtest, error) {
	b, err := s.backtestFromURL(r)
	if err != nil {
		return nil, nil, err
	}
	res, err := backtestResult(b, name)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.DB.ApplyBacktestPolicy(r.Context(), actorFrom(r), b.ID, res.Name, replayedPolicy(b, res))
	if err != nil {
		return nil, nil, err
	}
	return m, b, nil
}

// handleAPIBacktestApply is POST /api/v1/backtests/{id}/apply with
// {"policy": "cost_aware"}: that policy's triggers, strategy and window
// become the model's live policy (its budgets, priority, cooldown, time
// zone and validation stay).
func (s *Server) handleAPIBacktestApply(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		return err
	}
	var in struct {
		Policy string `json:"policy"`
	}
	if err := decodeStrict(body, &in); err != nil {
		return ml.Errorf(ml.EINVALID, "apply: %s", strings.ReplaceAll(ml.ErrorMessage(err), "\n", "; "))
	}
	m, b, err := s.applyBacktest(r, strings.TrimSpace(in.Policy))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": m.Name, "backtest": b.ID, "applied": strings.TrimSpace(in.Policy),
		"policy": m.Config.Policy, "describe": m.Config.Policy.Describe()})
	return nil
}

// Pages.

// backtestForm is the form's fields as typed.
func backtestForm(s ml.BacktestSettings) web.BacktestForm {
	return web.BacktestForm{Batch: web.OptInt(s.Batch), Policies: strings.Join(s.Policies, ","), Rounds: web.OptInt(s.Rounds),
		Window: web.OptInt(s.Window), Alpha: web.OptFloat(s.Alpha)}
}

func (s *Server) backtestsView(r *http.Request, m *ml.Model, form web.BacktestForm, f *web.Flash) (web.BacktestsView, error) {
	v := web.BacktestsView{Nav: navFor(r, "models", m.Name+" · backtests"), Model: m, Form: form, Flash: f, Now: time.Now(),
		MinRows: jobs.MinBacktestRows}
	var err error
	v.Backtests, err = s.DB.FindBacktests(r.Context(), store.BacktestFilter{ModelID: m.ID, Limit: 50})
	return v, err
}

// handleBacktestsView is a model's backtests: the form that starts one
// and the list of past ones (live while one runs).
func (s *Server) handleBacktestsView(w http.ResponseWriter, r *http.Request) error {
	m, err := s.modelFromURL(r)
	if err != nil {
		return err
	}
	v, err := s.backtestsView(r, m, backtestForm(jobs.BacktestDefaults(m)), nil)
	if err != nil {
		return err
	}
	renderPage(w, r, web.BacktestsList(v), web.BacktestsPage(v))
	return nil
}

// handleBacktestStart is the form's Start: the backtest's page, or the
// form again with each problem next to its field and nothing queued.
func (s *Server) handleBacktestStart(w http.ResponseWriter, r *http.Request) error {
	m, err := s.modelFromURL(r)
	if err != nil {
		return err
	}
	if err := r.ParseForm(); err != nil {
		return ml.Errorf(ml.EINVALID, "bad form: %v", err)
	}
	form := web.BacktestForm{Batch: r.PostFormValue("batch"), Policies: r.PostFormValue("policies"), Rounds: r.PostFormValue("rounds"),
		Window: r.PostFormValue("window"), Alpha: r.PostFormValue("alpha")}
	// Every field is checked, those typed wrong and the rest, before
	// anything is queued.
	in, bad := backtestFromForm(form)
	_, err = jobs.ResolveBacktest(m, in)
	var fe *ml.FieldError
	if errors.As(err, &fe) {
		for k, msg := range fe.Fields {
			if bad[k] == "" {
				bad[k] = msg
			}
		}
	}
	var b *ml.Backtest
	switch {
	case err != nil && fe == nil:
	case len(bad) > 0:
		err = ml.NewFieldError(bad)
	default:
		b, err = s.startBacktest(r, in)
	}
	if err != nil {
		if ml.ErrorCode(err) != ml.EINVALID {
			return err
		}
		var f *web.Flash
		if errors.As(err, &fe) {
			form.Errors = fe.Fields
			f = &web.Flash{Kind: "bad", Text: "The backtest was not started: fix the fields marked below."}
		} else {
			f = &web.Flash{Kind: "bad", Text: ml.ErrorMessage(err) + " The backtest was not started."}
		}
		v, verr := s.backtestsView(r, m, form, f)
		if verr != nil {
			return verr
		}
		render(w, r, http.StatusUnprocessableEntity, web.BacktestsPage(v))
		return nil
	}
	redirect(w, r, fmt.Sprintf("/backtests/%d", b.ID))
	return nil
}

// backtestFromForm reads the form; a field that is not a number is named.
func backtestFromForm(f web.BacktestForm) (ml.BacktestSettings, map[string]string) {
	bad := map[string]string{}
	integer := func(name, v string) int {
		v = strings.ReplaceAll(strings.TrimSpace(v), ",", "")
		if v == "" {
			return 0
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			bad[name] = fmt.Sprintf("%q is not a whole number", v)
		}
		return n
	}
	s := ml.BacktestSettings{Batch: integer("batch", f.Batch), Rounds: integer("rounds", f.Rounds), Window: integer("window", f.Window)}
	if v := strings.TrimSpace(f.Alpha); v != "" {
		x, err := strconv.ParseFloat(v, 64)
		if err != nil {
			bad["alpha"] = fmt.Sprintf("%q is not a number", v)
		}
		s.Alpha = x
	}
	for _, p := range strings.FieldsFunc(f.Policies, func(r rune) bool { return r == ',' || r == '\n' }) {
		if p = strings.TrimSpace(p); p != "" {
			s.Policies = append(s.Policies, p)
		}
	}
	return s, bad
}

func (s *Server) backtestView(r *http.Request, b *ml.Backtest, f *web.Flash) (web.BacktestView, error) {
	v := web.BacktestView{Nav: navFor(r, "models", fmt.Sprintf("Backtest %d · %s", b.ID, b.Model)), B: b, Flash: f, Now: time.Now()}
	var err error
	v.Report, err = backtestReport(b)
	return v, err
}

// handleBacktestView is one backtest: live progress while it runs; the
// frontier, the metric over time and the table once done.
func (s *Server) handleBacktestView(w http.ResponseWriter, r *http.Request) error {
	b, err := s.backtestFromURL(r)
	if err != nil {
		return err
	}
	v, err := s.backtestView(r, b, nil)
	if err != nil {
		return err
	}
	renderPage(w, r, web.BacktestLive(v), web.BacktestPage(v))
	return nil
}

// handleBacktestCancelButton is the backtest page's Cancel.
func (s *Server) handleBacktestCancelButton(w http.ResponseWriter, r *http.Request) error {
	b, err := s.cancelBacktest(r)
	if err != nil {
		return err
	}
	redirect(w, r, fmt.Sprintf("/backtests/%d", b.ID))
	return nil
}

// handleBacktestApplyView asks to confirm "Apply this policy", showing
// the live policy now and after.
func (s *Server) handleBacktestApplyView(w http.ResponseWriter, r *http.Request) error {
	b, err := s.backtestFromURL(r)
	if err != nil {
		return err
	}
	res, err := backtestResult(b, r.URL.Query().Get("policy"))
	if err != nil {
		return err
	}
	m, err := s.DB.FindModelByID(r.Context(), b.ModelID)
	if err != nil {
		return err
	}
	now := m.Config.Policy
	render(w, r, http.StatusOK, web.BacktestApplyPage(web.BacktestApplyView{Nav: navFor(r, "models", "Apply "+res.Name), B: b, Result: res, Model: m,
		Now: now, After: now.Adopt(replayedPolicy(b, res))}))
	return nil
}

// handleBacktestApplyButton applies the confirmed policy and goes back
// to the backtest, which says what was applied; a refusal shows there.
func (s *Server) handleBacktestApplyButton(w http.ResponseWriter, r *http.Request) error {
	_, b, applyErr := s.applyBacktest(r, strings.TrimSpace(r.PostFormValue("policy")))
	if applyErr != nil {
		code := ml.ErrorCode(applyErr)
		if code != ml.EINVALID && code != ml.ECONFLICT {
			return applyErr
		}
		b, err := s.backtestFromURL(r)
		if err != nil {
			return err
		}
		v, err := s.backtestView(r, b, &web.Flash{Kind: "bad", Text: ml.ErrorMessage(applyErr) + " Nothing was changed."})
		if err != nil {
			return err
		}
		render(w, r, statusOf(code), web.BacktestPage(v))
		return nil
	}
	redirect(w, r, fmt.Sprintf("/backtests/%d#applied", b.ID))
	return nil
}
