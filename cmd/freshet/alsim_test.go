package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/freshet/freshet/demo"
)

// alsimData writes the first rows of the embedded NOAA weather data to a
// temporary CSV file.
func alsimData(t *testing.T, rows int) string {
	t.Helper()
	raw, err := demo.CSV("weather")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitAfterN(string(raw), "\n", rows+2)
	path := filepath.Join(t.TempDir(), "weather.csv")
	if err := os.WriteFile(path, []byte(strings.Join(lines[:rows+1], "")), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestAlSimCLI runs al-sim end to end on 3,000 days of weather, two seeds,
// up to 600 labels: the JSON report's shape, the text table and the SVG.
func TestAlSimCLI(t *testing.T) {
	data := alsimData(t, 3000)
	dir := t.TempDir()
	svg, jsonFile := filepath.Join(dir, "c.svg"), filepath.Join(dir, "r.json")
	var out, errb bytes.Buffer
	args := []string{"al-sim", "--data", data, "--label", "label", "--time", "seq", "--seeds", "2", "--max-labels", "600", "--json", "--svg", svg}
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("al-sim: %v %s", err, errb.String())
	}
	var rep alsimReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("JSON: %v\n%s", err, out.String())
	}
	if rep.PoolRows != 2400 || rep.TestRows != 600 || rep.Features != 8 || rep.Seeds != 2 {
		t.Errorf("rows %d/%d, features %d, seeds %d", rep.PoolRows, rep.TestRows, rep.Features, rep.Seeds)
	}
	wantLabels := []int{100, 200, 300, 400, 500, 600}
	if len(rep.Labels) != len(wantLabels) {
		t.Fatalf("labels %v, want %v", rep.Labels, wantLabels)
	}
	if !(rep.FullPoolAUC > 0.7 && rep.FullPoolAUC < 1) || math.Abs(rep.TargetAUC-0.98*rep.FullPoolAUC) > 1e-4 {
		t.Errorf("full-pool AUC %v, target %v", rep.FullPoolAUC, rep.TargetAUC)
	}
	names := map[string]alsimStrategy{}
	for _, a := range rep.Strategies {
		names[a.Name] = a
		if len(a.Curve) != len(wantLabels) || len(a.LabelsToTarget) != 2 || len(a.MeanAUCSeeds) != 2 {
			t.Fatalf("%s: curve %d points, %d seeds", a.Name, len(a.Curve), len(a.LabelsToTarget))
		}
		for k, p := range a.Curve {
			if p.Labels != wantLabels[k] || !(p.Min <= p.Median && p.Median <= p.Max) || p.Min < 0.5 || p.Max > 1 || len(p.Seeds) != 2 {
				t.Errorf("%s point %d: %+v", a.Name, k, p)
			}
		}
	}
	if len(rep.Strategies) != 8 || rep.Strategies[0].Name != "random" {
		t.Errorf("strategies %v", names)
	}
	random, ok1 := names["random"]
	div, ok2 := names["diversity"]
	if !ok1 || !ok2 {
		t.Fatalf("random or diversity missing: %v", names)
	}
	// Every strategy starts from the same random labels.
	if div.Curve[0].Median != random.Curve[0].Median {
		t.Errorf("first points differ: %v vs %v", div.Curve[0], random.Curve[0])
	}
	if random.Ratio != nil && *random.Ratio != 1 {
		t.Errorf("random's ratio to itself %v", *random.Ratio)
	}
	if rep.Verdict == nil || rep.Verdict.Strategy != "diversity" {
		t.Errorf("verdict %+v", rep.Verdict)
	}
	// 2 seeds × (7 strategies × 6 fits + committee 5 × 4 members) and the
	// whole-pool model is not counted.
	if want := 2 * (8*6 + 5*4); rep.Refits != want {
		t.Errorf("refits %d, want %d", rep.Refits, want)
	}
	// The SVG parses and has one line per strategy and both axis labels.
	b, err := os.ReadFile(svg)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Polylines []struct{} `xml:"polyline"`
		Texts     []string   `xml:"text"`
	}
	if err := xml.Unmarshal(b, &doc); err != nil {
		t.Fatalf("SVG: %v", err)
	}
	if len(doc.Polylines) != 8 || !strings.Contains(strings.Join(doc.Texts, "|"), "|labels|test AUC|") {
		t.Errorf("SVG: %d lines, texts %q", len(doc.Polylines), doc.Texts)
	}

	// The text table, random and diversity only, and the JSON file.
	out.Reset()
	args = []string{"al-sim", "--data", data, "--label", "label", "--time", "seq", "--seeds", "2", "--max-labels", "300",
		"--strategies", "diversity", "--json-out", jsonFile}
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatalf("al-sim text: %v", err)
	}
	text := out.String()
	for _, want := range []string{"labels to target", "ratio to random", "mean AUC ≤ 2000", "\nrandom ", "\ndiversity * ", "test AUC, median over seeds", "wall time"} {
		if !strings.Contains(text, want) {
			t.Errorf("text output lacks %q:\n%s", want, text)
		}
	}
	var small alsimReport
	if b, err := os.ReadFile(jsonFile); err != nil || json.Unmarshal(b, &small) != nil || len(small.Strategies) != 2 {
		t.Errorf("--json-out: %v %+v", err, small.Strategies)
	}
}

func TestAlSimCLIErrors(t *testing.T) {
	data := alsimData(t, 400)
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--data", data}, "usage"},
		{[]string{"--data", data, "--label", "label", "--strategies", "psychic"}, "unknown strategy"},
		{[]string{"--data", data, "--label", "nope"}, `no column "nope"`},
		{[]string{"--data", data, "--label", "temp"}, "use 0 or 1"},
		{[]string{"--data", data, "--label", "label", "--seeds", "0"}, "--seeds"},
		{[]string{"--data", alsimData(t, 150), "--label", "label"}, "too few"}, // a pool of 120 rows
	} {
		var out, errb bytes.Buffer
		err := run(context.Background(), append([]string{"al-sim"}, tt.args...), &out, &errb)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: err %v, want %q", tt.args, err, tt.want)
		}
	}
}

// TestAlSimScore: the simulation's fast scorer gives exactly what
// gbdt.Model.Predict gives, missing values included.
func TestAlSimScore(t *testing.T) {
	c := alsimConfig{Data: alsimData(t, 6000), Label: "label", Time: "seq", TestFrac: 0.2, Start: 100, Batch: 100, Rounds: 20, Depth: 6}
	in, err := loadALSim(c)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(in.PoolY); i += 7 {
		in.PoolX[i%len(in.PoolX)][i] = math.NaN()
	}
	n := len(in.PoolY)
	s := &sim{in: in, c: c, nf: len(in.PoolX), poolRows: rowMajor(in.PoolX, n)}
	idx := make([]int, 0, n/2)
	for i := 0; i < n; i += 2 {
		idx = append(idx, i)
	}
	m, err := s.fit(idx, nil, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, threads := range []int{1, 3} {
		got := s.score(m, s.poolRows, nil, threads)
		for i := range n {
			if want := m.Predict(s.poolRows[i*s.nf : (i+1)*s.nf])[0]; got[i] != want {
				t.Fatalf("threads %d row %d: %v, Predict %v", threads, i, got[i], want)
			}
		}
	}
	sub := s.score(m, s.poolRows, []int{3, 5}, 1)
	if sub[0] != 0 || sub[3] == 0 || sub[5] == 0 {
		t.Errorf("scoring rows 3 and 5: %v", sub[:6])
	}
}
