package handlers

import (
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the Prometheus series freshet exports at /metrics.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	Ingested *prometheus.CounterVec
	Rejected *prometheus.CounterVec
	Labels   *prometheus.CounterVec
	// Predictions counts rows scored by /predict.
	Predictions *prometheus.CounterVec
	LoginFail   prometheus.Counter
}

// NewMetrics registers the series on a fresh registry (with Go and
// process collectors).
func NewMetrics() *Metrics {
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "freshet_http_requests_total", Help: "HTTP requests by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "freshet_http_request_duration_seconds", Help: "HTTP request latency by route pattern.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
		}, []string{"route", "method"}),
		Ingested: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "freshet_ingested_rows_total", Help: "Observations stored, by model and source.",
		}, []string{"model", "source"}),
		Rejected: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "freshet_ingest_rejected_total", Help: "Ingest requests rejected as a whole, by model and reason.",
		}, []string{"model", "reason"}),
		Labels: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "freshet_labels_total", Help: "Late labels attached, by model.",
		}, []string{"model"}),
		Predictions: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "freshet_predictions_total", Help: "Rows scored by the predict API, by model.",
		}, []string{"model"}),
		LoginFail: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "freshet_login_failures_total", Help: "Failed login attempts.",
		}),
	}
	m.reg.MustRegister(m.requests, m.latency, m.Ingested, m.Rejected, m.Labels, m.Predictions, m.LoginFail,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the registry.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// Registry exposes the registry for other collectors (the job runner).
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

type statusWriter struct {
	http.ResponseWriter
	code int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.code == 0 {
		w.code = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.code == 0 {
		w.code = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// middleware counts requests by chi route pattern (not raw path, so
// label cardinality stays bounded).
func (m *Metrics) middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		route := "unmatched"
		if rc := chi.RouteContext(r.Context()); rc != nil && rc.RoutePattern() != "" {
			route = rc.RoutePattern()
		}
		if sw.code == 0 {
			sw.code = http.StatusOK
		}
		m.requests.WithLabelValues(route, r.Method, strconv.Itoa(sw.code)).Inc()
		m.latency.WithLabelValues(route, r.Method).Observe(time.Since(start).Seconds())
	})
}
