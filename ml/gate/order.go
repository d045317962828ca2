package gate

import "math"

// order is a score vector's rows in ascending order of score, with their
// sort keys (floatKey), so that equal scores can be told apart from
// unequal ones without the scores. Evaluate sorts each model's scores
// once and derives from the order everything that needs one: DeLong's
// placements on the holdout and on each slice, the bootstrap's AUC
// passes, the score deciles and the PSI bins.
type order struct {
	rows []int32
	keys []uint64
}

// newOrder sorts the rows of s by score with an LSD radix sort on the
// keys, 8 bits at a time, skipping the digits all keys share; it is
// stable, so tied scores keep their row order.
func newOrder(s []float64) order {
	n := len(s)
	o := order{rows: make([]int32, n), keys: make([]uint64, n)}
	rows2, keys2 := make([]int32, n), make([]uint64, n)
	for i, x := range s {
		o.rows[i], o.keys[i] = int32(i), floatKey(x)
	}
	var count [256]int
	for shift := 0; shift < 64; shift += 8 {
		clear(count[:])
		for _, k := range o.keys {
			count[(k>>shift)&0xff]++
		}
		if count[(o.keys[0]>>shift)&0xff] == n {
			continue // every key has this digit
		}
		pos := 0
		for d, c := range count {
			count[d] = pos
			pos += c
		}
		for j, k := range o.keys {
			d := (k >> shift) & 0xff
			p := count[d]
			count[d]++
			rows2[p], keys2[p] = o.rows[j], k
		}
		o.rows, rows2 = rows2, o.rows
		o.keys, keys2 = keys2, o.keys
	}
	return o
}

// values returns the sorted scores.
func (o order) values(s []float64) []float64 {
	v := make([]float64, len(o.rows))
	for j, i := range o.rows {
		v[j] = s[i]
	}
	return v
}

// restrict returns, for each group of rows, the group's order: its rows
// renumbered 0… in the group's own order (groups[g][k] becomes k), in the
// order of o. One pass over o serves every group; the groups must be
// disjoint.
func (o order) restrict(n int, groups [][]int32) []order {
	slot := make([]int32, n)  // group of each row, or −1
	local := make([]int32, n) // its index within the group
	for i := range slot {
		slot[i] = -1
	}
	out := make([]order, len(groups))
	for g, rows := range groups {
		for k, i := range rows {
			slot[i], local[i] = int32(g), int32(k)
		}
		out[g] = order{rows: make([]int32, 0, len(rows)), keys: make([]uint64, 0, len(rows))}
	}
	for j, i := range o.rows {
		if g := slot[i]; g >= 0 {
			out[g].rows = append(out[g].rows, local[i])
			out[g].keys = append(out[g].keys, o.keys[j])
		}
	}
	return out
}

// floatKey maps a float64 to a uint64 with the same order (NaN excluded);
// -0 and +0 map to the same key.
func floatKey(f float64) uint64 {
	if f == 0 {
		f = 0
	}
	b := math.Float64bits(f)
	if b>>63 == 1 {
		return ^b
	}
	return b | 1<<63
}
