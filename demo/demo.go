// Package demo ships the real concept-drift data sets freshet uses for its
// live demo, tests and benchmarks, embedded gzipped so nothing is read
// from outside the binary:
//
//   - elec2.csv.gz: Elec2 (Harries 1999, MOA's elecNormNew), 45,312
//     half-hourly rows, 1996-05-07 .. 1998-12-06, label 1 = price up.
//   - weather.csv.gz: NOAA daily weather at Offutt AFB (Elwell & Polikar
//     2011), 18,159 days, label 1 = rain.
//
// See shared/data/README.md in the steering repo for provenance.
package demo

import (
	"bytes"
	"compress/gzip"
	"embed"
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/freshet/freshet/ml"
)

//go:embed elec2.csv.gz weather.csv.gz
var files embed.FS

// Open returns the named data set ("elec2" or "weather") as CSV.
func Open(name string) (io.Reader, error) {
	b, err := files.ReadFile(name + ".csv.gz")
	if err != nil {
		return nil, fmt.Errorf("demo: no data set %q", name)
	}
	return gzip.NewReader(bytes.NewReader(b))
}

// CSV returns the named data set's CSV bytes.
func CSV(name string) ([]byte, error) {
	r, err := Open(name)
	if err != nil {
		return nil, err
	}
	return io.ReadAll(r)
}

// Elec2Model is the demo model's definition: the seven usual features
// (date, a time index, is left out), day as a category.
func Elec2Model() *ml.Model {
	num := func(n string) ml.Feature { return ml.Feature{Name: n, Type: ml.Numeric} }
	return &ml.Model{
		Name:        "elec2",
		Task:        ml.TaskBinary,
		Label:       "label",
		Time:        "ts",
		Entity:      "id",
		Description: "Demo: NSW electricity prices (Elec2), replayed as a live stream; label 1 = price goes up.",
		Features: []ml.Feature{
			{Name: "day", Type: ml.Categorical, Categories: []string{"1", "2", "3", "4", "5", "6", "7"}, Unknown: ml.UnknownReject},
			num("period"), num("nswprice"), num("nswdemand"), num("vicprice"), num("vicdemand"), num("transfer"),
		},
		Metric: ml.MetricAUC,
		// Weekly windows: the stream runs at a week a minute, so a window
		// closes every minute with 336 rows in it.
		// The policy retrains on drift or decay of a window, or after 8
		// weeks of new labels, at most every 2 minutes (two data weeks),
		// within a CPU budget, on the newest 4,704 rows (14 weeks).
		//
		// Drift counts features, not importance. Elec2's shift (early
		// May 1997) is in vicprice, vicdemand and transfer, which were
		// constant while the first champion trained, so it gives them
		// no importance and the weighted share stays 0 through the
		// shift. Measured with that champion (ml/monitor's natural
		// levels, jobs' TestDemoShiftFiresTheFirstRetrain): in the 52
		// weeks before the shift at most 1 of the 7 features drifts in a
		// week; from the week the shift starts in, 3 of 7 do (4–5 of 7
		// from June). 0.4 asks for 3.
		Config: ml.ModelConfig{Demo: true, Monitor: ml.MonitorConfig{Window: ml.WindowWeek},
			Policy: ml.PolicyConfig{
				Drift:     &ml.DriftTrigger{Share: 0.4, Unweighted: true},
				Decay:     &ml.DecayTrigger{},
				Volume:    &ml.VolumeTrigger{Labels: 8 * 336},
				Cooldown:  "2m",
				DailyCPU:  900,
				WeeklyCPU: 3600,
				Window:    ml.DataWindow{Kind: ml.WindowSlidingRows, Rows: 4704},
			},
			// The demo runs itself: a challenger that passes every check
			// serves, and the post-deploy watch guards it for two weeks of
			// labels.
			Gate: ml.GateConfig{Mode: ml.GateAuto, WatchLabels: 672}},
	}
}

// Table is a data set in columns, in the order of Elec2Model's features.
type Table struct {
	Time  []int64 // unix ms
	Day   []string
	Num   [][]float64 // period, nswprice, nswdemand, vicprice, vicdemand, transfer
	Label []float64
}

// Len is the number of rows.
func (t *Table) Len() int { return len(t.Time) }

// Elec2 loads Elec2 into columns.
func Elec2() (*Table, error) {
	r, err := Open("elec2")
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(r)
	cr.ReuseRecord = true
	head, err := cr.Read()
	if err != nil {
		return nil, err
	}
	want := []string{"ts", "date", "day", "period", "nswprice", "nswdemand", "vicprice", "vicdemand", "transfer", "label"}
	if fmt.Sprint(head) != fmt.Sprint(want) {
		return nil, fmt.Errorf("demo: elec2 header %v", head)
	}
	t := &Table{Num: make([][]float64, 6)}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		ts, err := time.Parse("2006-01-02T15:04", rec[0])
		if err != nil {
			return nil, fmt.Errorf("demo: elec2 line %d: %w", line, err)
		}
		t.Time = append(t.Time, ts.UnixMilli())
		t.Day = append(t.Day, rec[2])
		for j := range 6 {
			v, err := strconv.ParseFloat(rec[3+j], 64)
			if err != nil {
				return nil, fmt.Errorf("demo: elec2 line %d: %w", line, err)
			}
			t.Num[j] = append(t.Num[j], v)
		}
		l, err := strconv.ParseFloat(rec[9], 64)
		if err != nil {
			return nil, fmt.Errorf("demo: elec2 line %d: %w", line, err)
		}
		t.Label = append(t.Label, l)
	}
	return t, nil
}

// Batch returns rows [lo, hi) as an ml.Batch for Elec2Model, unlabeled,
// with entity ids "<loop>-<row>" and times shifted by shift ms (the demo
// replays the data set in loops, each shifted past the previous one).
func (t *Table) Batch(lo, hi, loop int, shift int64) *ml.Batch {
	n := hi - lo
	b := &ml.Batch{N: n, Time: make([]int64, n), Entity: make([]string, n), Num: make([][]float64, 7), Cat: make([][]string, 7), Line: make([]int, n)}
	b.Cat[0] = t.Day[lo:hi]
	for j := range 6 {
		b.Num[j+1] = t.Num[j][lo:hi]
	}
	for i := range n {
		b.Time[i] = t.Time[lo+i] + shift
		b.Entity[i] = EntityID(loop, lo+i)
		b.Line[i] = lo + i + 2
	}
	return b
}

// EntityID is the demo stream's id of row i in loop k.
func EntityID(loop, row int) string { return strconv.Itoa(loop) + "-" + strconv.Itoa(row) }
