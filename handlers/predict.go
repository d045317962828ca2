package handlers

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/ingest"
	"github.com/freshet/freshet/store"
)

// prediction is one scored row in a predict response.
type prediction struct {
	Entity string    `json:"entity,omitempty"`
	Score  float64   `json:"score"`
	Probs  []float64 `json:"probabilities,omitempty"`
	Class  string    `json:"class,omitempty"`
}

// handlePredict scores a batch with the model's champion through leaves
// and logs every row as an observation carrying its score and version.
func (s *Server) handlePredict(w http.ResponseWriter, r *http.Request) error {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return err
	}
	scorer, err := s.Serving.Champion(r.Context(), m)
	if err != nil {
		if ml.ErrorCode(err) == ml.ENOTFOUND {
			return ml.Errorf(ml.ECONFLICT, "model %q has no trained version yet: train one first (POST /api/v1/models/%s/retrain)", m.Name, m.Name)
		}
		return err
	}
	format, err := ingest.Format(r.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	b, err := ingest.Parse(format, http.MaxBytesReader(w, r.Body, s.MaxBody), m, s.parseOptions())
	if err != nil {
		return err
	}
	X, err := s.DB.CategoryCodes(r.Context(), m, b)
	if err != nil {
		return err
	}
	raw, err := scorer.Score(X)
	if err != nil {
		return err
	}
	k := scorer.Outputs()
	out := make([]prediction, b.N)
	logged := make([]float64, b.N)
	for i := range out {
		p := prediction{}
		if b.Entity != nil {
			p.Entity = b.Entity[i]
		}
		if k == 1 {
			p.Score = raw[i]
		} else {
			p.Probs = raw[i*k : (i+1)*k]
			best := 0
			for c := range p.Probs {
				if p.Probs[c] > p.Probs[best] {
					best = c
				}
			}
			p.Score = p.Probs[best]
			if best < len(m.Classes) {
				p.Class = m.Classes[best]
			}
		}
		logged[i] = p.Score
		out[i] = p
	}
	res, err := s.DB.InsertScored(r.Context(), actorFrom(r), m, b, logged, scorer.Version.ID)
	if err != nil {
		return err
	}
	if m.Config.Gate.Shadow && k == 1 {
		s.shadowScore(r, m, X, res.FirstID)
	}
	s.Metrics.Ingested.WithLabelValues(m.Name, store.SourcePredict).Add(float64(b.N))
	s.Metrics.Predictions.WithLabelValues(m.Name).Add(float64(b.N))
	writeJSON(w, http.StatusOK, map[string]any{
		"model": m.Name, "version": scorer.Version.Number, "version_id": scorer.Version.ID, "predictions": out,
	})
	return nil
}

func (s *Server) handleAPIVersions(w http.ResponseWriter, r *http.Request) error {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return err
	}
	vs, err := s.DB.FindVersions(r.Context(), m.ID, 100)
	if err != nil {
		return err
	}
	if vs == nil {
		vs = []*ml.Version{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": m.Name, "versions": vs})
	return nil
}

// shadowScore lets the model's pending challenger score the same rows;
// the scores are logged for the decision page, never returned. A failure
// here never fails the prediction.
func (s *Server) shadowScore(r *http.Request, m *ml.Model, X [][]float64, firstID int64) {
	ctx := r.Context()
	gs, err := s.DB.FindGates(ctx, store.GateFilter{ModelID: m.ID, Status: ml.GatePending, Limit: 1})
	if err != nil || len(gs) == 0 {
		return
	}
	v, err := s.DB.FindVersion(ctx, m.ID, gs[0].ChallengerID)
	if err != nil {
		return
	}
	sc, err := s.Serving.Version(ctx, v)
	if err != nil || sc.Outputs() != 1 {
		return
	}
	scores, err := sc.Score(X)
	if err != nil {
		return
	}
	if err := s.DB.InsertShadowScores(ctx, v.ID, firstID, scores); err != nil {
		s.Log.Warn("shadow scores", "model", m.Name, "err", err)
	}
}
