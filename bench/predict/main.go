// Command predict times serving through leaves on exactly the model and
// rows XGBoost is timed on: it loads a model file the way freshet does
// (ml/modelfile: LightGBM text, or XGBoost JSON converted to LightGBM text),
// repeats the rows of a CSV table up to -rows rows (row-major float64), and
// times leaves' PredictDense with -threads threads, -reps times. It prints
// the median rows/s and, with -check, the largest difference from reference
// predictions (one per line, for the first rows of the table).
//
// bench/train_vs_xgb.sh runs it after bench/xgb_predict.py; by hand:
//
//	/usr/bin/python3 bench/xgb_predict.py /tmp/wide.csv /tmp/xgb300
//	go run ./bench/predict -data /tmp/wide.csv -model /tmp/xgb300.json -check /tmp/xgb300.pred
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"math"
	"os"
	"slices"
	"strconv"
	"time"

	"github.com/freshet/freshet/bench/internal/benchdata"
	"github.com/freshet/freshet/ml/modelfile"
)

func main() {
	data := flag.String("data", "/tmp/wide.csv", "CSV table (its label column is ignored)")
	model := flag.String("model", "", "model file: LightGBM text or XGBoost JSON")
	rows := flag.Int("rows", 1_000_000, "rows to score (the table's rows, repeated)")
	threads := flag.Int("threads", 2, "threads")
	reps := flag.Int("reps", 3, "timed repetitions (the median is printed)")
	check := flag.String("check", "", "reference predictions for the first rows, one per line")
	flag.Parse()

	f, err := os.Open(*model)
	if err != nil {
		log.Fatal(err)
	}
	m, err := modelfile.LoadReader(f, modelfile.Limits{})
	f.Close()
	if err != nil {
		log.Fatal(err)
	}
	t, err := benchdata.ReadCSV(*data, "label")
	if err != nil {
		log.Fatal(err)
	}
	nf := len(t.X)
	if m.NumFeatures > nf {
		log.Fatalf("model wants %d features, table has %d", m.NumFeatures, nf)
	}
	dense := t.Dense(*rows)
	pred := make([]float64, *rows)
	ens := m.Ensemble()

	var secs []float64
	for range *reps {
		start := time.Now()
		if err := ens.PredictDense(dense, *rows, nf, pred, 0, *threads); err != nil {
			log.Fatal(err)
		}
		secs = append(secs, time.Since(start).Seconds())
	}
	slices.Sort(secs)
	med := secs[len(secs)/2]
	fmt.Printf("leaves model=%s format=%v trees=%d rows=%d threads=%d seconds=%.3f rows_per_s=%.0f",
		*model, m.Format, m.NumTrees, *rows, *threads, med, float64(*rows)/med)
	if *check != "" {
		fmt.Printf(" max_abs_diff=%.2g", maxDiff(*check, pred))
	}
	fmt.Println()
}

// maxDiff returns the largest |ref[i] − pred[i]| over the lines of path.
func maxDiff(path string, pred []float64) float64 {
	f, err := os.Open(path)
	if err != nil {
		log.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	d := 0.0
	for i := 0; sc.Scan(); i++ {
		v, err := strconv.ParseFloat(sc.Text(), 64)
		if err != nil {
			log.Fatal(err)
		}
		d = math.Max(d, math.Abs(v-pred[i]))
	}
	return d
}
