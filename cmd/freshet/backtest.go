package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/freshet/freshet/jobs"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/backtest"
	"github.com/freshet/freshet/ml/ingest"
	"github.com/freshet/freshet/ml/train"
)

// runBacktest replays retraining policies on a labeled, time-ordered
// CSV (see ml/backtest) and prints what each would have scored and cost.
func runBacktest(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("backtest", stderr)
	data := fs.String("data", "", "CSV file with a header row (- for standard input)")
	label := fs.String("label", "", "binary label column (0/1)")
	timeCol := fs.String("time", "", "time column: rows are ordered by it (default: file order)")
	drop := fs.String("drop", "", "comma-separated columns to leave out")
	batch := fs.String("batch", "336", "rows per batch, or a period of the time column such as 7d or 12h")
	policies := fs.String("policies", backtest.DefaultPolicies, "comma-separated policies (see below)")
	rounds := fs.Int("rounds", backtest.DefaultRounds, "boosting rounds of a full retrain")
	depth := fs.Int("depth", 6, "tree depth")
	windowRows := fs.Int("window", 4704, "sliding window of a full retrain, in rows (0: all rows so far)")
	initFrac := fs.Float64("init", backtest.DefaultInitFrac, "share of the oldest rows that trains the first model")
	alpha := fs.Float64("alpha", backtest.DefaultAlpha, "weight of relative training cost against the metric (C_α) for the recommendation")
	seed := fs.Uint64("seed", 1, "training seed")
	asJSON := fs.Bool("json", false, "print a JSON array with one object per policy")
	cpuProfile := fs.String("cpuprofile", "", "write a Go CPU profile of the replay here")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: freshet backtest --data F.csv --label COL [--time COL] [--batch N|7d] [--policies LIST] [--rounds N] [--window N] [--json]")
		fs.PrintDefaults()
		fmt.Fprintln(stderr, "\npolicies: never, every:K, drift[:S], decay, volume:N, warm[:R], online, hybrid:K[:R], cost_aware[:V];\nadd a window with @rows=N, @days=D, @halflife=D, @expanding or @drift_aware")
	}
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" || *label == "" {
		fs.Usage()
		return errors.New("--data and --label are required")
	}
	cfg := backtest.Config{InitFrac: *initFrac, Alpha: *alpha, Train: ml.TrainConfig{Rounds: *rounds, MaxDepth: *depth, Seed: *seed}, CPU: jobs.ProcessCPU}
	if n, err := strconv.Atoi(*batch); err == nil {
		cfg.Batch = n
	} else if cfg.BatchPeriod, err = parsePeriod(*batch); err != nil {
		return fmt.Errorf("--batch %q: give rows (336) or a period (7d, 12h)", *batch)
	}
	if *windowRows > 0 {
		cfg.Window = ml.DataWindow{Kind: ml.WindowSlidingRows, Rows: *windowRows}
	}
	m, d, err := loadBinaryCSV(*data, *label, *timeCol, *drop, "backtest")
	if err != nil {
		return err
	}
	cfg.Model = m
	list, err := backtest.ParsePolicies(*policies, cfg.Batch, cfg.BatchPeriod, cfg.Window)
	if err != nil {
		return errors.New(ml.ErrorMessage(err))
	}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	rep, err := backtest.Run(ctx, cfg, d, list)
	if err != nil {
		return errors.New(ml.ErrorMessage(err))
	}
	if *asJSON {
		js, err := json.MarshalIndent(rep.Results, "", "  ")
		if err != nil {
			return err
		}
		_, err = stdout.Write(append(js, '\n'))
		return err
	}
	writeBacktestText(stdout, rep, *data, time.Since(start))
	return nil
}

func writeBacktestText(w io.Writer, rep *backtest.Report, data string, took time.Duration) {
	fmt.Fprintf(w, "%s: %d rows, the first %d train the first model, %d batches replayed in %.1f s\n\n", data, rep.Rows, rep.InitRows, rep.Batches, took.Seconds())
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "policy\tmean acc\tmean AUC\tfull\tcheap\tCPU s\tCPU vs every\trows×rounds vs every\tC_α-AUC\tPareto\t")
	for _, r := range rep.Results {
		pareto := ""
		if r.Pareto {
			pareto = "*"
		}
		fmt.Fprintf(tw, "%s\t%.4f\t%s\t%d\t%d\t%.2f\t%s\t%.3f\t%s\t%s\t\n", r.Name, r.MeanAccuracy, num(r.MeanAUC, 4), r.Retrains, r.Updates,
			r.TrainCPUSeconds, pct(r.RelCPU), r.RelCost, num(r.CAlphaAUC, 4), pareto)
	}
	tw.Flush()
	fmt.Fprintf(w, "\nC_α = mean AUC − α × rows×rounds relative to a full retrain after every batch; C_α-AUC is its mean over α in [0, %g].\n", backtest.AlphaMax)
	fmt.Fprintf(w, "Recommended for α = %g: %s\n", rep.Alpha, rep.Why)
}

func num(v float64, prec int) string {
	if math.IsNaN(v) {
		return "–"
	}
	return strconv.FormatFloat(v, 'f', prec, 64)
}

func pct(v float64) string {
	if math.IsNaN(v) {
		return "–"
	}
	return fmt.Sprintf("%.1f%%", 100*v)
}

// parsePeriod reads a Go duration or a number of days ("7d").
func parsePeriod(s string) (time.Duration, error) {
	if days, ok := strings.CutSuffix(s, "d"); ok {
		v, err := strconv.ParseFloat(days, 64)
		if err != nil || v <= 0 {
			return 0, fmt.Errorf("bad period %q", s)
		}
		return time.Duration(v * 24 * float64(time.Hour)), nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("bad period %q", s)
	}
	return d, nil
}

// loadBinaryCSV reads a labeled CSV with a 0/1 label into a model (every
// other column a feature, types inferred) and its rows in time order.
func loadBinaryCSV(path, label, timeCol, drop, name string) (*ml.Model, train.Data, error) {
	raw, err := readInput(path)
	if err != nil {
		return nil, train.Data{}, err
	}
	inf, err := ingest.InferSchema(bytes.NewReader(raw), 0)
	if err != nil {
		return nil, train.Data{}, fmt.Errorf("%s: %s", path, ml.ErrorMessage(err))
	}
	m := &ml.Model{Name: name, Task: ml.TaskBinary, Label: label, Time: timeCol}
	dropped := splitList(drop)
	var names []string
	for _, col := range inf.Columns {
		names = append(names, col.Name)
		if col.Name == label || col.Name == timeCol || slices.Contains(dropped, col.Name) {
			continue
		}
		m.Features = append(m.Features, ml.Feature{Name: col.Name, Type: col.Type})
	}
	for _, col := range append([]string{label, timeCol}, dropped...) {
		if col != "" && !slices.Contains(names, col) {
			return nil, train.Data{}, fmt.Errorf("%s has no column %q (columns: %s)", path, col, strings.Join(names, ", "))
		}
	}
	m.Normalize()
	if err := m.Validate(); err != nil {
		return nil, train.Data{}, errors.New(ml.ErrorMessage(err))
	}
	b, err := ingest.ParseCSV(bytes.NewReader(raw), m, ingest.Options{Ignore: dropped, Now: time.Now().UnixMilli()})
	if err != nil {
		return nil, train.Data{}, fmt.Errorf("%s:\n%s", path, ml.ErrorMessage(err))
	}
	d := labeledRows(encode(m, b, true), b).TimeOrdered()
	for i, y := range d.Y {
		if y != 0 && y != 1 {
			return nil, train.Data{}, fmt.Errorf("%s: label %q must be 0 or 1, row %d has %v", path, label, i+1, y)
		}
	}
	return m, d, nil
}
