package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/ingest"
	"github.com/freshet/freshet/store"
)

// apiModel is a model as the API shows it: the definition plus counts.
type apiModel struct {
	*ml.Model
	Observations      int64      `json:"observations"`
	Labeled           int64      `json:"labeled"`
	LabelCoverage     float64    `json:"label_coverage"`
	FirstObservations *time.Time `json:"first_observation_at,omitempty"`
	LastObservation   *time.Time `json:"last_observation_at,omitempty"`
	LastIngest        *time.Time `json:"last_ingest_at,omitempty"`
}

func toAPIModel(m *ml.Model) apiModel {
	return apiModel{Model: m, Observations: m.Stats.Observations, Labeled: m.Stats.Labeled, LabelCoverage: m.Stats.LabelCoverage(),
		FirstObservations: m.Stats.FirstObservation, LastObservation: m.Stats.LastObservation, LastIngest: m.Stats.LastIngest}
}

func (s *Server) handleAPIModels(w http.ResponseWriter, r *http.Request) error {
	ms, err := s.DB.FindModels(r.Context())
	if err != nil {
		return err
	}
	out := make([]apiModel, 0, len(ms))
	for _, m := range ms {
		out = append(out, toAPIModel(m))
	}
	writeJSON(w, http.StatusOK, map[string]any{"models": out})
	return nil
}

func (s *Server) handleAPIModel(w http.ResponseWriter, r *http.Request) error {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPIModel(m))
	return nil
}

// modelInput is the body of POST /api/v1/models.
type modelInput struct {
	Name        string          `json:"name"`
	Task        ml.Task         `json:"task"`
	Label       string          `json:"label"`
	Time        string          `json:"time"`
	Entity      string          `json:"entity"`
	Features    []ml.Feature    `json:"features"`
	Classes     []string        `json:"classes"`
	Metric      string          `json:"metric"`
	Description string          `json:"description"`
	Config      *ml.ModelConfig `json:"config"`
}

func (s *Server) handleAPIModelCreate(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		return err
	}
	var in modelInput
	if err := decodeStrict(body, &in); err != nil {
		return err
	}
	m := &ml.Model{Name: in.Name, Task: in.Task, Label: in.Label, Time: in.Time, Entity: in.Entity, Features: in.Features,
		Classes: in.Classes, Metric: in.Metric, Description: in.Description}
	if in.Config != nil {
		m.Config = *in.Config
	}
	if err := s.DB.CreateModel(r.Context(), actorFrom(r), m); err != nil {
		return err
	}
	m, err = s.DB.FindModelByName(r.Context(), m.Name)
	if err != nil {
		return err
	}
	w.Header().Set("Location", "/api/v1/models/"+m.Name)
	writeJSON(w, http.StatusCreated, toAPIModel(m))
	return nil
}

// decodeStrict decodes one JSON value, rejecting unknown fields and
// trailing data, with line and column in syntax and type errors.
func decodeStrict(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON object")
		line, col := lineCol(body, int(dec.InputOffset()))
		return ml.InputErrorf(line, col, "", "%v", err)
	}
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(body, int(se.Offset))
		return ml.InputErrorf(line, col, "", "invalid JSON: %v", se)
	case errors.As(err, &te):
		line, col := lineCol(body, int(te.Offset))
		return ml.InputErrorf(line, col, te.Field, "%s should be %s, not %s", te.Field, te.Type, te.Value)
	case errors.Is(err, io.EOF):
		return ml.InputErrorf(1, 1, "", "empty body: send a JSON object")
	}
	return ml.InputErrorf(0, 0, "", "%v", err)
}

func lineCol(b []byte, off int) (line, col int) {
	off = min(off, len(b))
	line = 1 + bytes.Count(b[:off], []byte("\n"))
	col = off - bytes.LastIndexByte(b[:off], '\n')
	return line, col
}

func (s *Server) parseOptions() ingest.Options {
	return ingest.Options{MaxRows: s.MaxRows, Now: time.Now().UnixMilli()}
}

func (s *Server) handleAPIObservations(w http.ResponseWriter, r *http.Request) error {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return err
	}
	format, err := ingest.Format(r.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	body := http.MaxBytesReader(w, r.Body, s.MaxBody)
	b, err := ingest.Parse(format, body, m, s.parseOptions())
	if err != nil {
		s.Metrics.Rejected.WithLabelValues(m.Name, ml.ErrorCode(normalize(err))).Inc()
		return err
	}
	res, err := s.DB.InsertBatch(r.Context(), actorFrom(r), m, b, store.SourceIngest)
	if err != nil {
		s.Metrics.Rejected.WithLabelValues(m.Name, ml.ErrorCode(err)).Inc()
		return err
	}
	s.Metrics.Ingested.WithLabelValues(m.Name, store.SourceIngest).Add(float64(res.Accepted))
	writeJSON(w, http.StatusOK, res)
	return nil
}

func (s *Server) handleAPILabels(w http.ResponseWriter, r *http.Request) error {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return err
	}
	format, err := ingest.Format(r.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	body := http.MaxBytesReader(w, r.Body, s.MaxBody)
	lb, err := ingest.ParseLabels(format, body, m, s.parseOptions())
	if err != nil {
		return err
	}
	res, err := s.DB.AttachLabels(r.Context(), actorFrom(r), m, lb, store.SourceIngest)
	if err != nil {
		return err
	}
	s.Metrics.Labels.WithLabelValues(m.Name).Add(float64(res.Updated))
	writeJSON(w, http.StatusOK, res)
	return nil
}

// handleCounts serves the observations chart: counts per hour over the
// last 14 days of observation time, or per day over all time.
func (s *Server) handleCounts(w http.ResponseWriter, r *http.Request) error {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return err
	}
	bucket := r.URL.Query().Get("bucket")
	var size, from int64
	switch bucket {
	case "", "hour":
		bucket, size = "hour", time.Hour.Milliseconds()
		if m.Stats.LastObservation != nil {
			from = m.Stats.LastObservation.Add(-14 * 24 * time.Hour).UnixMilli()
		}
	case "day":
		size = 24 * time.Hour.Milliseconds()
	default:
		return ml.Errorf(ml.EINVALID, "bucket %q: use hour or day", bucket)
	}
	counts, err := s.DB.FindHourlyCounts(r.Context(), m.ID, size, from)
	if err != nil {
		return err
	}
	if counts == nil {
		counts = []store.HourCount{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": m.Name, "bucket": bucket, "buckets": counts})
	return nil
}

// handleAPIModelConfig is PUT /api/v1/models/{name}/config: replace the
// model's configuration (trainer, monitoring windows and thresholds),
// validated whole.
func (s *Server) handleAPIModelConfig(w http.ResponseWriter, r *http.Request) error {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
	if err != nil {
		return err
	}
	var cfg ml.ModelConfig
	if err := decodeStrict(body, &cfg); err != nil {
		return err
	}
	m, err := s.DB.UpdateModelConfig(r.Context(), actorFrom(r), chi.URLParam(r, "name"), cfg)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, toAPIModel(m))
	return nil
}
