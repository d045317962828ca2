package gbdt

import "math"

// Block sizes. They depend on the data only, never on the thread count, so
// the summation order (and hence the model) is the same for any Threads.
const (
	// histBlockUpdates is the number of histogram updates (rows × features)
	// per histogram task; blocks after the first get their own partial
	// histogram that is added in block order.
	histBlockUpdates = 1 << 15
	// minHistBlockRows bounds the rows per histogram task from below.
	minHistBlockRows = 1024
	// maxHistBlocks bounds the partial histograms per node from above.
	maxHistBlocks = 16
	// partBlockRows is the number of rows per partition task.
	partBlockRows = 1 << 14
	// featureGroup is how many features' histograms (≤ 256 bins of 16
	// bytes each) the hot loop fills at a time on wide data: 8 × 4 KB
	// fits L1 cache.
	featureGroup = 8
)

// gpair is the gradient and hessian of one row (weights included).
type gpair struct{ g, h float64 }

// hbin is one histogram entry: gradient and hessian sums. There is no row
// count: with 16-byte entries (and global uint16 bin indices) the hot loop
// ran 1.8× faster in a micro-benchmark than with a count, as a 7-feature
// histogram then fits in L1 cache. Row counts of nodes come exact from the
// partition; counts of candidate children are estimated from hessians (as
// LightGBM does) when Params.MinDataInLeaf > 1.
type hbin struct{ g, h float64 }

func (a hbin) add(b hbin) hbin { return hbin{a.g + b.g, a.h + b.h} }
func (a hbin) sub(b hbin) hbin { return hbin{a.g - b.g, a.h - b.h} }

// emptyFrac: a bin or child whose hessian is at most this fraction of its
// node's is treated as empty (rounding residue of histogram subtraction).
const emptyFrac = 1e-12

// split is the best split found for a node.
type split struct {
	gain    float64
	feature int // -1: no split
	bin     int // value bins 1..bin go left
	// missLeft sends missing values left, in training and at prediction.
	missLeft bool
	left     hbin // stats of the left child
	nLeft    int  // rows of the left child, set by partition
}

// bnode is a node while a tree grows. Its rows are g.rows[start:end],
// except for the children of a final split (viaParent), whose rows stay in
// their parent's range.
type bnode struct {
	start, end  int
	n           int // rows (for viaParent children, set by finish)
	sum         hbin
	depth       int
	hist        []hbin
	best        split
	left, right int // child node indices; -1 for a leaf
	// final: the children can only be leaves, so the rows were not
	// partitioned; finish routes them to the two leaves directly.
	final     bool
	viaParent bool
}

// grower grows one tree at a time on binned data.
type grower struct {
	*binned
	p       Params
	pool    *pool
	gh      []gpair // gradients of the tree being grown
	feats   []int   // features sampled for the tree, ascending
	allFeat bool    // feats holds every feature
	nSample int     // rows[:nSample] are the rows of the root
	rows    []int32
	tmpL    []int32
	tmpR    []int32
	nodes   []bnode
	free    [][]hbin // released histograms
}

func newGrower(b *binned, p Params, pl *pool) *grower {
	return &grower{binned: b, p: p, pool: pl,
		rows: make([]int32, b.n), tmpL: make([]int32, b.n), tmpR: make([]int32, b.n)}
}

func (g *grower) getHist() []hbin {
	if n := len(g.free); n > 0 {
		h := g.free[n-1]
		g.free = g.free[:n-1]
		return h
	}
	return make([]hbin, g.totalBins)
}

func (g *grower) putHist(h []hbin) {
	if h != nil {
		g.free = append(g.free, h)
	}
}

// splittable reports whether a node may still be split, before looking at
// gains; only such nodes need a histogram.
func (g *grower) splittable(nd *bnode) bool {
	return nd.depth < g.p.MaxDepth && nd.n >= 2*g.p.MinDataInLeaf &&
		nd.sum.h >= 2*g.p.MinChildWeight && nd.sum.h > 0
}

// grow grows a tree on rows[:nSample] with gradients gh and features feats.
func (g *grower) grow() {
	g.nodes = g.nodes[:0]
	g.nodes = append(g.nodes, bnode{start: 0, end: g.nSample, n: g.nSample, left: -1, right: -1, hist: g.getHist()})
	g.buildHists([]int{0})
	root := &g.nodes[0]
	f := g.feats[0]
	for _, e := range root.hist[g.off[f] : g.off[f]+g.nbin[f]] {
		root.sum = root.sum.add(e)
	}
	if !g.splittable(root) {
		g.putHist(root.hist)
		root.hist = nil
		return
	}
	if g.p.NumLeaves > 0 {
		g.growLeafwise()
	} else {
		g.growDepthwise()
	}
}

func (g *grower) growDepthwise() {
	level := []int{0}
	for len(level) > 0 {
		g.findSplits(level)
		var toSplit []int
		for _, id := range level {
			if g.nodes[id].best.feature >= 0 {
				toSplit = append(toSplit, id)
			} else {
				g.putHist(g.nodes[id].hist)
				g.nodes[id].hist = nil
			}
		}
		if len(toSplit) == 0 {
			return
		}
		var part []int
		for _, id := range toSplit {
			if g.isFinal(id, false) {
				g.addFinalChildren(id)
			} else {
				part = append(part, id)
			}
		}
		g.partition(part)
		var build, next []int
		var derive [][2]int
		for _, id := range part {
			if g.degenerate(id) {
				continue
			}
			l, r, needL, needR := g.addChildren(id)
			if b, d, ok := g.planHists(id, l, r, needL || needR); ok {
				build = append(build, b)
				derive = append(derive, d)
			}
			if needL {
				next = append(next, l)
			}
			if needR {
				next = append(next, r)
			}
		}
		g.buildHists(build)
		g.subtract(derive)
		g.dropHists(derive)
		level = next
	}
}

func (g *grower) growLeafwise() {
	cands := []int{0}
	g.findSplits(cands)
	for leaves := 1; leaves < g.p.NumLeaves; leaves++ {
		pick, at := -1, -1
		for i, id := range cands {
			b := &g.nodes[id].best
			if b.feature >= 0 && (pick < 0 || b.gain > g.nodes[pick].best.gain) {
				pick, at = id, i
			}
		}
		if pick < 0 {
			break
		}
		cands = append(cands[:at], cands[at+1:]...)
		if g.isFinal(pick, leaves+1 == g.p.NumLeaves) {
			g.addFinalChildren(pick)
			continue
		}
		g.partition([]int{pick})
		if g.degenerate(pick) {
			leaves--
			continue
		}
		l, r, needL, needR := g.addChildren(pick)
		if b, d, ok := g.planHists(pick, l, r, needL || needR); ok {
			g.buildHists([]int{b})
			g.subtract([][2]int{d})
			g.dropHists([][2]int{d})
		}
		var fresh []int
		if needL {
			fresh = append(fresh, l)
		}
		if needR {
			fresh = append(fresh, r)
		}
		g.findSplits(fresh)
		cands = append(cands, fresh...)
	}
	for _, id := range cands {
		g.putHist(g.nodes[id].hist)
		g.nodes[id].hist = nil
	}
}

// degenerate turns a partitioned node with an empty side back into a leaf.
// Hessian checks make this unreachable short of pathological rounding; it
// keeps every leaf non-empty regardless.
func (g *grower) degenerate(id int) bool {
	nd := &g.nodes[id]
	if nl := nd.best.nLeft; nl > 0 && nl < nd.n {
		return false
	}
	nd.best = split{feature: -1}
	g.putHist(nd.hist)
	nd.hist = nil
	return true
}

// isFinal reports whether a split's children can only be leaves (by depth,
// by hessian, or because the tree is full), so its rows need no partition.
func (g *grower) isFinal(id int, full bool) bool {
	nd := &g.nodes[id]
	mcw := 2 * g.p.MinChildWeight
	lh := nd.best.left.h
	return full || nd.depth+1 >= g.p.MaxDepth || (lh < mcw && nd.sum.h-lh < mcw)
}

// addFinalChildren adds two leaves under a final split; finish counts and
// scores their rows.
func (g *grower) addFinalChildren(id int) {
	nd := &g.nodes[id]
	nd.final = true
	g.putHist(nd.hist)
	nd.hist = nil
	l, r := len(g.nodes), len(g.nodes)+1
	nd.left, nd.right = l, r
	left, sum, depth := nd.best.left, nd.sum, nd.depth+1
	g.nodes = append(g.nodes,
		bnode{sum: left, depth: depth, left: -1, right: -1, viaParent: true},
		bnode{sum: sum.sub(left), depth: depth, left: -1, right: -1, viaParent: true})
}

// addChildren creates the children of a partitioned node and reports
// whether each may be split further.
func (g *grower) addChildren(id int) (l, r int, needL, needR bool) {
	nd := g.nodes[id]
	nl := nd.best.nLeft
	l, r = len(g.nodes), len(g.nodes)+1
	g.nodes = append(g.nodes,
		bnode{start: nd.start, end: nd.start + nl, n: nl, sum: nd.best.left, depth: nd.depth + 1, left: -1, right: -1},
		bnode{start: nd.start + nl, end: nd.end, n: nd.n - nl, sum: nd.sum.sub(nd.best.left), depth: nd.depth + 1, left: -1, right: -1})
	g.nodes[id].left, g.nodes[id].right = l, r
	return l, r, g.splittable(&g.nodes[l]), g.splittable(&g.nodes[r])
}

// planHists hands the parent's histogram to the larger child and a fresh
// one to the smaller, which is built from rows; the larger is derived by
// subtraction. Without need, the parent's histogram is released.
func (g *grower) planHists(parent, l, r int, need bool) (build int, derive [2]int, ok bool) {
	ph := g.nodes[parent].hist
	g.nodes[parent].hist = nil
	if !need {
		g.putHist(ph)
		return 0, derive, false
	}
	small, large := l, r
	if g.nodes[r].n < g.nodes[l].n {
		small, large = r, l
	}
	g.nodes[small].hist = g.getHist()
	g.nodes[large].hist = ph
	return small, [2]int{large, small}, true
}

// dropHists releases the histograms of children that will not be split.
func (g *grower) dropHists(derive [][2]int) {
	for _, d := range derive {
		for _, id := range d {
			if nd := &g.nodes[id]; !g.splittable(nd) {
				g.putHist(nd.hist)
				nd.hist = nil
			}
		}
	}
}

// buildHists fills the histograms of nodes from their rows. Each node's rows
// are cut into blocks; the first block writes the node's histogram, later
// ones partial histograms that are then added in block order.
func (g *grower) buildHists(ids []int) {
	type task struct {
		lo, hi int
		dst    []hbin
	}
	type reduction struct {
		dst   []hbin
		parts [][]hbin
	}
	var tasks []task
	var reds []reduction
	blockRows := max(minHistBlockRows, histBlockUpdates/len(g.feats))
	totalRows := 0
	for _, id := range ids {
		nd := &g.nodes[id]
		n := nd.end - nd.start
		totalRows += n
		nb := min(maxHistBlocks, max(1, (n+blockRows-1)/blockRows))
		size := (n + nb - 1) / nb
		red := reduction{dst: nd.hist}
		for b := range nb {
			lo := nd.start + b*size
			hi := min(nd.end, lo+size)
			dst := nd.hist
			if b > 0 {
				dst = g.getHist()
				red.parts = append(red.parts, dst)
			}
			tasks = append(tasks, task{lo, hi, dst})
		}
		if len(red.parts) > 0 {
			reds = append(reds, red)
		}
	}
	g.pool.run(len(tasks), totalRows*len(g.feats), func(i int) {
		t := tasks[i]
		g.clearHist(t.dst)
		g.fillHist(t.dst, g.rows[t.lo:t.hi])
	})
	g.pool.run(len(reds), len(tasks)*g.totalBins, func(i int) {
		red := reds[i]
		for _, part := range red.parts {
			g.forFeatureRanges(func(lo, hi int) {
				dst, src := red.dst[lo:hi], part[lo:hi]
				for j := range dst {
					d, s := &dst[j], &src[j]
					d.g += s.g
					d.h += s.h
				}
			})
		}
	})
	for _, red := range reds {
		for _, part := range red.parts {
			g.putHist(part)
		}
	}
}

// forFeatureRanges calls fn with the histogram range of every sampled
// feature (one range covering all when every feature is sampled).
func (g *grower) forFeatureRanges(fn func(lo, hi int)) {
	if g.allFeat {
		fn(0, g.totalBins)
		return
	}
	for _, f := range g.feats {
		fn(g.off[f], g.off[f]+g.nbin[f])
	}
}

func (g *grower) clearHist(h []hbin) {
	g.forFeatureRanges(func(lo, hi int) { clear(h[lo:hi]) })
}

// fillHist adds the gradients of rows into dst: the hot loop of training.
func (g *grower) fillHist(dst []hbin, rows []int32) {
	if g.rm16 != nil {
		fillRows(dst, g.rm16, g.nf, g.gh, rows, g.feats, g.allFeat)
	} else {
		fillRows(dst, g.rm32, g.nf, g.gh, rows, g.feats, g.allFeat)
	}
}

// fillRows reads each row's global bin indices (feature offset + bin) from
// the row-major matrix rm and adds the row's gradient pair to those bins.
func fillRows[T uint16 | uint32](dst []hbin, rm []T, nf int, gh []gpair, rows []int32, feats []int, all bool) {
	if all && nf <= 2*featureGroup {
		for _, r := range rows {
			p := gh[r]
			base := int(r) * nf
			for _, b := range rm[base : base+nf : base+nf] {
				e := &dst[b]
				e.g += p.g
				e.h += p.h
			}
		}
		return
	}
	if all {
		// Wide data: a group of features at a time, so the part of the
		// histogram being written stays in L1 cache.
		for f0 := 0; f0 < nf; f0 += featureGroup {
			f1 := min(nf, f0+featureGroup)
			for _, r := range rows {
				p := gh[r]
				base := int(r) * nf
				for _, b := range rm[base+f0 : base+f1 : base+f1] {
					e := &dst[b]
					e.g += p.g
					e.h += p.h
				}
			}
		}
		return
	}
	for _, r := range rows {
		p := gh[r]
		bins := rm[int(r)*nf : int(r)*nf+nf : int(r)*nf+nf]
		for _, f := range feats {
			e := &dst[bins[f]]
			e.g += p.g
			e.h += p.h
		}
	}
}

// subtract derives each larger child's histogram: parent (already in the
// larger child's buffer) minus the smaller child.
func (g *grower) subtract(derive [][2]int) {
	g.pool.run(len(derive), 2*len(derive)*g.totalBins, func(i int) {
		large, small := g.nodes[derive[i][0]].hist, g.nodes[derive[i][1]].hist
		g.forFeatureRanges(func(lo, hi int) {
			dst, src := large[lo:hi], small[lo:hi]
			for j := range dst {
				d, s := &dst[j], &src[j]
				d.g -= s.g
				d.h -= s.h
			}
		})
	})
}

// findSplits sets best for each node: the best split over the sampled
// features, ties going to the lower feature index and then the lower bin.
func (g *grower) findSplits(ids []int) {
	nfe := len(g.feats)
	res := make([]split, len(ids)*nfe)
	g.pool.run(len(res), 8*len(ids)*g.totalBins, func(i int) {
		nd := &g.nodes[ids[i/nfe]]
		res[i] = g.bestSplit(nd.hist, nd.sum, nd.n, g.feats[i%nfe])
	})
	for j, id := range ids {
		best := split{feature: -1}
		for _, s := range res[j*nfe : (j+1)*nfe] {
			if s.feature >= 0 && (best.feature < 0 || s.gain > best.gain) {
				best = s
			}
		}
		g.nodes[id].best = best
	}
}

// bestSplit scans the bins of feature f, trying the missing bin on each
// side. Gain is XGBoost's: G_L²/(H_L+λ) + G_R²/(H_R+λ) − G²/(H+λ). A child
// must have hessian ≥ MinChildWeight and be non-empty; with MinDataInLeaf >
// 1 its row count is estimated as hessian × rows/H.
func (g *grower) bestSplit(hist []hbin, sum hbin, rows, f int) split {
	best := split{feature: -1, gain: g.p.MinSplitGain}
	hf := hist[g.off[f] : g.off[f]+g.nbin[f]]
	if len(hf) < 3 { // fewer than two value bins
		return split{feature: -1}
	}
	lambda := g.p.Lambda
	minH := max(g.p.MinChildWeight, emptyFrac*sum.h)
	if g.p.MinDataInLeaf > 1 {
		minH = max(minH, float64(g.p.MinDataInLeaf)*sum.h/float64(rows))
	}
	parent := sum.g * sum.g / (sum.h + lambda)
	miss := hf[0]
	hasMiss := miss.h > emptyFrac*sum.h
	var left hbin
	for b := 1; b < len(hf)-1; b++ {
		e := hf[b]
		left.g += e.g
		left.h += e.h
		if e.h == 0 {
			continue // same partition as the bin before
		}
		// Missing values right.
		if rh := sum.h - left.h; left.h >= minH && rh >= minH {
			rg := sum.g - left.g
			gain := left.g*left.g/(left.h+lambda) + rg*rg/(rh+lambda) - parent
			if gain > best.gain {
				best = split{gain: gain, feature: f, bin: b, left: left}
			}
		}
		if !hasMiss {
			continue
		}
		// Missing values left.
		l := hbin{left.g + miss.g, left.h + miss.h}
		if rh := sum.h - l.h; l.h >= minH && rh >= minH {
			rg := sum.g - l.g
			gain := l.g*l.g/(l.h+lambda) + rg*rg/(rh+lambda) - parent
			if gain > best.gain {
				best = split{gain: gain, feature: f, bin: b, missLeft: true, left: l}
			}
		}
	}
	if best.feature < 0 || math.IsNaN(best.gain) {
		return split{feature: -1}
	}
	if !hasMiss && best.left.h >= sum.h-best.left.h {
		// No missing values here: send future ones to the heavier side
		// (with whatever residue the missing bin holds).
		best.missLeft = true
		best.left = best.left.add(miss)
	}
	return best
}

// partition reorders each node's rows so that its left child's rows come
// first, both in their original order.
func (g *grower) partition(ids []int) {
	type task struct {
		node, lo, hi int
		nl           int
		single       bool // the node's only block
		lut          *[256]uint8
	}
	var tasks []task
	first := make([]int, len(ids)+1)
	totalRows := 0
	for j, id := range ids {
		nd := &g.nodes[id]
		lut := splitLUT(&nd.best)
		n := nd.end - nd.start
		totalRows += n
		nb := max(1, (n+partBlockRows-1)/partBlockRows)
		size := (n + nb - 1) / nb
		first[j] = len(tasks)
		for b := range nb {
			lo := nd.start + b*size
			tasks = append(tasks, task{node: id, lo: lo, hi: min(nd.end, lo+size), lut: lut, single: nb == 1})
		}
	}
	first[len(ids)] = len(tasks)
	g.pool.run(len(tasks), 2*totalRows, func(i int) {
		t := &tasks[i]
		col := g.cols[g.nodes[t.node].best.feature]
		rows, tr := g.rows[t.lo:t.hi], g.tmpR[t.lo:t.hi]
		nl, nr := 0, 0
		if t.single {
			// The node is one block: compact left rows in place (the write
			// index never passes the read index), then append the right.
			for _, r := range rows {
				x := int(t.lut[col[r]])
				rows[nl] = r
				tr[nr] = r
				nl += x
				nr += 1 - x
			}
			copy(rows[nl:], tr[:nr])
			t.nl = nl
			return
		}
		tl := g.tmpL[t.lo:t.hi]
		for _, r := range rows {
			x := int(t.lut[col[r]])
			tl[nl] = r
			tr[nr] = r
			nl += x
			nr += 1 - x
		}
		t.nl = nl
	})
	// Multi-block nodes: left parts in block order, then right parts.
	dstL := make([]int, len(tasks))
	dstR := make([]int, len(tasks))
	multi := false
	for j, id := range ids {
		nd := &g.nodes[id]
		total := 0
		for i := first[j]; i < first[j+1]; i++ {
			total += tasks[i].nl
		}
		nd.best.nLeft = total
		pl, pr := nd.start, nd.start+total
		for i := first[j]; i < first[j+1]; i++ {
			multi = multi || !tasks[i].single
			dstL[i], dstR[i] = pl, pr
			pl += tasks[i].nl
			pr += tasks[i].hi - tasks[i].lo - tasks[i].nl
		}
	}
	if !multi {
		return
	}
	g.pool.run(len(tasks), totalRows, func(i int) {
		t := tasks[i]
		if t.single {
			return
		}
		nr := t.hi - t.lo - t.nl
		copy(g.rows[dstL[i]:dstL[i]+t.nl], g.tmpL[t.lo:t.lo+t.nl])
		copy(g.rows[dstR[i]:dstR[i]+nr], g.tmpR[t.lo:t.lo+nr])
	})
}

// splitLUT maps a bin to 1 if its rows go left, else 0.
func splitLUT(s *split) *[256]uint8 {
	lut := new([256]uint8)
	for b := 1; b <= s.bin; b++ {
		lut[b] = 1
	}
	if s.missLeft {
		lut[0] = 1
	}
	return lut
}

// finish computes the leaf values, adds them to the scores (n×k, column c)
// of the sampled rows and counts the rows of the leaves under final splits.
// It returns the leaf value of every node (0 for internal nodes).
func (g *grower) finish(scores []float64, k, c int) []float64 {
	vals := make([]float64, len(g.nodes))
	for id := range g.nodes {
		if nd := &g.nodes[id]; nd.left < 0 {
			vals[id] = g.leafValue(nd.sum)
		}
	}
	// Sequential: rows of different leaves interleave in memory, so
	// parallel writers would share cache lines.
	for id := range g.nodes {
		nd := &g.nodes[id]
		switch {
		case nd.final:
			lut, col := splitLUT(&nd.best), g.cols[nd.best.feature]
			v := [2]float64{vals[nd.right], vals[nd.left]}
			nl := 0
			for _, r := range g.rows[nd.start:nd.end] {
				x := lut[col[r]]
				scores[int(r)*k+c] += v[x]
				nl += int(x)
			}
			g.nodes[nd.left].n, g.nodes[nd.right].n = nl, nd.n-nl
		case nd.left < 0 && !nd.viaParent:
			v := vals[id]
			for _, r := range g.rows[nd.start:nd.end] {
				scores[int(r)*k+c] += v
			}
		}
	}
	return vals
}

// leafOfBinned walks the grown tree with a row's bins (for rows that were
// not sampled this round) and returns the leaf node index.
func (g *grower) leafOfBinned(r int) int {
	id := 0
	for g.nodes[id].left >= 0 {
		nd := &g.nodes[id]
		b := g.cols[nd.best.feature][r]
		if (b == 0 && nd.best.missLeft) || (b != 0 && int(b) <= nd.best.bin) {
			id = nd.left
		} else {
			id = nd.right
		}
	}
	return id
}

// leafValue is the shrunk XGBoost leaf weight −G/(H+λ)·η.
func (g *grower) leafValue(s hbin) float64 {
	return -s.g / (s.h + g.p.Lambda) * g.p.LearningRate
}

// tree converts the grown nodes to a Tree, numbering internal nodes and
// leaves in creation order (the root is internal node 0). vals are the leaf
// values from finish; base is added to them.
func (g *grower) tree(vals []float64, base float64) Tree {
	t := Tree{Shrinkage: g.p.LearningRate}
	internal := make([]int, len(g.nodes))
	leaf := make([]int, len(g.nodes))
	ni, nl := 0, 0
	for id, nd := range g.nodes {
		if nd.left >= 0 {
			internal[id], leaf[id] = ni, -1
			ni++
		} else {
			internal[id], leaf[id] = -1, nl
			nl++
		}
	}
	ref := func(id int) int {
		if leaf[id] >= 0 {
			return ^leaf[id]
		}
		return internal[id]
	}
	for id, nd := range g.nodes {
		if nd.left >= 0 {
			s := nd.best
			t.SplitFeature = append(t.SplitFeature, s.feature)
			t.Threshold = append(t.Threshold, g.edges[s.feature][s.bin-1])
			dt := uint32(DecisionMissingNaN)
			if s.missLeft {
				dt |= DecisionDefaultLeft
			}
			t.DecisionType = append(t.DecisionType, dt)
			t.Left = append(t.Left, ref(nd.left))
			t.Right = append(t.Right, ref(nd.right))
			t.SplitGain = append(t.SplitGain, s.gain)
		} else {
			t.LeafValue = append(t.LeafValue, vals[id]+base)
			t.LeafWeight = append(t.LeafWeight, nd.sum.h)
			t.LeafCount = append(t.LeafCount, nd.n)
		}
	}
	return t
}
