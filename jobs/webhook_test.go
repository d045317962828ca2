package jobs

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivertype"

	"github.com/freshet/freshet/ml"
)

// hookRequest is one request a test receiver got.
type hookRequest struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

// hookReceiver is a webhook receiver that records what it gets and answers
// the nth request (from 0) with respond.
type hookReceiver struct {
	*httptest.Server
	mu   sync.Mutex
	reqs []hookRequest
}

func newHookReceiver(t *testing.T, respond func(n int, w http.ResponseWriter, r *http.Request)) *hookReceiver {
	t.Helper()
	rc := &hookReceiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		n := len(rc.reqs)
		rc.reqs = append(rc.reqs, hookRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		rc.mu.Unlock()
		respond(n, w, r)
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *hookReceiver) requests() []hookRequest {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]hookRequest(nil), rc.reqs...)
}

// hookAnswer responds with status and body, and the Retry-After header when
// retryAfter is set.
func hookAnswer(status int, retryAfter, body string) func(int, http.ResponseWriter, *http.Request) {
	return func(_ int, w http.ResponseWriter, _ *http.Request) {
		if retryAfter != "" {
			w.Header().Set("Retry-After", retryAfter)
		}
		w.WriteHeader(status)
		io.WriteString(w, body)
	}
}

// hookOutput decodes what an attempt recorded on a River job.
func hookOutput(t *testing.T, j *rivertype.JobRow) webhookOutput {
	t.Helper()
	var o webhookOutput
	if err := json.Unmarshal(j.Output(), &o); err != nil {
		t.Fatalf("job %d output %q: %v", j.ID, j.Output(), err)
	}
	return o
}

var hookAt = time.Date(2026, 3, 14, 15, 9, 26, 0, time.UTC)

// hookJob is the job River would pass on attempt for args, snoozed
// snoozes times before.
func hookJob(args WebhookArgs, attempt, snoozes int) *river.Job[WebhookArgs] {
	return &river.Job[WebhookArgs]{
		JobRow: &rivertype.JobRow{ID: 41, Attempt: attempt, Metadata: []byte(`{"snoozes":` + strconv.Itoa(snoozes) + `}`)},
		Args:   args,
	}
}

// hookArgs is a delivery to url.
func hookArgs(url string) WebhookArgs {
	return WebhookArgs{Model: "churn", Event: ml.EventJobFailed, URL: url, Payload: json.RawMessage(`{}`), At: hookAt}
}

// A delivery is a signed JSON POST that says what happened to which model,
// with the River job as its delivery id.
func TestWebhookDelivery(t *testing.T) {
	ctx := context.Background()
	rc := newHookReceiver(t, hookAnswer(http.StatusNoContent, "", ""))
	const secret = "s3cr3t"
	args := WebhookArgs{ModelID: 7, Model: "churn", Event: ml.EventGateVerdict, URL: rc.URL + "/hooks/freshet",
		Secret: secret, Payload: json.RawMessage(`{"version":3,"pass":true}`), At: hookAt.In(time.FixedZone("CET", 3600))}
	if err := newWebhookWorker().Work(ctx, hookJob(args, 1, 0)); err != nil {
		t.Fatal(err)
	}
	reqs := rc.requests()
	if len(reqs) != 1 {
		t.Fatalf("%d requests, want 1", len(reqs))
	}
	req := reqs[0]
	if req.Method != http.MethodPost || req.Path != "/hooks/freshet" {
		t.Errorf("%s %s", req.Method, req.Path)
	}
	for k, want := range map[string]string{
		"Content-Type":       "application/json",
		"User-Agent":         "freshet",
		"X-Freshet-Event":    "gate.verdict",
		"X-Freshet-Delivery": "41",
	} {
		if got := req.Header.Get(k); got != want {
			t.Errorf("header %s: %q, want %q", k, got, want)
		}
	}
	var body map[string]any
	if err := json.Unmarshal(req.Body, &body); err != nil {
		t.Fatalf("body %s: %v", req.Body, err)
	}
	if len(body) != 4 || body["event"] != "gate.verdict" || body["model"] != "churn" || body["at"] != "2026-03-14T15:09:26Z" {
		t.Errorf("body %s", req.Body)
	}
	if d, _ := body["data"].(map[string]any); d["version"] != 3.0 || d["pass"] != true {
		t.Errorf("data in %s", req.Body)
	}
	// The receiver's check: HMAC-SHA256 of the raw body with the secret.
	sig, ok := strings.CutPrefix(req.Header.Get("X-Freshet-Signature"), "sha256=")
	got, _ := hex.DecodeString(sig)
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(req.Body)
	if !ok || !hmac.Equal(got, mac.Sum(nil)) {
		t.Errorf("signature %q does not verify", req.Header.Get("X-Freshet-Signature"))
	}
	mac = hmac.New(sha256.New, []byte("wrong"))
	mac.Write(req.Body)
	if hmac.Equal(got, mac.Sum(nil)) {
		t.Error("signature verifies with the wrong secret")
	}

	// Without a secret: unsigned; without a payload: null data.
	args = WebhookArgs{Model: "churn", Event: ml.EventPromoted, URL: rc.URL, At: hookAt}
	if err := newWebhookWorker().Work(ctx, hookJob(args, 1, 0)); err != nil {
		t.Fatal(err)
	}
	req = rc.requests()[1]
	if s := req.Header.Get("X-Freshet-Signature"); s != "" {
		t.Errorf("unsigned delivery has signature %q", s)
	}
	if want := `{"event":"version.promoted","model":"churn","at":"2026-03-14T15:09:26Z","data":null}`; string(req.Body) != want {
		t.Errorf("body %s, want %s", req.Body, want)
	}
}

// A 503 is retried and the retry is the same delivery; a 429 with
// Retry-After snoozes for that long; a 404 cancels for good, saying why.
func TestWebhookRetries(t *testing.T) {
	ctx := context.Background()

	t.Run("503 then 200", func(t *testing.T) {
		rc := newHookReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
			if n == 0 {
				hookAnswer(http.StatusServiceUnavailable, "", "down for maintenance")(n, w, r)
				return
			}
			w.WriteHeader(http.StatusOK)
		})
		w := newWebhookWorker()
		err := w.Work(ctx, hookJob(hookArgs(rc.URL), 1, 0))
		var cancelErr *river.JobCancelError
		var snoozeErr *river.JobSnoozeError
		if err == nil || errors.As(err, &cancelErr) || errors.As(err, &snoozeErr) {
			t.Fatalf("first attempt: %v, want an error to retry", err)
		}
		if want := `webhook job.failed to ` + rc.Listener.Addr().String() + `: status 503: "down for maintenance"`; err.Error() != want {
			t.Errorf("error %q, want %q", err, want)
		}
		if err := w.Work(ctx, hookJob(hookArgs(rc.URL), 2, 0)); err != nil {
			t.Fatalf("second attempt: %v", err)
		}
		reqs := rc.requests()
		if len(reqs) != 2 || reqs[0].Header.Get("X-Freshet-Delivery") != reqs[1].Header.Get("X-Freshet-Delivery") || string(reqs[0].Body) != string(reqs[1].Body) {
			t.Errorf("a retry is not the same delivery: %+v", reqs)
		}
	})

	t.Run("429 Retry-After", func(t *testing.T) {
		rc := newHookReceiver(t, hookAnswer(http.StatusTooManyRequests, "2", ""))
		err := newWebhookWorker().Work(ctx, hookJob(hookArgs(rc.URL), 1, 0))
		var snoozeErr *river.JobSnoozeError
		if !errors.As(err, &snoozeErr) || snoozeErr.Duration != 2*time.Second {
			t.Fatalf("%v, want a snooze of 2s", err)
		}
	})

	t.Run("404", func(t *testing.T) {
		rc := newHookReceiver(t, hookAnswer(http.StatusNotFound, "", strings.Repeat("no such hook ", 40)))
		err := newWebhookWorker().Work(ctx, hookJob(hookArgs(rc.URL+"/gone"), 1, 0))
		var cancelErr *river.JobCancelError
		if !errors.As(err, &cancelErr) {
			t.Fatalf("%v, want a cancel", err)
		}
		msg := err.Error()
		if !strings.Contains(msg, "status 404") || !strings.Contains(msg, "no such hook") || len(msg) > 400 {
			t.Errorf("error %q: want the status and the start of the answer", msg)
		}
	})
}

// Each answer maps to done, retry, snooze or cancel (Work called directly
// with a job River would pass).
func TestWebhookAnswers(t *testing.T) {
	ctx := context.Background()
	const (
		done   = "done"
		retry  = "retry"
		snooze = "snooze"
		cancel = "cancel"
	)
	for _, tc := range []struct {
		status     int
		retryAfter string
		snoozes    int
		want       string
	}{
		{200, "", 0, done},
		{202, "", 0, done},
		{301, "", 0, cancel},
		{400, "", 0, cancel},
		{401, "", 0, cancel},
		{410, "", 0, cancel},
		{408, "", 0, retry},
		{429, "", 0, retry},
		{429, "0", 0, snooze},
		{429, "3600", 0, snooze},
		{429, "3601", 0, retry}, // too long: River's backoff instead
		{429, "soon", 0, retry},
		{429, "-1", 0, retry},
		{503, "2", 0, snooze},
		{503, "2", webhookMaxSnoozes, retry}, // snoozed enough: now it counts
		{500, "", 0, retry},
		{502, "", 0, retry},
		{400, "2", 0, cancel},
	} {
		name := strconv.Itoa(tc.status) + " Retry-After " + tc.retryAfter + " snoozes " + strconv.Itoa(tc.snoozes)
		t.Run(name, func(t *testing.T) {
			rc := newHookReceiver(t, hookAnswer(tc.status, tc.retryAfter, "nope"))
			err := newWebhookWorker().Work(ctx, hookJob(hookArgs(rc.URL), 1, tc.snoozes))
			var (
				cancelErr *river.JobCancelError
				snoozeErr *river.JobSnoozeError
				got       string
			)
			switch {
			case err == nil:
				got = done
			case errors.As(err, &cancelErr):
				got = cancel
			case errors.As(err, &snoozeErr):
				got = snooze
			default:
				got = retry
			}
			if got != tc.want {
				t.Fatalf("%s (%v), want %s", got, err, tc.want)
			}
			if got == retry || got == cancel {
				if !strings.Contains(err.Error(), "status "+strconv.Itoa(tc.status)) {
					t.Errorf("error %q lacks the status", err)
				}
			}
		})
	}
}

// Redirects are not followed; network errors and timeouts are retried;
// no error shows the URL's path, which often holds a credential.
func TestWebhookTransport(t *testing.T) {
	ctx := context.Background()
	t.Run("redirect", func(t *testing.T) {
		other := newHookReceiver(t, hookAnswer(http.StatusOK, "", ""))
		rc := newHookReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, other.URL+"/steal", http.StatusTemporaryRedirect)
		})
		err := newWebhookWorker().Work(ctx, hookJob(hookArgs(rc.URL), 1, 0))
		var cancelErr *river.JobCancelError
		if !errors.As(err, &cancelErr) || !strings.Contains(err.Error(), "status 307") || !strings.Contains(err.Error(), "not followed") {
			t.Errorf("error %v, want a cancel saying the redirect was not followed", err)
		}
		if n := len(other.requests()); n != 0 {
			t.Errorf("the redirect was followed: %d requests", n)
		}
	})
	t.Run("connection refused", func(t *testing.T) {
		rc := newHookReceiver(t, hookAnswer(http.StatusOK, "", ""))
		rc.Close()
		err := newWebhookWorker().Work(ctx, hookJob(hookArgs(rc.URL+"/services/T0/B0/tok3n"), 1, 0))
		var cancelErr *river.JobCancelError
		if err == nil || errors.As(err, &cancelErr) || strings.Contains(err.Error(), "tok3n") {
			t.Errorf("error %v, want a retry that hides the path", err)
		}
	})
	t.Run("timeout", func(t *testing.T) {
		rc := newHookReceiver(t, func(_ int, w http.ResponseWriter, r *http.Request) {
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		})
		w := newWebhookWorker()
		w.client.Timeout = 50 * time.Millisecond
		start := time.Now()
		err := w.Work(ctx, hookJob(hookArgs(rc.URL+"/?token=tok3n"), 1, 0))
		var cancelErr *river.JobCancelError
		if err == nil || errors.As(err, &cancelErr) || strings.Contains(err.Error(), "tok3n") || time.Since(start) > 2*time.Second {
			t.Errorf("error %v after %v, want a quick retry that hides the query", err, time.Since(start))
		}
	})
	t.Run("bad url", func(t *testing.T) {
		err := newWebhookWorker().Work(ctx, hookJob(hookArgs("http://exa mple.com/tok3n"), 1, 0))
		var cancelErr *river.JobCancelError
		if !errors.As(err, &cancelErr) || strings.Contains(err.Error(), "tok3n") {
			t.Errorf("error %v, want a cancel that hides the URL", err)
		}
	})
}

// webhookJobs lists the queued webhook jobs.
func webhookJobs(t *testing.T, r *Runner) []WebhookArgs {
	t.Helper()
	res, err := r.Client.JobList(context.Background(), river.NewJobListParams().Kinds(WebhookArgs{}.Kind()).First(100))
	if err != nil {
		t.Fatal(err)
	}
	var out []WebhookArgs
	for _, j := range res.Jobs {
		var a WebhookArgs
		if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
			t.Fatal(err)
		}
		if j.MaxAttempts != webhookMaxAttempts || j.Queue != river.QueueDefault {
			t.Errorf("job %d: max attempts %d, queue %s", j.ID, j.MaxAttempts, j.Queue)
		}
		out = append(out, a)
	}
	return out
}

// Notify queues a delivery only for the events a model's config sends,
// and none without a URL; NotifyTx queues it with its transaction.
func TestWebhookNotify(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	r := newRunner(t, db, Config{}) // inserts only
	r.Now = func() time.Time { return hookAt }

	all := &ml.Model{ID: 1, Name: "all", Config: ml.ModelConfig{Notify: ml.NotifyConfig{WebhookURL: "https://hooks.example.com/all", Secret: "k"}}}
	some := &ml.Model{ID: 2, Name: "some", Config: ml.ModelConfig{Notify: ml.NotifyConfig{WebhookURL: "https://hooks.example.com/some",
		Events: []string{ml.EventGateVerdict, ml.EventRolledBack}}}}
	none := &ml.Model{ID: 3, Name: "none", Config: ml.ModelConfig{Notify: ml.NotifyConfig{Events: []string{ml.EventJobFailed}}}}

	type payload struct {
		Job int64 `json:"job"`
	}
	for _, c := range []struct {
		m     *ml.Model
		event string
	}{
		{all, ml.EventTriggerFired},
		{all, ml.EventJobFailed},
		{some, ml.EventTriggerFired},
		{some, ml.EventGateVerdict},
		{some, ml.EventPromoted},
		{none, ml.EventJobFailed},
		{none, ml.EventGateVerdict},
	} {
		if err := r.Notify(ctx, c.m, c.event, payload{Job: 42}); err != nil {
			t.Fatalf("notify %s %s: %v", c.m.Name, c.event, err)
		}
	}
	got := webhookJobs(t, r)
	var sent []string
	for _, a := range got {
		sent = append(sent, a.Model+" "+a.Event)
	}
	if want := "all trigger.fired, all job.failed, some gate.verdict"; strings.Join(sent, ", ") != want {
		t.Fatalf("queued %q, want %q", strings.Join(sent, ", "), want)
	}
	a := got[0]
	if a.ModelID != 1 || a.URL != "https://hooks.example.com/all" || a.Secret != "k" || !a.At.Equal(hookAt) || string(a.Payload) != `{"job":42}` {
		t.Errorf("args %+v", a)
	}

	// A payload that cannot be encoded is the caller's error.
	if err := r.Notify(ctx, all, ml.EventJobFailed, func() {}); err == nil {
		t.Error("notify with a func payload: no error")
	}

	// NotifyTx: a rolled-back change sends nothing; a committed one does.
	rollback := errors.New("rolled back")
	err := db.InTx(ctx, func(tx *sql.Tx) error {
		if err := r.NotifyTx(ctx, tx, some, ml.EventRolledBack, payload{Job: 1}); err != nil {
			return err
		}
		return rollback
	})
	if !errors.Is(err, rollback) {
		t.Fatal(err)
	}
	if n := len(webhookJobs(t, r)); n != 3 {
		t.Fatalf("%d jobs after a rolled-back NotifyTx, want 3", n)
	}
	err = db.InTx(ctx, func(tx *sql.Tx) error {
		if err := r.NotifyTx(ctx, tx, none, ml.EventJobFailed, nil); err != nil {
			return err
		}
		return r.NotifyTx(ctx, tx, some, ml.EventRolledBack, payload{Job: 2})
	})
	if err != nil {
		t.Fatal(err)
	}
	got = webhookJobs(t, r)
	if len(got) != 4 || got[3].Model != "some" || got[3].Event != ml.EventRolledBack || string(got[3].Payload) != `{"job":2}` {
		t.Errorf("after a committed NotifyTx: %+v", got)
	}
}

// End to end: Notify queues, a working River client delivers, retrying
// after a 503 with the same delivery id, and each attempt's outcome is
// recorded on the job.
func TestWebhookNotifyDelivered(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	r := newRunner(t, db, Config{})
	rc := newHookReceiver(t, func(n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})

	// A client that works webhooks only, as the runner's will once
	// jobs.New registers the worker.
	workers := river.NewWorkers()
	river.AddWorker(workers, newWebhookWorker())
	c, err := river.NewClient(riversqlite.New(db.Write), &river.Config{Workers: workers, PollOnly: true, FetchPollInterval: 20 * time.Millisecond,
		FetchCooldown: 10 * time.Millisecond, Queues: map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 1}}, Logger: r.Log})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c.Stop(ctx)
	})

	m := &ml.Model{ID: 1, Name: "churn", Config: ml.ModelConfig{Notify: ml.NotifyConfig{WebhookURL: rc.URL, Secret: "k"}}}
	if err := r.Notify(ctx, m, ml.EventPromoted, map[string]int{"version": 4}); err != nil {
		t.Fatal(err)
	}
	// River retries the first failure after about a second.
	deadline := time.Now().Add(15 * time.Second)
	var j *rivertype.JobRow
	for {
		res, err := c.JobList(ctx, river.NewJobListParams().Kinds(WebhookArgs{}.Kind()))
		if err != nil {
			t.Fatal(err)
		}
		if len(res.Jobs) == 1 && res.Jobs[0].State == rivertype.JobStateCompleted {
			j = res.Jobs[0]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("not delivered: %+v", res.Jobs)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if o := hookOutput(t, j); j.Attempt != 2 || o != (webhookOutput{Status: 200, Attempt: 2}) {
		t.Errorf("attempt %d, output %+v", j.Attempt, o)
	}
	if len(j.Errors) != 1 || !strings.Contains(j.Errors[0].Error, "status 503") {
		t.Errorf("errors %+v", j.Errors)
	}
	reqs := rc.requests()
	id := strconv.FormatInt(j.ID, 10)
	if len(reqs) != 2 || reqs[0].Header.Get("X-Freshet-Delivery") != id || reqs[1].Header.Get("X-Freshet-Delivery") != id ||
		!strings.Contains(string(reqs[1].Body), `"data":{"version":4}`) || reqs[1].Header.Get("X-Freshet-Signature") == "" {
		t.Errorf("requests %+v", reqs)
	}
}
