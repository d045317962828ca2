package jobs

import (
	"cmp"
	"context"
	"encoding/json"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/store"
)

// halfBatch is Elec2's rows [lo, hi) of one parity (0: even rows, 1: odd
// rows), labeled except the rows unlabeled says.
func halfBatch(t *testing.T, lo, hi, parity int, unlabeled func(row int) bool) *ml.Batch {
	t.Helper()
	tab, err := demo.Elec2()
	if err != nil {
		t.Fatal(err)
	}
	all := tab.Batch(lo, hi, 0, 0)
	b := &ml.Batch{Num: make([][]float64, len(all.Num)), Cat: make([][]string, len(all.Cat))}
	for i := range all.N {
		row := lo + i
		if row%2 != parity {
			continue
		}
		b.N++
		b.Time, b.Entity, b.Line = append(b.Time, all.Time[i]), append(b.Entity, all.Entity[i]), append(b.Line, all.Line[i])
		for j := range all.Num {
			if all.Num[j] != nil {
				b.Num[j] = append(b.Num[j], all.Num[j][i])
			}
			if all.Cat[j] != nil {
				b.Cat[j] = append(b.Cat[j], all.Cat[j][i])
			}
		}
		y := tab.Label[row]
		if unlabeled != nil && unlabeled(row) {
			y = math.NaN()
		}
		b.Label = append(b.Label, y)
	}
	return b
}

// overlappingModel creates a model whose Elec2 rows [0, n) arrive as two
// uploads that overlap in time: the odd rows first, then the even ones.
// Ids then interleave with time: an id range over the newest rows by time
// takes in most of the first upload too.
func overlappingModel(t *testing.T, db *store.DB, name string, n int, cfg ml.ModelConfig, unlabeled func(row int) bool) *ml.Model {
	t.Helper()
	ctx := context.Background()
	m := demo.Elec2Model()
	m.Name, m.Config = name, cfg
	if err := db.CreateModel(ctx, ml.SystemActor, m); err != nil {
		t.Fatal(err)
	}
	for _, parity := range []int{1, 0} {
		if _, err := db.InsertBatch(ctx, ml.SystemActor, m, halfBatch(t, 0, n, parity, unlabeled), store.SourceUpload); err != nil {
			t.Fatal(err)
		}
	}
	m, err := db.FindModelByID(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// trainingOrder reads the model's labeled rows and sorts them by time,
// then id, on its own (not through the code under test).
func trainingOrder(t *testing.T, db *store.DB, m *ml.Model) train.Data {
	t.Helper()
	fr, err := db.Scan(context.Background(), m, store.ScanFilter{LabeledOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	idx := make([]int, fr.Len())
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		return cmp.Or(cmp.Compare(fr.Time[a], fr.Time[b]), cmp.Compare(fr.ID[a], fr.ID[b]))
	})
	return train.Data{X: fr.X, Y: fr.Label, Time: fr.Time, IDs: fr.ID}.Rows(idx)
}

func idSet(ids []int64) map[int64]bool {
	s := make(map[int64]bool, len(ids))
	for _, id := range ids {
		s[id] = true
	}
	return s
}

// storedHoldout is the "holdout" part of a decision's report.
func storedHoldout(t *testing.T, report json.RawMessage) judgedRows {
	t.Helper()
	var rep struct {
		N       int        `json:"n"`
		Holdout judgedRows `json:"holdout"`
	}
	if err := json.Unmarshal(report, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.N != rep.Holdout.Rows {
		t.Errorf("the report judged %d rows, its holdout says %d", rep.N, rep.Holdout.Rows)
	}
	return rep.Holdout
}

// TestGateHoldoutExactWithOverlappingUploads: Elec2's odd rows, then its
// even rows, are uploaded; a retrain holds out the newest 300 by time.
// The gate reads back exactly those 300 rows — by id range it read 1,650,
// 1,350 of them rows the challenger trained on — and the decision says
// they were verified against what the challenger recorded on them.
func TestGateHoldoutExactWithOverlappingUploads(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	m := overlappingModel(t, db, "halves", 3000, ml.ModelConfig{Gate: lenientGate(ml.GateAuto)}, nil)
	r := startRunner(t, db, Config{Work: true, TriggerEvery: time.Hour})
	j, _, err := r.Enqueue(ctx, m, ml.SystemActor, JobRequest{Reason: "overlapping uploads"})
	if err != nil {
		t.Fatal(err)
	}
	done := waitJob(t, db, j.ID, 60*time.Second, "done", isDone)
	if done.State != ml.JobSucceeded {
		t.Fatalf("job %s: %s\n%s", done.State, done.Error, done.Log)
	}
	dv := done.Data // the data version and row filter the job recorded

	// What the job trained on and held out, worked out on our own: the
	// expanding window is every labeled row, the holdout its newest 10%.
	order := trainingOrder(t, db, m)
	n, h := order.Len(), int(dv.HoldoutRows)
	if n != 3000 || h != 300 || dv.Rows != int64(n-h) {
		t.Fatalf("%d labeled rows, job recorded %d training and %d held-out rows", n, dv.Rows, dv.HoldoutRows)
	}
	trained, heldOut := order.Slice(0, n-h), order.Slice(n-h, n)
	if trained.Hash() != dv.Hash {
		t.Fatal("the rows worked out as the training rows do not hash to the job's data version")
	}
	// The leak this is about: the held-out rows' id range holds training
	// rows.
	inRange := 0
	for _, id := range trained.IDs {
		if id >= slices.Min(heldOut.IDs) && id <= slices.Max(heldOut.IDs) {
			inRange++
		}
	}
	if inRange != 1350 {
		t.Fatalf("%d training rows lie in the held-out id range, want the 1,350 of the overlap", inRange)
	}

	// The gate's rows: exactly the held-out ones, none of the training rows.
	gs, err := db.FindGates(ctx, store.GateFilter{ModelID: m.ID})
	if err != nil || len(gs) != 1 {
		t.Fatalf("decisions %+v: %v", gs, err)
	}
	d, err := db.FindGate(ctx, gs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	if d.HoldoutRows != 300 || d.Status != ml.GateAutoPromoted {
		t.Fatalf("decision judged on %d rows (%s): %s", d.HoldoutRows, d.Status, d.Summary)
	}
	rows := storedHoldout(t, d.Report)
	if rows.Source != "recorded holdout" || rows.Rows != 300 || rows.Recorded != 300 || !rows.Verified {
		t.Errorf("stored holdout %+v, want the 300 recorded rows, verified", rows)
	}
	v, err := db.FindVersion(ctx, m.ID, done.VersionID)
	if err != nil {
		t.Fatal(err)
	}
	hold, _, err := r.holdout(ctx, m, v)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(hold.IDs, heldOut.IDs) {
		t.Fatalf("the gate reads %d rows, want the %d held out", hold.Len(), heldOut.Len())
	}
	trainedIDs := idSet(trained.IDs)
	for _, id := range hold.IDs {
		if trainedIDs[id] {
			t.Fatalf("the gate's row %d is a training row", id)
		}
	}
	// The job's Parquet export of its training rows leaves the held-out
	// rows in its id range out, and matches its hash.
	snap, match, err := DataSnapshot(ctx, db, m, dv)
	if err != nil || !match || snap.Len() != n-h {
		t.Errorf("data snapshot: %d rows, match %v: %v", snap.Len(), match, err)
	}
}

// TestGateHoldoutLateLabelsAndChanges: what happens to the recorded
// holdout after training. Rows labeled since, newer than every training
// row, join it (never trained on, and the decision says so); rows labeled
// since among the training rows' times do not; a held-out row relabeled,
// or a record that cannot be read back whole (an old record, whose first
// id was the lowest id), is refused, not judged on part of it.
func TestGateHoldoutLateLabelsAndChanges(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	// Odd rows 1,000–1,099 (training times) and 2,900–2,999 (held-out
	// times) have no label yet.
	late := func(row int) bool { return row%2 == 1 && (row >= 1000 && row < 1100 || row >= 2900) }
	m := overlappingModel(t, db, "late", 3000, ml.ModelConfig{Gate: lenientGate(ml.GateApproval)}, late)
	tr, err := Train(ctx, db, t.TempDir(), TrainSpec{ModelID: m.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	v, dv := tr.Version, tr.Data
	order := trainingOrder(t, db, m)
	n, h := order.Len(), int(dv.HoldoutRows)
	if n != 2900 || h != 290 {
		t.Fatalf("%d labeled rows, %d held out", n, h)
	}
	trainedIDs, heldOut := idSet(order.Slice(0, n-h).IDs), order.Slice(n-h, n)
	r := newRunner(t, db, Config{})
	d, _, err := r.Judge(ctx, m, v, tr.Artifact)
	if err != nil {
		t.Fatal(err)
	}
	if d.HoldoutRows != 290 || !storedHoldout(t, d.Report).Verified {
		t.Fatalf("judged on %d rows: %s", d.HoldoutRows, d.Report)
	}

	label := func(rows []int, flip bool) {
		t.Helper()
		tab, _ := demo.Elec2()
		lb := &ml.LabelBatch{}
		for _, row := range rows {
			y := tab.Label[row]
			if flip {
				y = 1 - y
			}
			lb.Entity, lb.Label, lb.Line = append(lb.Entity, demo.EntityID(0, row)), append(lb.Label, y), append(lb.Line, len(lb.Line)+2)
		}
		if _, err := db.AttachLabels(ctx, ml.SystemActor, m, lb, store.SourceUpload); err != nil {
			t.Fatal(err)
		}
	}
	// A held-out row relabeled: refused, and said why.
	tab, _ := demo.Elec2()
	heldRow := slices.Index(tab.Time, heldOut.Time[5]) // a held-out row, found in Elec2 by its time
	label([]int{heldRow}, true)
	if _, _, err := r.Judge(ctx, m, v, tr.Artifact); ml.ErrorCode(err) != ml.ECONFLICT || !strings.Contains(err.Error(), "changed since training") {
		t.Fatalf("judged a relabeled holdout: %v", err)
	}
	label([]int{heldRow}, false)

	// An old record: its first id the lowest held-out id, an odd row that
	// is not the first in time. Read as today's records are, it gives
	// part of the holdout, which is refused.
	old := *v
	old.Data.HoldoutFromID = slices.Min(heldOut.IDs)
	if old.Data.HoldoutFromID == v.Data.HoldoutFromID {
		t.Fatal("the lowest held-out id is the first in time: the test data does not overlap")
	}
	if _, _, err := r.Judge(ctx, m, &old, tr.Artifact); ml.ErrorCode(err) != ml.ECONFLICT || !strings.Contains(err.Error(), "cannot be read back") {
		t.Fatalf("judged an old record on part of its holdout: %v", err)
	}

	// Late labels: both groups.
	var mid, newest []int
	for row := range 3000 {
		if late(row) && row < 2000 {
			mid = append(mid, row)
		} else if late(row) {
			newest = append(newest, row)
		}
	}
	label(append(mid, newest...), false)
	hold, rows, err := r.holdout(ctx, m, v)
	if err != nil {
		t.Fatal(err)
	}
	if hold.Len() != 290+len(newest) || rows.Recorded != 290 || !strings.Contains(rows.Note, "50 rows more than the 290 recorded: labeled since training") {
		t.Fatalf("read back %d rows (%+v), want the 290 held out and the %d newer ones labeled since", hold.Len(), rows, len(newest))
	}
	got := idSet(hold.IDs)
	for _, id := range heldOut.IDs {
		if !got[id] {
			t.Fatalf("held-out row %d is missing", id)
		}
	}
	newer := 0
	for i, id := range hold.IDs {
		if trainedIDs[id] {
			t.Fatalf("row %d, a training row, is judged on", id)
		}
		if slices.Contains(mid, slices.Index(tab.Time, hold.Time[i])) {
			t.Fatalf("row %d, labeled since among the training rows' times, is judged on", id)
		}
		if !slices.Contains(heldOut.IDs, id) {
			newer++
		}
	}
	if newer != len(newest) {
		t.Fatalf("%d rows besides the held-out ones, want %d", newer, len(newest))
	}
	d, _, err = r.Judge(ctx, m, v, tr.Artifact)
	if err != nil {
		t.Fatal(err)
	}
	if d.HoldoutRows != 340 || !strings.Contains(d.Summary, "labeled since training") || storedHoldout(t, d.Report).Verified {
		t.Fatalf("decision on late labels: %d rows, %s", d.HoldoutRows, d.Summary)
	}

}

// TestGateJudgesOnlineSnapshotOnLaterRows: an online snapshot records no
// holdout; it learned every row up to its last id. With only 20 labeled
// rows after that, its job stores it without a decision and says it
// waits; once 200 have arrived, Rejudge judges it on exactly those, and
// queues the verdict's webhook in the same transaction.
func TestGateJudgesOnlineSnapshotOnLaterRows(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	cfg := ml.ModelConfig{Policy: ml.PolicyConfig{Strategy: ml.StrategyOnline, OnlineEvery: 300}, Gate: lenientGate(ml.GateAuto),
		Notify: ml.NotifyConfig{WebhookURL: "http://127.0.0.1:1/hook"}}
	m := elecModel(t, db, "online-gate", 620, cfg)
	r := newRunner(t, db, Config{Work: true, TriggerEvery: time.Hour})
	if n, err := r.OnlineUpdate(ctx, m); err != nil || n != 620 {
		t.Fatalf("learned %d: %v", n, err)
	}
	evs := triggers(t, db, m.ID)
	if err := r.Start(ctx); err != nil {
		t.Fatal(err)
	}
	done := waitJob(t, db, evs[0].JobID, 15*time.Second, "done", isDone)
	if done.State != ml.JobSucceeded || !strings.Contains(done.Log, "gate: waiting — only 20 labeled rows after its data (ids after 600)") {
		t.Fatalf("job %s: %s\n%s", done.State, done.Error, done.Log)
	}
	v, err := db.FindVersion(ctx, m.ID, done.VersionID)
	if err != nil || v.Status != ml.StatusCandidate || v.Data.ToID != 600 {
		t.Fatalf("version %+v: %v", v, err)
	}
	if gs, _ := db.FindGates(ctx, store.GateFilter{ModelID: m.ID}); len(gs) != 0 {
		t.Fatalf("a decision on 20 rows: %+v", gs[0])
	}
	if n, err := r.Rejudge(ctx); err != nil || n != 0 {
		t.Fatalf("rejudged %d with 20 rows: %v", n, err)
	}

	addRows(t, db, m, 620, 800)
	if n, err := r.Rejudge(ctx); err != nil || n != 1 {
		t.Fatalf("rejudged %d: %v", n, err)
	}
	gs, _ := db.FindGates(ctx, store.GateFilter{ModelID: m.ID})
	if len(gs) != 1 {
		t.Fatalf("%d decisions", len(gs))
	}
	d, _ := db.FindGate(ctx, gs[0].ID)
	rows := storedHoldout(t, d.Report)
	if d.ChallengerID != v.ID || d.JobID != done.ID || d.HoldoutRows != 200 || rows.Source != "after its data" || rows.AfterID != 600 ||
		!strings.Contains(d.Summary, "never learned from") {
		t.Fatalf("decision %+v, rows %+v", d, rows)
	}
	hold, _, err := r.holdout(ctx, m, v)
	if err != nil || hold.Len() != 200 || slices.Min(hold.IDs) != 601 || slices.Max(hold.IDs) != 800 {
		t.Fatalf("judged on %d rows, ids %v…: %v", hold.Len(), hold.IDs[:min(3, hold.Len())], err)
	}
	if champ, _ := db.FindChampion(ctx, m.ID); d.Status != ml.GateAutoPromoted || champ == nil || champ.ID != v.ID {
		t.Fatalf("decision %s, champion %+v", d.Status, champ)
	}
	if got := queuedEvents(t, r); !slices.Contains(got, ml.EventGateVerdict) || !slices.Contains(got, ml.EventPromoted) {
		t.Fatalf("queued webhooks %v", got)
	}
	if n, err := r.Rejudge(ctx); err != nil || n != 0 {
		t.Fatalf("judged again: %d %v", n, err)
	}
}

// queuedEvents lists the events of the webhook jobs in the queue.
func queuedEvents(t *testing.T, r *Runner) []string {
	t.Helper()
	res, err := r.Client.JobList(context.Background(), river.NewJobListParams().Kinds(WebhookArgs{}.Kind()).First(100))
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, j := range res.Jobs {
		var a WebhookArgs
		if err := json.Unmarshal(j.EncodedArgs, &a); err != nil {
			t.Fatal(err)
		}
		out = append(out, a.Event)
	}
	return out
}

// TestTrainMinRowsIsThePolicys: data validation holds the window to the
// policy's window.min_rows (it held the training rows to the trainer's
// 50). A window of 400 rows against min_rows 500 fails its job on the
// first attempt, the failing check and the error naming min_rows; one of
// 400 against min_rows 400 passes, though only 360 of its rows train
// (the rest are held out), since min_rows counts the window.
func TestTrainMinRowsIsThePolicys(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	policy := func(minRows int) ml.ModelConfig {
		return ml.ModelConfig{Policy: ml.PolicyConfig{Window: ml.DataWindow{MinRows: minRows}}}
	}
	short := elecModel(t, db, "short", 400, policy(500))
	r := startRunner(t, db, Config{Work: true, TriggerEvery: time.Hour})
	j, _, err := r.Enqueue(ctx, short, ml.SystemActor, JobRequest{Reason: "too few rows"})
	if err != nil {
		t.Fatal(err)
	}
	done := waitJob(t, db, j.ID, 15*time.Second, "done", isDone)
	if done.State != ml.JobFailed || done.Attempt != 1 || !strings.Contains(done.Error, "min_rows") || !strings.Contains(done.Error, "400") || !strings.Contains(done.Error, "500") {
		t.Fatalf("job %s on attempt %d: %q", done.State, done.Attempt, done.Error)
	}
	var failed []ml.Check
	for _, c := range done.Validation {
		if !c.Pass {
			failed = append(failed, c)
		}
	}
	if len(failed) != 1 || failed[0].Name != "min_rows" || failed[0].Value != 400 || failed[0].Limit != 500 || len(done.Validation) < 4 {
		t.Fatalf("validation %+v", done.Validation)
	}
	if rj, err := r.Client.JobGet(ctx, j.ID); err != nil || rj.Attempt != 1 {
		t.Errorf("queue's job %+v: %v", rj, err)
	}
	if vs, _ := db.FindVersions(ctx, short.ID, 10); len(vs) != 0 {
		t.Errorf("versions %+v", vs)
	}

	exact := elecModel(t, db, "exact", 400, policy(400))
	tr, err := Train(ctx, db, t.TempDir(), TrainSpec{ModelID: exact.ID}, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range tr.Validation {
		if c.Name == "min_rows" && (!c.Pass || c.Value != 400 || c.Limit != 400 || !strings.Contains(c.Message, "360 to train on")) {
			t.Errorf("min_rows check %+v", c)
		}
	}
	if tr.Rows != 360 {
		t.Errorf("%d training rows", tr.Rows)
	}
}
