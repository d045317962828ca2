package jobs

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/gate"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/store"
)

// TestGateFailsAChallengerWorseOnOnePlantedSlice: a challenger that is
// better than the champion overall, but learned one small slice of the
// data from flipped labels, fails the gate on that slice alone, and the
// decision names the slices check and the slice.
func TestGateFailsAChallengerWorseOnOnePlantedSlice(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	// Elec2 with one more categorical feature: region, "north" on one row
	// in twenty, the slice planted below.
	m := demo.Elec2Model()
	m.Name, m.Config = "sliced", ml.ModelConfig{Gate: lenientGate(ml.GateAuto)}
	m.Features = append(m.Features, ml.Feature{Name: "region", Type: ml.Categorical, Categories: []string{"south", "north"}})
	if err := db.CreateModel(ctx, ml.SystemActor, m); err != nil {
		t.Fatal(err)
	}
	tab, err := demo.Elec2()
	if err != nil {
		t.Fatal(err)
	}
	const n = 12000
	b := tab.Batch(0, n, 0, 0)
	b.Label = tab.Label[:n]
	region := make([]string, n)
	for i := range region {
		region[i] = "south"
		if i%20 == 7 {
			region[i] = "north"
		}
	}
	b.Num, b.Cat = append(b.Num, nil), append(b.Cat, region)
	if _, err := db.InsertBatch(ctx, ml.SystemActor, m, b, store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	all, err := labeledHistory(ctx, db, m)
	if err != nil {
		t.Fatal(err)
	}
	rows := func(lo, hi int) train.Data {
		idx := make([]int, hi-lo)
		for i := range idx {
			idx[i] = lo + i
		}
		return all.Rows(idx)
	}
	fit := func(d train.Data, rounds int) []byte {
		t.Helper()
		res, err := train.GBDT(m, d, train.Config{Rounds: rounds})
		if err != nil {
			t.Fatal(err)
		}
		return res.Text
	}
	// A weaker champion: older rows, a few rounds.
	champ := &ml.Version{Trainer: ml.TrainerGBDT, Format: ml.FormatLightGBM}
	if err := db.CreateVersion(ctx, ml.SystemActor, m, champ, fit(rows(4000, 6000), 5), true); err != nil {
		t.Fatal(err)
	}
	// The challenger learns from more, newer rows, with the north's labels
	// flipped; both are judged on the newest 2,000, which neither saw.
	d := rows(4000, 10000)
	cats, err := db.FindCategories(ctx, m)
	if err != nil {
		t.Fatal(err)
	}
	for i := range d.Y {
		if categoryName(cats, 7, d.X[7][i]) == "north" {
			d.Y[i] = 1 - d.Y[i]
		}
	}
	v := &ml.Version{Trainer: ml.TrainerGBDT, Format: ml.FormatLightGBM}
	r := newRunner(t, db, Config{})
	dec, promote, err := r.Judge(ctx, m, v, fit(d, 100))
	if err != nil {
		t.Fatal(err)
	}
	var rep gate.Report
	if err := json.Unmarshal(dec.Report, &rep); err != nil {
		t.Fatal(err)
	}
	if dec.Pass || promote || dec.Status != ml.GateFailed || rep.Diff == nil || !(rep.Diff.Value > 0) {
		t.Fatalf("decision %s (promote %v), overall improvement %+v: %s", dec.Status, promote, rep.Diff, dec.Summary)
	}
	for _, c := range rep.Checks {
		if c.Pass != (c.Name != gate.CheckSlices) {
			t.Errorf("check %s pass=%v: %s", c.Name, c.Pass, c.Detail)
		}
		if c.Name == gate.CheckSlices && !strings.Contains(c.Detail, "region=north") {
			t.Errorf("slices check: %s", c.Detail)
		}
	}
	if len(rep.Reasons) != 1 || !strings.HasPrefix(rep.Reasons[0], "slice region=north") || !strings.Contains(dec.Summary, "fails: slice region=north") {
		t.Errorf("reasons %q, summary %q", rep.Reasons, dec.Summary)
	}
	for _, sl := range rep.Slices {
		if sl.Feature == "region" && sl.Judged && sl.Pass != (sl.Value == "south") {
			t.Errorf("slice region=%s: pass=%v, diff %.3f", sl.Value, sl.Pass, sl.Diff)
		}
	}
}
