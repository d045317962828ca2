package handlers_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/freshet/freshet/jobs"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/gbdt"
	"github.com/freshet/freshet/store"
)

func TestPredictServesChampionAndLogs(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m := e.demoModel()
	tok := e.Tokens[ml.ScopePredict]
	body := elec2CSV(t, 2000, 2010, true)
	// No version yet: a clear 409.
	r := e.do(nil, "POST", "/api/v1/models/elec2/predict", tok, "text/csv", strings.NewReader(body))
	if r.Status != 409 || !strings.Contains(r.Body, "no trained version") {
		t.Fatalf("no champion: %d %s", r.Status, r.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/models/elec2/observations", e.Tokens[ml.ScopeIngest], "text/csv", strings.NewReader(elec2CSV(t, 0, 2000, true))); r.Status != 200 {
		t.Fatal(r.Body)
	}
	res, err := jobs.Retrain(ctx, e.DB, t.TempDir(), jobs.RetrainArgs{ModelID: m.ID, Reason: "test"}, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Metrics[ml.MetricAUC] < 0.7 || res.Version != 1 {
		t.Fatalf("retrain: %+v", res)
	}
	// The ingest scope cannot predict.
	if r := e.do(nil, "POST", "/api/v1/models/elec2/predict", e.Tokens[ml.ScopeIngest], "text/csv", strings.NewReader(body)); r.Status != 403 {
		t.Fatalf("ingest scope predicts: %d", r.Status)
	}
	r = e.do(nil, "POST", "/api/v1/models/elec2/predict", tok, "text/csv", strings.NewReader(body))
	if r.Status != 200 {
		t.Fatalf("predict: %d %s", r.Status, r.Body)
	}
	var out struct {
		Version     int
		Predictions []struct {
			Entity string
			Score  float64
		}
	}
	if err := json.Unmarshal([]byte(r.Body), &out); err != nil || len(out.Predictions) != 10 || out.Version != 1 {
		t.Fatalf("predict body: %v %s", err, r.Body)
	}
	// leaves' scores equal the trainer's own on the same rows: the codes
	// used to train (from the store) and to serve (CategoryCodes) agree.
	v, _ := e.DB.FindChampion(ctx, m.ID)
	art, _ := e.DB.FindVersionArtifact(ctx, v.ID)
	gm, err := gbdt.ParseText(strings.NewReader(string(art)))
	if err != nil {
		t.Fatal(err)
	}
	fr, _ := e.DB.Scan(ctx, m, store.ScanFilter{WithScores: true})
	for i, p := range out.Predictions {
		row := make([]float64, len(fr.X))
		k := fr.Len() - 10 + i
		for j := range fr.X {
			row[j] = fr.X[j][k]
		}
		if want := gm.Predict(row)[0]; math.Abs(p.Score-want) > 1e-9 || p.Entity != "0-"+itoa(2000+i) {
			t.Fatalf("row %d: served %v (%s), trainer says %v", i, p.Score, p.Entity, want)
		}
		// Each prediction is logged on its observation with its version.
		if fr.Score[k] != p.Score || fr.Version[k] != v.ID {
			t.Fatalf("row %d logged score %v version %d", i, fr.Score[k], fr.Version[k])
		}
	}
	if obs, _ := e.count("elec2"); obs != 2010 {
		t.Fatalf("observations %d", obs)
	}
	vr := e.do(nil, "GET", "/api/v1/models/elec2/versions", tok, "", nil)
	if vr.Status != 200 || !strings.Contains(vr.Body, `"status": "champion"`) || !strings.Contains(vr.Body, `"auc"`) {
		t.Fatalf("versions: %d %s", vr.Status, vr.Body)
	}
}

// TestRetrainAPIRunsOnTheQueue: the manual trigger queues a River job,
// a second press joins it, and the job makes version 1 the champion.
func TestRetrainAPIRunsOnTheQueue(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m := e.demoModel()
	if r := e.do(nil, "POST", "/api/v1/models/elec2/observations", e.Tokens[ml.ScopeIngest], "text/csv", strings.NewReader(elec2CSV(t, 0, 1000, true))); r.Status != 200 {
		t.Fatal(r.Body)
	}
	runner, err := jobs.New(ctx, e.DB, slog.New(slog.NewTextHandler(io.Discard, nil)), jobs.Config{Work: true})
	if err != nil {
		t.Fatal(err)
	}
	e.Server.Jobs = runner
	r1 := e.do(nil, "POST", "/api/v1/models/elec2/retrain", e.Tokens[ml.ScopeAdmin], "", nil)
	r2 := e.do(nil, "POST", "/api/v1/models/elec2/retrain", e.Tokens[ml.ScopeAdmin], "", nil)
	if r1.Status != 202 || r2.Status != 202 || !strings.Contains(r2.Body, `"duplicate": true`) {
		t.Fatalf("retrain: %d %s / %d %s", r1.Status, r1.Body, r2.Status, r2.Body)
	}
	if r := e.do(nil, "POST", "/api/v1/models/elec2/retrain", e.Tokens[ml.ScopeIngest], "", nil); r.Status != 403 {
		t.Fatalf("ingest token retrains: %d", r.Status)
	}
	if err := runner.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer runner.Stop(ctx)
	deadline := time.Now().Add(30 * time.Second)
	for {
		if v, err := e.DB.FindChampion(ctx, m.ID); err == nil {
			if v.Number != 1 || v.Data.Rows+v.Data.HoldoutRows != 1000 || v.JobID == 0 {
				t.Fatalf("champion %+v", v)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no version after 30 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	// The model page shows it, with the retrain button for a lead.
	page := e.do(e.client("lee"), "GET", "/models/elec2", "", "", nil)
	if !strings.Contains(page.Body, `data-testid="versions-table"`) || !strings.Contains(page.Body, "retrain-now") {
		t.Fatal("model page lacks versions or the retrain button")
	}
	if ann := e.do(e.client("ann"), "GET", "/models/elec2", "", "", nil); strings.Contains(ann.Body, "retrain-now") {
		t.Fatal("annotator sees the retrain button")
	}
}

// TestVersionSwapNeverFailsInFlight: predictions keep succeeding while new
// champions are promoted underneath them.
func TestVersionSwapNeverFailsInFlight(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m := e.demoModel()
	if r := e.do(nil, "POST", "/api/v1/models/elec2/observations", e.Tokens[ml.ScopeIngest], "text/csv", strings.NewReader(elec2CSV(t, 0, 1500, true))); r.Status != 200 {
		t.Fatal(r.Body)
	}
	if _, err := jobs.Retrain(ctx, e.DB, t.TempDir(), jobs.RetrainArgs{ModelID: m.ID}, 0); err != nil {
		t.Fatal(err)
	}
	body := elec2CSV(t, 1500, 1520, false)
	stop := make(chan struct{})
	errs := make(chan string, 100)
	versions := make(chan int, 10000)
	done := make(chan struct{})
	for w := 0; w < 4; w++ {
		go func() {
			defer func() { done <- struct{}{} }()
			for {
				select {
				case <-stop:
					return
				default:
				}
				r := e.do(nil, "POST", "/api/v1/models/elec2/predict", e.Tokens[ml.ScopePredict], "text/csv", strings.NewReader(body))
				if r.Status != 200 {
					errs <- r.Body
					return
				}
				var out struct{ Version int }
				json.Unmarshal([]byte(r.Body), &out)
				versions <- out.Version
			}
		}()
	}
	for range 3 {
		if _, err := jobs.Retrain(ctx, e.DB, t.TempDir(), jobs.RetrainArgs{ModelID: m.ID, Config: ml.TrainConfig{Rounds: 10 + len(versions)%5}}, 0); err != nil {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	close(stop)
	for range 4 {
		<-done
	}
	close(errs)
	for e := range errs {
		t.Fatalf("a prediction failed during a swap: %s", e)
	}
	close(versions)
	seen := map[int]bool{}
	for v := range versions {
		seen[v] = true
	}
	if !seen[4] || len(seen) < 2 {
		t.Fatalf("versions served: %v", seen)
	}
}
