package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
)

// A chunk holds up to maxChunkRows observations of one model, column by
// column:
//
//	"FOB1"                      magic and format version
//	uvarint n, uvarint nfeat, byte flags (1 label, 2 score)
//	time: n zigzag varints, each the delta to the previous row (first to 0)
//	per feature: a kind byte, then
//	    kindF64:  n little-endian float64 (NaN = missing)
//	    kindCode: n uvarints, categorical code+1 (0 = missing)
//	label (flag 1): n float64 (NaN = unlabeled)
//	score (flag 2): n float64 (NaN = none), then n uvarint model versions
//
// Raw float64 keeps values bit-exact (data versions hash them); the scan
// decodes with no allocation per row.
const (
	chunkMagic   = "FOB1"
	kindF64      = 0
	kindCode     = 1
	flagLabel    = 1
	flagScore    = 2
	maxChunkRows = 8192
	// appendLimit: a small insert is merged into the model's last chunk
	// while the result stays this small, so a stream of tiny requests does
	// not leave a stream of tiny chunks.
	appendLimit = 1024
)

// chunk is a decoded chunk: columns of equal length n.
type chunk struct {
	n       int
	time    []int64
	x       [][]float64 // categorical codes as float64; NaN missing
	isCat   []bool
	label   []float64 // nil when no row carries a label
	score   []float64 // nil when no row carries a score
	version []int64
}

func (c *chunk) encode() []byte {
	size := 16 + c.n*3 + len(c.x)*(1+c.n*8)
	if c.label != nil {
		size += c.n * 8
	}
	if c.score != nil {
		size += c.n * 10
	}
	b := make([]byte, 0, size)
	b = append(b, chunkMagic...)
	b = binary.AppendUvarint(b, uint64(c.n))
	b = binary.AppendUvarint(b, uint64(len(c.x)))
	var flags byte
	if c.label != nil {
		flags |= flagLabel
	}
	if c.score != nil {
		flags |= flagScore
	}
	b = append(b, flags)
	prev := int64(0)
	for _, t := range c.time[:c.n] {
		b = binary.AppendVarint(b, t-prev)
		prev = t
	}
	for j, col := range c.x {
		if c.isCat[j] {
			b = append(b, kindCode)
			for _, v := range col[:c.n] {
				if math.IsNaN(v) {
					b = append(b, 0)
				} else {
					b = binary.AppendUvarint(b, uint64(v)+1)
				}
			}
			continue
		}
		b = append(b, kindF64)
		b = appendF64s(b, col[:c.n])
	}
	if c.label != nil {
		b = appendF64s(b, c.label[:c.n])
	}
	if c.score != nil {
		b = appendF64s(b, c.score[:c.n])
		for _, v := range c.version[:c.n] {
			b = binary.AppendUvarint(b, uint64(v))
		}
	}
	return b
}

func appendF64s(b []byte, vs []float64) []byte {
	off := len(b)
	b = append(b, make([]byte, 8*len(vs))...)
	for i, v := range vs {
		binary.LittleEndian.PutUint64(b[off+8*i:], math.Float64bits(v))
	}
	return b
}

var errCorrupt = errors.New("store: corrupt observation chunk")

// chunkReader decodes a chunk blob into destination columns.
type chunkReader struct {
	b   []byte
	off int
	err error
}

func (r *chunkReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Uvarint(r.b[r.off:])
	if k <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.off += k
	return v
}

func (r *chunkReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, k := binary.Varint(r.b[r.off:])
	if k <= 0 {
		r.err = errCorrupt
		return 0
	}
	r.off += k
	return v
}

func (r *chunkReader) f64s(dst []float64) {
	if r.err != nil {
		return
	}
	n := len(dst)
	if len(r.b)-r.off < 8*n {
		r.err = errCorrupt
		return
	}
	src := r.b[r.off : r.off+8*n]
	for i := range dst {
		dst[i] = math.Float64frombits(binary.LittleEndian.Uint64(src[8*i:]))
	}
	r.off += 8 * n
}

func (r *chunkReader) byte1() byte {
	if r.err != nil || r.off >= len(r.b) {
		r.err = errCorrupt
		return 0
	}
	v := r.b[r.off]
	r.off++
	return v
}

// decodeChunkInto appends the rows of blob to the columns of f. It checks
// that the chunk has the row count and width the index says it has.
func decodeChunkInto(blob []byte, wantN, nfeat int, f *Frame, withScores bool) error {
	r := &chunkReader{b: blob}
	if len(blob) < 4 || string(blob[:4]) != chunkMagic {
		return errCorrupt
	}
	r.off = 4
	n := int(r.uvarint())
	w := int(r.uvarint())
	flags := r.byte1()
	if r.err != nil {
		return r.err
	}
	if n != wantN || w != nfeat {
		return fmt.Errorf("%w: %d rows × %d features, want %d × %d", errCorrupt, n, w, wantN, nfeat)
	}
	base := len(f.Time)
	f.Time = grow(f.Time, n)
	prev := int64(0)
	for i := 0; i < n; i++ {
		prev += r.varint()
		f.Time[base+i] = prev
	}
	for j := 0; j < nfeat; j++ {
		f.X[j] = growF(f.X[j], n)
		dst := f.X[j][base:]
		switch r.byte1() {
		case kindF64:
			r.f64s(dst)
		case kindCode:
			for i := range dst {
				c := r.uvarint()
				if c == 0 {
					dst[i] = math.NaN()
				} else {
					dst[i] = float64(c - 1)
				}
			}
		default:
			return errCorrupt
		}
	}
	f.Label = growF(f.Label, n)
	if flags&flagLabel != 0 {
		r.f64s(f.Label[base:])
	} else {
		fillNaN(f.Label[base:])
	}
	if withScores {
		f.Score = growF(f.Score, n)
		f.Version = grow(f.Version, n)
		if flags&flagScore != 0 {
			r.f64s(f.Score[base:])
			for i := 0; i < n; i++ {
				f.Version[base+i] = int64(r.uvarint())
			}
		} else {
			fillNaN(f.Score[base:])
			clear(f.Version[base:])
		}
	}
	return r.err
}

// toChunk decodes a blob into a standalone chunk (for appending).
func toChunk(blob []byte, n int, isCat []bool) (*chunk, error) {
	f := newFrame(len(isCat), n)
	if err := decodeChunkInto(blob, n, len(isCat), f, true); err != nil {
		return nil, err
	}
	c := &chunk{n: n, time: f.Time, x: f.X, isCat: isCat, score: f.Score, version: f.Version}
	if hasAny(f.Label) {
		c.label = f.Label
	}
	if !hasAny(f.Score) {
		c.score, c.version = nil, nil
	}
	return c, nil
}

func hasAny(v []float64) bool {
	for _, x := range v {
		if !math.IsNaN(x) {
			return true
		}
	}
	return false
}

func fillNaN(v []float64) {
	nan := math.NaN()
	for i := range v {
		v[i] = nan
	}
}

// grow extends s by n elements the caller overwrites.
func grow[T any](s []T, n int) []T {
	s = slices.Grow(s, n)
	return s[:len(s)+n]
}

func growF(s []float64, n int) []float64 { return grow(s, n) }
