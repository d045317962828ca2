package online

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"runtime"
	"strings"
	"testing"
)

// trainedSnapshot returns the snapshot of a model that has learned n
// synthetic rows (so its AUC window has wrapped when n > window).
func trainedSnapshot(tb testing.TB, cfg Config, n int) []byte {
	tb.Helper()
	m := mustNew(tb, cfg)
	xs, ys := synthetic(n, 11)
	for i := range xs {
		xs[i] = xs[i][:cfg.Schema.Features()]
	}
	if err := m.LearnBatch(xs, ys); err != nil {
		tb.Fatal(err)
	}
	var b bytes.Buffer
	if err := m.Snapshot(&b); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

func TestSnapshotRoundTrip(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		cfg  Config
		rows int
	}{
		{"untrained", Config{Schema: syntheticSchema}, 0},
		{"window not full", Config{Schema: syntheticSchema, Buckets: 8}, 30},
		{"window wrapped", Config{Schema: syntheticSchema, AUCWindow: 64, L1: 0.1, L2: 1, Clip: 3}, 1000},
		{"numeric only", Config{Schema: NewSchema(5)}, 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			orig := mustNew(t, tc.cfg)
			xs, ys := synthetic(tc.rows+200, 11)
			if err := orig.LearnBatch(xs[:tc.rows], ys[:tc.rows]); err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := orig.Snapshot(&b); err != nil {
				t.Fatal(err)
			}
			snap := bytes.Clone(b.Bytes())
			r, err := Restore(bytes.NewReader(snap))
			if err != nil {
				t.Fatal(err)
			}
			if !sameMetrics(r.Metrics(), orig.Metrics()) {
				t.Errorf("metrics %+v, want %+v", r.Metrics(), orig.Metrics())
			}
			var again bytes.Buffer
			r.Snapshot(&again)
			if !bytes.Equal(again.Bytes(), snap) {
				t.Error("snapshot of the restored model differs")
			}
			// Predictions and further learning match bit for bit.
			for i, x := range xs[tc.rows:] {
				if po, pr := orig.PredictOne(x), r.PredictOne(x); po != pr {
					t.Fatalf("row %d: %v vs %v", i, po, pr)
				}
				orig.LearnOne(x, ys[tc.rows+i])
				r.LearnOne(x, ys[tc.rows+i])
			}
			var so, sr bytes.Buffer
			orig.Snapshot(&so)
			r.Snapshot(&sr)
			if !bytes.Equal(so.Bytes(), sr.Bytes()) {
				t.Error("restored model diverged while learning")
			}
		})
	}
}

func sameMetrics(a, b Metrics) bool {
	eq := func(x, y float64) bool { return x == y || math.IsNaN(x) && math.IsNaN(y) }
	return a.Rows == b.Rows && a.AUCRows == b.AUCRows && eq(a.LogLoss, b.LogLoss) && eq(a.Accuracy, b.Accuracy) && eq(a.AUC, b.AUC)
}

// Offsets into a model snapshot of syntheticSchema (5 columns, 4 numeric).
const (
	offVersion  = 8
	offBuckets  = 12 + 5*8
	offWindow   = offBuckets + 4
	offFeatures = offWindow + 4
	offStats    = offFeatures + 4 + 5
	offDim      = offStats + 4*24
	offZ        = offDim + 4
)

func TestRestoreRejectsBadInput(t *testing.T) {
	t.Parallel()
	cfg := Config{Schema: syntheticSchema, Buckets: 4, AUCWindow: 10}
	good := trainedSnapshot(t, cfg, 100)
	dim := 1 + 2*4 + 4
	offMetrics := offZ + 2*dim*8
	patch := func(off int, b []byte) []byte {
		s := bytes.Clone(good)
		copy(s[off:], b)
		return s
	}
	u32 := func(v uint32) []byte { return binary.LittleEndian.AppendUint32(nil, v) }
	u64 := func(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }
	f64 := func(v float64) []byte { return u64(math.Float64bits(v)) }
	var ens bytes.Buffer
	e, _ := NewEnsemble(EnsembleConfig{Base: cfg})
	e.Snapshot(&ens)

	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "truncated"},
		{"wrong magic", []byte("PK\x03\x04 not a model at all"), "not an online model"},
		{"ensemble given to Restore", ens.Bytes(), "not an online model"},
		{"future version", patch(offVersion, u32(2)), "version 2"},
		{"truncated header", good[:20], "truncated"},
		{"truncated weights", good[:offZ+17], "truncated"},
		{"truncated metrics", good[:len(good)-3], "truncated"},
		{"NaN alpha", patch(12, f64(math.NaN())), "alpha"},
		{"negative l1", patch(12+16, f64(-1)), "l1"},
		{"huge buckets", patch(offBuckets, u32(math.MaxUint32)), "exceed the limits"},
		{"zero buckets", patch(offBuckets, u32(0)), "buckets"},
		{"huge window", patch(offWindow, u32(MaxAUCWindow+1)), "exceed the limits"},
		{"huge features", patch(offFeatures, u32(MaxFeatures+1)), "exceed the limits"},
		{"unknown kind", patch(offFeatures+4, []byte{9}), "unknown kind"},
		{"infinite mean", patch(offStats+8, f64(math.Inf(1))), "statistics"},
		{"negative m2", patch(offStats+16, f64(-1)), "statistics"},
		{"dim mismatch", patch(offDim, u32(uint32(dim+1))), "coordinates"},
		{"NaN z", patch(offZ+8, f64(math.NaN())), "coordinate 1"},
		{"negative n", patch(offZ+dim*8, f64(-2)), "coordinate 0"},
		{"more correct than rows", patch(offMetrics+16, u64(1<<40)), "bad metrics"},
		{"NaN loss", patch(offMetrics+8, f64(math.NaN())), "bad metrics"},
		{"window overfull", patch(offMetrics+24, u32(11)), "AUC window holds"},
		{"score above 1", patch(offMetrics+28, f64(1.5)), "AUC window entry"},
		{"label byte 2", patch(len(good)-1, []byte{2}), "AUC window entry"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m, err := Restore(bytes.NewReader(tc.data))
			if err == nil {
				t.Fatalf("Restore succeeded: %+v", m.Config())
			}
			if !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want one wrapping ErrSnapshot about %q", err, tc.want)
			}
		})
	}
}

func TestRestoreEnsembleRejectsBadInput(t *testing.T) {
	t.Parallel()
	var good bytes.Buffer
	e, err := NewEnsemble(EnsembleConfig{Base: Config{Schema: syntheticSchema, Buckets: 4}, Alphas: []float64{0.1, 1}})
	if err != nil {
		t.Fatal(err)
	}
	xs, ys := synthetic(100, 1)
	e.LearnBatch(xs, ys)
	e.Snapshot(&good)
	g := good.Bytes()
	patch := func(off int, b []byte) []byte {
		s := bytes.Clone(g)
		copy(s[off:], b)
		return s
	}
	// A second learner with a different schema.
	other, _ := New(Config{Schema: NewSchema(5, 3), Buckets: 4})
	var mixed bytes.Buffer
	mixed.Write(g[:48]) // magic, version, eta, discount, count, 2 losses
	var enc encoder
	e.learners[0].encode(&enc)
	other.encode(&enc)
	e.pq.encode(&enc)
	mixed.Write(enc.b)

	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"model given", trainedSnapshot(t, Config{Schema: syntheticSchema}, 10), "not an online ensemble"},
		{"zero eta", patch(12, binary.LittleEndian.AppendUint64(nil, 0)), "eta"},
		{"discount 2", patch(20, binary.LittleEndian.AppendUint64(nil, math.Float64bits(2))), "discount"},
		{"no learners", patch(28, []byte{0, 0, 0, 0}), "learners"},
		{"too many learners", patch(28, []byte{0xff, 0xff, 0xff, 0x7f}), "learners"},
		{"negative loss", patch(32, binary.LittleEndian.AppendUint64(nil, math.Float64bits(-1))), "loss"},
		{"mixed schemas", mixed.Bytes(), "different schema"},
		{"truncated", g[:len(g)/2], "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := RestoreEnsemble(bytes.NewReader(tc.data))
			if !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one wrapping ErrSnapshot about %q", err, tc.want)
			}
		})
	}
}

// TestRestoreHostileSizeIsCheap: a header announcing the largest allowed
// model, followed by almost nothing, fails without allocating the model.
// It is not parallel because it measures the process's allocations.
func TestRestoreHostileSizeIsCheap(t *testing.T) {
	var e encoder
	e.b = append(e.b, modelMagic...)
	e.u32(snapshotVersion)
	for _, v := range []float64{0.1, 1, 0, 0, 0} {
		e.f64(v)
	}
	e.u32(MaxBuckets)
	e.u32(MaxAUCWindow)
	e.u32(MaxFeatures)
	for i := range MaxFeatures {
		e.u8(uint8(i % 2))
	}
	for range MaxFeatures / 2 {
		e.u64(0)
		e.f64(0)
		e.f64(0)
	}
	e.u32(uint32(1 + MaxFeatures + MaxBuckets))
	e.b = append(e.b, make([]byte, 1000)...) // then the stream ends
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := Restore(bytes.NewReader(e.b))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrSnapshot) || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("error %v, want truncated", err)
	}
	// A full model of this size would take over 270 MB of z and n.
	if got := after.TotalAlloc - before.TotalAlloc; got > 8<<20 {
		t.Errorf("restore allocated %d bytes for a %d-byte input", got, len(e.b))
	}
}

// FuzzRestore feeds arbitrary bytes to Restore and RestoreEnsemble: they
// must never panic, and whatever they accept must be usable and snapshot
// back to the same bytes.
func FuzzRestore(f *testing.F) {
	f.Add(trainedSnapshot(f, Config{Schema: syntheticSchema, Buckets: 4, AUCWindow: 8}, 20))
	f.Add(trainedSnapshot(f, Config{Schema: NewSchema(2), AUCWindow: 4}, 0))
	f.Add(trainedSnapshot(f, Config{Schema: NewSchema(1, 0), Buckets: 2, AUCWindow: 2, L1: 1}, 5))
	e, err := NewEnsemble(EnsembleConfig{Base: Config{Schema: NewSchema(2, 1), Buckets: 2, AUCWindow: 3}, Alphas: []float64{0.1, 1}})
	if err != nil {
		f.Fatal(err)
	}
	e.LearnOne([]float64{1, 2}, 1)
	e.LearnOne([]float64{0, 3}, 0)
	var b bytes.Buffer
	e.Snapshot(&b)
	f.Add(b.Bytes())
	f.Add([]byte(modelMagic))
	f.Add([]byte(ensembleMagic + "\x01\x00\x00\x00"))

	f.Fuzz(func(t *testing.T, data []byte) {
		if m, err := Restore(bytes.NewReader(data)); err == nil {
			checkUsable(t, m, data)
		} else if !errors.Is(err, ErrSnapshot) {
			t.Fatalf("error %v does not wrap ErrSnapshot", err)
		}
		if e, err := RestoreEnsemble(bytes.NewReader(data)); err == nil {
			var out bytes.Buffer
			e.Snapshot(&out)
			if !bytes.HasPrefix(data, out.Bytes()) {
				t.Fatal("ensemble snapshot of a restored ensemble differs from its input")
			}
			x := make([]float64, e.Learner(0).cfg.Schema.Features())
			if p := e.PredictOne(x); !(p >= 0 && p <= 1) {
				t.Fatalf("PredictOne = %v", p)
			}
			_ = e.LearnOne(x, 1)
			_ = e.Metrics()
		} else if !errors.Is(err, ErrSnapshot) {
			t.Fatalf("error %v does not wrap ErrSnapshot", err)
		}
	})
}

func checkUsable(t *testing.T, m *Model, data []byte) {
	t.Helper()
	var out bytes.Buffer
	if err := m.Snapshot(&out); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(data, out.Bytes()) {
		t.Fatal("snapshot of a restored model differs from its input")
	}
	x := make([]float64, m.cfg.Schema.Features())
	if p := m.PredictOne(x); !(p >= 0 && p <= 1) {
		t.Fatalf("PredictOne = %v", p)
	}
	if err := m.LearnOne(x, 0); err != nil {
		t.Fatal(err)
	}
	_ = m.Metrics()
	_ = m.Coefficients()
}
