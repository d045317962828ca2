package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/freshet/freshet/internal/browsertest"
	"github.com/freshet/freshet/ml"
)

// TestBrowserLabeling: two annotators in two browsers label one batch
// with the keyboard; one undoes, the other skips; the counts and the
// budget bar are right; an annotator cannot open the lead view.
func TestBrowserLabeling(t *testing.T) {
	tab1, _ := browsertest.New(t, 120*time.Second)
	// A second browser context in the same browser: its own cookies.
	tab2, cancel2 := chromedp.NewContext(tab1, chromedp.WithNewBrowserContext())
	defer cancel2()
	m, base := startMain(t, 7*24*60)
	ctx := context.Background()
	pw := map[string]string{}
	for _, u := range []string{"ann1", "ann2"} {
		_, p, err := m.DB.CreateUser(ctx, cliActor, u, "annotator", false)
		if err != nil {
			t.Fatal(err)
		}
		pw[u] = p
	}
	mod := waitChampion(t, m, "elec2")
	cfg := mod.Config
	cfg.Policy = ml.PolicyConfig{}
	cfg.Labeling = ml.LabelingConfig{Budget: 10}
	if _, err := m.DB.UpdateModelConfig(ctx, cliActor, "elec2", cfg); err != nil {
		t.Fatal(err)
	}
	_, tok, err := m.DB.CreateToken(ctx, cliActor, "lead-tool", []string{ml.ScopeAdmin})
	if err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", base+"/api/v1/models/elec2/batches", strings.NewReader(`{"strategy":"diversity","size":6}`))
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var batch struct{ ID int64 }
	json.NewDecoder(res.Body).Decode(&batch)
	res.Body.Close()
	if res.StatusCode != 201 {
		t.Fatalf("start batch: %d", res.StatusCode)
	}
	page := fmt.Sprintf("%s/labeling/batches/%d", base, batch.ID)
	status := func(tab context.Context, want string) {
		t.Helper()
		if _, err := chromedp.Run(tab, chromedp.Poll[bool](`document.querySelector('[data-testid="label-status"]').textContent === `+fmt.Sprintf("%q", want),
			chromedp.WithPollingTimeout(10*time.Second))); err != nil {
			got, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-testid="label-status"]`)))
			t.Fatalf("status %q, want %q", got, want)
		}
	}
	item := func(tab context.Context) string {
		id, _ := chromedp.Run(tab, chromedp.Evaluate[string](`document.querySelector('[data-testid="label-item"]').getAttribute("data-item") || ""`))
		return id
	}
	// The first annotator: label with 1, label with 0, undo the last.
	login(t, tab1, base, "ann1", pw["ann1"])
	if err := chromedp.Do(tab1, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`[data-testid="item-features"]`))); err != nil {
		t.Fatal(err)
	}
	first := item(tab1)
	if err := chromedp.Do(tab1, chromedp.KeyEvent("1")); err != nil {
		t.Fatal(err)
	}
	status(tab1, "labeled 1")
	second := item(tab1)
	if second == first {
		t.Fatal("the next item did not come after labeling")
	}
	if err := chromedp.Do(tab1, chromedp.KeyEvent("0")); err != nil {
		t.Fatal(err)
	}
	status(tab1, "labeled 0")
	if err := chromedp.Do(tab1, chromedp.KeyEvent("u")); err != nil {
		t.Fatal(err)
	}
	status(tab1, "undone")
	if got := item(tab1); got != second {
		t.Fatalf("undo gave item %s back, want %s", got, second)
	}
	browsertest.Screenshot(t, tab1, "labeling.png")
	// The second annotator: skip one, label one.
	login(t, tab2, base, "ann2", pw["ann2"])
	if err := chromedp.Do(tab2, chromedp.Navigate(page), chromedp.WaitVisible(chromedp.CSS(`[data-testid="item-features"]`))); err != nil {
		t.Fatal(err)
	}
	if held := item(tab2); held == first || held == second {
		t.Fatalf("ann2 got item %s, which ann1 labeled or holds", held)
	}
	if err := chromedp.Do(tab2, chromedp.KeyEvent("s")); err != nil {
		t.Fatal(err)
	}
	status(tab2, "skipped")
	if err := chromedp.Do(tab2, chromedp.KeyEvent("1")); err != nil {
		t.Fatal(err)
	}
	status(tab2, "labeled 1")
	budget, _ := chromedp.Run(tab2, chromedp.Text(chromedp.CSS(`[data-testid="budget-progress"]`)))
	progress, _ := chromedp.Run(tab2, chromedp.Text(chromedp.CSS(`[data-testid="batch-progress"]`)))
	if budget != "2/10 used" || progress != "2/6 done" {
		t.Fatalf("budget %q, batch %q; want 2/10 used, 2/6 done", budget, progress)
	}
	var n int
	m.DB.Read.QueryRow(`SELECT COUNT(*) FROM annotations WHERE undone = 0`).Scan(&n)
	if n != 2 {
		t.Fatalf("%d labels stored, want 2", n)
	}
	// Lead pages are not for annotators.
	if err := chromedp.Do(tab1, chromedp.Navigate(page+"/lead"), chromedp.WaitVisible(chromedp.CSS(`main`))); err != nil {
		t.Fatal(err)
	}
	body, _ := chromedp.Run(tab1, chromedp.Text(chromedp.CSS(`main`)))
	if !strings.Contains(body, "for leads") {
		t.Fatalf("annotator on the lead view: %q", body)
	}
}
