package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/drift"
	"github.com/freshet/freshet/ml/ingest"
)

func runDrift(args []string, stdout, stderr io.Writer) error {
	fs := newFlagSet("drift", stderr)
	refPath := fs.String("ref", "", "reference CSV (header row)")
	curPath := fs.String("cur", "", "current CSV with the same columns")
	drop := fs.String("drop", "", "comma-separated columns to leave out (ids, times, labels)")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	correction := fs.String("correction", "", "p-value correction across features: bonferroni or bh")
	share := fs.Float64("drift-share", 0.5, "dataset drift when this share of features drift")
	if err := parse(fs, args); err != nil {
		return err
	}
	if *refPath == "" || *curPath == "" {
		return errors.New("usage: freshet drift --ref A.csv --cur B.csv [--json]")
	}
	ref, err := readInput(*refPath)
	if err != nil {
		return err
	}
	cur, err := readInput(*curPath)
	if err != nil {
		return err
	}
	inf, err := ingest.InferSchema(bytes.NewReader(ref), 0)
	if err != nil {
		return fmt.Errorf("%s: %s", *refPath, ml.ErrorMessage(err))
	}
	dropped := splitList(*drop)
	// Every column that is not dropped is compared; the model needs a
	// label, so a dummy one is declared and never present.
	m := &ml.Model{Name: "drift", Task: ml.TaskBinary, Label: "\x00label"}
	for _, c := range inf.Columns {
		if !slices.Contains(dropped, c.Name) {
			m.Features = append(m.Features, ml.Feature{Name: c.Name, Type: c.Type})
		}
	}
	if len(m.Features) == 0 {
		return errors.New("no columns left to compare")
	}
	m.Normalize()
	opt := ingest.Options{Ignore: dropped, Now: time.Now().UnixMilli()}
	rb, err := ingest.ParseCSV(bytes.NewReader(ref), m, opt)
	if err != nil {
		return fmt.Errorf("%s:\n%s", *refPath, ml.ErrorMessage(err))
	}
	cb, err := ingest.ParseCSV(bytes.NewReader(cur), m, opt)
	if err != nil {
		return fmt.Errorf("%s:\n%s", *curPath, ml.ErrorMessage(err))
	}
	rx := encode(m, rb, true) // the reference defines the category codes
	cx := encode(m, cb, true) // new categories in the current file get new codes
	cols := make([]drift.Column, len(m.Features))
	for j, f := range m.Features {
		cols[j] = drift.Column{Name: f.Name, Categorical: f.Type == ml.Categorical, Ref: rx[j], Cur: cx[j]}
	}
	rep, err := drift.Detect(cols, drift.Config{Correction: drift.Correction(*correction), DriftShare: *share})
	if err != nil {
		return err
	}
	if *asJSON {
		type feat struct {
			Name      string   `json:"name"`
			Method    string   `json:"method"`
			Statistic *float64 `json:"statistic"`
			PValue    *float64 `json:"p_value"`
			Threshold float64  `json:"threshold"`
			Drifted   bool     `json:"drifted"`
		}
		out := struct {
			Features     []feat  `json:"features"`
			Drifted      int     `json:"drifted"`
			Share        float64 `json:"share"`
			DriftShare   float64 `json:"drift_share"`
			DatasetDrift bool    `json:"dataset_drift"`
			RefRows      int     `json:"ref_rows"`
			CurRows      int     `json:"cur_rows"`
		}{Drifted: rep.Drifted, Share: rep.Share, DriftShare: rep.DriftShare, DatasetDrift: rep.DatasetDrift, RefRows: rb.N, CurRows: cb.N}
		for _, f := range rep.Features {
			out.Features = append(out.Features, feat{f.Name, string(f.Method), jnum(f.Statistic), jnum(f.PValue), f.Threshold, f.Drifted})
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	tw := tabwriter.NewWriter(stdout, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "feature\tmethod\tstatistic\tp-value\tthreshold\tverdict")
	for _, f := range rep.Features {
		p := "–"
		if !math.IsNaN(f.PValue) {
			p = fmt.Sprintf("%.3g", f.PValue)
		}
		verdict := "ok"
		if f.Drifted {
			verdict = "DRIFT"
		}
		fmt.Fprintf(tw, "%s\t%s\t%.4g\t%s\t%.3g\t%s\n", f.Name, f.Method, f.Statistic, p, f.Threshold, verdict)
	}
	tw.Flush()
	verdict := "no dataset drift"
	if rep.DatasetDrift {
		verdict = "DATASET DRIFT"
	}
	fmt.Fprintf(stdout, "\n%d of %d features drifted (share %.2f, threshold %.2f): %s  [%d reference rows, %d current rows]\n",
		rep.Drifted, len(rep.Features), rep.Share, rep.DriftShare, verdict, rb.N, cb.N)
	return nil
}

func jnum(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}
