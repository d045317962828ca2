package handlers_test

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/web"
)

// TestJobPageHoldout: the job page names the holdout by its size and its
// first row in time order (an id range would be wrong when rows came out
// of order), and says when a version recorded none.
func TestJobPageHoldout(t *testing.T) {
	page := func(d ml.DataVersion) string {
		t.Helper()
		var buf bytes.Buffer
		j := &ml.Job{ID: 4, Model: "elec2", State: ml.JobSucceeded, Data: d}
		if err := web.JobPage(web.JobView{Row: web.TrainJobRow{Job: j}}).Render(context.Background(), &buf); err != nil {
			t.Fatal(err)
		}
		_, cell, _ := strings.Cut(buf.String(), `data-testid="job-holdout"`)
		cell, _, _ = strings.Cut(cell, "</td>")
		return cell
	}
	got := page(ml.DataVersion{FromID: 1, ToID: 3001, Rows: 2700, HoldoutFromID: 1451, HoldoutToID: 3000, HoldoutRows: 300})
	for _, s := range []string{`<span class="mono">300</span> held-out rows, from row <span class="mono">1,451</span> in time order`, "ids up to 3,000"} {
		if !strings.Contains(got, s) {
			t.Errorf("holdout cell lacks %q: %s", s, got)
		}
	}
	if strings.Contains(got, "–") {
		t.Errorf("holdout shown as an id range: %s", got)
	}
	if got := page(ml.DataVersion{FromID: 1, ToID: 600, Rows: 600}); !strings.Contains(got, "none recorded") || !strings.Contains(got, "rows labeled after its data") {
		t.Errorf("no holdout: %s", got)
	}
}
