package main

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/internal/browsertest"
	"github.com/freshet/freshet/jobs"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/ingest"
)

// slowModel adds a second Elec2 model whose training takes seconds (many
// rounds, no early stopping), to hold the single training slot.
func slowModel(t testing.TB, m *Main, rounds int) *ml.Model {
	t.Helper()
	ctx := context.Background()
	tab, err := demo.Elec2()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	b.WriteString("ts,day,period,nswprice,nswdemand,vicprice,vicdemand,transfer,label\n")
	for i := range 8000 {
		fmt.Fprintf(&b, "%d,%s", tab.Time[i]/1000, tab.Day[i])
		for j := range 6 {
			fmt.Fprintf(&b, ",%g", tab.Num[j][i])
		}
		fmt.Fprintf(&b, ",%g\n", tab.Label[i])
	}
	mod := demo.Elec2Model()
	mod.Name, mod.Entity, mod.Config = "slow", "", ml.ModelConfig{Trainer: ml.TrainerConfig{Train: ml.TrainConfig{Rounds: rounds, EarlyStopping: -1, Threads: 1}}}
	batch, err := ingest.Parse(ingest.FormatCSV, strings.NewReader(b.String()), mod, ingest.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := m.DB.CreateModelWithBatch(ctx, cliActor, mod, batch, "test"); err != nil {
		t.Fatal(err)
	}
	return mod
}

// TestBrowserRetrainNow: a lead presses "Retrain now" while another
// model's training holds the one training slot, watches the job go
// queued → running → succeeded on the jobs page without reloading, and
// opens its log.
func TestBrowserRetrainNow(t *testing.T) {
	tab, _ := browsertest.New(t, 120*time.Second)
	m, base := startMain(t, 7*24*60)
	ctx := context.Background()
	_, pw, err := m.DB.CreateUser(ctx, cliActor, "lena", "lead", false)
	if err != nil {
		t.Fatal(err)
	}
	// The demo model trains once at start; then it is retrained by hand
	// only, with enough rounds to be seen running.
	elec2 := waitChampion(t, m, "elec2")
	cfg := elec2.Config
	cfg.Policy = ml.PolicyConfig{}
	cfg.Trainer.Train = ml.TrainConfig{Rounds: 600, EarlyStopping: -1, Threads: 1}
	if _, err := m.DB.UpdateModelConfig(ctx, cliActor, "elec2", cfg); err != nil {
		t.Fatal(err)
	}
	slow := slowModel(t, m, 3000)
	if _, _, err := m.Jobs.Enqueue(ctx, slow, cliActor, jobsRequest("hold the slot")); err != nil {
		t.Fatal(err)
	}
	login(t, tab, base, "lena", pw)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/models/elec2"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="retrain-now"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="retrain-now"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#retrain-out [data-testid="flash"]`)),
	); err != nil {
		t.Fatal(err)
	}
	flash, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`#retrain-out [data-testid="flash"]`)))
	if err != nil {
		t.Fatal(err)
	}
	var id int64
	if _, err := fmt.Sscanf(flash, "Retrain queued as job %d.", &id); err != nil {
		t.Fatalf("flash %q: %v", flash, err)
	}
	row := fmt.Sprintf(`[data-testid="job-%d"]`, id)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/jobs"),
		chromedp.WaitVisible(chromedp.CSS(row)),
	); err != nil {
		t.Fatal(err)
	}
	// From here on the page is never reloaded: htmx swaps the table. The
	// page's own marker survives only if the document is the same.
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.__noReload = true`)); err != nil {
		t.Fatal(err)
	}
	seen := []string{}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		state, err := chromedp.Run(tab, chromedp.Evaluate[string](`(document.querySelector('`+row+`') || {dataset: {}}).dataset.state || ""`))
		if err != nil {
			t.Fatal(err)
		}
		if state != "" && (len(seen) == 0 || seen[len(seen)-1] != state) {
			seen = append(seen, state)
		}
		if state == ml.JobSucceeded || state == ml.JobFailed {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if strings.Join(seen, " → ") != "queued → running → succeeded" {
		t.Fatalf("job %d went %v on the page", id, seen)
	}
	if same, _ := chromedp.Run(tab, chromedp.Evaluate[bool](`window.__noReload === true`)); !same {
		t.Fatal("the jobs page was reloaded")
	}
	browsertest.Screenshot(t, tab, "jobs.png")
	// Its page: the log, the data version, the validation, the cost.
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(row+` a[href="/jobs/`+strconv.FormatInt(id, 10)+`"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="job-log"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="validation-table"]`)),
	); err != nil {
		t.Fatal(err)
	}
	log, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-testid="job-log"]`)))
	cpu, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-testid="job-cpu"]`)))
	if !strings.Contains(log, "round 600/600") || !strings.Contains(log, "done:") || !strings.Contains(cpu, "s") {
		t.Fatalf("job page: cpu %q log:\n%s", cpu, log)
	}
	browsertest.Screenshot(t, tab, "job.png")
}

func waitChampion(t testing.TB, m *Main, name string) *ml.Model {
	t.Helper()
	ctx := context.Background()
	deadline := time.Now().Add(60 * time.Second)
	for {
		mod, err := m.DB.FindModelByName(ctx, name)
		if err == nil {
			if _, err := m.DB.FindChampion(ctx, mod.ID); err == nil {
				return mod
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s champion after 60 s", name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func jobsRequest(reason string) jobs.JobRequest {
	return jobs.JobRequest{Strategy: ml.StrategyFull, Reason: reason, Priority: 1}
}

// TestDemoPolicyRetrains: on the demo stream the Elec2 shift fires a
// drift or decay trigger that starts a retrain whose cost is measured.
// The demo's 2-minute cooldown is shortened so the test takes seconds.
func TestDemoPolicyRetrains(t *testing.T) {
	m, _ := startMain(t, 7*24*3600/5) // a week of data every 5 s
	ctx := context.Background()
	mod := waitChampion(t, m, "elec2")
	cfg := mod.Config
	cfg.Policy.Cooldown = "1s"
	if _, err := m.DB.UpdateModelConfig(ctx, cliActor, "elec2", cfg); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for time.Now().Before(deadline) {
		evs, err := m.DB.FindTriggers(ctx, mod.ID, 50)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			auto := false
			for _, tr := range e.Triggers {
				auto = auto || tr == ml.TriggerDrift || tr == ml.TriggerDecay
			}
			if e.Outcome != ml.OutcomeFired || !auto || e.JobID == 0 {
				continue
			}
			j, err := m.DB.FindJob(ctx, e.JobID)
			if err != nil {
				t.Fatal(err)
			}
			if j.State == ml.JobSucceeded {
				if j.CPUSeconds <= 0 || j.PeakRSS <= 0 || len(e.Reasons) == 0 || !strings.Contains(string(e.Cost), "CPUSeconds") {
					t.Fatalf("fired %+v → job %+v", e, j)
				}
				t.Logf("%s fired: %s → job %d, %.3f CPU-s", strings.Join(e.Triggers, "+"), strings.Join(e.Reasons, "; "), j.ID, j.CPUSeconds)
				return
			}
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatal("no drift or decay retrain on the demo stream within 90 s")
}
