package main

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/freshet/freshet/store"
)

func TestUserAndTokenAdd(t *testing.T) {
	ctx := context.Background()
	db := filepath.Join(t.TempDir(), "cli.db")
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"user", "add", "--db", db, "--name", "lena", "--role", "lead"}, &out, &errb); err != nil {
		t.Fatalf("user add: %v %s", err, errb.String())
	}
	pw := regexp.MustCompile(`password \(shown once\): (\S+)`).FindStringSubmatch(out.String())
	if pw == nil {
		t.Fatalf("no password in %q", out.String())
	}
	out.Reset()
	if err := run(ctx, []string{"token", "add", "--db", db, "--name", "loader", "--scopes", "ingest,predict"}, &out, &errb); err != nil {
		t.Fatalf("token add: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	secret := lines[len(lines)-1]
	if !strings.HasPrefix(secret, store.TokenPrefix) {
		t.Fatalf("secret %q", secret)
	}
	d, err := store.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	if _, _, err := d.Authenticate(ctx, "lena", pw[1]); err != nil {
		t.Fatalf("printed password does not log in: %v", err)
	}
	tok, err := d.FindTokenBySecret(ctx, secret)
	if err != nil || !tok.HasScope("predict") || tok.HasScope("admin") {
		t.Fatalf("token: %+v %v", tok, err)
	}
	for _, bad := range [][]string{
		{"user", "add", "--db", db, "--name", "lena", "--role", "lead"},        // exists
		{"user", "add", "--db", db, "--name", "x", "--role", "boss"},           // bad role
		{"token", "add", "--db", db, "--name", "t2", "--scopes", "everything"}, // bad scope
		{"frobnicate"},
	} {
		if err := run(ctx, bad, &out, &errb); err == nil {
			t.Errorf("%v: no error", bad)
		}
	}
}

func TestEnvDefaults(t *testing.T) {
	t.Setenv("FRESHET_DB", "/tmp/from-env.db")
	var c serveConfig
	fs := newFlagSet("serve", &bytes.Buffer{})
	serveFlags(fs, &c, true)
	if err := parse(fs, nil); err != nil || c.DB != "/tmp/from-env.db" {
		t.Fatalf("env default: %q %v", c.DB, err)
	}
	if err := parse(fs, []string{"--db", "flag.db"}); err != nil || c.DB != "flag.db" {
		t.Fatalf("flag wins: %q %v", c.DB, err)
	}
	t.Setenv("FRESHET_DEMO", "maybe")
	fs = newFlagSet("serve", &bytes.Buffer{})
	serveFlags(fs, &c, true)
	if err := parse(fs, nil); err == nil || !strings.Contains(err.Error(), "FRESHET_DEMO") {
		t.Fatalf("bad env value: %v", err)
	}
}

// TestServePrintsPasswordOnce: a fresh database prints the admin's
// one-time password; the next start prints none.
func TestServePrintsPasswordOnce(t *testing.T) {
	dir := t.TempDir()
	for i, want := range []bool{true, false} {
		ctx, cancel := context.WithCancel(context.Background())
		var out, errb syncBuf
		done := make(chan error)
		go func() {
			done <- run(ctx, []string{"serve", "--addr", "127.0.0.1:0", "--db", filepath.Join(dir, "s.db"), "--demo=false", "--log-level", "warn"}, &out, &errb)
		}()
		// Wait until it has started serving, then stop it.
		for j := 0; j < 200 && !strings.Contains(out.String(), "serving"); j++ {
			sleep()
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatalf("run %d: %v %s", i, err, errb.String())
		}
		if got := strings.Contains(out.String(), "one-time password"); got != want {
			t.Fatalf("run %d: printed password = %v, want %v:\n%s", i, got, want, out.String())
		}
	}
}

func TestTrainAndPredictCLI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	data := filepath.Join(dir, "d.csv")
	var b strings.Builder
	b.WriteString("when,colour,x,noise,y\n")
	for i := range 600 {
		colour := []string{"red", "green", "blue"}[i%3]
		x := float64(i%50) / 50
		y := 0
		if (colour == "red") != (x > 0.5) {
			y = 1
		}
		b.WriteString(strings.Join([]string{"2026-01-01T00:00:00Z", colour, ftoa(x), ftoa(float64(i % 7)), itoa(y)}, ","))
		b.WriteString("\n")
	}
	writeFile(t, data, strings.ReplaceAll(b.String(), "2026-01-01T00:00:00Z", "2026-01-01"))
	model := filepath.Join(dir, "m.txt")
	var out, errb bytes.Buffer
	if err := run(ctx, []string{"train", "--data", data, "--label", "y", "--time", "when", "--drop", "noise", "--out", model, "--json", "--rounds", "30"}, &out, &errb); err != nil {
		t.Fatalf("train: %v %s", err, errb.String())
	}
	var rep struct {
		Metrics map[string]float64
		Rounds  int
		Rows    int
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Rows != 600 || rep.Metrics["auc"] < 0.95 {
		t.Fatalf("report %+v %v: %s", rep, err, out.String())
	}
	out.Reset()
	pred := filepath.Join(dir, "p.csv")
	writeFile(t, pred, "x,colour,extra\n0.9,red,1\n0.9,blue,2\n0.1,red,3\n0.1,purple,4\n")
	if err := run(ctx, []string{"predict", "--model", model, "--data", pred}, &out, &errb); err != nil {
		t.Fatalf("predict: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(lines) != 5 || lines[0] != "score" {
		t.Fatalf("predict output %q", out.String())
	}
	score := func(i int) float64 { f, _ := strconv.ParseFloat(lines[i], 64); return f }
	if !(score(1) < 0.5 && score(2) > 0.5 && score(3) > 0.5) {
		t.Fatalf("scores do not follow the rule: %v", lines)
	}
	// Bad input names its line.
	bad := filepath.Join(dir, "bad.csv")
	writeFile(t, bad, "when,colour,x,noise,y\n2026-01-01,red,0.5,1,1\n2026-02-31x,red,0.4,1,1\n")
	err := run(ctx, []string{"train", "--data", bad, "--label", "y", "--time", "when"}, &out, &errb)
	if err == nil || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("bad data: %v", err)
	}
}

func ftoa(x float64) string { return strconv.FormatFloat(x, 'g', -1, 64) }
func itoa(i int) string     { return strconv.Itoa(i) }

func TestDriftCLI(t *testing.T) {
	dir := t.TempDir()
	var ref, same, moved strings.Builder
	for _, b := range []*strings.Builder{&ref, &same, &moved} {
		b.WriteString("id,x,colour\n")
	}
	for i := range 400 {
		x := float64(i%40) / 40
		ref.WriteString(itoa(i) + "," + ftoa(x) + "," + []string{"red", "blue"}[i%2] + "\n")
		same.WriteString(itoa(i) + "," + ftoa(x) + "," + []string{"red", "blue"}[i%2] + "\n")
		moved.WriteString(itoa(i) + "," + ftoa(x+0.5) + ",red\n")
	}
	writeFile(t, filepath.Join(dir, "ref.csv"), ref.String())
	writeFile(t, filepath.Join(dir, "same.csv"), same.String())
	writeFile(t, filepath.Join(dir, "moved.csv"), moved.String())
	var out, errb bytes.Buffer
	if err := run(context.Background(), []string{"drift", "--ref", filepath.Join(dir, "ref.csv"), "--cur", filepath.Join(dir, "moved.csv"), "--drop", "id", "--json"}, &out, &errb); err != nil {
		t.Fatalf("drift: %v %s", err, errb.String())
	}
	var rep struct {
		Features []struct {
			Name    string
			Method  string
			Drifted bool
		}
		DatasetDrift bool `json:"dataset_drift"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || !rep.DatasetDrift || len(rep.Features) != 2 || rep.Features[0].Method != "ks" || !rep.Features[1].Drifted {
		t.Fatalf("moved: %+v %v\n%s", rep, err, out.String())
	}
	out.Reset()
	if err := run(context.Background(), []string{"drift", "--ref", filepath.Join(dir, "ref.csv"), "--cur", filepath.Join(dir, "same.csv"), "--drop", "id"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0 of 2 features drifted") || !strings.Contains(out.String(), "no dataset drift") {
		t.Fatalf("same:\n%s", out.String())
	}
}
