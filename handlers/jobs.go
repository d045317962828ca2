package handlers

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/freshet/freshet/jobs"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
	"github.com/freshet/freshet/web"
)

// jobFromURL reads the {id} of a job URL.
func (s *Server) jobFromURL(r *http.Request) (*ml.Job, error) {
	id, err := idParam(r, "id")
	if err != nil {
		return nil, err
	}
	return s.DB.FindJob(r.Context(), id)
}

// handleAPIModelJobs is GET /api/v1/models/{name}/jobs: the model's
// training jobs, newest first.
func (s *Server) handleAPIModelJobs(w http.ResponseWriter, r *http.Request) error {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return err
	}
	js, err := s.DB.FindJobs(r.Context(), store.JobFilter{ModelID: m.ID, Limit: atoiOr(r.URL.Query().Get("limit"), 100)})
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": m.Name, "jobs": js})
	return nil
}

// handleAPIJob is GET /api/v1/jobs/{id}: one job with its log.
func (s *Server) handleAPIJob(w http.ResponseWriter, r *http.Request) error {
	j, err := s.jobFromURL(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

// handleAPIJobCancel is POST /api/v1/jobs/{id}/cancel.
func (s *Server) handleAPIJobCancel(w http.ResponseWriter, r *http.Request) error {
	j, err := s.cancelJob(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

func (s *Server) cancelJob(r *http.Request) (*ml.Job, error) {
	if s.Jobs == nil {
		return nil, ml.Errorf(ml.ECONFLICT, "this server runs without a job queue")
	}
	j, err := s.jobFromURL(r)
	if err != nil {
		return nil, err
	}
	return s.Jobs.Cancel(r.Context(), actorFrom(r), j.ID)
}

// handleAPIJobRetry is POST /api/v1/jobs/{id}/retry: queue a finished job
// again (as a new job).
func (s *Server) handleAPIJobRetry(w http.ResponseWriter, r *http.Request) error {
	j, dup, err := s.retryJob(r)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusAccepted, map[string]any{"job_id": j.ID, "state": j.State, "duplicate": dup, "job": j})
	return nil
}

func (s *Server) retryJob(r *http.Request) (*ml.Job, bool, error) {
	if s.Jobs == nil {
		return nil, false, ml.Errorf(ml.ECONFLICT, "this server runs without a job queue")
	}
	j, err := s.jobFromURL(r)
	if err != nil {
		return nil, false, err
	}
	return s.Jobs.Retry(r.Context(), actorFrom(r), j.ID)
}

// handleJobData is GET /api/v1/jobs/{id}/data.parquet (and the page's
// download): the exact rows the job trained on, its data version, as
// Parquet with the label and the time.
func (s *Server) handleJobData(w http.ResponseWriter, r *http.Request) error {
	j, err := s.jobFromURL(r)
	if err != nil {
		return err
	}
	if j.Data.Rows == 0 {
		return ml.Errorf(ml.ENOTFOUND, "job %d recorded no data version", j.ID)
	}
	m, err := s.DB.FindModelByID(r.Context(), j.ModelID)
	if err != nil {
		return err
	}
	snap, match, err := jobs.DataSnapshot(r.Context(), s.DB, m, j.Data)
	if err != nil {
		return err
	}
	dir, err := os.MkdirTemp("", "freshet-export-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "data.parquet")
	if err := snap.WriteParquet(path, m.Label); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	w.Header().Set("Content-Type", "application/vnd.apache.parquet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="%s-job-%d.parquet"`, m.Name, j.ID))
	w.Header().Set("X-Freshet-Data-Hash", j.Data.Hash)
	w.Header().Set("X-Freshet-Data-Hash-Match", strconv.FormatBool(match))
	_, err = io.Copy(w, f)
	return err
}

// handleAPITriggers is GET /api/v1/models/{name}/triggers: every decision
// to retrain or not, newest first.
func (s *Server) handleAPITriggers(w http.ResponseWriter, r *http.Request) error {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return err
	}
	evs, err := s.DB.FindTriggers(r.Context(), m.ID, atoiOr(r.URL.Query().Get("limit"), 100))
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": m.Name, "triggers": evs})
	return nil
}

// handleAPIPolicy is GET and PUT /api/v1/models/{name}/policy: the
// retraining policy alone (PUT replaces it, validated whole).
func (s *Server) handleAPIPolicy(w http.ResponseWriter, r *http.Request) error {
	m, err := s.DB.FindModelByName(r.Context(), chi.URLParam(r, "name"))
	if err != nil {
		return err
	}
	if r.Method == http.MethodPut {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 1<<20))
		if err != nil {
			return err
		}
		var p ml.PolicyConfig
		if err := decodeStrict(body, &p); err != nil {
			return err
		}
		cfg := m.Config
		cfg.Policy = p
		if m, err = s.DB.UpdateModelConfig(r.Context(), actorFrom(r), m.Name, cfg); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": m.Name, "policy": m.Config.Policy, "describe": m.Config.Policy.Describe()})
	return nil
}

func atoiOr(s string, def int) int {
	n, err := strconv.Atoi(s)
	if err != nil || n <= 0 {
		return def
	}
	return n
}

// jobRow is a job as the pages show it.
func jobRow(j *ml.Job, now time.Time) web.TrainJobRow {
	row := web.TrainJobRow{Job: j}
	switch {
	case j.State == ml.JobRunning && j.StartedAt != nil:
		row.Elapsed = now.Sub(*j.StartedAt)
	case j.StartedAt != nil && j.FinishedAt != nil:
		row.Elapsed = j.FinishedAt.Sub(*j.StartedAt)
	}
	return row
}

func (s *Server) handleJobs(w http.ResponseWriter, r *http.Request) error {
	v := web.JobsView{Nav: navFor(r, "jobs", "Jobs"), Now: time.Now()}
	js, err := s.DB.FindJobs(r.Context(), store.JobFilter{Limit: 50})
	if err != nil {
		return err
	}
	for _, j := range js {
		v.Training = append(v.Training, jobRow(j, v.Now))
	}
	if s.Jobs != nil {
		bg, err := s.Jobs.RecentJobs(r.Context(), 30)
		if err != nil {
			return err
		}
		for _, j := range bg {
			if j.Kind == "retrain" {
				continue
			}
			v.Jobs = append(v.Jobs, web.JobRow{ID: j.ID, Kind: j.Kind, State: j.State, Attempt: j.Attempt, Created: j.CreatedAt, Finished: j.FinishedAt, Output: outputText(j.Description), Error: j.Error})
		}
		v.MaxTrainings = s.Jobs.MaxTrainings()
	}
	renderPage(w, r, web.JobsLive(v), web.JobsPage(v))
	return nil
}

func (s *Server) handleJobView(w http.ResponseWriter, r *http.Request) error {
	j, err := s.jobFromURL(r)
	if err != nil {
		return err
	}
	v := web.JobView{Nav: navFor(r, "jobs", fmt.Sprintf("Job %d", j.ID)), Row: jobRow(j, time.Now())}
	if j.TriggerID != 0 {
		evs, err := s.DB.FindTriggers(r.Context(), j.ModelID, 200)
		if err != nil {
			return err
		}
		for _, e := range evs {
			if e.ID == j.TriggerID {
				v.Trigger = e
			}
		}
	}
	if j.VersionID != 0 {
		vs, err := s.DB.FindVersions(r.Context(), j.ModelID, 200)
		if err != nil {
			return err
		}
		for _, x := range vs {
			if x.ID == j.VersionID {
				v.Version = x
			}
		}
	}
	renderPage(w, r, web.JobLive(v), web.JobPage(v))
	return nil
}

// handleJobCancelButton is the jobs pages' Cancel.
func (s *Server) handleJobCancelButton(w http.ResponseWriter, r *http.Request) error {
	j, err := s.cancelJob(r)
	if err != nil {
		return err
	}
	redirect(w, r, fmt.Sprintf("/jobs/%d", j.ID))
	return nil
}

// handleJobRetryButton is the jobs pages' Retry.
func (s *Server) handleJobRetryButton(w http.ResponseWriter, r *http.Request) error {
	j, _, err := s.retryJob(r)
	if err != nil {
		return err
	}
	redirect(w, r, fmt.Sprintf("/jobs/%d", j.ID))
	return nil
}
