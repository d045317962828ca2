package store_test

import (
	"context"
	"math"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

func init() { store.BcryptCost = bcrypt.MinCost }

// mustOpen opens a fresh, migrated database in a temp dir.
func mustOpen(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), filepath.Join(tb.TempDir(), "test.db"))
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { db.Close() })
	return db
}

func mustModel(tb testing.TB, db *store.DB) *ml.Model {
	tb.Helper()
	m := demo.Elec2Model()
	if err := db.CreateModel(context.Background(), ml.SystemActor, m); err != nil {
		tb.Fatal(err)
	}
	return m
}

func TestMigrationsIdempotent(t *testing.T) {
	path := filepath.Join(t.TempDir(), "x.db")
	for range 2 {
		db, err := store.Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		db.Close()
	}
}

func TestCreateModel(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	m := mustModel(t, db)
	if m.ID == 0 {
		t.Fatal("no id")
	}
	got, err := db.FindModelByName(ctx, "elec2")
	if err != nil {
		t.Fatal(err)
	}
	if got.Label != "label" || len(got.Features) != 7 || got.Features[0].Type != ml.Categorical || !got.Config.Demo {
		t.Fatalf("round trip: %+v", got)
	}
	if err := db.CreateModel(ctx, ml.SystemActor, demo.Elec2Model()); ml.ErrorCode(err) != ml.ECONFLICT {
		t.Fatalf("duplicate: %v", err)
	}
	bad := &ml.Model{Name: "Bad Name", Label: "y", Features: []ml.Feature{{Name: "a", Type: ml.Numeric}}}
	if err := db.CreateModel(ctx, ml.SystemActor, bad); ml.ErrorCode(err) != ml.EINVALID {
		t.Fatalf("invalid: %v", err)
	}
	if _, err := db.FindModelByName(ctx, "nope"); ml.ErrorCode(err) != ml.ENOTFOUND {
		t.Fatalf("not found: %v", err)
	}
	cats, err := db.FindCategories(ctx, got)
	if err != nil || strings.Join(cats[0], "") != "1234567" {
		t.Fatalf("categories %v %v", cats, err)
	}
	audit, _ := db.FindAudit(ctx, store.AuditFilter{Action: "model."})
	if len(audit) != 1 || audit[0].Target != "model:elec2" {
		t.Fatalf("audit %+v", audit)
	}
}

func TestInsertAndScan(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	m := mustModel(t, db)
	tab, err := demo.Elec2()
	if err != nil {
		t.Fatal(err)
	}
	// Many small batches (merged into chunks) then one big one (split).
	total := 0
	for lo := 0; lo < 3000; lo += 100 {
		res, err := db.InsertBatch(ctx, ml.SystemActor, m, tab.Batch(lo, lo+100, 0, 0), store.SourceIngest)
		if err != nil {
			t.Fatal(err)
		}
		if res.FirstID != int64(lo+1) {
			t.Fatalf("first id %d at %d", res.FirstID, lo)
		}
		total += 100
	}
	if _, err := db.InsertBatch(ctx, ml.SystemActor, m, tab.Batch(3000, 20000, 0, 0), store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	total = 20000
	f, err := db.Scan(ctx, m, store.ScanFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if f.Len() != total {
		t.Fatalf("scanned %d rows, want %d", f.Len(), total)
	}
	for _, i := range []int{0, 99, 100, 2999, 3000, 8191 + 3000, 19999} {
		if f.ID[i] != int64(i+1) || f.Time[i] != tab.Time[i] || f.X[1][i] != tab.Num[0][i] || f.X[6][i] != tab.Num[5][i] {
			t.Fatalf("row %d differs: id %d time %d", i, f.ID[i], f.Time[i])
		}
		if want := float64(tab.Day[i][0] - '1'); f.X[0][i] != want {
			t.Fatalf("row %d day code %v want %v", i, f.X[0][i], want)
		}
		if !math.IsNaN(f.Label[i]) {
			t.Fatalf("row %d labeled", i)
		}
	}
	// Time filter.
	from, to := tab.Time[5000], tab.Time[6000]
	f2, err := db.Scan(ctx, m, store.ScanFilter{From: from, To: to})
	if err != nil || f2.Len() != 1000 || f2.Time[0] != from {
		t.Fatalf("time filter: %d rows, %v", f2.Len(), err)
	}
	got, _ := db.FindModelByName(ctx, "elec2")
	if got.Stats.Observations != int64(total) || got.Stats.LastObservation.UnixMilli() != tab.Time[total-1] {
		t.Fatalf("stats %+v", got.Stats)
	}
	counts, err := db.FindHourlyCounts(ctx, m.ID, 3600000, 0)
	if err != nil {
		t.Fatal(err)
	}
	var n int64
	for _, c := range counts {
		n += c.N
	}
	if n != int64(total) || counts[0].N != 2 {
		t.Fatalf("hourly total %d first %+v", n, counts[0])
	}
}

func TestLateLabels(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	m := mustModel(t, db)
	tab, _ := demo.Elec2()
	if _, err := db.InsertBatch(ctx, ml.SystemActor, m, tab.Batch(0, 500, 0, 0), store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	lb := &ml.LabelBatch{Entity: []string{"0-10", "0-20", "0-499"}, Label: []float64{1, 0, 1}, Line: []int{2, 3, 4}}
	res, err := db.AttachLabels(ctx, ml.SystemActor, m, lb, store.SourceIngest)
	if err != nil || res.New != 3 {
		t.Fatalf("attach: %+v %v", res, err)
	}
	// Relabel one: updated, not new.
	res, err = db.AttachLabels(ctx, ml.SystemActor, m, &ml.LabelBatch{Entity: []string{"0-10"}, Label: []float64{0}, Line: []int{2}}, store.SourceIngest)
	if err != nil || res.New != 0 || res.Updated != 1 {
		t.Fatalf("relabel: %+v %v", res, err)
	}
	// An unknown entity rejects the batch whole, naming its line.
	_, err = db.AttachLabels(ctx, ml.SystemActor, m, &ml.LabelBatch{Entity: []string{"0-30", "nope"}, Label: []float64{1, 1}, Line: []int{2, 3}}, store.SourceIngest)
	if ml.ErrorCode(err) != ml.EUNPROCESSABLE || !strings.Contains(err.Error(), "line 3") {
		t.Fatalf("unknown entity: %v", err)
	}
	f, _ := db.Scan(ctx, m, store.ScanFilter{})
	if f.Label[10] != 0 || f.Label[20] != 0 || f.Label[499] != 1 || !math.IsNaN(f.Label[30]) {
		t.Fatalf("labels %v %v %v %v", f.Label[10], f.Label[20], f.Label[499], f.Label[30])
	}
	lf, _ := db.Scan(ctx, m, store.ScanFilter{LabeledOnly: true})
	if lf.Len() != 3 {
		t.Fatalf("labeled only: %d", lf.Len())
	}
	got, _ := db.FindModelByName(ctx, "elec2")
	if got.Stats.Labeled != 3 {
		t.Fatalf("labeled count %d", got.Stats.Labeled)
	}
}

func TestDuplicateEntityRejectsWholeBatch(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	m := mustModel(t, db)
	tab, _ := demo.Elec2()
	if _, err := db.InsertBatch(ctx, ml.SystemActor, m, tab.Batch(0, 10, 0, 0), store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	// Rows 5..15: 5..9 are stored already.
	_, err := db.InsertBatch(ctx, ml.SystemActor, m, tab.Batch(5, 15, 0, 0), store.SourceIngest)
	if ml.ErrorCode(err) != ml.EUNPROCESSABLE || !strings.Contains(err.Error(), `"0-5"`) {
		t.Fatalf("want conflict on 0-5: %v", err)
	}
	got, _ := db.FindModelByName(ctx, "elec2")
	f, _ := db.Scan(ctx, m, store.ScanFilter{})
	if got.Stats.Observations != 10 || f.Len() != 10 {
		t.Fatalf("partial write: %d counted, %d stored", got.Stats.Observations, f.Len())
	}
	cats, _ := db.FindCategories(ctx, m)
	if len(cats[0]) != 7 {
		t.Fatalf("categories leaked: %v", cats[0])
	}
}

func TestNewCategoriesGetCodes(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	m := &ml.Model{Name: "c", Label: "y", Features: []ml.Feature{{Name: "color", Type: ml.Categorical}, {Name: "x", Type: ml.Numeric}}}
	if err := db.CreateModel(ctx, ml.SystemActor, m); err != nil {
		t.Fatal(err)
	}
	b := &ml.Batch{N: 4, Time: []int64{1, 2, 3, 4}, Num: [][]float64{nil, {1, 2, 3, math.NaN()}}, Cat: [][]string{{"red", "blue", "", "red"}, nil},
		Label: []float64{1, 0, math.NaN(), 1}, Line: []int{2, 3, 4, 5}}
	if _, err := db.InsertBatch(ctx, ml.SystemActor, m, b, store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	b2 := &ml.Batch{N: 1, Time: []int64{5}, Num: [][]float64{nil, {9}}, Cat: [][]string{{"green"}, nil}, Line: []int{2}}
	if _, err := db.InsertBatch(ctx, ml.SystemActor, m, b2, store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	f, _ := db.Scan(ctx, m, store.ScanFilter{})
	cats, _ := db.FindCategories(ctx, m)
	if strings.Join(cats[0], ",") != "red,blue,green" {
		t.Fatalf("dict %v", cats[0])
	}
	if f.X[0][0] != 0 || f.X[0][1] != 1 || !math.IsNaN(f.X[0][2]) || f.X[0][4] != 2 || !math.IsNaN(f.X[1][3]) {
		t.Fatalf("codes %v / %v", f.X[0], f.X[1])
	}
	if f.Label[0] != 1 || !math.IsNaN(f.Label[2]) || !math.IsNaN(f.Label[4]) {
		t.Fatalf("labels %v", f.Label)
	}
	got, _ := db.FindModelByName(ctx, "c")
	if got.Stats.Labeled != 3 || got.Stats.Observations != 5 {
		t.Fatalf("stats %+v", got.Stats)
	}
}

func TestUsersSessionsTokens(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	db.Now = func() time.Time { return now }
	u, pw, err := db.CreateUser(ctx, ml.SystemActor, "alice", ml.RoleLead, true)
	if err != nil || len(pw) < 16 {
		t.Fatalf("create: %v %q", err, pw)
	}
	if _, _, err := db.CreateUser(ctx, ml.SystemActor, "alice", ml.RoleLead, false); ml.ErrorCode(err) != ml.ECONFLICT {
		t.Fatalf("dup user: %v", err)
	}
	if _, _, err := db.Authenticate(ctx, "alice", "wrong"); err != store.ErrBadLogin {
		t.Fatalf("wrong password: %v", err)
	}
	if _, _, err := db.Authenticate(ctx, "bob", pw); err != store.ErrBadLogin {
		t.Fatalf("unknown user: %v", err)
	}
	got, mustChange, err := db.Authenticate(ctx, "alice", pw)
	if err != nil || !mustChange || got.ID != u.ID {
		t.Fatalf("login: %v %v", err, mustChange)
	}
	secret, err := db.CreateSession(ctx, u, "127.0.0.1", "test")
	if err != nil {
		t.Fatal(err)
	}
	s, err := db.FindSession(ctx, secret)
	if err != nil || s.User.Name != "alice" || !s.MustChange {
		t.Fatalf("session: %+v %v", s, err)
	}
	if err := db.SetPassword(ctx, ml.SystemActor, u.ID, "short", s.Hash); ml.ErrorCode(err) != ml.EINVALID {
		t.Fatalf("short password: %v", err)
	}
	if err := db.SetPassword(ctx, ml.SystemActor, u.ID, "a-long-new-password", s.Hash); err != nil {
		t.Fatal(err)
	}
	if s, err = db.FindSession(ctx, secret); err != nil || s.MustChange {
		t.Fatalf("after change: %+v %v", s, err)
	}
	now = now.Add(store.SessionTTL + time.Hour)
	if _, err := db.FindSession(ctx, secret); ml.ErrorCode(err) != ml.EUNAUTHORIZED {
		t.Fatalf("expired: %v", err)
	}

	tok, sec, err := db.CreateToken(ctx, ml.SystemActor, "ci", []string{ml.ScopeIngest})
	if err != nil || !strings.HasPrefix(sec, store.TokenPrefix) {
		t.Fatal(err)
	}
	found, err := db.FindTokenBySecret(ctx, sec)
	if err != nil || found.ID != tok.ID || !found.HasScope(ml.ScopeIngest) || found.HasScope(ml.ScopePredict) {
		t.Fatalf("token: %+v %v", found, err)
	}
	if _, err := db.FindTokenBySecret(ctx, sec+"x"); ml.ErrorCode(err) != ml.EUNAUTHORIZED {
		t.Fatalf("bad token: %v", err)
	}
	if err := db.RevokeToken(ctx, ml.SystemActor, tok.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := db.FindTokenBySecret(ctx, sec); ml.ErrorCode(err) != ml.EUNAUTHORIZED {
		t.Fatalf("revoked token: %v", err)
	}
	actions := map[string]bool{}
	es, _ := db.FindAudit(ctx, store.AuditFilter{})
	for _, e := range es {
		actions[e.Action] = true
	}
	for _, a := range []string{"user.create", "session.login", "user.password", "token.create", "token.revoke"} {
		if !actions[a] {
			t.Errorf("no audit entry %s in %v", a, actions)
		}
	}
}

func TestCreateModelWithBatchIsAtomic(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	m := &ml.Model{Name: "up", Label: "y", Entity: "id", Features: []ml.Feature{{Name: "x", Type: ml.Numeric}}}
	// A batch that fails in the store (width mismatch) must leave no model.
	bad := &ml.Batch{N: 1, Time: []int64{1}, Num: [][]float64{{1}, {2}}, Cat: [][]string{nil, nil}, Line: []int{2}}
	if _, err := db.CreateModelWithBatch(ctx, ml.SystemActor, m, bad, store.SourceUpload); err == nil {
		t.Fatal("want error")
	}
	if _, err := db.FindModelByName(ctx, "up"); ml.ErrorCode(err) != ml.ENOTFOUND {
		t.Fatalf("model created despite failed batch: %v", err)
	}
}
