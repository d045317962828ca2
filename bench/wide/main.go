// Command wide trains freshet's GBDT on a CSV table (bench/gen's output) on
// the time-ordered split (first 80% of rows train, last 20% test, never
// shuffled) and prints one line: rows, seconds to read the CSV, seconds to
// train (the figure that counts), and test AUC. bench/xgb_wide.py is the
// XGBoost peer. bench/train_vs_xgb.sh runs both; by hand:
//
//	go run ./bench/gen -out /tmp/wide.csv
//	go run ./bench/wide -data /tmp/wide.csv [-rounds 100 -depth 6 -lr 0.1 -threads 2] [-out model.txt]
package main

import (
	"bufio"
	"flag"
	"fmt"
	"log"
	"os"
	"time"

	"github.com/freshet/freshet/bench/internal/benchdata"
	"github.com/freshet/freshet/ml/gbdt"
)

func main() {
	data := flag.String("data", "/tmp/wide.csv", "CSV with a header and a label column")
	label := flag.String("label", "label", "label column")
	rounds := flag.Int("rounds", 100, "boosting rounds")
	depth := flag.Int("depth", 6, "max depth")
	lr := flag.Float64("lr", 0.1, "learning rate")
	threads := flag.Int("threads", 2, "threads")
	out := flag.String("out", "", "write the model as LightGBM text here")
	flag.Parse()

	t0 := time.Now()
	t, err := benchdata.ReadCSV(*data, *label)
	if err != nil {
		log.Fatal(err)
	}
	readSec := time.Since(t0).Seconds()
	n := len(t.Y)
	cut := n * 8 / 10
	Xtr, ytr := t.Rows(0, cut)
	Xte, yte := t.Rows(cut, n)

	p := gbdt.Params{Rounds: *rounds, MaxDepth: *depth, LearningRate: *lr, Threads: *threads}
	t1 := time.Now()
	m, err := gbdt.Train(gbdt.Dataset{X: Xtr, Y: ytr, Names: t.Names}, nil, p)
	if err != nil {
		log.Fatal(err)
	}
	trainSec := time.Since(t1).Seconds()

	pred := make([]float64, n-cut)
	row := make([]float64, len(Xte))
	for i := range pred {
		for j, c := range Xte {
			row[j] = c[i]
		}
		pred[i] = m.Predict(row)[0]
	}
	if *out != "" {
		f, err := os.Create(*out)
		if err != nil {
			log.Fatal(err)
		}
		w := bufio.NewWriter(f)
		if err := m.WriteText(w); err != nil {
			log.Fatal(err)
		}
		if err := w.Flush(); err != nil {
			log.Fatal(err)
		}
		if err := f.Close(); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Printf("freshet rows_train=%d rows_test=%d features=%d read_seconds=%.3f seconds=%.4f auc=%.4f\n",
		cut, n-cut, len(t.X), readSec, trainSec, benchdata.AUC(yte, pred))
}
