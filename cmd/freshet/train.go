package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/ingest"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/serving"
)

// cliSchema is written next to a model trained by `freshet train`
// (<out>.schema.json) so `freshet predict` reads files the same way:
// column names, types and the codes of categorical values.
type cliSchema struct {
	Task     ml.Task      `json:"task"`
	Label    string       `json:"label"`
	Time     string       `json:"time,omitempty"`
	Features []ml.Feature `json:"features"` // Categories hold the codes' values, in code order
}

// readInput reads a file, standard input for "-", gunzipping a name
// that ends in .gz.
func readInput(path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(os.Stdin)
	}
	b, err := os.ReadFile(path)
	if err != nil || !strings.HasSuffix(path, ".gz") {
		return b, err
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return io.ReadAll(zr)
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// encode turns a parsed batch into model columns, coding categorical
// values with dict (extended with new values when grow is set; unknown
// values are missing otherwise).
func encode(m *ml.Model, b *ml.Batch, grow bool) [][]float64 {
	X := make([][]float64, len(m.Features))
	for j := range m.Features {
		f := &m.Features[j]
		if f.Type != ml.Categorical {
			X[j] = b.Num[j]
			continue
		}
		codes := map[string]int{}
		for c, v := range f.Categories {
			codes[v] = c
		}
		col := make([]float64, b.N)
		for i, v := range b.Cat[j] {
			c, ok := codes[v]
			switch {
			case v == "":
				col[i] = math.NaN()
				continue
			case !ok && grow:
				c = len(f.Categories)
				f.Categories = append(f.Categories, v)
				codes[v] = c
			case !ok:
				col[i] = math.NaN()
				continue
			}
			col[i] = float64(c)
		}
		X[j] = col
	}
	return X
}

func runTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("train", stderr)
	data := fs.String("data", "", "CSV file with a header row (- for standard input)")
	label := fs.String("label", "", "label column")
	timeCol := fs.String("time", "", "time column: rows are ordered by it and the newest validate")
	drop := fs.String("drop", "", "comma-separated columns to leave out")
	task := fs.String("task", "binary", "binary or regression")
	out := fs.String("out", "", "write the model (LightGBM text) here, and its schema to <out>.schema.json")
	asJSON := fs.Bool("json", false, "print metrics as JSON")
	var cfg train.Config
	fs.Float64Var(&cfg.ValidFrac, "valid-frac", 0.2, "share of the newest rows held out for validation")
	fs.IntVar(&cfg.Rounds, "rounds", 100, "boosting rounds")
	fs.IntVar(&cfg.MaxDepth, "depth", 6, "maximum tree depth")
	fs.IntVar(&cfg.NumLeaves, "leaves", 0, "grow leaf-wise to this many leaves instead of depth-wise")
	fs.Float64Var(&cfg.LearningRate, "lr", 0.1, "learning rate")
	fs.IntVar(&cfg.EarlyStopping, "early-stop", 20, "stop after this many rounds without validation gain (-1: never)")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "seed for row and feature sampling")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *data == "" || *label == "" {
		return errors.New("usage: freshet train --data F.csv --label COL [--time COL] [--out model.txt]")
	}
	raw, err := readInput(*data)
	if err != nil {
		return err
	}
	inf, err := ingest.InferSchema(bytes.NewReader(raw), 0)
	if err != nil {
		return fmt.Errorf("%s: %s", *data, ml.ErrorMessage(err))
	}
	m := &ml.Model{Name: "cli", Task: ml.Task(*task), Label: *label, Time: *timeCol}
	dropped := splitList(*drop)
	var names []string
	for _, c := range inf.Columns {
		names = append(names, c.Name)
		if c.Name == *label || c.Name == *timeCol || slices.Contains(dropped, c.Name) {
			continue
		}
		m.Features = append(m.Features, ml.Feature{Name: c.Name, Type: c.Type})
	}
	for _, col := range append([]string{*label, *timeCol}, dropped...) {
		if col != "" && !slices.Contains(names, col) {
			return fmt.Errorf("%s has no column %q (columns: %s)", *data, col, strings.Join(names, ", "))
		}
	}
	m.Normalize()
	if err := m.Validate(); err != nil {
		return errors.New(ml.ErrorMessage(err))
	}
	b, err := ingest.ParseCSV(bytes.NewReader(raw), m, ingest.Options{Ignore: dropped, Now: time.Now().UnixMilli()})
	if err != nil {
		return fmt.Errorf("%s:\n%s", *data, ml.ErrorMessage(err))
	}
	X := encode(m, b, true)
	d := labeledRows(X, b)
	r, err := train.GBDT(m, d, cfg)
	if err != nil {
		return errors.New(ml.ErrorMessage(err))
	}
	metrics := train.Evaluate(m.Task, r.ValidScores, r.Outputs, r.ValidY)
	report := map[string]any{
		"rows": d.Len(), "train_rows": r.TrainRows, "valid_rows": r.ValidRows, "rounds": r.Rounds,
		"seconds": math.Round(r.Seconds*1000) / 1000, "metrics": metrics, "importance": r.Importance,
	}
	if *out != "" {
		if err := os.WriteFile(*out, r.Text, 0o644); err != nil {
			return err
		}
		sch, _ := json.MarshalIndent(cliSchema{Task: m.Task, Label: m.Label, Time: m.Time, Features: m.Features}, "", "  ")
		if err := os.WriteFile(*out+".schema.json", sch, 0o644); err != nil {
			return err
		}
		report["model"] = *out
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(report)
	}
	fmt.Fprintf(stdout, "trained on %d rows, validated on the newest %d: %d rounds in %.3f s\n", r.TrainRows, r.ValidRows, r.Rounds, r.Seconds)
	for _, k := range []string{ml.MetricAUC, ml.MetricLogLoss, ml.MetricAccuracy, ml.MetricF1, ml.MetricRMSE} {
		if v, ok := metrics[k]; ok {
			fmt.Fprintf(stdout, "  %-9s %.4f\n", k, v)
		}
	}
	if *out != "" {
		fmt.Fprintf(stdout, "model written to %s (schema %s.schema.json)\n", *out, *out)
	}
	return nil
}

// labeledRows keeps the rows that carry a label.
func labeledRows(X [][]float64, b *ml.Batch) train.Data {
	d := train.Data{X: make([][]float64, len(X))}
	for i := 0; i < b.N; i++ {
		if b.Label == nil || math.IsNaN(b.Label[i]) {
			continue
		}
		for j := range X {
			d.X[j] = append(d.X[j], X[j][i])
		}
		d.Y = append(d.Y, b.Label[i])
		d.Time = append(d.Time, b.Time[i])
	}
	return d
}

func runPredict(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("predict", stderr)
	modelPath := fs.String("model", "", "model file (LightGBM text) written by freshet train")
	data := fs.String("data", "", "CSV file with a header row (- for standard input)")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *modelPath == "" || *data == "" {
		return errors.New("usage: freshet predict --model model.txt --data F.csv")
	}
	art, err := os.ReadFile(*modelPath)
	if err != nil {
		return err
	}
	var sch cliSchema
	sb, err := os.ReadFile(*modelPath + ".schema.json")
	if err != nil {
		return fmt.Errorf("%s.schema.json: %w (freshet train writes it next to the model)", *modelPath, err)
	}
	if err := json.Unmarshal(sb, &sch); err != nil {
		return fmt.Errorf("%s.schema.json: %w", *modelPath, err)
	}
	sc, err := serving.Load(&ml.Version{Format: ml.FormatLightGBM}, art)
	if err != nil {
		return err
	}
	raw, err := readInput(*data)
	if err != nil {
		return err
	}
	header, err := csv.NewReader(bytes.NewReader(raw)).Read()
	if err != nil {
		return fmt.Errorf("%s: no header row: %w", *data, err)
	}
	m := &ml.Model{Name: "cli", Task: sch.Task, Label: sch.Label, Time: sch.Time, Features: sch.Features}
	var ignore []string
	for _, h := range header {
		h = strings.TrimSpace(h)
		if h != sch.Label && h != sch.Time && m.FeatureIndex(h) < 0 {
			ignore = append(ignore, h)
		}
	}
	if m.Time != "" && !slices.Contains(header, m.Time) {
		m.Time = ""
	}
	b, err := ingest.ParseCSV(bytes.NewReader(raw), m, ingest.Options{Ignore: ignore, Now: time.Now().UnixMilli()})
	if err != nil {
		return fmt.Errorf("%s:\n%s", *data, ml.ErrorMessage(err))
	}
	scores, err := sc.Score(encode(m, b, false))
	if err != nil {
		return err
	}
	w := bufio.NewWriter(stdout)
	defer w.Flush()
	k := sc.Outputs()
	if k == 1 {
		fmt.Fprintln(w, "score")
	} else {
		for c := range k {
			if c > 0 {
				w.WriteByte(',')
			}
			fmt.Fprintf(w, "p%d", c)
		}
		w.WriteByte('\n')
	}
	for i := 0; i < b.N; i++ {
		for c := range k {
			if c > 0 {
				w.WriteByte(',')
			}
			fmt.Fprintf(w, "%.6g", scores[i*k+c])
		}
		w.WriteByte('\n')
	}
	return nil
}
