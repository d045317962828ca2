// Command gen writes a synthetic binary-classification table for the
// trainer benchmarks (bench/train_vs_xgb.sh): the "larger table" of issue 3
// (≥ 400k rows × ≥ 40 features), with a known structure.
//
//	go run ./bench/gen -rows 500000 -features 40 -seed 1 -out /tmp/wide.csv
//
// The output is CSV with a header: the feature columns, then "label" (0/1).
// A missing value is an empty field. Rows are in time order (row i is
// observed at time t = i/(rows-1) ∈ [0, 1]), so a benchmark must split them
// in order (first 80% train, last 20% test), never shuffled. The same flags
// always give the same bytes.
//
// # Generating process
//
// Per row, five latent factors z1..z5 ~ N(0,1) are drawn; z1's mean drifts
// from 0 to +0.5 over t (covariate drift). e, e' are fresh N(0,1) draws and
// u a fresh U(0,1) draw each time they appear. The columns are:
//
//   - 8 informative features (inf_0..inf_7), the only ones the label uses:
//     inf_0 = z1 + 0.3e; inf_1 = z2 + 0.3e; inf_2 = exp(0.8 z3 + 0.2e)
//     (skewed, price-like); inf_3 = z4 + 0.3e; inf_4 = 0.6 z1 + 0.8 z5 + 0.3e
//     (correlated with inf_0); inf_5 = u; inf_6 = e; inf_7 = Laplace(0, 1)
//     (heavy tails).
//   - 8 correlated decoys (cor_0..cor_7): cor_k = ρ_k·std(inf_k) + √(1−ρ_k²)·e
//     with ρ_k = 0.5 + 0.06k (0.5..0.92), where std(inf_2) is log(inf_2)/0.82
//     and inf_5, inf_7 are standardised the same way. They carry no signal of
//     their own but compete with the informative features for splits.
//   - 4 categorical-like integers: cat_hour = i mod 24 (a daily cycle in
//     row order), cat_dow = (i div 24) mod 7, cat_region ∈ 0..11 drawn with
//     probability ∝ 1/(k+1) (Zipf-like), cat_device ∈ 0..2 uniform.
//   - features−20 noise columns (noise_0, ...), cycling through N(0,1),
//     U(0,1), integers 0..99 and lognormal exp(e).
//
// The label is y ~ Bernoulli(σ(s)) with the logit
//
//	s = −0.4 + 0.3t                                  (base-rate drift)
//	  + 1.0 inf_0 + (0.8 − 0.4t) inf_1               (concept drift on inf_1)
//	  + 0.7 log(inf_2) + 0.8 sin(2 inf_3)
//	  + 0.6 inf_0·inf_1                              (interaction)
//	  + 1.0 [inf_4 > 0.5]·[inf_5 < 0.3]              (threshold interaction)
//	  + 0.3 (inf_6² − 1) + 0.3 clip(inf_7, −3, 3)
//	  + 0.4 sin(2π cat_hour/24) + 0.2 [cat_dow ≥ 5]
//	  + r[cat_region] + 0.15 cat_device·inf_3        (r ~ N(0, 0.5²) per region, fixed by the seed)
//
// computed from the complete values, before any value is removed. Then
// values go missing: 2% of inf_1, inf_3, every cor_ and every noise_ column
// at random (MCAR); inf_2 is missing in 15% of rows with z3 > 1 and 1% of
// the others (missing not at random: high prices go unrecorded); cat_region
// is missing in 5% of rows. With -rows 500000 -seed 1, 49% of labels are 1
// and s itself (the Bayes-optimal score) has an AUC of 0.845 on the last 20%
// of rows: the ceiling for any model.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
)

const fixed = 20 // informative + correlated + categorical columns

func main() {
	rows := flag.Int("rows", 500_000, "number of rows")
	features := flag.Int("features", 40, "number of feature columns (≥ 20)")
	seed := flag.Uint64("seed", 1, "random seed")
	out := flag.String("out", "-", "output file (- for stdout)")
	flag.Parse()
	if *features < fixed || *rows < 2 {
		log.Fatalf("gen: need -features ≥ %d and -rows ≥ 2", fixed)
	}
	f := os.Stdout
	if *out != "-" {
		var err error
		if f, err = os.Create(*out); err != nil {
			log.Fatal(err)
		}
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := generate(w, *rows, *features, *seed); err != nil {
		log.Fatal(err)
	}
	if err := w.Flush(); err != nil {
		log.Fatal(err)
	}
	if err := f.Close(); err != nil {
		log.Fatal(err)
	}
}

// generate writes the header and rows rows of nf features to w.
func generate(w *bufio.Writer, rows, nf int, seed uint64) error {
	rng := rand.New(rand.NewPCG(seed, 0x57a7e))
	// Per-region effects and Zipf-like region probabilities.
	var regionEffect, regionCDF [12]float64
	total := 0.0
	for k := range regionEffect {
		regionEffect[k] = 0.5 * rng.NormFloat64()
		total += 1 / float64(k+1)
		regionCDF[k] = total
	}

	names := make([]string, 0, nf+1)
	for k := range 8 {
		names = append(names, fmt.Sprintf("inf_%d", k))
	}
	for k := range 8 {
		names = append(names, fmt.Sprintf("cor_%d", k))
	}
	names = append(names, "cat_hour", "cat_dow", "cat_region", "cat_device")
	for k := range nf - fixed {
		names = append(names, fmt.Sprintf("noise_%d", k))
	}
	names = append(names, "label")
	for j, n := range names {
		if j > 0 {
			w.WriteByte(',')
		}
		w.WriteString(n)
	}
	w.WriteByte('\n')

	x := make([]float64, nf)
	var buf []byte
	for i := range rows {
		t := float64(i) / float64(rows-1)
		z1 := rng.NormFloat64() + 0.5*t
		z2, z3, z4, z5 := rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
		e := rng.NormFloat64
		lap := -math.Log(1 - rng.Float64())
		if rng.Float64() < 0.5 {
			lap = -lap
		}
		inf := x[:8]
		inf[0] = z1 + 0.3*e()
		inf[1] = z2 + 0.3*e()
		inf[2] = math.Exp(0.8*z3 + 0.2*e())
		inf[3] = z4 + 0.3*e()
		inf[4] = 0.6*z1 + 0.8*z5 + 0.3*e()
		inf[5] = rng.Float64()
		inf[6] = e()
		inf[7] = lap

		// Correlated decoys of standardised informative features.
		std := [8]float64{inf[0], inf[1], math.Log(inf[2]) / 0.82, inf[3], inf[4], (inf[5] - 0.5) * math.Sqrt(12), inf[6], inf[7] / math.Sqrt2}
		for k := range 8 {
			rho := 0.5 + 0.06*float64(k)
			x[8+k] = rho*std[k] + math.Sqrt(1-rho*rho)*e()
		}

		// Categorical-like integers.
		hour, dow := i%24, (i/24)%7
		u := rng.Float64() * total
		region := 0
		for region < 11 && u > regionCDF[region] {
			region++
		}
		device := rng.IntN(3)
		x[16], x[17], x[18], x[19] = float64(hour), float64(dow), float64(region), float64(device)

		// Noise columns.
		for k := range nf - fixed {
			var v float64
			switch k % 4 {
			case 0:
				v = e()
			case 1:
				v = rng.Float64()
			case 2:
				v = float64(rng.IntN(100))
			case 3:
				v = math.Exp(e())
			}
			x[fixed+k] = v
		}

		// Label from the complete values.
		s := -0.4 + 0.3*t +
			1.0*inf[0] + (0.8-0.4*t)*inf[1] +
			0.7*math.Log(inf[2]) + 0.8*math.Sin(2*inf[3]) +
			0.6*inf[0]*inf[1] +
			0.3*(inf[6]*inf[6]-1) + 0.3*math.Max(-3, math.Min(3, inf[7])) +
			0.4*math.Sin(2*math.Pi*float64(hour)/24) + regionEffect[region] +
			0.15*float64(device)*inf[3]
		if inf[4] > 0.5 && inf[5] < 0.3 {
			s += 1.0
		}
		if dow >= 5 {
			s += 0.2
		}
		label := 0
		if rng.Float64() < 1/(1+math.Exp(-s)) {
			label = 1
		}

		// Missing values (one uniform per column, drawn whether used or not,
		// so the stream does not depend on the outcome).
		for j := range nf {
			r := rng.Float64()
			switch {
			case j == 1 || j == 3 || (j >= 8 && j < 16) || j >= fixed:
				if r < 0.02 {
					x[j] = math.NaN()
				}
			case j == 2:
				if (z3 > 1 && r < 0.15) || r < 0.01 {
					x[j] = math.NaN()
				}
			case j == 18:
				if r < 0.05 {
					x[j] = math.NaN()
				}
			}
		}

		buf = buf[:0]
		for j, v := range x {
			if j > 0 {
				buf = append(buf, ',')
			}
			if !math.IsNaN(v) {
				buf = strconv.AppendFloat(buf, v, 'g', 6, 64)
			}
		}
		buf = append(buf, ',', byte('0'+label), '\n')
		if _, err := w.Write(buf); err != nil {
			return err
		}
	}
	return nil
}
