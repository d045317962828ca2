package handlers_test

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

func TestUploadCreatesModel(t *testing.T) {
	e := newEnv(t)
	lead := e.client("lee")
	csv := "ts,date,day,period,nswprice,label\n1996-05-07T00:00,0,2,0,0.056,1\n1996-05-07T00:30,0,2,0.02,0.051,0\n1996-05-07T01:00,0,2,0.04,0.050,1\n"
	ct, body := multipartFile("My Prices.csv", csv)
	r := e.do(lead, "POST", "/models/new", "", ct, body)
	if r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), "/models/new/") {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	schemaURL := r.Header.Get("Location")
	r = e.do(lead, "GET", schemaURL, "", "", nil)
	if r.Status != 200 || !strings.Contains(r.Body, `value="my-prices"`) || !strings.Contains(r.Body, `data-testid="role-label"`) {
		t.Fatalf("schema page: %d", r.Status)
	}
	// Another lead cannot see this upload.
	if r := e.do(e.client("ada"), "GET", schemaURL, "", "", nil); r.Status != 404 {
		t.Fatalf("other user's upload: %d", r.Status)
	}
	form := url.Values{"name": {"prices"}, "task": {"binary"}, "role:ts": {"time"}, "role:date": {"ignore"}, "role:day": {"categorical"},
		"role:period": {"numeric"}, "role:nswprice": {"numeric"}, "role:label": {"label"}}
	// Two labels: refused, nothing created.
	bad := url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("role:nswprice", "label")
	r = e.do(lead, "POST", schemaURL, "", "application/x-www-form-urlencoded", strings.NewReader(bad.Encode()))
	if r.Status != 422 || !strings.Contains(r.Body, "Only one column can be the label") {
		t.Fatalf("two labels: %d", r.Status)
	}
	// Time as a numeric feature named like the label column is fine; but
	// a categorical label value that is not 0/1 rejects the file whole.
	bad = url.Values{}
	for k, v := range form {
		bad[k] = v
	}
	bad.Set("role:label", "numeric")
	bad.Set("role:day", "label")
	r = e.do(lead, "POST", schemaURL, "", "application/x-www-form-urlencoded", strings.NewReader(bad.Encode()))
	if r.Status != 422 || !strings.Contains(r.Body, "line 2") {
		t.Fatalf("bad labels: %d %s", r.Status, r.Body)
	}
	if _, err := e.DB.FindModelByName(context.Background(), "prices"); ml.ErrorCode(err) != ml.ENOTFOUND {
		t.Fatalf("model created by a rejected form: %v", err)
	}
	r = e.do(lead, "POST", schemaURL, "", "application/x-www-form-urlencoded", strings.NewReader(form.Encode()))
	if r.Status != 303 || r.Header.Get("Location") != "/models/prices" {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	m, err := e.DB.FindModelByName(context.Background(), "prices")
	if err != nil || m.Stats.Observations != 3 || m.Stats.Labeled != 3 || m.Time != "ts" || len(m.Features) != 3 {
		t.Fatalf("model: %+v %v", m, err)
	}

	// Append by upload, as htmx: the fragment says what was stored.
	ct, body = multipartFile("more.csv", "ts,day,period,nswprice,label\n1996-05-07T01:30,2,0.06,0.049,\n")
	r = e.do(lead, "POST", "/models/prices/observations", "", ct, body, "HX-Request", "true")
	if r.Status != 200 || strings.Contains(r.Body, "<html") || !strings.Contains(r.Body, "Stored 1 rows") {
		t.Fatalf("append: %d %s", r.Status, r.Body)
	}
	// A bad file appended without htmx: the whole page with the issues.
	ct, body = multipartFile("bad.csv", "ts,day,period,nswprice,label\n1996-05-07T02:00,2,0.06,0.049,\n1996-05-07T02:30,2,oops,0.049,1\n")
	r = e.do(lead, "POST", "/models/prices/observations", "", ct, body)
	if r.Status != 422 || !strings.Contains(r.Body, "<html") || !strings.Contains(r.Body, "line 3") || !strings.Contains(r.Body, "oops") {
		t.Fatalf("bad append: %d %s", r.Status, r.Body)
	}
	m, _ = e.DB.FindModelByName(context.Background(), "prices")
	if m.Stats.Observations != 4 {
		t.Fatalf("rows after bad append: %d", m.Stats.Observations)
	}
	// Annotators cannot upload.
	ct, body = multipartFile("more.csv", "ts,day,period,nswprice,label\n1996-05-07T03:30,2,0.06,0.049,\n")
	if r := e.do(e.client("ann"), "POST", "/models/prices/observations", "", ct, body); r.Status != 403 {
		t.Fatalf("annotator append: %d", r.Status)
	}
	// A file that is not CSV at all.
	ct, body = multipartFile("x.csv", "a,b\n\"unterminated\n")
	if r := e.do(lead, "POST", "/models/new", "", ct, body); r.Status != 422 {
		t.Fatalf("broken csv: %d %s", r.Status, r.Body)
	}
}
