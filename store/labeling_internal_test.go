package store

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"testing"
)

// TestDecodeChunkRow: one row decoded alone is the row decodeChunkInto
// gives, with and without labels and scores, for every row.
func TestDecodeChunkRow(t *testing.T) {
	const n = 300
	same := func(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }
	for _, flags := range []byte{0, flagLabel, flagScore, flagLabel | flagScore} {
		c := &chunk{n: n, time: make([]int64, n), x: make([][]float64, 3), isCat: []bool{false, true, false}}
		for j := range c.x {
			c.x[j] = make([]float64, n)
		}
		col := func() []float64 { return make([]float64, n) }
		if flags&flagLabel != 0 {
			c.label = col()
		}
		if flags&flagScore != 0 {
			c.score, c.version = col(), make([]int64, n)
		}
		for i := range n {
			c.time[i] = 1_700_000_000_000 + int64(i*i*37) - int64(i%7)*100_000 // not monotonic
			c.x[0][i], c.x[1][i], c.x[2][i] = float64(i)*1.5, float64(i%200), -float64(i)/3
			if i%11 == 0 {
				c.x[0][i], c.x[1][i] = math.NaN(), math.NaN()
			}
			if c.label != nil {
				c.label[i] = float64(i % 2)
			}
			if c.score != nil {
				c.score[i], c.version[i] = float64(i)/n, int64(i%5)*1000
			}
		}
		blob := c.encode()
		all := newFrame(3, n)
		if err := decodeChunkInto(blob, n, 3, all, true); err != nil {
			t.Fatal(err)
		}
		for k := range n {
			fr, err := decodeChunkRow(blob, n, 3, k)
			if err != nil {
				t.Fatal(err)
			}
			ok := fr.Time[0] == all.Time[k] && same(fr.Label[0], all.Label[k]) && same(fr.Score[0], all.Score[k]) && fr.Version[0] == all.Version[k]
			for j := range fr.X {
				ok = ok && same(fr.X[j][0], all.X[j][k])
			}
			if !ok {
				t.Fatalf("flags %d row %d: %+v", flags, k, fr)
			}
		}
		if _, err := decodeChunkRow(blob[:len(blob)-1], n, 3, 0); !errors.Is(err, errCorrupt) {
			t.Fatalf("short blob: %v", err)
		}
	}
}

// TestGroupWriteSavepoints: writes sharing a transaction keep their own
// outcome: a failing one undoes only its changes, a panicking one is
// raised again in its caller's goroutine and undoes the transaction.
func TestGroupWriteSavepoints(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "t.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	set := func(key string, fail error) *writeOp {
		return &writeOp{ctx: ctx, done: make(chan struct{}), fn: func(ctx context.Context, tx ptx) error {
			if _, err := tx.ExecContext(ctx, `INSERT INTO kv (key, value) VALUES (?, 'v')`, key); err != nil {
				return err
			}
			return fail
		}}
	}
	has := func(key string) bool {
		_, ok, err := db.GetKV(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		return ok
	}
	run := func(ops ...*writeOp) error {
		tx, err := db.begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return runWrites(db.prep(tx, db.Write), ops)
	}
	boom := errors.New("boom")
	gone, cancel := context.WithCancel(ctx)
	cancel()
	skipped := set("skipped", nil)
	skipped.ctx = gone
	ops := []*writeOp{set("a", nil), set("b", boom), skipped, set("c", nil)}
	if err := run(ops...); err != nil {
		t.Fatal(err)
	}
	if ops[0].err != nil || ops[1].err != boom || !errors.Is(ops[2].err, context.Canceled) || ops[3].err != nil {
		t.Fatalf("outcomes %v %v %v %v", ops[0].err, ops[1].err, ops[2].err, ops[3].err)
	}
	if !has("a") || has("b") || has("skipped") || !has("c") {
		t.Fatal("a failed or skipped write was kept, or a good one lost")
	}
	panicky := &writeOp{ctx: ctx, done: make(chan struct{}), fn: func(context.Context, ptx) error { panic("oops") }}
	if err := run(set("d", nil), panicky); err == nil || panicky.panic != "oops" {
		t.Fatalf("panic: %v, %v", err, panicky.panic)
	}
	if has("d") {
		t.Fatal("the transaction of a panicking write was committed")
	}
	// Through the queue: the panic comes back to its caller.
	defer func() {
		if p := recover(); p != "oops" {
			t.Fatalf("recovered %v", p)
		}
	}()
	db.groupWrite(ctx, func(context.Context, ptx) error { panic("oops") })
}
