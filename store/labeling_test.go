package store_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"testing"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

func sameFloat(a, b float64) bool { return a == b || (math.IsNaN(a) && math.IsNaN(b)) }

// TestObservationMatchesScan: Observation gives each row exactly as Scan
// does (features, time, chunk label or late label, score and version),
// across chunks with and without labels and scores, and still after a
// chunk it has read grows.
func TestObservationMatchesScan(t *testing.T) {
	ctx := context.Background()
	db := mustOpen(t)
	m := mustModel(t, db)
	tab, _ := demo.Elec2()
	labeled := tab.Batch(0, 600, 0, 0)
	labeled.Label = tab.Label[0:600]
	if _, err := db.InsertBatch(ctx, ml.SystemActor, m, labeled, store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	if _, err := db.InsertBatch(ctx, ml.SystemActor, m, tab.Batch(600, 3000, 0, 0), store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	scored := func(lo, hi int) {
		t.Helper()
		scores := make([]float64, hi-lo)
		for i := range scores {
			scores[i] = float64(i%97) / 97
		}
		if _, err := db.InsertScored(ctx, ml.SystemActor, m, tab.Batch(lo, hi, 0, 0), scores, 3); err != nil {
			t.Fatal(err)
		}
	}
	scored(3000, 3100)
	lb := &ml.LabelBatch{Entity: []string{"0-5", "0-700", "0-3050"}, Label: []float64{1, 0, 1}, Line: []int{2, 3, 4}}
	if _, err := db.AttachLabels(ctx, ml.SystemActor, m, lb, store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	check := func() {
		t.Helper()
		all, err := db.Scan(ctx, m, store.ScanFilter{WithScores: true})
		if err != nil {
			t.Fatal(err)
		}
		for i, id := range all.ID {
			fr, err := db.Observation(ctx, m, id)
			if err != nil {
				t.Fatalf("observation %d: %v", id, err)
			}
			ok := fr.Len() == 1 && fr.ID[0] == id && fr.Time[0] == all.Time[i] && sameFloat(fr.Label[0], all.Label[i]) &&
				sameFloat(fr.Score[0], all.Score[i]) && fr.Version[0] == all.Version[i]
			for j := range all.X {
				ok = ok && sameFloat(fr.X[j][0], all.X[j][i])
			}
			if !ok {
				t.Fatalf("observation %d: %+v, scan has time %d label %v score %v version %d", id, fr, all.Time[i], all.Label[i], all.Score[i], all.Version[i])
			}
		}
		for _, id := range []int64{0, int64(all.Len()) + 1} {
			if _, err := db.Observation(ctx, m, id); ml.ErrorCode(err) != ml.ENOTFOUND {
				t.Fatalf("observation %d: %v", id, err)
			}
		}
	}
	check()
	scored(3100, 3150) // merged into the last chunk, which was read
	check()
}

// labelingBatch stores rows of the demo model and a query batch over
// them, with the given budget and overlap.
func labelingBatch(t *testing.T, db *store.DB, size, budget, overlap int) (*ml.Model, *ml.QueryBatch) {
	t.Helper()
	ctx := context.Background()
	m := mustModel(t, db)
	m.Config.Labeling = ml.LabelingConfig{Budget: budget, LeaseTTL: "1h"}
	if _, err := db.UpdateModelConfig(ctx, ml.SystemActor, m.Name, m.Config); err != nil {
		t.Fatal(err)
	}
	tab, _ := demo.Elec2()
	if _, err := db.InsertBatch(ctx, ml.SystemActor, m, tab.Batch(0, size, 0, 0), store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	m, _ = db.FindModelByName(ctx, m.Name)
	items := make([]ml.LabelItem, size)
	for i := range items {
		items[i] = ml.LabelItem{ObsID: int64(i + 1), Why: "test"}
	}
	b := &ml.QueryBatch{Strategy: "diversity", Overlap: overlap}
	if err := db.CreateBatch(ctx, ml.SystemActor, m, b, items); err != nil {
		t.Fatal(err)
	}
	return m, b
}

// TestLabelingConcurrentGuarantees: annotators leasing and labeling at
// once (their writes sharing transactions) never hold one item together,
// never label an item more than its overlap or twice, and never pass the
// budget.
func TestLabelingConcurrentGuarantees(t *testing.T) {
	for _, tc := range []struct{ size, budget, overlap int }{{300, 120, 1}, {60, 1000, 3}} {
		t.Run(fmt.Sprintf("overlap %d", tc.overlap), func(t *testing.T) {
			ctx := context.Background()
			db := mustOpen(t)
			m, b := labelingBatch(t, db, tc.size, tc.budget, tc.overlap)
			var (
				mu       sync.Mutex
				holder   = map[int64]string{}
				accepted int
				wg       sync.WaitGroup
			)
			// hold records that user received it, which nobody else may
			// hold (with one label per item, a labeled item is never
			// leased again, so holders are never released).
			hold := func(user string, it *ml.LabelItem) {
				mu.Lock()
				defer mu.Unlock()
				if h, ok := holder[it.ID]; ok && h != user && tc.overlap == 1 {
					t.Errorf("item %d leased to %s and %s", it.ID, h, user)
				}
				holder[it.ID] = user
			}
			for u := range 20 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					user := fmt.Sprintf("u%02d", u)
					it, _, err := db.NextItem(ctx, m, b.ID, user)
					for err == nil {
						hold(user, it)
						if again, _, err := db.NextItem(ctx, m, b.ID, user); err != nil || again.ID != it.ID {
							t.Errorf("%s holds %d, next gave %v (%v)", user, it.ID, again, err)
							return
						}
						// A label comes back with the next item, or why there
						// is none.
						var a *ml.Annotation
						var next *ml.LabelItem
						a, _, next, _, err = db.LabelAndNext(ctx, m, it.ID, user, float64(u%2))
						if a == nil {
							t.Errorf("%s labels %d: %v", user, it.ID, err)
							return
						}
						mu.Lock()
						accepted++
						mu.Unlock()
						if it = next; next == nil {
							it, _, err = db.NextItem(ctx, m, b.ID, user)
						}
					}
					if c := ml.ErrorCode(err); c != ml.ECONFLICT && c != ml.ENOTFOUND {
						t.Errorf("%s: %v", user, err)
					}
				}()
			}
			wg.Wait()
			bud, err := db.Budget(ctx, m)
			if err != nil || bud.Used != accepted || accepted > tc.budget {
				t.Fatalf("budget %d: %d used, %d accepted (%v)", tc.budget, bud.Used, accepted, err)
			}
			// With one label per item, annotators stop only when the budget
			// (smaller than the batch) is used.
			if tc.overlap == 1 && accepted != tc.budget {
				t.Fatalf("%d labels accepted, want %d", accepted, tc.budget)
			}
			items, ann, err := db.BatchItems(ctx, b.ID)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range items {
				users := map[string]bool{}
				for _, a := range ann[it.ID] {
					if users[a.User] {
						t.Fatalf("item %d labeled twice by %s", it.ID, a.User)
					}
					users[a.User] = true
				}
				if it.Given > it.Needed || it.Given != len(ann[it.ID]) {
					t.Fatalf("item %d: given %d, needed %d, %d annotations", it.ID, it.Given, it.Needed, len(ann[it.ID]))
				}
			}
		})
	}
}

// TestNextItemCanceled: a request that is gone leases nothing.
func TestNextItemCanceled(t *testing.T) {
	db := mustOpen(t)
	m, b := labelingBatch(t, db, 10, -1, 1)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := db.NextItem(ctx, m, b.ID, "ann"); !errors.Is(err, context.Canceled) {
		t.Fatalf("canceled next: %v", err)
	}
	items, _, _ := db.BatchItems(context.Background(), b.ID)
	for _, it := range items {
		if it.LeasedTo != "" {
			t.Fatalf("item %d leased to %s", it.ID, it.LeasedTo)
		}
	}
}
