package handlers

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
	"github.com/freshet/freshet/web"
)

// SessionCookie is the name of the session cookie.
const SessionCookie = "freshet_session"

// principal is who makes a request: a person with a session or a token.
type principal struct {
	User    *ml.User
	Session *store.Session
	Token   *ml.Token
}

func (p *principal) actor() ml.Actor {
	switch {
	case p == nil:
		return ml.SystemActor
	case p.User != nil:
		return ml.Actor{Kind: "user", ID: p.User.ID, Name: p.User.Name}
	case p.Token != nil:
		return ml.Actor{Kind: "token", ID: p.Token.ID, Name: p.Token.Name}
	}
	return ml.SystemActor
}

// hasScope: tokens carry scopes; people get them from their role (admins
// and leads all API scopes, annotators none).
func (p *principal) hasScope(scope string) bool {
	switch {
	case p == nil:
		return false
	case p.Token != nil:
		return p.Token.HasScope(scope)
	case p.User != nil:
		return p.User.Role.AtLeast(ml.RoleLead)
	}
	return false
}

type ctxKey int

const principalKey ctxKey = 1

func principalFrom(ctx context.Context) *principal {
	p, _ := ctx.Value(principalKey).(*principal)
	return p
}

func actorFrom(r *http.Request) ml.Actor { return principalFrom(r.Context()).actor() }

// authenticate finds the principal from a bearer token or the session
// cookie. A bad bearer token is an error; a bad cookie just means nobody.
func (s *Server) authenticate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := &principal{}
		if h := r.Header.Get("Authorization"); h != "" {
			secret, ok := strings.CutPrefix(h, "Bearer ")
			if !ok {
				s.writeAPIError(w, r, ml.Errorf(ml.EUNAUTHORIZED, "use Authorization: Bearer <token>"))
				return
			}
			t, err := s.DB.FindTokenBySecret(r.Context(), strings.TrimSpace(secret))
			if err != nil {
				s.writeAPIError(w, r, err)
				return
			}
			p.Token = t
		} else if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			if sess, err := s.DB.FindSession(r.Context(), c.Value); err == nil {
				p.Session, p.User = sess, &sess.User
			}
		}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), principalKey, p)))
	})
}

// requireUser guards pages: a logged-in person of at least min role who
// has set their own password.
func (s *Server) requireUser(min ml.Role) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := principalFrom(r.Context())
			if p == nil || p.User == nil {
				to := "/login"
				if r.Method == http.MethodGet && r.URL.Path != "/" {
					to += "?next=" + url.QueryEscape(r.URL.RequestURI())
				}
				redirect(w, r, to)
				return
			}
			if p.Session.MustChange && r.URL.Path != "/account/password" {
				redirect(w, r, "/account/password")
				return
			}
			if !p.User.Role.AtLeast(min) {
				s.DB.Audit(r.Context(), p.actor(), "access.denied", r.Method+" "+r.URL.Path, "needs role "+string(min))
				s.writePageError(w, r, ml.Errorf(ml.EFORBIDDEN, "This page is for %ss and above; you are signed in as %s (%s).", min, p.User.Name, p.User.Role))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// requireScope guards API routes.
func (s *Server) requireScope(scope string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := principalFrom(r.Context())
			if p == nil || (p.User == nil && p.Token == nil) {
				w.Header().Set("WWW-Authenticate", `Bearer realm="freshet"`)
				s.writeAPIError(w, r, ml.Errorf(ml.EUNAUTHORIZED, "authentication required: send Authorization: Bearer <token>"))
				return
			}
			if scope != "" && !p.hasScope(scope) {
				s.DB.Audit(r.Context(), p.actor(), "access.denied", r.Method+" "+r.URL.Path, "needs scope "+scope)
				s.writeAPIError(w, r, ml.Errorf(ml.EFORBIDDEN, "this needs the %q scope", scope))
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// loginLimiter counts failed logins per client address and per (address,
// name) in a sliding window.
type loginLimiter struct {
	mu       sync.Mutex
	failures map[string][]time.Time
	window   time.Duration
	perName  int
	perIP    int
	now      func() time.Time
}

func newLoginLimiter() *loginLimiter {
	return &loginLimiter{failures: map[string][]time.Time{}, window: 15 * time.Minute, perName: 5, perIP: 20, now: time.Now}
}

func (l *loginLimiter) recent(key string) []time.Time {
	cut := l.now().Add(-l.window)
	ts := l.failures[key]
	i := 0
	for i < len(ts) && ts[i].Before(cut) {
		i++
	}
	ts = ts[i:]
	if len(ts) == 0 {
		delete(l.failures, key)
	} else {
		l.failures[key] = ts
	}
	return ts
}

// blocked returns how long until the client may try again, or 0.
func (l *loginLimiter) blocked(ip, name string) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, k := range []struct {
		key   string
		limit int
	}{{ip + "\x00" + name, l.perName}, {ip, l.perIP}} {
		if ts := l.recent(k.key); len(ts) >= k.limit {
			return ts[len(ts)-k.limit].Add(l.window).Sub(l.now())
		}
	}
	return 0
}

func (l *loginLimiter) fail(ip, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	l.failures[ip+"\x00"+name] = append(l.failures[ip+"\x00"+name], now)
	l.failures[ip] = append(l.failures[ip], now)
}

func (l *loginLimiter) succeed(ip, name string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.failures, ip+"\x00"+name)
}

func clientIP(r *http.Request) string {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}

func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") {
		return "/"
	}
	return next
}

func (s *Server) handleLoginView(w http.ResponseWriter, r *http.Request) error {
	if p := principalFrom(r.Context()); p != nil && p.User != nil {
		redirect(w, r, "/")
		return nil
	}
	render(w, r, http.StatusOK, web.LoginPage(web.LoginView{Next: safeNext(r.URL.Query().Get("next"))}))
	return nil
}

func (s *Server) handleLogin(w http.ResponseWriter, r *http.Request) error {
	name := strings.TrimSpace(r.PostFormValue("name"))
	password := r.PostFormValue("password")
	next := safeNext(r.PostFormValue("next"))
	ip := clientIP(r)
	v := web.LoginView{Name: name, Next: next}
	if wait := s.limiter.blocked(ip, name); wait > 0 {
		s.DB.Audit(r.Context(), ml.Actor{Kind: "user", Name: name}, "session.login_blocked", "user:"+name, "from "+ip)
		v.Error = fmt.Sprintf("Too many failed attempts. Try again in %d minutes.", int(wait.Minutes())+1)
		render(w, r, http.StatusTooManyRequests, web.LoginPage(v))
		return nil
	}
	u, _, err := s.DB.Authenticate(r.Context(), name, password)
	if err != nil {
		if ml.ErrorCode(err) != ml.EUNAUTHORIZED {
			return err
		}
		s.limiter.fail(ip, name)
		s.DB.Audit(r.Context(), ml.Actor{Kind: "user", Name: name}, "session.login_failed", "user:"+name, "from "+ip)
		v.Error = ml.ErrorMessage(err)
		render(w, r, http.StatusUnauthorized, web.LoginPage(v))
		return nil
	}
	s.limiter.succeed(ip, name)
	secret, err := s.DB.CreateSession(r.Context(), u, ip, r.UserAgent())
	if err != nil {
		return err
	}
	http.SetCookie(w, &http.Cookie{
		Name: SessionCookie, Value: secret, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: r.TLS != nil, MaxAge: int(store.SessionTTL.Seconds()),
	})
	redirect(w, r, next)
	return nil
}

func (s *Server) handleLogout(w http.ResponseWriter, r *http.Request) error {
	if p := principalFrom(r.Context()); p != nil && p.Session != nil {
		if err := s.DB.DeleteSession(r.Context(), p.actor(), p.Session.Hash); err != nil {
			return err
		}
	}
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, MaxAge: -1})
	redirect(w, r, "/login")
	return nil
}

func (s *Server) handlePasswordView(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	render(w, r, http.StatusOK, web.PasswordPage(web.PasswordView{Nav: navFor(r, "", "Password"), MustChange: p.Session.MustChange}))
	return nil
}

func (s *Server) handlePassword(w http.ResponseWriter, r *http.Request) error {
	p := principalFrom(r.Context())
	v := web.PasswordView{Nav: navFor(r, "", "Password"), MustChange: p.Session.MustChange}
	fail := func(msg string) error {
		v.Error = msg
		render(w, r, http.StatusUnprocessableEntity, web.PasswordPage(v))
		return nil
	}
	if !p.Session.MustChange {
		if _, _, err := s.DB.Authenticate(r.Context(), p.User.Name, r.PostFormValue("current")); err != nil {
			return fail("Your current password is not right.")
		}
	}
	pw := r.PostFormValue("password")
	if pw != r.PostFormValue("password2") {
		return fail("The two new passwords differ.")
	}
	if err := s.DB.SetPassword(r.Context(), p.actor(), p.User.ID, pw, p.Session.Hash); err != nil {
		if ml.ErrorCode(err) == ml.EINVALID {
			return fail(ml.ErrorMessage(err))
		}
		return err
	}
	redirect(w, r, "/")
	return nil
}

// navFor builds the layout's view model for a request.
func navFor(r *http.Request, active, title string) web.Nav {
	n := web.Nav{Active: active, Title: title}
	if p := principalFrom(r.Context()); p != nil {
		n.User = p.User
	}
	return n
}
