package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/freshet/freshet/ml"
)

// BenchmarkDashboardWhileTraining measures the model page's latency (p50,
// p99) with the training slot idle and while a long training runs in its
// child process, on the same machine. The ratio says whether training at
// low CPU priority keeps the dashboard responsive.
//
//	go test ./cmd/freshet -run '^$' -bench DashboardWhileTraining -benchtime 1x
func BenchmarkDashboardWhileTraining(b *testing.B) {
	dir := b.TempDir()
	m := &Main{
		Config: serveConfig{Addr: "127.0.0.1:0", DB: filepath.Join(dir, "b.db"), DataDir: filepath.Join(dir, "data"), Demo: true, DemoSpeed: 7 * 24 * 60, MonitorEvery: time.Second, TrainNice: 10},
		Log:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	if err := m.Open(ctx, true); err != nil {
		b.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	defer func() { cancel(); <-done }()
	base := "http://" + m.Listener.Addr().String()
	_, pw, err := m.DB.CreateUser(ctx, cliActor, "bench", "lead", false)
	if err != nil {
		b.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	if res, err := c.PostForm(base+"/login", url.Values{"name": {"bench"}, "password": {pw}}); err != nil {
		b.Fatal(err)
	} else {
		res.Body.Close()
	}
	// The demo model, retrained by hand only, with its monitoring
	// windows profiled before measuring.
	mod := waitChampion(b, m, "elec2")
	cfg := mod.Config
	cfg.Policy = ml.PolicyConfig{}
	if _, err := m.DB.UpdateModelConfig(ctx, cliActor, "elec2", cfg); err != nil {
		b.Fatal(err)
	}
	for {
		ps, err := m.DB.FindProfiles(ctx, mod.ID, 100)
		if err != nil {
			b.Fatal(err)
		}
		if len(ps) >= 40 {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	path := "/models/elec2"
	if p := os.Getenv("FRESHET_BENCH_PATH"); p != "" {
		path = p
	}
	sample := func(d time.Duration) []time.Duration {
		var lat []time.Duration
		end := time.Now().Add(d)
		for time.Now().Before(end) {
			t0 := time.Now()
			res, err := c.Get(base + path)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			lat = append(lat, time.Since(t0))
			time.Sleep(20 * time.Millisecond)
		}
		slices.Sort(lat)
		return lat
	}
	q := func(l []time.Duration, p float64) float64 {
		return float64(l[min(len(l)-1, int(p*float64(len(l))))].Microseconds()) / 1000
	}
	for range b.N {
		idle := sample(5 * time.Second)
		slow := slowModel(b, m, 100000)
		job, _, err := m.Jobs.Enqueue(ctx, slow, cliActor, jobsRequest("load"))
		if err != nil {
			b.Fatal(err)
		}
		for {
			j, _ := m.DB.FindJob(ctx, job.ID)
			if j.State == ml.JobRunning && j.Phase == "training" {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		busy := sample(5 * time.Second)
		if _, err := m.Jobs.Cancel(ctx, cliActor, job.ID); err != nil {
			b.Fatal(err)
		}
		for {
			if j, _ := m.DB.FindJob(ctx, job.ID); j.Done() {
				break
			}
			time.Sleep(50 * time.Millisecond)
		}
		// Idle again: the page's own cost grows as windows are profiled,
		// so training is compared with idle before and after it.
		after := sample(5 * time.Second)
		idle = append(idle, after...)
		slices.Sort(idle)
		b.ReportMetric(q(idle, 0.5), "idle-p50-ms")
		b.ReportMetric(q(idle, 0.99), "idle-p99-ms")
		b.ReportMetric(q(busy, 0.5), "training-p50-ms")
		b.ReportMetric(q(busy, 0.99), "training-p99-ms")
		b.ReportMetric(q(after, 0.5), "idle-after-p50-ms")
	}
}
