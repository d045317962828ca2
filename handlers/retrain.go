package handlers

import (
	"fmt"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/freshet/freshet/jobs"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/web"
)

// enqueueRetrain queues a manual retrain of the model the URL names; it
// says whether one was already queued or running (then that job is
// returned).
func (s *Server) enqueueRetrain(r *http.Request) (int64, bool, error) {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return 0, false, err
	}
	if s.Jobs == nil {
		return 0, false, ml.Errorf(ml.ECONFLICT, "this server runs without a job queue")
	}
	actor := actorFrom(r)
	id, dup, err := s.Jobs.EnqueueRetrain(r.Context(), jobs.RetrainArgs{ModelID: m.ID, Reason: "manual retrain by " + actor.String(), By: actor.String()})
	if err != nil {
		return 0, false, err
	}
	detail := fmt.Sprintf("job %d", id)
	if dup {
		detail += " (already queued: joined)"
	}
	if err := s.DB.Audit(r.Context(), actor, "retrain.request", "model:"+m.Name, detail); err != nil {
		return 0, false, err
	}
	return id, dup, nil
}

// handleAPIRetrain is POST /api/v1/models/{name}/retrain: a manual
// trigger. 202 with the job; a retrain already queued is not doubled.
func (s *Server) handleAPIRetrain(w http.ResponseWriter, r *http.Request) error {
	id, dup, err := s.enqueueRetrain(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"job_id": id, "state": "queued", "duplicate": dup})
	return nil
}

// handleRetrainButton is the model page's "Retrain now".
func (s *Server) handleRetrainButton(w http.ResponseWriter, r *http.Request) error {
	id, dup, err := s.enqueueRetrain(r)
	if err != nil {
		return err
	}
	msg := fmt.Sprintf("Retrain queued as job %d.", id)
	if dup {
		msg = fmt.Sprintf("A retrain is already queued or running (job %d).", id)
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
