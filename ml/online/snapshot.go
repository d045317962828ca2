package online

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// Snapshot format, version 1. All integers and float64 bits are
// little-endian; floats are stored bit for bit, so a restored model
// predicts and keeps learning exactly as the original would have.
//
//	model:
//	  magic "frshFTRL", version uint32
//	  alpha beta l1 l2 clip float64, buckets uint32, aucWindow uint32
//	  features uint32, kinds [features]uint8 (0 numeric, 1 categorical)
//	  per numeric column: count uint64, mean float64, m2 float64
//	  dim uint32 (= 1 + 2*numeric + buckets), z [dim]float64, n [dim]float64
//	  metrics
//	metrics:
//	  rows uint64, lossSum float64, correct uint64,
//	  auc uint32, scores [auc]float64, labels [auc]uint8 (oldest first)
//	ensemble:
//	  magic "frshHDGE", version uint32
//	  eta discount float64, learners uint32, losses [learners]float64
//	  learners × model, metrics
//
// Restore reads variable-length parts in chunks, so a hostile length field
// costs at most about twice the bytes actually supplied, and the caps in
// config.go bound it further.
const (
	modelMagic      = "frshFTRL"
	ensembleMagic   = "frshHDGE"
	snapshotVersion = 1
)

// ErrSnapshot is wrapped by every error about an unreadable, corrupt or
// incompatible snapshot.
var ErrSnapshot = errors.New("online: bad snapshot")

// encoder appends the little-endian encoding to a buffer.
type encoder struct{ b []byte }

func (e *encoder) u8(v uint8)   { e.b = append(e.b, v) }
func (e *encoder) u32(v uint32) { e.b = binary.LittleEndian.AppendUint32(e.b, v) }
func (e *encoder) u64(v uint64) { e.b = binary.LittleEndian.AppendUint64(e.b, v) }
func (e *encoder) f64(v float64) {
	e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(v))
}

// Snapshot writes the model, including its standardisation statistics and
// prequential metrics, to w.
func (m *Model) Snapshot(w io.Writer) error {
	var e encoder
	m.encode(&e)
	if _, err := w.Write(e.b); err != nil {
		return fmt.Errorf("online: snapshot: %w", err)
	}
	return nil
}

func (m *Model) encode(e *encoder) {
	e.b = append(e.b, modelMagic...)
	e.u32(snapshotVersion)
	c := m.cfg
	for _, v := range []float64{c.Alpha, c.Beta, c.L1, c.L2, c.Clip} {
		e.f64(v)
	}
	e.u32(uint32(c.Buckets))
	e.u32(uint32(c.AUCWindow))
	e.u32(uint32(len(c.Schema.Kinds)))
	for _, k := range c.Schema.Kinds {
		e.u8(uint8(k))
	}
	for _, s := range m.stats {
		e.u64(s.count)
		e.f64(s.mean)
		e.f64(s.m2)
	}
	e.u32(uint32(len(m.z)))
	for _, v := range m.z {
		e.f64(v)
	}
	for _, v := range m.n {
		e.f64(v)
	}
	m.pq.encode(e)
}

func (q *prequential) encode(e *encoder) {
	e.u64(q.rows)
	e.f64(q.lossSum)
	e.u64(q.correct)
	scores, labels := q.chronological()
	e.u32(uint32(len(scores)))
	for _, s := range scores {
		e.f64(s)
	}
	for _, l := range labels {
		if l {
			e.u8(1)
		} else {
			e.u8(0)
		}
	}
}

// Snapshot writes the ensemble (Hedge state and every learner) to w.
func (e *Ensemble) Snapshot(w io.Writer) error {
	var enc encoder
	enc.b = append(enc.b, ensembleMagic...)
	enc.u32(snapshotVersion)
	enc.f64(e.eta)
	enc.f64(e.discount)
	enc.u32(uint32(len(e.learners)))
	for _, l := range e.loss {
		enc.f64(l)
	}
	for _, m := range e.learners {
		m.encode(&enc)
	}
	e.pq.encode(&enc)
	if _, err := w.Write(enc.b); err != nil {
		return fmt.Errorf("online: snapshot: %w", err)
	}
	return nil
}

// decoder reads the encoding, remembering the first error.
type decoder struct {
	r   io.Reader
	buf [8]byte
	err error
}

// chunk is how many values a variable-length read allocates at a time.
const chunk = 4096

func (d *decoder) fail(format string, args ...any) {
	if d.err == nil {
		d.err = fmt.Errorf("%w: "+format, append([]any{ErrSnapshot}, args...)...)
	}
}

func (d *decoder) read(p []byte) bool {
	if d.err != nil {
		return false
	}
	if _, err := io.ReadFull(d.r, p); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			d.fail("truncated")
		} else {
			d.err = fmt.Errorf("online: restore: %w", err)
		}
		return false
	}
	return true
}

func (d *decoder) u32() uint32 {
	if !d.read(d.buf[:4]) {
		return 0
	}
	return binary.LittleEndian.Uint32(d.buf[:4])
}

func (d *decoder) u64() uint64 {
	if !d.read(d.buf[:8]) {
		return 0
	}
	return binary.LittleEndian.Uint64(d.buf[:8])
}

func (d *decoder) f64() float64 { return math.Float64frombits(d.u64()) }

// bytes reads n bytes, allocating only as they arrive.
func (d *decoder) bytes(n int) []byte {
	var out []byte
	for len(out) < n && d.err == nil {
		k := min(chunk*8, n-len(out))
		out = append(out, make([]byte, k)...)
		d.read(out[len(out)-k:])
	}
	return out
}

// floats reads n float64 values, allocating only as they arrive.
func (d *decoder) floats(n int) []float64 {
	var out []float64
	buf := make([]byte, 8*min(n, chunk))
	for len(out) < n && d.err == nil {
		k := min(chunk, n-len(out))
		if !d.read(buf[:8*k]) {
			break
		}
		for i := range k {
			out = append(out, math.Float64frombits(binary.LittleEndian.Uint64(buf[8*i:])))
		}
	}
	return out
}

func (d *decoder) magic(want string) {
	b := make([]byte, len(want))
	if !d.read(b) {
		return
	}
	if string(b) != want {
		d.fail("not an online %s snapshot (magic %q)", map[string]string{modelMagic: "model", ensembleMagic: "ensemble"}[want], b)
		return
	}
	if v := d.u32(); d.err == nil && v != snapshotVersion {
		d.fail("version %d, this build reads version %d", v, snapshotVersion)
	}
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Restore reads a model written by Model.Snapshot. Bad, truncated or
// incompatible input gives an error wrapping ErrSnapshot, never a panic.
func Restore(r io.Reader) (*Model, error) {
	d := &decoder{r: r}
	m := d.model()
	if d.err != nil {
		return nil, d.err
	}
	return m, nil
}

func (d *decoder) model() *Model {
	d.magic(modelMagic)
	var c Config
	c.Alpha, c.Beta, c.L1, c.L2, c.Clip = d.f64(), d.f64(), d.f64(), d.f64(), d.f64()
	buckets, window, features := d.u32(), d.u32(), d.u32()
	if d.err != nil {
		return nil
	}
	if features > MaxFeatures || buckets > MaxBuckets || window > MaxAUCWindow {
		d.fail("features %d, buckets %d, AUC window %d exceed the limits", features, buckets, window)
		return nil
	}
	c.Buckets, c.AUCWindow = int(buckets), int(window)
	kinds := d.bytes(int(features))
	if d.err != nil {
		return nil
	}
	c.Schema.Kinds = make([]Kind, len(kinds))
	for i, k := range kinds {
		c.Schema.Kinds[i] = Kind(k)
	}
	if err := c.validate(); err != nil {
		d.fail("%v", err)
		return nil
	}
	m := newModel(c)
	for k := range m.stats {
		s := welford{count: d.u64(), mean: d.f64(), m2: d.f64()}
		if d.err != nil {
			return nil
		}
		if !finite(s.mean) || !finite(s.m2) || s.m2 < 0 || (s.count == 0 && (s.mean != 0 || s.m2 != 0)) {
			d.fail("bad statistics for numeric column %d", k)
			return nil
		}
		s.setInv()
		m.stats[k] = s
	}
	dim := d.u32()
	if d.err == nil && int(dim) != m.dim() {
		d.fail("%d coordinates, config implies %d", dim, m.dim())
	}
	if d.err != nil {
		return nil
	}
	m.z = d.floats(int(dim))
	m.n = d.floats(int(dim))
	if d.err != nil {
		return nil
	}
	m.sqrtN = make([]float64, len(m.n))
	for i := range m.z {
		if !finite(m.z[i]) || !finite(m.n[i]) || m.n[i] < 0 {
			d.fail("coordinate %d: z = %v, n = %v", i, m.z[i], m.n[i])
			return nil
		}
		m.sqrtN[i] = math.Sqrt(m.n[i])
	}
	d.prequential(&m.pq)
	if d.err != nil {
		return nil
	}
	return m
}

func (d *decoder) prequential(q *prequential) {
	q.rows, q.lossSum, q.correct = d.u64(), d.f64(), d.u64()
	n := d.u32()
	if d.err != nil {
		return
	}
	if !finite(q.lossSum) || q.lossSum < 0 || q.correct > q.rows {
		d.fail("bad metrics (rows %d, correct %d, loss %v)", q.rows, q.correct, q.lossSum)
		return
	}
	if int(n) > q.window || uint64(n) > q.rows {
		d.fail("AUC window holds %d rows, at most %d allowed", n, min(uint64(q.window), q.rows))
		return
	}
	q.scores = d.floats(int(n))
	labels := d.bytes(int(n))
	if d.err != nil {
		return
	}
	q.labels = make([]bool, n)
	for i := range q.scores {
		if !(q.scores[i] >= 0 && q.scores[i] <= 1) || labels[i] > 1 {
			d.fail("bad AUC window entry %d", i)
			return
		}
		q.labels[i] = labels[i] == 1
	}
	q.next = 0
}

// RestoreEnsemble reads an ensemble written by Ensemble.Snapshot, with
// the same guarantees as Restore.
func RestoreEnsemble(r io.Reader) (*Ensemble, error) {
	d := &decoder{r: r}
	d.magic(ensembleMagic)
	e := &Ensemble{eta: d.f64(), discount: d.f64()}
	k := d.u32()
	if d.err != nil {
		return nil, d.err
	}
	if err := validateHedge(e.eta, e.discount); err != nil {
		d.fail("%v", err)
		return nil, d.err
	}
	if k < 1 || k > MaxLearners {
		d.fail("%d learners, want 1..%d", k, MaxLearners)
		return nil, d.err
	}
	e.loss = d.floats(int(k))
	for i, l := range e.loss {
		if !finite(l) || l < 0 {
			d.fail("learner %d: loss %v", i, l)
		}
	}
	for i := 0; i < int(k) && d.err == nil; i++ {
		m := d.model()
		if d.err != nil {
			break
		}
		if i > 0 && !sameShape(e.learners[0].cfg, m.cfg) {
			d.fail("learner %d has a different schema or AUC window from learner 0", i)
			break
		}
		e.learners = append(e.learners, m)
	}
	if d.err != nil {
		return nil, d.err
	}
	e.init()
	d.prequential(&e.pq)
	if d.err != nil {
		return nil, d.err
	}
	return e, nil
}

// sameShape reports whether two learner configs take the same rows.
func sameShape(a, b Config) bool {
	if len(a.Schema.Kinds) != len(b.Schema.Kinds) || a.AUCWindow != b.AUCWindow {
		return false
	}
	for i, k := range a.Schema.Kinds {
		if b.Schema.Kinds[i] != k {
			return false
		}
	}
	return true
}
