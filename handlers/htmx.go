package handlers

import "net/http"

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

// redirect sends htmx requests an HX-Redirect and others a 303.
func redirect(w http.ResponseWriter, r *http.Request, to string) {
	if r.Header.Get(hxRequest) == "true" {
		w.Header().Set(hxRedirect, to)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}
