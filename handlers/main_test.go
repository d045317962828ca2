package handlers_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/bcrypt"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/handlers"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

func init() { store.BcryptCost = bcrypt.MinCost }

// env is a running server on a fresh database with one user per role and
// one token per scope.
type env struct {
	t      testing.TB
	DB     *store.DB
	Server *handlers.Server
	HTTP   *httptest.Server
	// Passwords by user name; tokens by scope.
	Passwords map[string]string
	Tokens    map[string]string
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "h.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	e := &env{t: t, DB: db, Passwords: map[string]string{}, Tokens: map[string]string{}}
	for _, u := range []struct {
		name string
		role ml.Role
	}{{"ada", ml.RoleAdmin}, {"lee", ml.RoleLead}, {"ann", ml.RoleAnnotator}} {
		_, pw, err := db.CreateUser(ctx, ml.SystemActor, u.name, u.role, false)
		if err != nil {
			t.Fatal(err)
		}
		e.Passwords[u.name] = pw
	}
	for _, sc := range []string{ml.ScopeIngest, ml.ScopePredict, ml.ScopeAdmin} {
		_, secret, err := db.CreateToken(ctx, ml.SystemActor, "t-"+sc, []string{sc})
		if err != nil {
			t.Fatal(err)
		}
		e.Tokens[sc] = secret
	}
	e.Server = &handlers.Server{DB: db, Log: slog.New(slog.NewTextHandler(io.Discard, nil)), MaxRows: 100_000, MaxBody: 32 << 20}
	e.HTTP = httptest.NewServer(e.Server.Routes())
	t.Cleanup(e.HTTP.Close)
	return e
}

// demoModel creates the Elec2 model.
func (e *env) demoModel() *ml.Model {
	e.t.Helper()
	m := demo.Elec2Model()
	if err := e.DB.CreateModel(context.Background(), ml.SystemActor, m); err != nil {
		e.t.Fatal(err)
	}
	return m
}

// client returns an HTTP client logged in as user ("" for none).
func (e *env) client(user string) *http.Client {
	e.t.Helper()
	return e.clientVia(user, nil)
}

// clientVia is client with its own transport (nil: the default one).
func (e *env) clientVia(user string, tr http.RoundTripper) *http.Client {
	e.t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if user == "" {
		return c
	}
	res, err := c.PostForm(e.HTTP.URL+"/login", url.Values{"name": {user}, "password": {e.Passwords[user]}})
	if err != nil {
		e.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusSeeOther {
		e.t.Fatalf("login %s: %d", user, res.StatusCode)
	}
	return c
}

type resp struct {
	Status int
	Body   string
	Header http.Header
}

// do sends a request with optional token and headers.
func (e *env) do(c *http.Client, method, path, token, contentType string, body io.Reader, headers ...string) resp {
	e.t.Helper()
	req, err := http.NewRequest(method, e.HTTP.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if c == nil {
		c = e.client("")
	}
	res, err := c.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{Status: res.StatusCode, Body: string(b), Header: res.Header}
}

// multipartFile builds a multipart body with one "file" part.
func multipartFile(name, content string, fields ...string) (string, io.Reader) {
	var buf bytes.Buffer
	w := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(fields); i += 2 {
		w.WriteField(fields[i], fields[i+1])
	}
	fw, _ := w.CreateFormFile("file", name)
	io.WriteString(fw, content)
	w.Close()
	return w.FormDataContentType(), &buf
}

// elec2CSV returns rows [lo, hi) of Elec2 as CSV for the demo model.
func elec2CSV(t testing.TB, lo, hi int, withID bool) string {
	t.Helper()
	tab, err := demo.Elec2()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if withID {
		b.WriteString("id,")
	}
	b.WriteString("ts,day,period,nswprice,nswdemand,vicprice,vicdemand,transfer,label\n")
	for i := lo; i < hi; i++ {
		if withID {
			b.WriteString(demo.EntityID(0, i) + ",")
		}
		b.WriteString(msToTS(tab.Time[i]))
		b.WriteString("," + tab.Day[i])
		for j := range 6 {
			b.WriteString("," + ftoa(tab.Num[j][i]))
		}
		b.WriteString("," + ftoa(tab.Label[i]) + "\n")
	}
	return b.String()
}
