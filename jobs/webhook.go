package jobs

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/freshet/freshet/ml"
)

// Webhook delivery settings.
const (
	// webhookMaxAttempts is how many failed deliveries (network errors,
	// 408, 429, 5xx) River makes, with its exponential backoff, before it
	// discards the job: about 1.5 hours from the first to the last.
	webhookMaxAttempts = 8
	// webhookTimeout bounds one attempt, the response body included.
	webhookTimeout = 10 * time.Second
	// webhookMaxRetryAfter is the longest Retry-After honoured; a longer
	// one falls back to River's backoff.
	webhookMaxRetryAfter = time.Hour
	// webhookMaxSnoozes bounds how often a receiver may put a delivery
	// off with Retry-After. A snooze does not count as an attempt, so
	// without it a receiver that always answers 429 would keep the job
	// alive forever.
	webhookMaxSnoozes = 8
	// webhookSnippet is how much of a refusing response is kept.
	webhookSnippet = 200
)

// WebhookArgs delivers one event to a model's webhook. The URL and secret
// are copied from the model's config when the event happens, so a later
// config change does not redirect deliveries already queued.
type WebhookArgs struct {
	ModelID int64           `json:"model_id"`
	Model   string          `json:"model"`
	Event   string          `json:"event"`
	URL     string          `json:"url"`
	Secret  string          `json:"secret,omitempty"`
	Payload json.RawMessage `json:"payload,omitempty"`
	At      time.Time       `json:"at"`
}

// Kind implements river.JobArgs.
func (WebhookArgs) Kind() string { return "webhook" }

// InsertOpts implements river.JobArgsWithInsertOpts.
func (WebhookArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: river.QueueDefault, MaxAttempts: webhookMaxAttempts}
}

// webhookBody is what a receiver gets.
type webhookBody struct {
	Event string          `json:"event"`
	Model string          `json:"model"`
	At    string          `json:"at"`
	Data  json.RawMessage `json:"data"`
}

// webhookOutput is recorded on the River job after each attempt; the jobs
// page shows it.
type webhookOutput struct {
	Status  int `json:"status"` // 0: no response
	Attempt int `json:"attempt"`
}

// Notify queues event for m's webhook. It does nothing unless m's config
// has a webhook URL and sends that event.
func (r *Runner) Notify(ctx context.Context, m *ml.Model, event string, payload any) error {
	args, ok, err := r.webhookArgs(m, event, payload)
	if !ok || err != nil {
		return err
	}
	if _, err := r.Client.Insert(ctx, args, nil); err != nil {
		return fmt.Errorf("jobs: notify %s: %w", event, err)
	}
	return nil
}

// NotifyTx is Notify inside tx: the notification is queued if and only if
// the state change it reports is committed.
func (r *Runner) NotifyTx(ctx context.Context, tx *sql.Tx, m *ml.Model, event string, payload any) error {
	args, ok, err := r.webhookArgs(m, event, payload)
	if !ok || err != nil {
		return err
	}
	if _, err := r.Client.InsertTx(ctx, tx, args, nil); err != nil {
		return fmt.Errorf("jobs: notify %s: %w", event, err)
	}
	return nil
}

// webhookArgs builds the delivery of event, or reports false when m's
// config does not send it.
func (r *Runner) webhookArgs(m *ml.Model, event string, payload any) (WebhookArgs, bool, error) {
	n := m.Config.Notify
	if !n.Wants(event) {
		return WebhookArgs{}, false, nil
	}
	data, err := json.Marshal(payload)
	if err != nil {
		return WebhookArgs{}, false, fmt.Errorf("jobs: notify %s: payload: %w", event, err)
	}
	return WebhookArgs{ModelID: m.ID, Model: m.Name, Event: event, URL: n.WebhookURL, Secret: n.Secret,
		Payload: data, At: r.Now().UTC()}, true, nil
}

type webhookWorker struct {
	river.WorkerDefaults[WebhookArgs]
	client *http.Client
}

// newWebhookWorker returns the worker with its own HTTP client: each
// attempt is bounded, and redirects are not followed, since one could
// take a signed body to another host; a 3xx is judged as an answer.
func newWebhookWorker() *webhookWorker {
	return &webhookWorker{client: &http.Client{
		Timeout:       webhookTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

func (w *webhookWorker) Timeout(*river.Job[WebhookArgs]) time.Duration {
	return webhookTimeout + 5*time.Second
}

// Work POSTs the event. A 2xx is delivered; network errors, 408, 429 and
// 5xx are retried (after Retry-After when the receiver gives one of at
// most an hour); any other answer cancels the delivery, since sending
// the same body again would get the same answer.
//
// Errors name the receiver's host only: a webhook URL often carries its
// credential in the path or the query, and job errors are shown.
func (w *webhookWorker) Work(ctx context.Context, job *river.Job[WebhookArgs]) error {
	a := job.Args
	body, err := json.Marshal(webhookBody{Event: a.Event, Model: a.Model, At: a.At.UTC().Format(time.RFC3339), Data: a.Payload})
	if err != nil {
		return river.JobCancel(fmt.Errorf("webhook %s: body: %w", a.Event, err))
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.URL, bytes.NewReader(body))
	if err != nil {
		return river.JobCancel(fmt.Errorf("webhook %s: bad url: %w", a.Event, redactURLError(err)))
	}
	h := req.Header
	h.Set("Content-Type", "application/json")
	h.Set("User-Agent", "freshet")
	h.Set("X-Freshet-Event", a.Event)
	h.Set("X-Freshet-Delivery", strconv.FormatInt(job.ID, 10))
	if a.Secret != "" {
		h.Set("X-Freshet-Signature", signWebhook(body, a.Secret))
	}

	resp, err := w.client.Do(req)
	if err != nil {
		recordWebhook(ctx, 0, job.Attempt)
		return fmt.Errorf("webhook %s to %s: %w", a.Event, req.URL.Host, redactURLError(err))
	}
	defer resp.Body.Close()
	recordWebhook(ctx, resp.StatusCode, job.Attempt)
	code := resp.StatusCode
	if code >= 200 && code < 300 {
		// Drain a little so the connection can be reused.
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4<<10))
		return nil
	}
	snippet, _ := io.ReadAll(io.LimitReader(resp.Body, webhookSnippet))
	answer := fmt.Sprintf("webhook %s to %s: status %d", a.Event, req.URL.Host, code)
	if s := strings.TrimSpace(string(snippet)); s != "" {
		answer += fmt.Sprintf(": %q", s)
	}
	if code >= 300 && code < 400 {
		answer += " (redirect to " + webhookRedirectHost(resp) + " not followed: set webhook_url to the final URL)"
	}
	if code != http.StatusRequestTimeout && code != http.StatusTooManyRequests && code < 500 {
		return river.JobCancel(errors.New(answer))
	}
	if d, ok := webhookRetryAfter(resp.Header.Get("Retry-After"), time.Now()); ok && d <= webhookMaxRetryAfter && webhookSnoozes(job) < webhookMaxSnoozes {
		return river.JobSnooze(d)
	}
	return errors.New(answer)
}

// signWebhook is the X-Freshet-Signature of body: "sha256=" and the hex
// HMAC-SHA256 of the body keyed with secret. Receivers recompute it over
// the raw body and compare with hmac.Equal.
func signWebhook(body []byte, secret string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	return "sha256=" + hex.EncodeToString(mac.Sum(nil))
}

// recordWebhook records an attempt's outcome on its River job. It fails
// only outside a River worker (a test calling Work directly), where there
// is nothing to record on.
func recordWebhook(ctx context.Context, status, attempt int) {
	_ = river.RecordOutput(ctx, webhookOutput{Status: status, Attempt: attempt})
}

// webhookRetryAfter parses a Retry-After header: delay seconds or an HTTP date.
func webhookRetryAfter(v string, now time.Time) (time.Duration, bool) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, false
	}
	if s, err := strconv.Atoi(v); err == nil {
		if s < 0 {
			return 0, false
		}
		return time.Duration(min(s, 1<<30)) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0), true
	}
	return 0, false
}

// webhookSnoozes is how often job was snoozed before (River counts them in its
// metadata).
func webhookSnoozes(job *river.Job[WebhookArgs]) int {
	var md struct {
		Snoozes int `json:"snoozes"`
	}
	if job.JobRow != nil && len(job.Metadata) > 0 {
		_ = json.Unmarshal(job.Metadata, &md)
	}
	return md.Snoozes
}

// redactURLError drops the URL net/http puts in its errors: it may carry the
// webhook's credential.
func redactURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Errorf("%s: %w", strings.ToLower(ue.Op), ue.Err)
	}
	return err
}

// webhookRedirectHost is where a 3xx pointed, by host alone.
func webhookRedirectHost(resp *http.Response) string {
	loc, err := resp.Location()
	if err != nil || loc.Host == "" {
		return "elsewhere"
	}
	return loc.Host
}
