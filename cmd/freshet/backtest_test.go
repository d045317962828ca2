package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBacktestCLI replays three policies on 3,000 days of weather in
// batches of 200 days: one JSON object per policy with the fields
// scripts rely on, and the text table with its recommendation.
func TestBacktestCLI(t *testing.T) {
	data := alsimData(t, 3000)
	args := []string{"backtest", "--data", data, "--label", "label", "--time", "seq", "--batch", "200", "--rounds", "10",
		"--window", "1000", "--policies", "never,every:2,cost_aware"}
	var out, errb bytes.Buffer
	if err := run(context.Background(), append(args, "--json"), &out, &errb); err != nil {
		t.Fatalf("backtest: %v %s", err, errb.String())
	}
	var results []map[string]any
	if err := json.Unmarshal(out.Bytes(), &results); err != nil || len(results) != 3 {
		t.Fatalf("%v, %d results:\n%s", err, len(results), out.String())
	}
	recommended := 0
	for i, want := range []string{"never", "every:2", "cost_aware"} {
		r := results[i]
		for _, k := range []string{"name", "settings", "mean_accuracy", "mean_auc", "retrains", "updates", "train_cpu_seconds", "rows_x_rounds", "c_alpha_auc", "pareto", "recommended", "batches"} {
			if _, ok := r[k]; !ok {
				t.Errorf("%s: no %q", want, k)
			}
		}
		if r["recommended"] == true {
			recommended++
		}
		if r["name"] != want {
			t.Errorf("line %d is %v, want %s", i, r["name"], want)
		}
		if acc, _ := r["mean_accuracy"].(float64); !(acc > 0.6 && acc < 1) {
			t.Errorf("%s: mean accuracy %v", want, r["mean_accuracy"])
		}
		if n := len(r["batches"].([]any)); n != 14 { // (3,000 − 300) / 200 = 13.5: the half batch is kept
			t.Errorf("%s: %d batches", want, n)
		}
	}
	if recommended != 1 {
		t.Errorf("%d recommended policies", recommended)
	}
	out.Reset()
	if err := run(context.Background(), args, &out, &errb); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"3000 rows, the first 300 train the first model, 14 batches", "every:2", "Recommended for α = 0.01: "} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("no %q in\n%s", want, out.String())
		}
	}

	// Bad input: a clear error and no report.
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("a,b,label\n1,2,0\n3,4,7\n"), 0o644)
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"backtest", "--data", data, "--label", "label", "--policies", "sometimes"}, `unknown policy "sometimes"`},
		{[]string{"backtest", "--data", data, "--label", "nope"}, `has no column "nope"`},
		{[]string{"backtest", "--data", data, "--label", "label", "--batch", "7x"}, "give rows (336) or a period"},
		{[]string{"backtest", "--data", bad, "--label", "label"}, `line 3, column 3 (label): label "7": use 0 or 1`},
		{[]string{"backtest", "--data", data}, "--data and --label are required"},
	} {
		out.Reset()
		err := run(context.Background(), c.args, &out, &errb)
		if err == nil || !strings.Contains(err.Error(), c.want) || out.Len() > 0 {
			t.Errorf("%v: %v (output %q), want %q", c.args, err, out.String(), c.want)
		}
	}
}
