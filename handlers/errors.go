package handlers

import (
	"bytes"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strings"

	"github.com/a-h/templ"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/web"
)

// statusOf maps an error code to an HTTP status.
func statusOf(code string) int {
	switch code {
	case ml.EINVALID:
		return http.StatusBadRequest
	case ml.EUNPROCESSABLE:
		return http.StatusUnprocessableEntity
	case ml.ENOTFOUND:
		return http.StatusNotFound
	case ml.ECONFLICT:
		return http.StatusConflict
	case ml.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case ml.EFORBIDDEN:
		return http.StatusForbidden
	case ml.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case ml.ETOOMANY:
		return http.StatusTooManyRequests
	case ml.EUNSUPPORTEDFMT:
		return http.StatusUnsupportedMediaType
	}
	return http.StatusInternalServerError
}

// normalize turns transport errors (an oversize body) into ml errors.
func normalize(err error) error {
	var mb *http.MaxBytesError
	if errors.As(err, &mb) {
		return ml.Errorf(ml.ETOOLARGE, "request body is larger than the limit of %d bytes", mb.Limit)
	}
	return err
}

// apiError is the JSON error body.
type apiError struct {
	Error struct {
		Code    string     `json:"code"`
		Message string     `json:"message"`
		Issues  []ml.Issue `json:"issues,omitempty"`
	} `json:"error"`
}

// writeAPIError writes err as JSON with its status; internal errors are
// logged and shown as "Internal error.".
func (s *Server) writeAPIError(w http.ResponseWriter, r *http.Request, err error) {
	err = normalize(err)
	code := ml.ErrorCode(err)
	if code == ml.EINTERNAL {
		s.Log.Error("request failed", slog.Any("error", err), slog.Group("request", "method", r.Method, "path", r.URL.Path))
	}
	var body apiError
	body.Error.Code = code
	body.Error.Message = ml.ErrorMessage(err)
	var ie *ml.InputError
	if errors.As(err, &ie) {
		body.Error.Issues = ie.Issues
		body.Error.Message = "the input was rejected, nothing was stored: " + strings.ReplaceAll(ie.Error(), "\n", "; ")
	}
	writeJSON(w, statusOf(code), body)
}

// writeJSON writes v as JSON with status. v is encoded before anything is
// sent: a value that cannot be encoded (a NaN, an invalid RawMessage)
// would otherwise go out as the status with an empty or cut-off body,
// which a client takes for success. It becomes a logged 500 instead.
func writeJSON(w http.ResponseWriter, status int, v any) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		// writeJSON has no Server at hand; the default logger reaches
		// the same stderr.
		slog.Error("encode JSON response", slog.Any("error", err), "status", status)
		buf.Reset()
		var body apiError
		body.Error.Code, body.Error.Message = ml.EINTERNAL, "Internal error."
		enc.Encode(body)
		status = http.StatusInternalServerError
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// writePageError renders err as a page, or a fragment for htmx.
func (s *Server) writePageError(w http.ResponseWriter, r *http.Request, err error) {
	err = normalize(err)
	code := ml.ErrorCode(err)
	status := statusOf(code)
	if code == ml.EINTERNAL {
		s.Log.Error("request failed", slog.Any("error", err), slog.Group("request", "method", r.Method, "path", r.URL.Path))
	}
	msg := ml.ErrorMessage(err)
	varyHX(w)
	if isFragment(r) {
		// htmx 2 does not swap 4xx/5xx by default; the fragment still
		// carries the status for scripts and tests, and the page's
		// htmx config swaps error bodies into their targets.
		render(w, r, status, web.ErrorFragment(msg))
		return
	}
	render(w, r, status, web.ErrorPage(web.ErrorView{Nav: navFor(r, "", statusText(status)), Status: status, Message: msg}))
}

func statusText(code int) string { return http.StatusText(code) }

// render writes a component with a status, buffered so a render error
// becomes a 500 instead of half a page.
func render(w http.ResponseWriter, r *http.Request, status int, c templ.Component) {
	templ.Handler(c, templ.WithStatus(status)).ServeHTTP(w, r)
}

// handlerFunc is a handler that returns its error.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// page adapts a page handler: errors become error pages.
func (s *Server) page(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writePageError(w, r, err)
		}
	}
}

// api adapts an API handler: errors become JSON.
func (s *Server) api(h handlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h(w, r); err != nil {
			s.writeAPIError(w, r, err)
		}
	}
}
