package main

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"golang.org/x/crypto/bcrypt"

	"github.com/freshet/freshet/internal/browsertest"
	"github.com/freshet/freshet/store"
)

func init() { store.BcryptCost = bcrypt.MinCost }

// startMain runs a real server (store, River worker, demo feeder, HTTP) on
// a fresh database and a free port.
func startMain(t *testing.T, demoSpeed float64) (*Main, string) {
	t.Helper()
	dir := t.TempDir()
	m := &Main{
		Config: serveConfig{Addr: "127.0.0.1:0", DB: filepath.Join(dir, "e2e.db"), DataDir: filepath.Join(dir, "data"), Demo: true, DemoSpeed: demoSpeed, MonitorEvery: time.Second},
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := m.Open(ctx, true); err != nil {
		t.Fatal(err)
	}
	if m.AdminPassword == "" {
		t.Fatal("no one-time admin password on a fresh database")
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("shutdown: %v", err)
		}
	})
	return m, "http://" + m.Listener.Addr().String()
}

// TestBrowserLoginOverviewModel is the first-run path in real Chromium:
// log in with the printed one-time password, choose a new one, see the
// overview with the demo model, open it, see the chart drawn and the
// stream's row count grow without reloading.
func TestBrowserLoginOverviewModel(t *testing.T) {
	tab, _ := browsertest.New(t, 90*time.Second)
	m, base := startMain(t, 7*24*60) // the default clock: a week of data per minute
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/"),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), "wrong-password"),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="login-error"]`)),
		chromedp.SendKeys(chromedp.ID("password"), m.AdminPassword),
		chromedp.Click(chromedp.ID("login-submit")),
		// The one-time password must be replaced first.
		chromedp.WaitVisible(chromedp.ID("new-password")),
		chromedp.SendKeys(chromedp.ID("new-password"), "my-own-password-1"),
		chromedp.SendKeys(chromedp.ID("new-password2"), "my-own-password-1"),
		chromedp.Click(chromedp.ID("password-submit")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="model-link-elec2"]`)),
	); err != nil {
		t.Fatal(err)
	}
	live, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-testid="demo-live"]`)))
	if err != nil || !strings.Contains(live, "Demo stream live") {
		t.Fatalf("demo badge: %q %v", live, err)
	}
	browsertest.Screenshot(t, tab, "overview.png")
	if err := chromedp.Do(tab,
		chromedp.Click(chromedp.CSS(`[data-testid="model-link-elec2"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="schema-table"]`)),
		// uPlot draws into a canvas once the counts arrive.
		chromedp.WaitVisible(chromedp.CSS(`#counts-chart canvas`)),
	); err != nil {
		t.Fatal(err)
	}
	name, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-testid="model-name"]`)))
	if name != "elec2" {
		t.Fatalf("model page shows %q", name)
	}
	// The chart has data points, and the stat row refreshes by itself
	// (htmx polling) as the demo stream adds rows.
	points, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelector("#counts-chart .u-legend") ? 1 : 0`))
	if err != nil || points != 1 {
		t.Fatalf("chart legend: %v %v", points, err)
	}
	first := readCount(t, tab)
	if _, err := chromedp.Run(tab, chromedp.Poll[bool](`parseInt(document.querySelector('[data-testid="model-observations"]').textContent.replace(/,/g,''), 10) > `+strconv.Itoa(first),
		chromedp.WithPollingInterval(250*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))); err != nil {
		t.Fatalf("observation count did not grow past %d without a reload: %v", first, err)
	}
	browsertest.Screenshot(t, tab, "model.png")
}

func readCount(t *testing.T, tab context.Context) int {
	t.Helper()
	s, err := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`[data-testid="model-observations"]`)))
	if err != nil {
		t.Fatal(err)
	}
	n, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		t.Fatalf("count %q: %v", s, err)
	}
	return n
}

// TestBrowserUploadFlow: a lead creates a model from a CSV file in the
// browser (upload, check the guessed schema, correct a role, create),
// then appends a bad file and sees the line of the problem, with nothing
// stored.
func TestBrowserUploadFlow(t *testing.T) {
	tab, _ := browsertest.New(t, 90*time.Second)
	m, base := startMain(t, 7*24*60)
	ctx := context.Background()
	if _, pw, err := m.DB.CreateUser(ctx, cliActor, "lena", "lead", false); err != nil {
		t.Fatal(err)
	} else {
		login(t, tab, base, "lena", pw)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "Weather Days.csv")
	writeFile(t, good, "seq,temp,dewpoint,station,label\n0,19.8,14.0,OFF,0\n1,26.8,22.2,OFF,0\n2,25.1,20.0,OMA,1\n")
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/models/new"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="upload-file"]`)),
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid="upload-file"]`), []string{good}),
		chromedp.Click(chromedp.CSS(`[data-testid="upload-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="columns-table"]`)),
	); err != nil {
		t.Fatal(err)
	}
	// The guesses: seq is the time, label the label, station categorical.
	for col, want := range map[string]string{"seq": "time", "label": "label", "station": "categorical", "temp": "numeric"} {
		got, err := chromedp.Run(tab, chromedp.Value(chromedp.CSS(`[data-testid="role-`+col+`"]`)))
		if err != nil || got != want {
			t.Errorf("guessed role of %s: %q, want %q (%v)", col, got, want, err)
		}
	}
	name, _ := chromedp.Run(tab, chromedp.Value(chromedp.CSS(`[data-testid="model-name-input"]`)))
	if name != "weather-days" {
		t.Errorf("suggested name %q", name)
	}
	browsertest.Screenshot(t, tab, "schema.png")
	// Correct one role (drop dewpoint) and create.
	if err := chromedp.Do(tab,
		chromedp.SetValue(chromedp.CSS(`[data-testid="role-dewpoint"]`), "ignore"),
		chromedp.Click(chromedp.CSS(`[data-testid="create-model"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="schema-table"]`)),
	); err != nil {
		t.Fatal(err)
	}
	if n := readCount(t, tab); n != 3 {
		t.Fatalf("rows after create: %d", n)
	}
	mod, err := m.DB.FindModelByName(ctx, "weather-days")
	if err != nil || len(mod.Features) != 2 || mod.Time != "seq" {
		t.Fatalf("model: %+v %v", mod, err)
	}
	// Append a file with a bad value on line 3: the page shows the line,
	// and nothing is stored.
	bad := filepath.Join(dir, "more.csv")
	writeFile(t, bad, "seq,temp,station,label\n3,18.0,OFF,1\n4,warm,OFF,0\n")
	if err := chromedp.Do(tab,
		chromedp.SetUploadFiles(chromedp.CSS(`[data-testid="append-file"]`), []string{bad}),
		chromedp.Click(chromedp.CSS(`[data-testid="append-submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#upload-result [data-testid="flash"]`)),
	); err != nil {
		t.Fatal(err)
	}
	msg, _ := chromedp.Run(tab, chromedp.Text(chromedp.CSS(`#upload-result`)))
	if !strings.Contains(msg, "line 3") || !strings.Contains(msg, "warm") || !strings.Contains(msg, "nothing was stored") {
		t.Fatalf("append error shows %q", msg)
	}
	if mod, _ = m.DB.FindModelByName(ctx, "weather-days"); mod.Stats.Observations != 3 {
		t.Fatalf("bad append stored rows: %d", mod.Stats.Observations)
	}
	browsertest.Screenshot(t, tab, "append-error.png")
}

func login(t *testing.T, tab context.Context, base, name, password string) {
	t.Helper()
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.ID("name")),
		chromedp.SendKeys(chromedp.ID("name"), name),
		chromedp.SendKeys(chromedp.ID("password"), password),
		chromedp.Click(chromedp.ID("login-submit")),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="nav"]`)),
	); err != nil {
		t.Fatal(err)
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestBrowserMonitoring: once the demo's first model is trained and its
// windows profiled, the model page shows the drift chart, heatmap and
// table and the performance chart, and the feature selector swaps the
// distribution chart through htmx.
func TestBrowserMonitoring(t *testing.T) {
	tab, _ := browsertest.New(t, 120*time.Second)
	m, base := startMain(t, 7*24*60)
	ctx := context.Background()
	_, pw, err := m.DB.CreateUser(ctx, cliActor, "lena", "lead", false)
	if err != nil {
		t.Fatal(err)
	}
	// Wait for the first version and its profiles (a few seconds).
	deadline := time.Now().Add(60 * time.Second)
	for {
		mod, _ := m.DB.FindModelByName(ctx, "elec2")
		if _, ok, _ := m.DB.LastProfileStart(ctx, mod.ID); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no monitoring profiles after 60 s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	login(t, tab, base, "lena", pw)
	if err := chromedp.Do(tab,
		chromedp.Navigate(base+"/models/elec2"),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="drift-heatmap"]`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="drift-table"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#drift-chart canvas`)),
		chromedp.WaitVisible(chromedp.CSS(`#decay-chart canvas`)),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dist-chart"] canvas`)),
	); err != nil {
		t.Fatal(err)
	}
	rows, err := chromedp.Run(tab, chromedp.Evaluate[int](`document.querySelectorAll('[data-testid="drift-table"] tbody tr').length`))
	if err != nil || rows < 7 {
		t.Fatalf("drift table rows: %d %v", rows, err)
	}
	// Pick another feature: htmx swaps the distribution, no reload.
	if err := chromedp.Do(tab,
		chromedp.Evaluate[chromedp.Void](`window.__marker = 1`),
		chromedp.SetValue(chromedp.CSS(`[data-testid="dist-select"]`), "vicdemand"),
		chromedp.Evaluate[chromedp.Void](`document.querySelector('[data-testid="dist-select"]').dispatchEvent(new Event('change', {bubbles: true}))`),
		chromedp.WaitVisible(chromedp.CSS(`[data-testid="dist-chart"][data-feature="vicdemand"] canvas`)),
	); err != nil {
		t.Fatal(err)
	}
	if same, _ := chromedp.Run(tab, chromedp.Evaluate[bool](`window.__marker === 1`)); !same {
		t.Fatal("the page reloaded instead of swapping the chart")
	}
	browsertest.Screenshot(t, tab, "monitoring.png")
}
