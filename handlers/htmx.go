package handlers

import (
	"net/http"

	"github.com/a-h/templ"
)

// htmx request and response headers.
const (
	hxRequest        = "HX-Request"
	hxBoosted        = "HX-Boosted"
	hxHistoryRestore = "HX-History-Restore-Request"
	hxRedirect       = "HX-Redirect"
)

// isFragment reports whether r wants a fragment rather than a full page:
// an htmx request that is neither boosted nor a history restore (a Back
// button restore must get the whole page).
func isFragment(r *http.Request) bool {
	return r.Header.Get(hxRequest) == "true" && r.Header.Get(hxBoosted) != "true" && r.Header.Get(hxHistoryRestore) != "true"
}

// varyHX marks a response that depends on the htmx headers.
func varyHX(w http.ResponseWriter) { w.Header().Add("Vary", "HX-Request") }

// renderPage renders the fragment for an htmx request that wants one
// (the live part of the page, polled or swapped), the whole page
// otherwise.
func renderPage(w http.ResponseWriter, r *http.Request, fragment, page templ.Component) {
	varyHX(w)
	if isFragment(r) {
		render(w, r, http.StatusOK, fragment)
		return
	}
	render(w, r, http.StatusOK, page)
}

// redirect sends htmx requests an HX-Redirect and others a 303.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	if r.Header.Get(hxRequest) == "true" {
		w.Header().Set(hxRedirect, to)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
