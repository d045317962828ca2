package modelfile

import (
	"bytes"
	"math"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
)

// FuzzLoad feeds arbitrary bytes to Load. Load must never panic; what it
// accepts leaves must also accept (an error from leaves itself means the
// validation missed something), predictions must not panic, and the
// canonical text must load back to itself.
func FuzzLoad(f *testing.F) {
	for _, s := range []string{stumpModel, deepModel, multiModel, catModel} {
		f.Add([]byte(s))
	}
	for _, name := range []string{"xgb_tiny.json", "xgb_tiny.ubj", "xgb_legacy.bin"} {
		b, err := os.ReadFile("testdata/" + name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	lim := Limits{MaxBytes: 1 << 20, MaxTrees: 1 << 10, MaxLeaves: 1 << 12, MaxNodes: 1 << 16, MaxFeatures: 1 << 12, MaxClasses: 64}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Load(b, lim)
		if err != nil {
			if ml.ErrorCode(err) == ml.EINTERNAL || strings.Contains(ml.ErrorMessage(err), "leaves refused") {
				t.Fatalf("validation let through what leaves rejects: %v", err)
			}
			return
		}
		rows := make([][]float64, 3)
		for i := range rows {
			rows[i] = make([]float64, m.NumFeatures)
		}
		for j := range m.NumFeatures {
			rows[1][j] = math.NaN()
			rows[2][j] = float64(j%7) - 3
		}
		if _, err := m.Predict(rows); err != nil {
			t.Fatalf("Predict: %v", err)
		}
		again, err := Load(m.Text, lim)
		if err != nil {
			t.Fatalf("the canonical text does not load: %v\n%s", err, m.Text)
		}
		if !bytes.Equal(again.Text, m.Text) {
			t.Fatalf("the canonical text changed on reload")
		}
	})
}

// FuzzTreeShape builds one-tree LightGBM models from fuzzed child indices,
// features and decision types (many of them malformed). What Load accepts
// must predict, for every row, what a plain reference walk of the same
// arrays gives; what it refuses must be refused with an *ml.Error.
func FuzzTreeShape(f *testing.F) {
	f.Add(uint8(4), []byte{2, 0, 0, 0xfd, 8, 1, 0xfe, 0xff, 10, 2, 0xfc, 3, 2, 1, 0xfb, 0xfa}, []byte{0, 1, 2, 3})
	f.Add(uint8(1), []byte{0xff, 0xfe, 0, 8}, []byte{5})
	f.Add(uint8(2), []byte{0xff, 1, 0, 8, 0xfe, 0xfd, 1, 2}, []byte{0, 4}) // a valid 3-leaf tree
	f.Fuzz(func(t *testing.T, nLeaves uint8, shape, thresholds []byte) {
		n := int(nLeaves%12) + 1
		at := func(b []byte, i int) byte {
			if len(b) == 0 {
				return 0
			}
			return b[i%len(b)]
		}
		var left, right, feat, dt, thr, leafv []string
		type node struct {
			l, r, f, dt int
			thr         float64
		}
		nodes := make([]node, n-1)
		for j := range nodes {
			nd := node{
				l:   int(int8(at(shape, 4*j))) % (n + 2),
				r:   int(int8(at(shape, 4*j+1))) % (n + 2),
				f:   int(at(shape, 4*j+2)) % 4, // max_feature_idx is 2: 3 is out of range
				dt:  int(at(shape, 4*j+3)) % 16,
				thr: float64(int8(at(thresholds, j))) / 4,
			}
			nodes[j] = nd
			left, right = append(left, strconv.Itoa(nd.l)), append(right, strconv.Itoa(nd.r))
			feat, dt = append(feat, strconv.Itoa(nd.f)), append(dt, strconv.Itoa(nd.dt))
			thr = append(thr, strconv.FormatFloat(nd.thr, 'g', -1, 64))
		}
		for j := range n {
			leafv = append(leafv, strconv.Itoa(j+1))
		}
		text := "tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nmax_feature_idx=2\nobjective=regression\ntree_sizes=1\n\nTree=0\nnum_leaves=" + strconv.Itoa(n) + "\nnum_cat=0\n"
		if n > 1 {
			text += "split_feature=" + strings.Join(feat, " ") + "\nthreshold=" + strings.Join(thr, " ") +
				"\ndecision_type=" + strings.Join(dt, " ") + "\nleft_child=" + strings.Join(left, " ") + "\nright_child=" + strings.Join(right, " ") + "\n"
		}
		text += "leaf_value=" + strings.Join(leafv, " ") + "\n"
		m, err := Load([]byte(text), Limits{})
		if err != nil {
			if ml.ErrorCode(err) == ml.EINTERNAL || strings.Contains(ml.ErrorMessage(err), "leaves refused") {
				t.Fatalf("validation let through what leaves rejects: %v\n%s", err, text)
			}
			return
		}
		// Reference walk with LightGBM's numerical decision rule.
		walk := func(row []float64) float64 {
			c := 0
			for steps := 0; steps <= n; steps++ {
				if n == 1 {
					return 1
				}
				nd := nodes[c]
				x := row[nd.f]
				missing := (nd.dt >> 2) & 3
				if math.IsNaN(x) && missing != 2 {
					x = 0
				}
				var goLeft bool
				if (missing == 1 && x > -1e-35 && x <= 1e-35) || (missing == 2 && math.IsNaN(x)) {
					goLeft = nd.dt&2 != 0
				} else {
					goLeft = x <= nd.thr
				}
				next := nd.r
				if goLeft {
					next = nd.l
				}
				if next < 0 {
					return float64(^next + 1)
				}
				c = next
			}
			t.Fatalf("reference walk did not end: accepted a cyclic tree\n%s", text)
			return 0
		}
		vals := []float64{math.NaN(), 0, -1, 1, 0.25, -0.25, 31.75, -32}
		var rows [][]float64
		for _, a := range vals {
			for _, b := range vals {
				rows = append(rows, []float64{a, b, a - b})
			}
		}
		got, err := m.Predict(rows)
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			if want := walk(r); got[i] != want {
				t.Fatalf("row %v: leaves %v, reference %v\n%s", r, got[i], want, text)
			}
		}
	})
}
