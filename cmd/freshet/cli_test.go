package main

import (
	"bytes"
	"context"
	"path/filepath"
	"regexp"
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
