package decay

import "math"

// pyRandom is CPython's random.Random: MT19937 (Matsumoto & Nishimura 1998)
// seeded by init_by_array with the 32-bit words of |seed|, as
// Modules/_randommodule.c random_seed does for an int. Only what
// random.sample needs is ported.
type pyRandom struct {
	mt  [624]uint32
	mti int
}

func newPyRandom(seed int64) *pyRandom {
	u := uint64(seed)
	if seed < 0 {
		u = uint64(-seed) // CPython seeds with abs(seed); -MinInt64 wraps to itself, which is |MinInt64|
	}
	key := []uint32{uint32(u)}
	if hi := uint32(u >> 32); hi != 0 {
		key = append(key, hi)
	}
	r := &pyRandom{}
	r.initByArray(key)
	return r
}

func (r *pyRandom) initGenrand(s uint32) {
	r.mt[0] = s
	for i := 1; i < len(r.mt); i++ {
		r.mt[i] = 1812433253*(r.mt[i-1]^(r.mt[i-1]>>30)) + uint32(i)
	}
	r.mti = len(r.mt)
}

func (r *pyRandom) initByArray(key []uint32) {
	const n = 624
	r.initGenrand(19650218)
	i, j := 1, 0
	for k := max(n, len(key)); k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1664525)) + key[j] + uint32(j)
		i++
		j++
		if i >= n {
			r.mt[0] = r.mt[n-1]
			i = 1
		}
		if j >= len(key) {
			j = 0
		}
	}
	for k := n - 1; k > 0; k-- {
		r.mt[i] = (r.mt[i] ^ ((r.mt[i-1] ^ (r.mt[i-1] >> 30)) * 1566083941)) - uint32(i)
		i++
		if i >= n {
			r.mt[0] = r.mt[n-1]
			i = 1
		}
	}
	r.mt[0] = 0x80000000
}

func (r *pyRandom) uint32() uint32 {
	const (
		n         = 624
		m         = 397
		upperMask = 0x80000000
		lowerMask = 0x7fffffff
		matrixA   = 0x9908b0df
	)
	if r.mti >= n {
		var kk int
		for kk = 0; kk < n-m; kk++ {
			y := (r.mt[kk] & upperMask) | (r.mt[kk+1] & lowerMask)
			r.mt[kk] = r.mt[kk+m] ^ (y >> 1) ^ (matrixA * (y & 1))
		}
		for ; kk < n-1; kk++ {
			y := (r.mt[kk] & upperMask) | (r.mt[kk+1] & lowerMask)
			r.mt[kk] = r.mt[kk+(m-n)] ^ (y >> 1) ^ (matrixA * (y & 1))
		}
		y := (r.mt[n-1] & upperMask) | (r.mt[0] & lowerMask)
		r.mt[n-1] = r.mt[m-1] ^ (y >> 1) ^ (matrixA * (y & 1))
		r.mti = 0
	}
	y := r.mt[r.mti]
	r.mti++
	y ^= y >> 11
	y ^= (y << 7) & 0x9d2c5680
	y ^= (y << 15) & 0xefc60000
	y ^= y >> 18
	return y
}

// randBelow is Random._randbelow_with_getrandbits for 0 < n < 2^32.
func (r *pyRandom) randBelow(n int) int {
	k := 0
	for v := n; v > 0; v >>= 1 {
		k++
	}
	for {
		v := int(r.uint32() >> (32 - k)) // getrandbits(k), k <= 32
		if v < n {
			return v
		}
	}
}

// sample is random.sample(range(n), k) of CPython 3.11, written into out
// (len k); pool is scratch space of length n for the pool branch.
func (r *pyRandom) sample(n, k int, out, pool []int) {
	setsize := 21
	if k > 5 {
		setsize += int(math.Pow(4, math.Ceil(math.Log(float64(k*3))/math.Log(4))))
	}
	if n <= setsize {
		for i := range n {
			pool[i] = i
		}
		for i := range k {
			j := r.randBelow(n - i)
			out[i] = pool[j]
			pool[j] = pool[n-i-1]
		}
		return
	}
	selected := make(map[int]struct{}, k)
	for i := range k {
		j := r.randBelow(n)
		for {
			if _, ok := selected[j]; !ok {
				break
			}
			j = r.randBelow(n)
		}
		selected[j] = struct{}{}
		out[i] = j
	}
}
