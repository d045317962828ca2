package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/freshet/freshet/internal/browsertest"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

// TestBrowserGateApproveAndRollback: a lead opens a pending gate decision,
// sees the checks, approves with a comment, sees the new champion on the
// model page, then rolls back from the versions page.
func TestBrowserGateApproveAndRollback(t *testing.T) {
	tab, _ := browsertest.New(t, 120*time.Second)
	m, base := startMain(t, 7*24*60)
	ctx := context.Background()
	_, pw, err := m.DB.CreateUser(ctx, cliActor, "lena", "lead", false)
	if err != nil {
		t.Fatal(err)
	}
	mod := waitChampion(t, m, "elec2")
	first, _ := m.DB.FindChampion(ctx, mod.ID)
	cfg := mod.Config
	cfg.Policy = ml.PolicyConfig{}
	cfg.Gate = ml.GateConfig{Mode: ml.GateApproval, MaxECE: 1, MaxScoreShift: 100, WatchLabels: -1}
	cfg.Trainer.Train = ml.TrainConfig{Rounds: 200}
	if _, err := m.DB.UpdateModelConfig(ctx, cliActor, "elec2", cfg); err != nil {
		t.Fatal(err)
	}
	job, _, err := m.Jobs.Enqueue(ctx, mod, cliActor, jobsRequest("a challenger for the lead"))
	if err != nil {
		t.Fatal(err)
	}
	var d *ml.GateDecision
	deadline := time.Now().Add(60 * time.Second)
	for d == nil {
		gs, _ := m.DB.FindGates(ctx, store.GateFilter{ModelID: mod.ID})
		for _, g := range gs {
			if g.JobID == job.ID {
				d = g
			}
		}
		if time.Now().After(deadline) {
			t.Fatal("no gate decision after 60 s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	if d.Status != ml.GatePending {
		full, _ := m.DB.FindGate(ctx, d.ID)
		t.Fatalf("decision is %s: %s", d.Status, full.Summary)
	}
	login(t, tab, base, "lena", pw)
	// The model page's versions table before the decision: the challenger
	// waits as a candidate, the first version serves.
	modelPage(t, tab, base, map[int]string{first.Number: ml.StatusChampion, d.ChallengerNumber: ml.StatusCandidate})
	row := fmt.Sprintf(`[data-testid="gate-%d"]`, d.ID)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/gates"),
		chromedp.WaitVisible(chromedp.CSS(row)),
		chromedp.Click(chromedp.CSS(row+` td a`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="gate-checks"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="gate-ci"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="calibration-chart"] canvas`)),
	); err != nil {
		t.Fatal(err)
	}
	checks, _ := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="gate-checks"] tbody tr').length`))
	sig, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-check="significance"]`)))
	if checks < 8 || !strings.Contains(sig, "significance") {
		t.Fatalf("decision page shows %d checks; significance row %q", checks, sig)
	}
	browsertest.Screenshot(t, tab, "gate.png")
	if err := chromedp.Do(tab,
		chromedp.SendKeys(chromedp.CSS(`[data-testid="gate-comment"]`), "better AUC, no slice worse"),
		chromedp.Click(chromedp.CSS(`[data-testid="gate-approve"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="versions-registry"]`)),
	); err != nil {
		t.Fatal(err)
	}
	champ, _ := m.DB.FindChampion(ctx, mod.ID)
	if champ.ID != d.ChallengerID {
		t.Fatalf("champion v%d after approval", champ.Number)
	}
	// The approved version's own row says champion; the first one's,
	// retired.
	modelPage(t, tab, base, map[int]string{first.Number: ml.StatusRetired, d.ChallengerNumber: ml.StatusChampion})
	// Roll back from the registry.
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/models/elec2/versions"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="rollback"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="rollback"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="flash"]`)),
	); err != nil {
		t.Fatal(err)
	}
	flash, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-testid="flash"]`)))
	champ, _ = m.DB.FindChampion(ctx, mod.ID)
	if champ.ID != first.ID || !strings.Contains(flash, fmt.Sprintf("v%d serves again", first.Number)) {
		t.Fatalf("after rollback: champion v%d, flash %q", champ.Number, flash)
	}
	state, _ := chromedp.Run(tab, chromedp.Evaluate[string](fmt.Sprintf(`document.querySelector('[data-testid="version-%d"]').dataset.status`, d.ChallengerNumber)))
	if state != ml.StatusRolledBack {
		t.Fatalf("the registry shows the rolled-back version as %q", state)
	}
	browsertest.Screenshot(t, tab, "versions.png")
	modelPage(t, tab, base, map[int]string{first.Number: ml.StatusChampion, d.ChallengerNumber: ml.StatusRolledBack})
}

// modelPage opens elec2's model page and checks the status each listed
// version's own row of the versions table shows.
func modelPage(t *testing.T, tab context.Context, base string, want map[int]string) {
	t.Helper()
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/models/elec2"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="versions-table"]`)),
	); err != nil {
		t.Fatal(err)
	}
	// Status by version, from the rows' first two cells ("v3", "champion").
	got, err := chromedp.Run(tab, chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll('[data-testid="versions-table"] tbody tr')]
		.map(r => [r.cells[0].innerText.trim(), r.cells[1].innerText.trim()]))`))
	if err != nil {
		t.Fatal(err)
	}
	for n, status := range want {
		if got[fmt.Sprintf("v%d", n)] != status {
			t.Fatalf("model page: v%d is %q, want %q (all: %v)", n, got[fmt.Sprintf("v%d", n)], status, got)
		}
	}
}
