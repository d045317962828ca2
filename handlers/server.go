// Package handlers serves freshet over HTTP: the HTML dashboard (templ +
// htmx) and the JSON API under /api/v1, with chi.
package handlers

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"sync"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/freshet/freshet/jobs"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/serving"
	"github.com/freshet/freshet/static"
	"github.com/freshet/freshet/store"
)

// Defaults for request limits.
const (
	DefaultMaxBody = 256 << 20 // bytes per API or upload request
	DefaultMaxRows = 2_000_000 // rows per ingest request
)

// Server holds the handlers' dependencies; main wires it.
type Server struct {
	DB      *store.DB
	Jobs    *jobs.Runner // nil in tests that need no queue
	Log     *slog.Logger
	Metrics *Metrics
	Serving *serving.Registry
	// MaxBody and MaxRows bound one request.
	MaxBody int64
	MaxRows int
	// Demo says the demo stream runs, at DemoSpeed.
	Demo      bool
	DemoSpeed float64

	limiter *loginLimiter
	monitor *jobs.Monitor // shared, so decoded references are cached
	ranges  sync.Map      // reference id → feature ranges for the labeling page
}

// Routes returns the router.
func (s *Server) Routes() http.Handler {
	if s.Log == nil {
		s.Log = slog.Default()
	}
	if s.Metrics == nil {
		s.Metrics = NewMetrics()
	}
	if s.MaxBody <= 0 {
		s.MaxBody = DefaultMaxBody
	}
	if s.MaxRows <= 0 {
		s.MaxRows = DefaultMaxRows
	}
	s.limiter = newLoginLimiter()
	if s.Serving == nil {
		s.Serving = &serving.Registry{DB: s.DB}
	}
	if s.Jobs != nil && s.Jobs.Monitor != nil {
		s.monitor = s.Jobs.Monitor
	} else {
		s.monitor = &jobs.Monitor{DB: s.DB, Serving: s.Serving}
	}

	r := chi.NewRouter()
	r.Use(middleware.RealIP, s.recoverer, s.Metrics.middleware, securityHeaders)
	// Cross-origin protection on every unsafe method: the browser's
	// Sec-Fetch-Site / Origin headers must say same origin. Non-browser
	// clients (API tokens) send neither and pass.
	cop := http.NewCrossOriginProtection()
	r.Use(cop.Handler)

	r.Get("/healthz", s.handleHealth)
	r.Handle("/metrics", s.Metrics.Handler())
	r.Handle("/static/*", static.Handler())
	r.Get("/favicon.ico", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, static.URL("favicon.svg"), http.StatusMovedPermanently)
	})

	r.Group(func(r chi.Router) {
		r.Use(s.labelingTurns(), s.authenticate)
		r.Route("/api/v1", s.mountAPI)
		r.Get("/login", s.page(s.handleLoginView))
		r.Post("/login", s.page(s.handleLogin))
		r.Post("/logout", s.page(s.handleLogout))
		r.Group(func(r chi.Router) {
			r.Use(s.requireUser(ml.RoleAnnotator))
			r.Get("/account/password", s.page(s.handlePasswordView))
			r.Post("/account/password", s.page(s.handlePassword))
			r.Get("/", s.page(s.handleOverview))
			r.Get("/models", s.page(s.handleModels))
			r.Get("/models/{name}", s.page(s.handleModelView))
			r.Get("/models/{name}/counts", s.api(s.handleCounts))
			r.Get("/models/{name}/distribution", s.page(s.handleDistribution))
			r.Get("/models/{name}/monitoring", s.page(s.handleMonitoring))
			r.Get("/jobs", s.page(s.handleJobs))
			r.Get("/jobs/{id}", s.page(s.handleJobView))
			r.Get("/gates", s.page(s.handleGates))
			r.Get("/models/{name}/gates/{id}", s.page(s.handleGateView))
			r.Get("/models/{name}/versions", s.page(s.handleVersionsView))
			r.Get("/labeling", s.page(s.handleLabeling))
			r.Get("/labeling/batches/{id}", s.page(s.handleLabelBatchPage))
		})
		r.Group(func(r chi.Router) {
			r.Use(s.requireUser(ml.RoleLead))
			r.Get("/models/new", s.page(s.handleNewModelView))
			r.Post("/models/new", s.page(s.handleUpload))
			r.Get("/models/new/{upload}", s.page(s.handleSchemaView))
			r.Post("/models/new/{upload}", s.page(s.handleCreateFromUpload))
			r.Post("/models/{name}/observations", s.page(s.handleAppendUpload))
			r.Post("/models/{name}/retrain", s.page(s.handleRetrainButton))
			r.Get("/models/{name}/policy", s.page(s.handlePolicyView))
			r.Post("/labeling/batches", s.page(s.handleStartBatchForm))
			r.Get("/labeling/batches/{id}/lead", s.page(s.handleLeadBatchPage))
			r.Post("/labeling/items/{id}/settle", s.page(s.handleSettleForm))
			r.Post("/models/{name}/gates/{id}/approve", s.page(s.handleGateDecide(true)))
			r.Post("/models/{name}/gates/{id}/reject", s.page(s.handleGateDecide(false)))
			r.Post("/models/{name}/versions/{id}/promote", s.page(s.handleVersionsAction(s.promoteButton)))
			r.Post("/models/{name}/rollback", s.page(s.handleVersionsAction(s.rollbackButton)))
			r.Post("/models/{name}/policy", s.page(s.handlePolicySave))
			r.Post("/jobs/{id}/cancel", s.page(s.handleJobCancelButton))
			r.Post("/jobs/{id}/retry", s.page(s.handleJobRetryButton))
			r.Get("/jobs/{id}/data.parquet", s.page(s.handleJobData))
			r.Get("/audit", s.page(s.handleAudit))
			r.Get("/models/{name}/backtests", s.page(s.handleBacktestsView))
			r.Post("/models/{name}/backtests", s.page(s.handleBacktestStart))
			r.Get("/backtests/{id}", s.page(s.handleBacktestView))
			r.Post("/backtests/{id}/cancel", s.page(s.handleBacktestCancelButton))
			r.Get("/backtests/{id}/apply", s.page(s.handleBacktestApplyView))
			r.Post("/backtests/{id}/apply", s.page(s.handleBacktestApplyButton))
		})
		r.Group(func(r chi.Router) {
			r.Use(s.requireUser(ml.RoleAdmin))
			r.Get("/settings", s.page(s.handleSettings))
			r.Post("/settings/users", s.page(s.handleUserCreate))
			r.Post("/settings/tokens", s.page(s.handleTokenCreate))
			r.Post("/settings/tokens/{id}/revoke", s.page(s.handleTokenRevoke))
		})
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.writePageError(w, r, ml.Errorf(ml.ENOTFOUND, "There is no page at %s.", r.URL.Path))
	})
	return r
}

func (s *Server) mountAPI(r chi.Router) {
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		s.writeAPIError(w, r, ml.Errorf(ml.ENOTFOUND, "no API route %s %s", r.Method, r.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		s.writeAPIError(w, r, ml.Errorf(ml.EINVALID, "method %s is not allowed on %s", r.Method, r.URL.Path))
	})
	r.Group(func(r chi.Router) {
		r.Use(s.requireScope(""))
		r.Get("/models", s.api(s.handleAPIModels))
		r.Get("/models/{name}", s.api(s.handleAPIModel))
		r.Get("/models/{name}/counts", s.api(s.handleCounts))
		r.Get("/models/{name}/versions", s.api(s.handleAPIVersions))
		r.Get("/models/{name}/drift", s.api(s.handleDrift))
		r.Get("/models/{name}/decay", s.api(s.handleDecay))
		r.Get("/models/{name}/jobs", s.api(s.handleAPIModelJobs))
		r.Get("/models/{name}/triggers", s.api(s.handleAPITriggers))
		r.Get("/models/{name}/policy", s.api(s.handleAPIPolicy))
		r.Get("/jobs/{id}", s.api(s.handleAPIJob))
		r.Get("/models/{name}/gates", s.api(s.handleAPIGates))
		r.Get("/models/{name}/gates/{id}", s.api(s.handleAPIGate))
		r.Get("/models/{name}/deployments", s.api(s.handleAPIDeployments))
		r.Get("/models/{name}/batches", s.api(s.handleAPIBatches))
		r.Get("/batches/{id}", s.api(s.handleAPIBatch))
	})
	r.Group(func(r chi.Router) {
		r.Use(s.requireLabeler)
		r.Post("/batches/{id}/next", s.api(s.handleAPINextItem))
		r.Post("/batches/{id}/undo", s.api(s.handleAPIUndo))
		r.Post("/items/{id}/label", s.api(s.handleAPILabelItem))
		r.Post("/items/{id}/skip", s.api(s.handleAPISkipItem))
	})
	r.Group(func(r chi.Router) {
		r.Use(s.requireScope(ml.ScopeAdmin))
		r.Put("/models/{name}/policy", s.api(s.handleAPIPolicy))
		r.Post("/jobs/{id}/cancel", s.api(s.handleAPIJobCancel))
		r.Post("/jobs/{id}/retry", s.api(s.handleAPIJobRetry))
		r.Get("/jobs/{id}/data.parquet", s.api(s.handleJobData))
		r.Post("/models/{name}/gates/{id}/approve", s.api(s.handleAPIApprove))
		r.Post("/models/{name}/gates/{id}/reject", s.api(s.handleAPIReject))
		r.Post("/models/{name}/versions/{id}/promote", s.api(s.handleAPIPromote))
		r.Post("/models/{name}/rollback", s.api(s.handleAPIRollback))
		r.Post("/models/{name}/batches", s.api(s.handleAPIStartBatch))
		r.Post("/items/{id}/settle", s.api(s.handleAPISettle))
		r.Get("/models/{name}/backtests", s.api(s.handleAPIBacktests))
		r.Post("/models/{name}/backtests", s.api(s.handleAPIBacktestCreate))
		r.Get("/backtests/{id}", s.api(s.handleAPIBacktest))
		r.Post("/backtests/{id}/cancel", s.api(s.handleAPIBacktestCancel))
		r.Post("/backtests/{id}/apply", s.api(s.handleAPIBacktestApply))
	})
	r.With(s.requireScope(ml.ScopePredict)).Post("/models/{name}/predict", s.api(s.handlePredict))
	r.With(s.requireScope(ml.ScopeAdmin)).Post("/models/{name}/retrain", s.api(s.handleAPIRetrain))
	r.With(s.requireScope(ml.ScopeAdmin)).Post("/models", s.api(s.handleAPIModelCreate))
	r.With(s.requireScope(ml.ScopeAdmin)).Put("/models/{name}/config", s.api(s.handleAPIModelConfig))
	r.Group(func(r chi.Router) {
		r.Use(s.requireScope(ml.ScopeIngest))
		r.Post("/models/{name}/observations", s.api(s.handleAPIObservations))
		r.Post("/models/{name}/labels", s.api(s.handleAPILabels))
	})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	if err := s.DB.Write.PingContext(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "db": "unreachable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// recoverer turns a panic into a logged 500.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.Log.Error("panic", slog.Any("panic", v), slog.String("stack", string(debug.Stack())), slog.Group("request", "method", r.Method, "path", r.URL.Path))
				http.Error(w, "Internal error.", http.StatusInternalServerError)
			}
		}()
		next.ServeHTTP(w, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; frame-ancestors 'none'")
		next.ServeHTTP(w, r)
	})
}

var startTime = time.Now()
