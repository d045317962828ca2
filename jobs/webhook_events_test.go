package jobs

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

// These tests drive the code that decides (the policy, a retrain, the
// post-deploy watch) on a started runner, and wait for the webhook its
// worker delivers to a real receiver: not Notify called by hand.

// hookRecorder is a webhook receiver that keeps every delivery.
type hookRecorder struct {
	URL string
	mu  sync.Mutex
	got []hookDelivery
}

type hookDelivery struct {
	Event string
	Data  map[string]any
}

func newHookRecorder(t *testing.T) *hookRecorder {
	t.Helper()
	h := &hookRecorder{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Event string         `json:"event"`
			Data  map[string]any `json:"data"`
		}
		if err := json.NewDecoder(r.Body).Decode(&b); err != nil || b.Event != r.Header.Get("X-Freshet-Event") {
			http.Error(w, "bad delivery", http.StatusBadRequest)
			return
		}
		h.mu.Lock()
		h.got = append(h.got, hookDelivery{Event: b.Event, Data: b.Data})
		h.mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	h.URL = srv.URL
	return h
}

// wait returns the data of the first delivery of event that ok accepts,
// waiting up to a minute (a retrain may run first).
func (h *hookRecorder) wait(t *testing.T, event string, ok func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		h.mu.Lock()
		got := slices.Clone(h.got)
		h.mu.Unlock()
		for _, d := range got {
			if d.Event == event && ok(d.Data) {
				return d.Data
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s delivery as expected; received %+v", event, got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// count is how many deliveries of event arrived.
func (h *hookRecorder) count(event string) int {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := 0
	for _, d := range h.got {
		if d.Event == event {
			n++
		}
	}
	return n
}

// TestWebhookTriggerFired: a volume policy fires on the runner's own
// evaluation, and its webhook carries the stored event.
func TestWebhookTriggerFired(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	hook := newHookRecorder(t)
	m := elecModel(t, db, "fires", 2000, ml.ModelConfig{Notify: ml.NotifyConfig{WebhookURL: hook.URL, Events: []string{ml.EventTriggerFired}}})
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	setPolicy(t, db, m, ml.PolicyConfig{Volume: &ml.VolumeTrigger{Labels: 500}, Strategy: ml.StrategyFull})
	addRows(t, db, m, 2000, 2600)
	startRunner(t, db, Config{Work: true}) // evaluates every policy on start
	data := hook.wait(t, ml.EventTriggerFired, func(d map[string]any) bool {
		tr, _ := d["triggers"].([]any)
		return slices.Contains(tr, any(ml.TriggerVolume))
	})
	evs, err := db.FindTriggers(ctx, m.ID, 10)
	if err != nil || len(evs) == 0 || data["id"] != float64(evs[len(evs)-1].ID) || evs[len(evs)-1].Outcome != ml.OutcomeFired {
		t.Fatalf("delivered %v; stored %+v (%v)", data, evs, err)
	}
}

// TestWebhookJobFailed: a retrain whose window fails data validation
// fails its job, and the webhook says which job and why.
func TestWebhookJobFailed(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	hook := newHookRecorder(t)
	m := demo.Elec2Model()
	m.Name, m.Config = "one-class", ml.ModelConfig{Notify: ml.NotifyConfig{WebhookURL: hook.URL}}
	if err := db.CreateModel(ctx, ml.SystemActor, m); err != nil {
		t.Fatal(err)
	}
	tab, _ := demo.Elec2()
	b := tab.Batch(0, 400, 0, 0)
	b.Label = make([]float64, 400) // one class only
	if _, err := db.InsertBatch(ctx, ml.SystemActor, m, b, store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	r := startRunner(t, db, Config{Work: true})
	j, _, err := r.Enqueue(ctx, m, ml.SystemActor, JobRequest{Reason: "bad data"})
	if err != nil {
		t.Fatal(err)
	}
	if done := waitJob(t, db, j.ID, 30*time.Second, "done", isDone); done.State != ml.JobFailed {
		t.Fatalf("job %s: %s", done.State, done.Error)
	}
	hook.wait(t, ml.EventJobFailed, func(d map[string]any) bool {
		msg, _ := d["error"].(string)
		return d["job_id"] == float64(j.ID) && strings.HasPrefix(msg, "data validation failed: ") && strings.Contains(msg, "class 0")
	})
}

// TestWebhookRolledBackByTheWatch: the runner's own watch rolls a planted
// bad champion back, and the webhook (queued in the rollback's
// transaction) arrives once, with the versions and the watch's numbers.
func TestWebhookRolledBackByTheWatch(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	hook := newHookRecorder(t)
	m := taskModel(t, db, ml.TaskMulticlass, "", 3000)
	if _, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	cfg := m.Config
	cfg.Notify = ml.NotifyConfig{WebhookURL: hook.URL}
	m, err := db.UpdateModelConfig(ctx, ml.SystemActor, m.Name, cfg)
	if err != nil {
		t.Fatal(err)
	}
	bad := plantBadChampion(t, db, m)
	startRunner(t, db, Config{Work: true}) // watches every deployment on start
	data := hook.wait(t, ml.EventRolledBack, func(d map[string]any) bool { return d["by"] == "watch" })
	res, _ := data["result"].(map[string]any)
	if data["from"] != float64(bad.Number) || data["to"] != float64(1) || res == nil || res["rolled_back"] != true || res["metric"] != ml.MetricLogLoss ||
		res["new"] == nil || !strings.Contains(data["reason"].(string), "rolled back to v1") {
		t.Fatalf("delivered %v", data)
	}
	if c, _ := db.FindChampion(ctx, m.ID); c.Number != 1 {
		t.Fatalf("champion v%d after the watch", c.Number)
	}
	time.Sleep(200 * time.Millisecond) // a second delivery would come from a second rollback
	if n := hook.count(ml.EventRolledBack); n != 1 {
		t.Fatalf("%d rolled-back deliveries", n)
	}
}
