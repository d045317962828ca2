package handlers

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/gate"
	"github.com/freshet/freshet/store"
	"github.com/freshet/freshet/web"
)

// modelFromURL reads {name}.
func (s *Server) modelFromURL(r *http.Request) (*ml.Model, error) {
	return s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
}

func idParam(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(chi.URLParam(r, name), 10, 64)
	if err != nil || id <= 0 {
		return 0, ml.Errorf(ml.ENOTFOUND, "%s %q not found", name, chi.URLParam(r, name))
	}
	return id, nil
}

// handleAPIGates is GET /api/v1/models/{name}/gates.
func (s *Server) handleAPIGates(w http.ResponseWriter, r *http.Request) error {
	m, err := s.modelFromURL(r)
	if err != nil {
		return err
	}
	gs, err := s.DB.FindGates(r.Context(), store.GateFilter{ModelID: m.ID, Status: r.URL.Query().Get("status"), Limit: atoiOr(r.URL.Query().Get("limit"), 100)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": m.Name, "gates": gs})
	return nil
}

// handleAPIGate is GET /api/v1/models/{name}/gates/{id}: one decision
// with every check and its numbers.
func (s *Server) handleAPIGate(w http.ResponseWriter, r *http.Request) error {
	d, _, err := s.gateFromURL(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, d)
	return nil
}

func (s *Server) gateFromURL(r *http.Request) (*ml.GateDecision, *ml.Model, error) {
	m, err := s.modelFromURL(r)
	if err != nil {
		return nil, nil, err
	}
	id, err := idParam(r, "id")
	if err != nil {
		return nil, nil, err
	}
	d, err := s.DB.FindGate(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	if d.ModelID != m.ID {
		return nil, nil, ml.Errorf(ml.ENOTFOUND, "gate decision %d of %s not found", id, m.Name)
	}
	return d, m, nil
}

// decisionBody is the approve/reject body: {"comment": "..."} as JSON,
// or a form field.
func decisionComment(r *http.Request) (string, error) {
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
		var b struct {
			Comment string `json:"comment"`
		}
		body, err := io.ReadAll(io.LimitReader(r.Body, 64<<10))
		if err != nil {
			return "", err
		}
		if len(body) > 0 {
			if err := decodeStrict(body, &b); err != nil {
				return "", err
			}
		}
		return strings.TrimSpace(b.Comment), nil
	}
	return strings.TrimSpace(r.PostFormValue("comment")), nil
}

// decide approves or rejects a pending decision. Only leads and admins
// (sessions) and admin-scoped tokens get here; others were refused and
// audited by the route's guard.
func (s *Server) decide(r *http.Request, approve bool) (*ml.GateDecision, *ml.Deployment, *ml.Model, error) {
	d, m, err := s.gateFromURL(r)
	if err != nil {
		return nil, nil, nil, err
	}
	comment, err := decisionComment(r)
	if err != nil {
		return nil, nil, nil, err
	}
	if !approve && comment == "" {
		return nil, nil, nil, ml.Errorf(ml.EINVALID, "say why you reject it: a comment is required")
	}
	watch := max(m.Config.Gate.WithDefaults().WatchLabels, 0)
	ctx, actor := r.Context(), actorFrom(r)
	var dep *ml.Deployment
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if d, dep, err = s.DB.DecideGateTx(ctx, tx, actor, m, d.ID, approve, comment, watch); err != nil {
			return err
		}
		if err := s.notifyTx(ctx, tx, m, ml.EventGateVerdict, d); err != nil {
			return err
		}
		if dep == nil {
			return nil
		}
		return s.notifyTx(ctx, tx, m, ml.EventPromoted, map[string]any{"version": d.ChallengerNumber, "version_id": d.ChallengerID, "decision_id": d.ID, "by": actor.String()})
	})
	if err != nil {
		return nil, nil, nil, err
	}
	return d, dep, m, nil
}

// notifyTx queues a webhook for event inside tx, so that it is sent if
// and only if the change it reports is committed (a notification queued
// after the commit is lost when the process dies in between). Without a
// queue (tests) there is nothing to send.
func (s *Server) notifyTx(ctx context.Context, tx *sql.Tx, m *ml.Model, event string, payload any) error {
	if s.Jobs == nil {
		return nil
	}
	return s.Jobs.NotifyTx(ctx, tx, m, event, payload)
}

func (s *Server) handleAPIApprove(w http.ResponseWriter, r *http.Request) error {
	d, dep, _, err := s.decide(r, true)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"decision": d, "deployment": dep})
	return nil
}

func (s *Server) handleAPIReject(w http.ResponseWriter, r *http.Request) error {
	d, _, _, err := s.decide(r, false)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"decision": d})
	return nil
}

// handleAPIPromote is POST /api/v1/models/{name}/versions/{id}/promote:
// make any version the champion (the lead's override of the gate).
func (s *Server) handleAPIPromote(w http.ResponseWriter, r *http.Request) error {
	dep, err := s.promote(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"deployment": dep})
	return nil
}

func (s *Server) promote(r *http.Request) (*ml.Deployment, error) {
	m, err := s.modelFromURL(r)
	if err != nil {
		return nil, err
	}
	id, err := idParam(r, "id")
	if err != nil {
		return nil, err
	}
	comment, err := decisionComment(r)
	if err != nil {
		return nil, err
	}
	reason := "promoted by hand"
	if comment != "" {
		reason += ": " + comment
	}
	ctx, actor := r.Context(), actorFrom(r)
	var dep *ml.Deployment
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if dep, err = s.DB.PromoteTx(ctx, tx, actor, m, id, store.PromoteOptions{Reason: reason, WatchLabels: max(m.Config.Gate.WithDefaults().WatchLabels, 0)}); err != nil {
			return err
		}
		return s.notifyTx(ctx, tx, m, ml.EventPromoted, map[string]any{"version_id": id, "by": actor.String(), "reason": reason})
	})
	if err != nil {
		return nil, err
	}
	return dep, nil
}

// handleAPIRollback is POST /api/v1/models/{name}/rollback: the previous
// champion serves again, at once.
func (s *Server) handleAPIRollback(w http.ResponseWriter, r *http.Request) error {
	dep, v, err := s.rollback(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"deployment": dep, "champion": v})
	return nil
}

func (s *Server) rollback(r *http.Request) (*ml.Deployment, *ml.Version, error) {
	m, err := s.modelFromURL(r)
	if err != nil {
		return nil, nil, err
	}
	comment, err := decisionComment(r)
	if err != nil {
		return nil, nil, err
	}
	reason := "rolled back by hand"
	if comment != "" {
		reason += ": " + comment
	}
	ctx, actor := r.Context(), actorFrom(r)
	var dep *ml.Deployment
	var v *ml.Version
	err = s.DB.InTx(ctx, func(tx *sql.Tx) error {
		if dep, v, err = s.DB.RollbackTx(ctx, tx, actor, m, ml.DeployRollback, reason); err != nil {
			return err
		}
		return s.notifyTx(ctx, tx, m, ml.EventRolledBack, map[string]any{"to": v.Number, "by": actor.String(), "reason": reason})
	})
	if err != nil {
		return nil, nil, err
	}
	return dep, v, nil
}

// handleAPIDeployments is GET /api/v1/models/{name}/deployments: what
// served when, with the post-deploy watch's outcome.
func (s *Server) handleAPIDeployments(w http.ResponseWriter, r *http.Request) error {
	m, err := s.modelFromURL(r)
	if err != nil {
		return err
	}
	ds, err := s.DB.FindDeployments(r.Context(), m.ID, atoiOr(r.URL.Query().Get("limit"), 100))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": m.Name, "deployments": ds})
	return nil
}

func (s *Server) handleGates(w http.ResponseWriter, r *http.Request) error {
	ds, err := s.DB.FindGates(r.Context(), store.GateFilter{Status: r.URL.Query().Get("status"), Limit: 200})
	if err != nil {
		return err
	}
	// Pending decisions first: they wait for someone.
	sort.SliceStable(ds, func(a, b int) bool { return ds[a].Status == ml.GatePending && ds[b].Status != ml.GatePending })
	render(w, r, http.StatusOK, web.GatesPage(web.GatesView{Nav: navFor(r, "gates", "Gates"), Decisions: ds}))
	return nil
}

func (s *Server) gateView(r *http.Request, f *web.Flash) (web.GateView, web.GateRows, error) {
	d, m, err := s.gateFromURL(r)
	if err != nil {
		return web.GateView{}, web.GateRows{}, err
	}
	v := web.GateView{Nav: navFor(r, "gates", fmt.Sprintf("%s v%d", d.Model, d.ChallengerNumber)), D: d, Alpha: m.Config.Gate.WithDefaults().Alpha, Flash: f}
	var rep gate.Report
	if len(d.Report) > 2 && json.Unmarshal(d.Report, &rep) == nil && rep.Metric != "" {
		v.Report = &rep
	}
	if v.Shadow, err = s.shadowView(r, m, d); err != nil {
		return v, web.GateRows{}, err
	}
	return v, gateRows(d.Report, rep.Pass), nil
}

// judgedRows is the gate's account of the rows a verdict was reached on,
// as jobs stores it in the report ("holdout", and "rows" of "shadow").
type judgedRows struct {
	Source   string `json:"source"`
	FirstID  int64  `json:"first_id"`
	AfterID  int64  `json:"after_id"`
	ToID     int64  `json:"to_id"`
	Rows     int    `json:"rows"`
	Recorded int64  `json:"recorded"`
	Verified bool   `json:"verified"`
}

// gateRows reads from a decision's stored report which rows it was judged
// on and, when there is one, its re-judgement on live shadow rows.
// holdoutPass is the report's own (the holdout's) verdict. A report
// without those sections (older decisions) gives an empty GateRows.
func gateRows(report json.RawMessage, holdoutPass bool) web.GateRows {
	var stored struct {
		Holdout *judgedRows `json:"holdout"`
		Shadow  *struct {
			gate.Report
			Rows judgedRows `json:"rows"`
		} `json:"shadow"`
	}
	var out web.GateRows
	if json.Unmarshal(report, &stored) != nil {
		return out
	}
	if h := stored.Holdout; h != nil {
		hv := &web.HoldoutView{Rows: h.Rows, FirstID: h.FirstID, AfterID: h.AfterID, ToID: h.ToID, Recorded: int(h.Recorded), Verified: h.Verified}
		switch {
		case h.Recorded > 0:
			hv.Kind = web.HoldoutRecorded
			// Rows beyond those recorded were labeled since training
			// (jobs reads them in only when they lie after every
			// training row).
			hv.Late = max(h.Rows-int(h.Recorded), 0)
		case h.AfterID > 0:
			hv.Kind = web.HoldoutAfter
		default:
			hv.Kind = web.HoldoutNewest
		}
		out.Holdout = hv
	}
	if sh := stored.Shadow; sh != nil && sh.Metric != "" {
		rep := sh.Report
		out.Rejudge = &web.RejudgeView{Report: &rep, Rows: sh.Rows.Rows, AfterID: sh.Rows.AfterID, ToID: sh.Rows.ToID, HoldoutPass: holdoutPass}
	}
	return out
}

// shadowView compares, on the live rows both scored that have their
// labels by now, the champion's served scores with the challenger's
// shadow scores (the gate's paired test; binary models).
func (s *Server) shadowView(r *http.Request, m *ml.Model, d *ml.GateDecision) (*web.ShadowView, error) {
	ctx := r.Context()
	shadow, err := s.DB.FindShadowScores(ctx, d.ChallengerID)
	if err != nil || len(shadow) == 0 {
		return nil, err
	}
	lo, hi := int64(math.MaxInt64), int64(0)
	for id := range shadow {
		lo, hi = min(lo, id), max(hi, id)
	}
	fr, err := s.DB.Scan(ctx, m, store.ScanFilter{AfterID: lo - 1, ToID: hi, LabeledOnly: true, WithScores: true})
	if err != nil {
		return nil, err
	}
	v := &web.ShadowView{Scored: len(shadow)}
	var y, champ, chal []float64
	for i, id := range fr.ID {
		c, ok := shadow[id]
		if !ok || math.IsNaN(fr.Score[i]) {
			continue
		}
		y, champ, chal = append(y, fr.Label[i]), append(champ, fr.Score[i]), append(chal, c)
	}
	v.Labeled = len(y)
	if m.Task != ml.TaskBinary || len(y) < 30 {
		return v, nil
	}
	t, err := gate.BinaryDropTest(m.Metric, y, champ, chal, uint64(d.ID))
	if err != nil {
		v.Note = err.Error()
		return v, nil
	}
	v.Test = &t
	return v, nil
}

func (s *Server) handleGateView(w http.ResponseWriter, r *http.Request) error {
	v, rows, err := s.gateView(r, nil)
	if err != nil {
		return err
	}
	render(w, r, http.StatusOK, web.GatePage(v, rows))
	return nil
}

// handleGateDecide is the decision page's Approve / Reject.
func (s *Server) handleGateDecide(approve bool) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		d, _, m, err := s.decide(r, approve)
		if err != nil {
			if code := ml.ErrorCode(err); code == ml.EINVALID || code == ml.ECONFLICT {
				v, rows, verr := s.gateView(r, &web.Flash{Kind: "bad", Text: ml.ErrorMessage(err)})
				if verr != nil {
					return verr
				}
				render(w, r, statusOf(code), web.GatePage(v, rows))
				return nil
			}
			return err
		}
		if approve {
			redirect(w, r, "/models/"+m.Name+"/versions")
			return nil
		}
		redirect(w, r, web.GateURL(d))
		return nil
	}
}

func (s *Server) versionsView(r *http.Request, f *web.Flash) (web.VersionsView, error) {
	m, err := s.modelFromURL(r)
	if err != nil {
		return web.VersionsView{}, err
	}
	v := web.VersionsView{Nav: navFor(r, "models", m.Name+" · versions"), Model: m, Flash: f, Gates: map[int64]*ml.GateDecision{}}
	if v.Versions, err = s.DB.FindVersions(r.Context(), m.ID, 200); err != nil {
		return v, err
	}
	if v.Deployments, err = s.DB.FindDeployments(r.Context(), m.ID, 100); err != nil {
		return v, err
	}
	gs, err := s.DB.FindGates(r.Context(), store.GateFilter{ModelID: m.ID, Limit: 1000})
	if err != nil {
		return v, err
	}
	for _, g := range gs {
		if v.Gates[g.ChallengerID] == nil {
			v.Gates[g.ChallengerID] = g
		}
	}
	// Rollback goes to the champion before the newest deployment.
	if len(v.Deployments) > 0 && v.Deployments[0].PreviousID != 0 {
		cur, prev := false, false
		for _, x := range v.Versions {
			cur = cur || (x.ID == v.Deployments[0].VersionID && x.Status == ml.StatusChampion)
			prev = prev || (x.ID == v.Deployments[0].PreviousID && x.Status != ml.StatusRolledBack)
		}
		v.CanRollback = cur && prev
	}
	return v, nil
}

func (s *Server) handleVersionsView(w http.ResponseWriter, r *http.Request) error {
	v, err := s.versionsView(r, nil)
	if err != nil {
		return err
	}
	render(w, r, http.StatusOK, web.VersionsPage(v))
	return nil
}

// handleVersionsAction runs a registry button and shows the page again
// with what happened.
func (s *Server) handleVersionsAction(do func(r *http.Request) (string, error)) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		msg, err := do(r)
		f := &web.Flash{Kind: "ok", Text: msg}
		status := http.StatusOK
		if err != nil {
			code := ml.ErrorCode(err)
			if code != ml.EINVALID && code != ml.ECONFLICT {
				return err
			}
			f, status = &web.Flash{Kind: "bad", Text: ml.ErrorMessage(err)}, statusOf(code)
		}
		v, verr := s.versionsView(r, f)
		if verr != nil {
			return verr
		}
		render(w, r, status, web.VersionsPage(v))
		return nil
	}
}

func (s *Server) promoteButton(r *http.Request) (string, error) {
	dep, err := s.promote(r)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Promoted: version id %d serves now.", dep.VersionID), nil
}

func (s *Server) rollbackButton(r *http.Request) (string, error) {
	_, v, err := s.rollback(r)
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("Rolled back: v%d serves again.", v.Number), nil
}
