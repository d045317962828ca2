package handlers

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/web"
)

// requestRetrain asks for a retrain of the model the URL names, through
// its policy (recorded as a manual trigger; deduplicated). It returns the
// job, and whether it was one already queued or running.
func (s *Server) requestRetrain(r *http.Request, reason, strategy string) (*ml.Job, bool, error) {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return nil, false, err
	}
	if s.Jobs == nil {
		return nil, false, ml.Errorf(ml.ECONFLICT, "this server runs without a job queue")
	}
	switch strategy {
	case "", ml.StrategyFull, ml.StrategyWarmStart:
	default:
		return nil, false, ml.Errorf(ml.EINVALID, "strategy %q: use full or warm_start", strategy)
	}
	actor := actorFrom(r)
	if reason == "" {
		reason = "manual retrain by " + actor.String()
	}
	ev, job, err := s.Jobs.RequestRetrain(r.Context(), m, actor, reason, strategy)
	if err != nil {
		return nil, false, err
	}
	if job == nil {
		return nil, false, ml.Errorf(ml.ECONFLICT, "retrain not started: %s", ev.Suppressed)
	}
	dup := ev == nil || ev.Outcome != ml.OutcomeFired || ev.JobID != job.ID
	return job, dup, nil
}

// handleAPIRetrain is POST /api/v1/models/{name}/retrain: a manual
// trigger, with an optional JSON body {"strategy": "full"|"warm_start",
// "reason": "..."}. 202 with the job; a retrain already queued or running
// is returned instead of a second one.
func (s *Server) handleAPIRetrain(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Strategy string `json:"strategy"`
		Reason   string `json:"reason"`
	}
	if r.ContentLength != 0 && r.Body != nil {
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) {
			return ml.Errorf(ml.EINVALID, "retrain body: %v", err)
		}
	}
	job, dup, err := s.requestRetrain(r, body.Reason, body.Strategy)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"job_id": job.ID, "state": job.State, "strategy": job.Strategy, "duplicate": dup, "job": job})
	return nil
}

// handleRetrainButton is the model page's "Retrain now".
func (s *Server) handleRetrainButton(w http.ResponseWriter, r *http.Request) error {
	job, dup, err := s.requestRetrain(r, "", r.FormValue("strategy"))
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Retrain queued as job %d.", job.ID)
	if dup {
		msg = fmt.Sprintf("A retrain is already queued or running (job %d).", job.ID)
	}
	f := &web.Flash{Kind: "info", Text: msg}
	varyHX(w)
	if isFragment(r) {
		render(w, r, http.StatusAccepted, web.FlashBox(f))
		return nil
	}
	redirect(w, r, "/jobs")
	return nil
}
