// Package fsort sorts float64s fast: an LSD radix sort over the IEEE-754
// bits (11-bit digits, six passes, skipping passes whose digit is
// constant), several times faster than slices.Sort on a million values and
// with no bad inputs. KS, Wasserstein, quantiles (ml/drift) and AUC
// (ml/metrics) all sort on their hot path.
package fsort

import (
	"math"
	"slices"
)

// cutoff is the length below which slices.Sort wins.
const cutoff = 1 << 12

// Key maps a float64 to a uint64 whose unsigned order is the float's
// numeric order (-0 is folded into +0 so that they tie, as they compare).
func Key(f float64) uint64 {
	b := math.Float64bits(f + 0) // -0 + 0 == +0
	if b>>63 != 0 {
		return ^b
	}
	return b | 1<<63
}

// FromKey inverts Key.
func FromKey(k uint64) float64 {
	if k>>63 != 0 {
		return math.Float64frombits(k &^ (1 << 63))
	}
	return math.Float64frombits(^k)
}

// Floats sorts x in place. x must not contain NaN.
func Floats(x []float64) {
	if len(x) < cutoff {
		slices.Sort(x)
		return
	}
	keys := make([]uint64, len(x))
	for i, f := range x {
		keys[i] = Key(f)
	}
	radix(keys, make([]uint64, len(x)))
	for i, k := range keys {
		x[i] = FromKey(k)
	}
}

// Keys sorts keys in place.
func Keys(keys []uint64) {
	if len(keys) < cutoff {
		slices.Sort(keys)
		return
	}
	radix(keys, make([]uint64, len(keys)))
}

const (
	bits   = 11
	passes = 6
	size   = 1 << bits
	mask   = size - 1
)

// radix sorts keys using buf (same length) as scratch space.
func radix(keys, buf []uint64) {
	var counts [passes][size]int
	for _, k := range keys {
		for p := range passes {
			counts[p][(k>>(p*bits))&mask]++
		}
	}
	n := len(keys)
	src, dst := keys, buf
	for p := range passes {
		c := &counts[p]
		if c[(src[0]>>(p*bits))&mask] == n {
			continue // every key has the same digit here
		}
		sum := 0
		for d := range c {
			c[d], sum = sum, sum+c[d]
		}
		shift := uint(p * bits)
		for _, k := range src {
			d := (k >> shift) & mask
			dst[c[d]] = k
			c[d]++
		}
		src, dst = dst, src
	}
	if &src[0] != &keys[0] {
		copy(keys, src)
	}
}
