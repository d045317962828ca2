package handlers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/freshet/freshet/jobs"
	"github.com/freshet/freshet/ml"
)

// labelingModel makes the demo model with a champion trained on 1,500
// labeled rows, then 3,000 unlabeled ones to label, with a budget.
func labelingModel(t *testing.T, e *env, budget int) *ml.Model {
	t.Helper()
	ctx := context.Background()
	m := e.demoModel()
	cfg := m.Config
	cfg.Policy = ml.PolicyConfig{}
	cfg.Labeling = ml.LabelingConfig{Budget: budget, LeaseTTL: "1m"}
	if _, err := e.DB.UpdateModelConfig(ctx, ml.SystemActor, m.Name, cfg); err != nil {
		t.Fatal(err)
	}
	if r := e.do(nil, "POST", "/api/v1/models/elec2/observations", e.Tokens[ml.ScopeIngest], "text/csv", strings.NewReader(elec2CSV(t, 0, 1500, true))); r.Status != 200 {
		t.Fatal(r.Body)
	}
	if _, err := jobs.Retrain(ctx, e.DB, t.TempDir(), jobs.RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	var unl []string
	for i, line := range strings.Split(strings.TrimSpace(elec2CSV(t, 1500, 4500, true)), "\n") {
		if i == 0 {
			line = strings.TrimSuffix(line, ",label")
		} else {
			line = line[:strings.LastIndex(line, ",")]
		}
		unl = append(unl, line)
	}
	if r := e.do(nil, "POST", "/api/v1/models/elec2/observations", e.Tokens[ml.ScopeIngest], "text/csv", strings.NewReader(strings.Join(unl, "\n")+"\n")); r.Status != 200 {
		t.Fatal(r.Body)
	}
	m, _ = e.DB.FindModelByName(ctx, "elec2")
	return m
}

type itemResp struct {
	Item struct {
		ID    int64   `json:"id"`
		ObsID int64   `json:"obs_id"`
		Why   string  `json:"why"`
		Score float64 `json:"score"`
	} `json:"item"`
	Features []struct{ Name, Value, Range string } `json:"features"`
	Budget   struct{ Used, Limit, Left int }       `json:"budget"`
	Batch    struct{ Done, Size int }              `json:"batch"`
}

func startBatch(t *testing.T, e *env, body string) int64 {
	t.Helper()
	r := e.do(e.client("lee"), "POST", "/api/v1/models/elec2/batches", "", "application/json", strings.NewReader(body))
	if r.Status != 201 {
		t.Fatalf("start batch: %d %s", r.Status, r.Body)
	}
	var b struct{ ID int64 }
	json.Unmarshal([]byte(r.Body), &b)
	return b.ID
}

func TestLabelingAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m := labelingModel(t, e, 6)
	if r := e.do(e.client("ann"), "POST", "/api/v1/models/elec2/batches", "", "application/json", strings.NewReader(`{"size":5}`)); r.Status != 403 {
		t.Fatalf("annotator starts a batch: %d", r.Status)
	}
	id := startBatch(t, e, `{"strategy":"diversity","size":5}`)
	ann, lee := e.client("ann"), e.client("lee")
	next := func(c *http.Client) (itemResp, int) {
		r := e.do(c, "POST", fmt.Sprintf("/api/v1/batches/%d/next", id), "", "application/json", nil)
		var v itemResp
		json.Unmarshal([]byte(r.Body), &v)
		return v, r.Status
	}
	a1, st := next(ann)
	if st != 200 || a1.Item.ID == 0 || len(a1.Features) != 7 || a1.Item.Why == "" || a1.Budget.Limit != 6 {
		t.Fatalf("next: %d %+v", st, a1)
	}
	// The same person gets the same item back; another gets another.
	if again, _ := next(ann); again.Item.ID != a1.Item.ID {
		t.Fatalf("lease not kept: %d vs %d", again.Item.ID, a1.Item.ID)
	}
	l1, _ := next(lee)
	if l1.Item.ID == a1.Item.ID {
		t.Fatal("one item leased to two people")
	}
	// Only the holder may label it.
	if r := e.do(lee, "POST", fmt.Sprintf("/api/v1/items/%d/label", a1.Item.ID), "", "application/json", strings.NewReader(`{"label":1}`)); r.Status != 409 {
		t.Fatalf("label someone else's item: %d %s", r.Status, r.Body)
	}
	if r := e.do(ann, "POST", fmt.Sprintf("/api/v1/items/%d/label", a1.Item.ID), "", "application/json", strings.NewReader(`{"label":7}`)); r.Status != 400 {
		t.Fatalf("bad label: %d %s", r.Status, r.Body)
	}
	before := m.Stats.Labeled
	r := e.do(ann, "POST", fmt.Sprintf("/api/v1/items/%d/label", a1.Item.ID), "", "application/json", strings.NewReader(`{"label":1}`))
	if r.Status != 200 || !strings.Contains(r.Body, `"next"`) {
		t.Fatalf("label: %d %s", r.Status, r.Body)
	}
	mm, _ := e.DB.FindModelByName(ctx, "elec2")
	if mm.Stats.Labeled != before+1 {
		t.Fatalf("labeled count %d → %d", before, mm.Stats.Labeled)
	}
	// Undo removes exactly that label and gives the item back.
	r = e.do(ann, "POST", fmt.Sprintf("/api/v1/batches/%d/undo", id), "", "application/json", nil)
	var u struct{ Next itemResp }
	json.Unmarshal([]byte(r.Body), &u)
	mm, _ = e.DB.FindModelByName(ctx, "elec2")
	if r.Status != 200 || u.Next.Item.ID != a1.Item.ID || mm.Stats.Labeled != before {
		t.Fatalf("undo: %d %s (labeled %d)", r.Status, r.Body, mm.Stats.Labeled)
	}
	// Skip: not offered to the same person again.
	r = e.do(lee, "POST", fmt.Sprintf("/api/v1/items/%d/skip", l1.Item.ID), "", "application/json", nil)
	var sk struct{ Next itemResp }
	json.Unmarshal([]byte(r.Body), &sk)
	if r.Status != 200 || sk.Next.Item.ID == l1.Item.ID {
		t.Fatalf("skip: %d %s", r.Status, r.Body)
	}
	// The budget (6) caps labels: label until refused.
	given := 0
	for _, c := range []*http.Client{ann, lee} {
		for range 10 {
			v, st := next(c)
			if st != 200 {
				break
			}
			if r := e.do(c, "POST", fmt.Sprintf("/api/v1/items/%d/label", v.Item.ID), "", "application/json", strings.NewReader(`{"label":0}`)); r.Status != 200 {
				break
			}
			given++
		}
	}
	bud, _ := e.DB.Budget(ctx, m)
	if bud.Used > 6 || given > 6 {
		t.Fatalf("budget passed: used %d, given %d", bud.Used, given)
	}
	r = e.do(nil, "GET", fmt.Sprintf("/api/v1/batches/%d", id), e.Tokens[ml.ScopePredict], "", nil)
	if r.Status != 200 || !strings.Contains(r.Body, `"annotators"`) {
		t.Fatalf("batch: %d %s", r.Status, r.Body)
	}
	// Pages: the annotator labels; lead pages are refused.
	if r := e.do(ann, "GET", fmt.Sprintf("/labeling/batches/%d", id), "", "", nil); r.Status != 200 || !strings.Contains(r.Body, "data-labeling") {
		t.Fatalf("labeling page: %d", r.Status)
	}
	if r := e.do(ann, "GET", fmt.Sprintf("/labeling/batches/%d/lead", id), "", "", nil); r.Status != 403 {
		t.Fatalf("annotator opens the lead view: %d", r.Status)
	}
	if r := e.do(lee, "GET", fmt.Sprintf("/labeling/batches/%d/lead", id), "", "", nil); r.Status != 200 || !strings.Contains(r.Body, `data-testid="annotators"`) {
		t.Fatalf("lead view: %d", r.Status)
	}
}

// TestLabelingOverlapAndSettle: with two labels per item, a split vote
// leaves the item for a lead, whose settlement becomes the label; the
// agreement is Cohen's kappa.
func TestLabelingOverlapAndSettle(t *testing.T) {
	e := newEnv(t)
	m := labelingModel(t, e, -1)
	id := startBatch(t, e, `{"strategy":"margin","size":4,"overlap":2}`)
	label := func(user string, y int) int64 {
		c := e.client(user)
		r := e.do(c, "POST", fmt.Sprintf("/api/v1/batches/%d/next", id), "", "application/json", nil)
		var v itemResp
		json.Unmarshal([]byte(r.Body), &v)
		if r := e.do(c, "POST", fmt.Sprintf("/api/v1/items/%d/label", v.Item.ID), "", "application/json", strings.NewReader(fmt.Sprintf(`{"label":%d}`, y))); r.Status != 200 {
			t.Fatalf("label: %s", r.Body)
		}
		return v.Item.ID
	}
	first := label("ann", 1)
	if second := label("lee", 0); second != first {
		t.Fatalf("overlap: lee got item %d, ann labeled %d", second, first)
	}
	r := e.do(nil, "GET", fmt.Sprintf("/api/v1/batches/%d", id), e.Tokens[ml.ScopePredict], "", nil)
	if !strings.Contains(r.Body, fmt.Sprintf(`"item_id": %d`, first)) || !strings.Contains(r.Body, "Cohen") {
		t.Fatalf("disagreement not listed: %s", r.Body)
	}
	if r := e.do(nil, "POST", fmt.Sprintf("/api/v1/items/%d/settle", first), e.Tokens[ml.ScopeAdmin], "application/json", strings.NewReader(`{"label":1}`)); r.Status != 200 {
		t.Fatalf("settle: %d %s", r.Status, r.Body)
	}
	mm, _ := e.DB.FindModelByName(context.Background(), m.Name)
	if mm.Stats.Labeled != m.Stats.Labeled+1 {
		t.Fatalf("settled label not counted: %d → %d", m.Stats.Labeled, mm.Stats.Labeled)
	}
}

// TestLabelingConcurrency: 50 annotators over HTTP against one batch for
// 30 s: no item handed to two annotators, none labeled more than its
// overlap, the budget never passed; p99 next-item latency is reported.
func TestLabelingConcurrency(t *testing.T) {
	if testing.Short() {
		t.Skip("30 s of load")
	}
	e := newEnv(t)
	ctx := context.Background()
	m := labelingModel(t, e, 1500)
	// One label per item and a lease longer than the test: an item handed
	// to two annotators would be a lease given twice.
	id := startBatch(t, e, `{"strategy":"diversity","size":2500}`)
	const users = 50
	clients := make([]*http.Client, users)
	for i := range users {
		name := fmt.Sprintf("a%02d", i)
		_, pw, err := e.DB.CreateUser(ctx, ml.SystemActor, name, ml.RoleAnnotator, false)
		if err != nil {
			t.Fatal(err)
		}
		e.Passwords[name] = pw
		// Each annotator is a browser of its own that logs in and keeps
		// its connection alive (the default transport, shared, keeps two
		// idle connections, so most requests would open a new one).
		clients[i] = e.clientVia(name, &http.Transport{MaxIdleConnsPerHost: 4})
	}
	var (
		mu       sync.Mutex
		lat      []time.Duration
		later    []time.Duration // after each annotator's first item
		firsts   []time.Duration // each annotator's first item
		refused  []time.Duration
		holders  = map[int64]string{} // item → who received it
		clash    atomic.Int64
		labels   atomic.Int64
		deadline = time.Now().Add(30 * time.Second)
		wg       sync.WaitGroup
	)
	for i, c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			me := fmt.Sprintf("a%02d", i)
			first := true
			for time.Now().Before(deadline) {
				t0 := time.Now()
				r := e.do(c, "POST", fmt.Sprintf("/api/v1/batches/%d/next", id), "", "application/json", nil)
				d := time.Since(t0)
				if r.Status != 200 {
					// The budget is used (or nothing is left): keep asking,
					// as impatient annotators would, until the time is up.
					mu.Lock()
					refused = append(refused, d)
					mu.Unlock()
					time.Sleep(250 * time.Millisecond)
					continue
				}
				var v itemResp
				json.Unmarshal([]byte(r.Body), &v)
				mu.Lock()
				lat = append(lat, d)
				if first {
					firsts = append(firsts, d)
				} else {
					later = append(later, d)
				}
				first = false
				if h, ok := holders[v.Item.ID]; ok && h != me {
					clash.Add(1)
				}
				holders[v.Item.ID] = me
				mu.Unlock()
				r = e.do(c, "POST", fmt.Sprintf("/api/v1/items/%d/label", v.Item.ID), "", "application/json", strings.NewReader(fmt.Sprintf(`{"label":%d}`, i%2)))
				if r.Status == 200 {
					labels.Add(1)
				}
				// A quick annotator: a quarter of a second per item.
				time.Sleep(250 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if clash.Load() > 0 {
		t.Fatalf("%d times an item was leased to two annotators at once", clash.Load())
	}
	bud, _ := e.DB.Budget(ctx, m)
	if bud.Used > 1500 || labels.Load() > 1500 {
		t.Fatalf("budget 1,500 passed: %d used, %d accepted", bud.Used, labels.Load())
	}
	var over int
	e.DB.Read.QueryRow(`SELECT COUNT(*) FROM label_items WHERE batch_id = ? AND given > needed`, id).Scan(&over)
	var dupes int
	e.DB.Read.QueryRow(`SELECT COUNT(*) FROM (SELECT item_id, user FROM annotations WHERE undone = 0 GROUP BY 1, 2 HAVING COUNT(*) > 1)`).Scan(&dupes)
	if over > 0 || dupes > 0 {
		t.Fatalf("%d items over their overlap, %d double labels", over, dupes)
	}
	slices.Sort(lat)
	slices.Sort(later)
	slices.Sort(refused)
	slices.Sort(firsts)
	p := func(l []time.Duration, q float64) time.Duration {
		if len(l) == 0 {
			return 0
		}
		return l[min(len(l)-1, int(q*float64(len(l))))]
	}
	// All 50 start in the same instant, so their first requests queue
	// behind each other on two cores; the p99 after them is the steady
	// state.
	t.Logf("50 annotators, 30 s: %d labels accepted (budget 1,500); next item: %d served, p50 %v, p99 %v (first items: median %v, slowest %v; after them: p50 %v, p99 %v); %d refused (budget used), p50 %v, p99 %v",
		labels.Load(), len(lat), p(lat, 0.5), p(lat, 0.99), p(firsts, 0.5), p(firsts, 1), p(later, 0.5), p(later, 0.99), len(refused), p(refused, 0.5), p(refused, 0.99))
}
