package main

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/internal/browsertest"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

// elec2History adds a model named name holding Elec2's first n rows,
// labeled, retrained by hand only.
func elec2History(t testing.TB, m *Main, name string, n int) *ml.Model {
	t.Helper()
	tab, err := demo.Elec2()
	if err != nil {
		t.Fatal(err)
	}
	mod := demo.Elec2Model()
	mod.Name, mod.Config = name, ml.ModelConfig{Policy: ml.PolicyConfig{Cooldown: "3h", Priority: 3, DailyCPU: 60}}
	b := tab.Batch(0, n, 0, 0)
	b.Label = tab.Label[:n]
	if _, err := m.DB.CreateModelWithBatch(context.Background(), cliActor, mod, b, "test"); err != nil {
		t.Fatal(err)
	}
	got, err := m.DB.FindModelByName(context.Background(), name)
	if err != nil {
		t.Fatal(err)
	}
	return got
}

// TestBrowserBacktest: a lead starts a backtest of four policies on a
// model with 4,000 labeled Elec2 rows, watches its progress bar on the
// page until the frontier chart and the table replace it, applies
// cost_aware after confirming, and finds it on the policy page.
func TestBrowserBacktest(t *testing.T) {
	tab, _ := browsertest.New(t, 90*time.Second)
	m, base := startMain(t, 7*24*60)
	ctx := context.Background()
	_, pw, err := m.DB.CreateUser(ctx, cliActor, "lena", "lead", false)
	if err != nil {
		t.Fatal(err)
	}
	mod := elec2History(t, m, "grid", 4000)
	login(t, tab, base, "lena", pw)
	fill := func(id, v string) chromedp.Action[chromedp.Void] {
		return chromedp.SetValue(chromedp.CSS(fmt.Sprintf(`[data-testid="bt-%s"]`, id)), v)
	}
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/models/grid"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="backtests-link"]`)),
		chromedp.Click(chromedp.CSS(`[data-testid="backtests-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="backtest-form"]`)),
		// A bad field first: shown next to the field, nothing queued.
		fill("rounds", "0.5"),
		chromedp.Click(chromedp.CSS(`[data-testid="backtest-start"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="error-rounds"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if bs, _ := m.DB.FindBacktests(ctx, store.BacktestFilter{ModelID: mod.ID}); len(bs) != 0 {
		t.Fatalf("a bad form queued %d backtests", len(bs))
	}
	if err := chromedp.Do(tab,
		fill("batch", "100"),
		fill("policies", "never,every:1,every:4,cost_aware"),
		fill("rounds", "10"),
		chromedp.Click(chromedp.CSS(`[data-testid="backtest-start"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#backtest-live`)),
	); err != nil {
		t.Fatal(err)
	}
	// The page is never reloaded from here until it is done: htmx swaps
	// the live part, the progress bar first.
	if _, err := chromedp.Run(tab, chromedp.Evaluate[bool](`window.__noReload = true`)); err != nil {
		t.Fatal(err)
	}
	var seen []string
	bar := false
	deadline := time.Now().Add(60 * time.Second)
	for {
		state, err := chromedp.Run(tab, chromedp.Evaluate[string](`(document.getElementById('backtest-live') || {dataset: {}}).dataset.state || ""`))
		if err != nil {
			t.Fatal(err)
		}
		if state != "" && (len(seen) == 0 || seen[len(seen)-1] != state) {
			seen = append(seen, state)
		}
		if has, _ := chromedp.Run(tab, chromedp.Evaluate[bool](`!!document.querySelector('[data-testid="backtest-bar"]')`)); has {
			bar = true
		}
		if state == ml.JobSucceeded || state == ml.JobFailed || state == ml.JobCancelled || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(seen) < 2 || seen[len(seen)-1] != ml.JobSucceeded || !bar {
		text, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`#backtest-live`)))
		t.Fatalf("the page went %v (progress bar seen: %v): %s", seen, bar, text)
	}
	if same, _ := chromedp.Run(tab, chromedp.Evaluate[bool](`window.__noReload === true`)); !same {
		t.Fatal("the backtest page was reloaded")
	}
	if err := chromedp.Do(tab,
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="frontier-chart"] canvas`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="auc-chart"] canvas`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="backtest-table"]`)),
	); err != nil {
		t.Fatal(err)
	}
	rows, _ := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="backtest-table"] tbody tr')].map(r => r.dataset.policy)`))
	why, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-testid="recommendation-why"]`)))
	if strings.Join(rows, ",") != "never,every:1,every:4,cost_aware" || !strings.Contains(why, "has the best C_α at α = 0.01") {
		t.Fatalf("table %v, recommendation %q", rows, why)
	}
	shown, _ := chromedp.Run(tab, chromedp.Evaluate[[]string](`[...document.querySelectorAll('[data-testid="series-picker"] input:checked')].map(c => c.value)`))
	if len(shown) < 3 || !containsAll(shown, "never", "every:1", "every:4") {
		t.Fatalf("the AUC chart shows %v at first", shown)
	}
	browsertest.Screenshot(t, tab, "backtest.png")

	// Apply cost_aware: a confirmation first, then the backtest says so.
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`[data-testid="apply-cost_aware"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="apply-diff"]`)),
	); err != nil {
		t.Fatal(err)
	}
	diff, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-testid="apply-diff"]`)))
	if !strings.Contains(diff, "Retrained by hand only") || !strings.Contains(diff, "when the gain is worth the cost") || !strings.Contains(diff, "newest 4,704 rows") {
		t.Fatalf("confirmation: %q", diff)
	}
	if p, _ := m.DB.FindModelByName(ctx, "grid"); p.Config.Policy.CostAware != nil {
		t.Fatal("the confirmation page applied the policy")
	}
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`[data-testid="apply-confirm"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="applied"]`)),
	); err != nil {
		t.Fatal(err)
	}
	applied, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-testid="applied"]`)))
	if !strings.Contains(applied, "cost_aware was applied to grid's live policy by user:lena") {
		t.Fatalf("applied: %q", applied)
	}
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`[data-testid="applied-policy-link"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="policy-form"]`)),
	); err != nil {
		t.Fatal(err)
	}
	form, err := chromedp.Run(tab, chromedp.Evaluate[map[string]string](`Object.fromEntries([...document.querySelectorAll('[data-testid="policy-form"] [name]')].filter(e => e.type !== 'checkbox' || e.checked).map(e => [e.name, e.value]))`))
	if err != nil {
		t.Fatal(err)
	}
	// Replaced: the triggers, the strategy and the window; kept: the
	// cooldown, the priority and the budget.
	if form["value_per_point"] == "" || form["volume_labels"] != "800" || form["strategy"] != ml.StrategyAuto || form["full_every"] != "8" ||
		form["warm_rounds"] != "5" || form["window_kind"] != ml.WindowSlidingRows || form["window_rows"] != "4704" ||
		form["cooldown"] != "3h" || form["priority"] != "3" || form["daily_cpu_seconds"] != "60" {
		t.Fatalf("policy page after apply: %v", form)
	}
	audit, _ := m.DB.FindAudit(ctx, store.AuditFilter{Action: "backtest.apply"})
	if len(audit) != 1 || audit[0].Actor != "user:lena" || audit[0].Target != "model:grid" {
		t.Fatalf("audit: %+v", audit)
	}
}

func containsAll(have []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, h := range have {
			found = found || h == w
		}
		if !found {
			return false
		}
	}
	return true
}
