package handlers

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/agree"
	"github.com/freshet/freshet/ml/sampling"
	"github.com/freshet/freshet/store"
	"github.com/freshet/freshet/web"
)

// DefaultPoolRows bounds the unlabeled rows a query batch chooses from.
const DefaultPoolRows = 20000

// batchRequest starts a query batch.
type batchRequest struct {
	Strategy string `json:"strategy"`
	Size     int    `json:"size"`
	Overlap  int    `json:"overlap"`
	Pool     int    `json:"pool"` // newest unlabeled rows to choose from
}

// startBatch scores the model's unlabeled pool with the champion and
// chooses the batch with the strategy.
func (s *Server) startBatch(r *http.Request, m *ml.Model, req batchRequest) (*ml.QueryBatch, error) {
	if req.Strategy == "" {
		req.Strategy = string(sampling.StrategyDiversity)
	}
	if req.Size < 1 || req.Size > 10000 {
		return nil, ml.Errorf(ml.EINVALID, "batch size %d: use 1 to 10,000 items", req.Size)
	}
	if req.Overlap < 1 || req.Overlap > 10 {
		req.Overlap = max(1, min(req.Overlap, 10))
	}
	if req.Pool <= 0 || req.Pool > 1_000_000 {
		req.Pool = DefaultPoolRows
	}
	pool, err := s.DB.UnlabeledPool(r.Context(), m, req.Pool)
	if err != nil {
		return nil, err
	}
	if pool.Len() == 0 {
		return nil, ml.Errorf(ml.ECONFLICT, "model %s has no unlabeled observations outside open batches", m.Name)
	}
	scorer, err := s.Serving.Champion(r.Context(), m)
	if err != nil {
		if ml.ErrorCode(err) == ml.ENOTFOUND {
			return nil, ml.Errorf(ml.ECONFLICT, "model %s has no champion to score the pool with: train one first", m.Name)
		}
		return nil, err
	}
	scores, err := scorer.Score(pool.X)
	if err != nil {
		return nil, err
	}
	classes := 0
	if m.Task == ml.TaskMulticlass {
		classes = len(m.Classes)
	}
	picks, err := sampling.Select(sampling.Strategy(req.Strategy), sampling.Pool{Scores: scores, Classes: classes, X: pool.X}, min(req.Size, pool.Len()),
		sampling.Options{Seed: uint64(time.Now().UnixNano())})
	if err != nil {
		return nil, err
	}
	k := max(scorer.Outputs(), 1)
	items := make([]ml.LabelItem, len(picks))
	for i, p := range picks {
		items[i] = ml.LabelItem{ObsID: pool.ID[p.Row], Uncertainty: p.Uncertainty, Why: p.Why, Score: scores[p.Row*k]}
		if k > 1 {
			best := 0.0
			for c := range k {
				best = math.Max(best, scores[p.Row*k+c])
			}
			items[i].Score = best
		}
	}
	b := &ml.QueryBatch{Strategy: req.Strategy, Overlap: req.Overlap, PoolRows: pool.Len()}
	if err := s.DB.CreateBatch(r.Context(), actorFrom(r), m, b, items); err != nil {
		return nil, err
	}
	return b, nil
}

// handleAPIStartBatch is POST /api/v1/models/{name}/batches.
func (s *Server) handleAPIStartBatch(w http.ResponseWriter, r *http.Request) error {
	m, err := s.modelFromURL(r)
	if err != nil {
		return err
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 64<<10))
	if err != nil {
		return err
	}
	var req batchRequest
	if err := decodeStrict(body, &req); err != nil {
		return err
	}
	b, err := s.startBatch(r, m, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, b)
	return nil
}

// handleAPIBatches is GET /api/v1/models/{name}/batches.
func (s *Server) handleAPIBatches(w http.ResponseWriter, r *http.Request) error {
	m, err := s.modelFromURL(r)
	if err != nil {
		return err
	}
	bs, err := s.DB.FindBatches(r.Context(), m.ID, 100)
	if err != nil {
		return err
	}
	bud, err := s.DB.Budget(r.Context(), m)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"model": m.Name, "batches": bs, "budget": map[string]any{"used": bud.Used, "limit": bud.Limit, "since": bud.Since}})
	return nil
}

// batchFromURL reads {id} and its model.
func (s *Server) batchFromURL(r *http.Request) (*ml.QueryBatch, *ml.Model, error) {
	id, err := idParam(r, "id")
	if err != nil {
		return nil, nil, err
	}
	b, err := s.DB.FindBatch(r.Context(), id)
	if err != nil {
		return nil, nil, err
	}
	m, err := s.DB.FindModelByID(r.Context(), b.ModelID)
	return b, m, err
}

// labeler names who labels: the person, or the token.
func labeler(r *http.Request) string { return actorFrom(r).String() }

// itemView is an item as the labeling page and API show it.
type itemView struct {
	Item     *ml.LabelItem   `json:"item"`
	Features []web.ItemField `json:"features"`
	Classes  []string        `json:"classes"`
	Budget   map[string]any  `json:"budget"`
	Batch    *ml.QueryBatch  `json:"batch"`
}

func (s *Server) itemView(r *http.Request, m *ml.Model, b *ml.QueryBatch, it *ml.LabelItem, bud store.LabelBudget) (*itemView, error) {
	fr, err := s.DB.Observation(r.Context(), m, it.ObsID)
	if err != nil {
		return nil, err
	}
	cats, err := s.DB.FindCategories(r.Context(), m)
	if err != nil {
		return nil, err
	}
	ref := s.referenceRanges(r, m)
	v := &itemView{Item: it, Batch: b, Classes: classNames(m),
		Budget: map[string]any{"used": bud.Used, "limit": bud.Limit, "left": bud.Left()}}
	for j, f := range m.Features {
		x := fr.X[j][0]
		fv := web.ItemField{Name: f.Name}
		switch {
		case math.IsNaN(x):
			fv.Value = "(missing)"
		case f.Type == ml.Categorical:
			fv.Value = categoryText(cats, j, x)
		default:
			fv.Value = web.Num(x)
		}
		if rg, ok := ref[f.Name]; ok {
			fv.Range = rg
		}
		v.Features = append(v.Features, fv)
	}
	return v, nil
}

func categoryText(cats [][]string, j int, code float64) string {
	k := int(code)
	if j < len(cats) && k >= 0 && k < len(cats[j]) {
		return cats[j][k]
	}
	return fmt.Sprintf("code %g", code)
}

func classNames(m *ml.Model) []string {
	switch m.Task {
	case ml.TaskMulticlass:
		return m.Classes
	case ml.TaskBinary:
		return []string{"0", "1"}
	}
	return nil
}

// referenceRanges are each numeric feature's 5th–95th percentile range in
// the champion's monitoring reference, for the labeling page.
func (s *Server) referenceRanges(r *http.Request, m *ml.Model) map[string]string {
	out := map[string]string{}
	refID, ok, err := s.DB.LatestRefID(r.Context(), m.ID)
	if err != nil || !ok {
		return out
	}
	// Once per reference: annotators who start together must not each
	// load it (50 at once took most of the first requests' time).
	v, _ := s.ranges.LoadOrStore(refID, &refRanges{})
	e := v.(*refRanges)
	e.once.Do(func() { e.ranges = s.loadRanges(r, m) })
	if e.ranges == nil {
		s.ranges.CompareAndDelete(refID, e) // failed: tried again next time
		return out
	}
	return e.ranges
}

// refRanges are one reference's ranges, computed once.
type refRanges struct {
	once   sync.Once
	ranges map[string]string
}

// loadRanges reads the ranges of the model's newest reference (nil when
// it cannot).
func (s *Server) loadRanges(r *http.Request, m *ml.Model) map[string]string {
	h, err := s.monitor.Health(context.WithoutCancel(r.Context()), m, 1)
	if err != nil || h.Reference == nil || len(h.RefOf) == 0 {
		return nil
	}
	ref := h.Refs[h.RefOf[len(h.RefOf)-1]]
	if ref == nil {
		return nil
	}
	out := map[string]string{}
	for _, f := range ref.Features {
		if f.Categorical || len(f.Sample) == 0 {
			continue
		}
		xs := append([]float64(nil), f.Sample...)
		sort.Float64s(xs)
		out[f.Name] = web.Num(xs[len(xs)*5/100]) + " – " + web.Num(xs[len(xs)*95/100])
	}
	return out
}

// handleAPINextItem is POST /api/v1/batches/{id}/next: lease the next
// item (or the one already held).
func (s *Server) handleAPINextItem(w http.ResponseWriter, r *http.Request) error {
	b, m, err := s.batchFromURL(r)
	if err != nil {
		return err
	}
	v, err := s.nextItem(r, m, b)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, v)
	return nil
}

// nextItem leases the next item; b, read earlier in this request, is
// shown as it is (a lease does not change the batch's counts).
func (s *Server) nextItem(r *http.Request, m *ml.Model, b *ml.QueryBatch) (*itemView, error) {
	it, bud, err := s.DB.NextItem(r.Context(), m, b.ID, labeler(r))
	if err != nil {
		return nil, err
	}
	return s.itemView(r, m, b, it, bud)
}

// handleAPILabelItem is POST /api/v1/items/{id}/label {"label": 1}: the
// response carries the next item, so labeling never waits.
func (s *Server) handleAPILabelItem(w http.ResponseWriter, r *http.Request) error {
	it, m, b, y, err := s.labelRequest(w, r)
	if err != nil {
		return err
	}
	a, it, next, bud, nerr := s.DB.LabelAndNext(r.Context(), m, it.ID, labeler(r), y)
	if a == nil {
		return nerr
	}
	s.Metrics.Labels.WithLabelValues(m.Name).Inc()
	out := map[string]any{"annotation": a, "item": it}
	if next != nil {
		b, err = s.DB.FindBatch(r.Context(), b.ID)
		if err != nil {
			return err
		}
		v, err := s.itemView(r, m, b, next, bud)
		if err != nil {
			return err
		}
		out["next"] = v
	} else if nerr != nil {
		out["next_error"] = ml.ErrorMessage(nerr)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// labelRequest reads {"label": 1} or {"class": "..."} for the item the
// URL names.
func (s *Server) labelRequest(w http.ResponseWriter, r *http.Request) (*ml.LabelItem, *ml.Model, *ml.QueryBatch, float64, error) {
	var body struct {
		Label *float64 `json:"label"`
		Class string   `json:"class"`
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, 4<<10))
	if err != nil {
		return nil, nil, nil, 0, err
	}
	if err := decodeStrict(raw, &body); err != nil {
		return nil, nil, nil, 0, err
	}
	it, m, b, err := s.itemFromURL(r)
	if err != nil {
		return nil, nil, nil, 0, err
	}
	y, err := labelValue(m, body.Label, body.Class)
	return it, m, b, y, err
}

func labelValue(m *ml.Model, y *float64, class string) (float64, error) {
	if class != "" {
		for i, c := range classNames(m) {
			if c == class {
				return float64(i), nil
			}
		}
		return 0, ml.Errorf(ml.EINVALID, "class %q: use one of %s", class, strings.Join(classNames(m), ", "))
	}
	if y == nil {
		return 0, ml.Errorf(ml.EINVALID, `give "label" (a number) or "class"`)
	}
	return *y, nil
}

func (s *Server) itemFromURL(r *http.Request) (*ml.LabelItem, *ml.Model, *ml.QueryBatch, error) {
	id, err := idParam(r, "id")
	if err != nil {
		return nil, nil, nil, err
	}
	var batchID int64
	if err := s.DB.Read.QueryRowContext(r.Context(), `SELECT batch_id FROM label_items WHERE id = ?`, id).Scan(&batchID); err != nil {
		return nil, nil, nil, ml.Errorf(ml.ENOTFOUND, "item %d not found", id)
	}
	b, err := s.DB.FindBatch(r.Context(), batchID)
	if err != nil {
		return nil, nil, nil, err
	}
	m, err := s.DB.FindModelByID(r.Context(), b.ModelID)
	if err != nil {
		return nil, nil, nil, err
	}
	return &ml.LabelItem{ID: id, BatchID: batchID}, m, b, nil
}

// handleAPISkipItem is POST /api/v1/items/{id}/skip; the next item comes
// back.
func (s *Server) handleAPISkipItem(w http.ResponseWriter, r *http.Request) error {
	it, m, b, err := s.itemFromURL(r)
	if err != nil {
		return err
	}
	if err := s.DB.Skip(r.Context(), m, it.ID, labeler(r)); err != nil {
		return err
	}
	out := map[string]any{"skipped": it.ID}
	if next, err := s.nextItem(r, m, b); err == nil {
		out["next"] = next
	} else {
		out["next_error"] = ml.ErrorMessage(err)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// handleAPIUndo is POST /api/v1/batches/{id}/undo: take back your last
// label in the batch; that item comes back to you.
func (s *Server) handleAPIUndo(w http.ResponseWriter, r *http.Request) error {
	b, m, err := s.batchFromURL(r)
	if err != nil {
		return err
	}
	a, it, err := s.DB.Undo(r.Context(), m, b.ID, labeler(r))
	if err != nil {
		return err
	}
	bud, err := s.DB.Budget(r.Context(), m)
	if err != nil {
		return err
	}
	b, _ = s.DB.FindBatch(r.Context(), b.ID)
	v, err := s.itemView(r, m, b, it, bud)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"undone": a, "next": v})
	return nil
}

// batchStats is the lead's view of a batch.
type batchStats struct {
	Annotators    []web.AnnotatorRow `json:"annotators"`
	Kappa         float64            `json:"kappa"`
	KappaKind     string             `json:"kappa_kind"`
	Disagreements []web.Disagreement `json:"disagreements"`
}

func (s *Server) batchStats(r *http.Request, b *ml.QueryBatch) (*batchStats, error) {
	items, ann, err := s.DB.BatchItems(r.Context(), b.ID)
	if err != nil {
		return nil, err
	}
	per := map[string]*web.AnnotatorRow{}
	var first, last = map[string]time.Time{}, map[string]time.Time{}
	for _, as := range ann {
		for _, a := range as {
			row := per[a.User]
			if row == nil {
				row = &web.AnnotatorRow{User: a.User}
				per[a.User] = row
				first[a.User], last[a.User] = a.At, a.At
			}
			row.Labels++
			if a.At.Before(first[a.User]) {
				first[a.User] = a.At
			}
			if a.At.After(last[a.User]) {
				last[a.User] = a.At
			}
		}
	}
	st := &batchStats{Kappa: math.NaN()}
	for u, row := range per {
		if span := last[u].Sub(first[u]).Minutes(); span > 0 && row.Labels > 1 {
			row.PerMinute = float64(row.Labels-1) / span
		}
		st.Annotators = append(st.Annotators, *row)
	}
	sort.Slice(st.Annotators, func(a, c int) bool { return st.Annotators[a].Labels > st.Annotators[c].Labels })
	// Agreement over items with all their labels.
	var pairA, pairB []float64
	var counts [][]int
	for _, it := range items {
		as := ann[it.ID]
		if len(as) < 2 || len(as) < it.Needed {
			continue
		}
		if it.Needed == 2 {
			pairA, pairB = append(pairA, as[0].Label), append(pairB, as[1].Label)
		}
		row := make([]int, 16)
		for _, a := range as {
			if k := int(a.Label); k >= 0 && k < len(row) {
				row[k]++
			}
		}
		counts = append(counts, row)
		if it.Final == nil {
			d := web.Disagreement{ItemID: it.ID, ObsID: it.ObsID}
			for _, a := range as {
				d.Labels = append(d.Labels, fmt.Sprintf("%s: %g", a.User, a.Label))
			}
			st.Disagreements = append(st.Disagreements, d)
		}
	}
	switch {
	case b.Overlap == 2 && len(pairA) > 0:
		st.Kappa, st.KappaKind = agree.Cohen(pairA, pairB), "Cohen's kappa"
	case b.Overlap > 2 && len(counts) > 0:
		st.Kappa, st.KappaKind = agree.Fleiss(counts), "Fleiss' kappa"
	}
	return st, nil
}

// handleAPIBatch is GET /api/v1/batches/{id}: progress and the lead's
// numbers.
func (s *Server) handleAPIBatch(w http.ResponseWriter, r *http.Request) error {
	b, m, err := s.batchFromURL(r)
	if err != nil {
		return err
	}
	st, err := s.batchStats(r, b)
	if err != nil {
		return err
	}
	bud, err := s.DB.Budget(r.Context(), m)
	if err != nil {
		return err
	}
	kappa := any(st.Kappa)
	if math.IsNaN(st.Kappa) {
		kappa = nil
	}
	writeJSON(w, http.StatusOK, map[string]any{"batch": b, "annotators": st.Annotators, "kappa": kappa, "kappa_kind": st.KappaKind,
		"disagreements": st.Disagreements, "budget": map[string]any{"used": bud.Used, "limit": bud.Limit}})
	return nil
}

// handleAPISettle is POST /api/v1/items/{id}/settle {"label": 1}: a
// lead's final label for a tied item.
func (s *Server) handleAPISettle(w http.ResponseWriter, r *http.Request) error {
	it, m, _, y, err := s.labelRequest(w, r)
	if err != nil {
		return err
	}
	if err := s.DB.Settle(r.Context(), actorFrom(r), m, it.ID, y); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"item": it.ID, "final": y})
	return nil
}

func (s *Server) labelingView(r *http.Request, f *web.Flash) (web.LabelingView, error) {
	v := web.LabelingView{Nav: navFor(r, "labeling", "Labeling"), Flash: f, Budgets: map[int64]web.BudgetRow{}}
	var err error
	if v.Batches, err = s.DB.FindBatches(r.Context(), 0, 100); err != nil {
		return v, err
	}
	if v.Models, err = s.DB.FindModels(r.Context()); err != nil {
		return v, err
	}
	for _, m := range v.Models {
		bud, err := s.DB.Budget(r.Context(), m)
		if err != nil {
			return v, err
		}
		v.Budgets[m.ID] = web.BudgetRow{Used: bud.Used, Limit: bud.Limit, Period: m.Config.Labeling.WithDefaults().Period}
	}
	return v, nil
}

func (s *Server) handleLabeling(w http.ResponseWriter, r *http.Request) error {
	v, err := s.labelingView(r, nil)
	if err != nil {
		return err
	}
	render(w, r, http.StatusOK, web.LabelingPage(v))
	return nil
}

// handleStartBatchForm is the lead's "Start batch".
func (s *Server) handleStartBatchForm(w http.ResponseWriter, r *http.Request) error {
	m, err := s.DB.FindModelByName(r.Context(), r.PostFormValue("model"))
	if err != nil {
		return err
	}
	req := batchRequest{Strategy: r.PostFormValue("strategy"), Size: atoiOr(r.PostFormValue("size"), 0), Overlap: atoiOr(r.PostFormValue("overlap"), 1),
		Pool: atoiOr(r.PostFormValue("pool"), DefaultPoolRows)}
	b, err := s.startBatch(r, m, req)
	if err != nil {
		if code := ml.ErrorCode(err); code == ml.EINVALID || code == ml.ECONFLICT {
			v, verr := s.labelingView(r, &web.Flash{Kind: "bad", Text: ml.ErrorMessage(err)})
			if verr != nil {
				return verr
			}
			render(w, r, statusOf(code), web.LabelingPage(v))
			return nil
		}
		return err
	}
	redirect(w, r, fmt.Sprintf("/labeling/batches/%d/lead", b.ID))
	return nil
}

func (s *Server) handleLabelBatchPage(w http.ResponseWriter, r *http.Request) error {
	b, m, err := s.batchFromURL(r)
	if err != nil {
		return err
	}
	bud, err := s.DB.Budget(r.Context(), m)
	if err != nil {
		return err
	}
	render(w, r, http.StatusOK, web.LabelBatchPage(web.BatchPage{Nav: navFor(r, "labeling", fmt.Sprintf("Batch %d", b.ID)), Batch: b, Classes: classNames(m),
		Budget: web.BudgetRow{Used: bud.Used, Limit: bud.Limit, Period: m.Config.Labeling.WithDefaults().Period}}))
	return nil
}

func (s *Server) handleLeadBatchPage(w http.ResponseWriter, r *http.Request) error {
	b, m, err := s.batchFromURL(r)
	if err != nil {
		return err
	}
	st, err := s.batchStats(r, b)
	if err != nil {
		return err
	}
	bud, err := s.DB.Budget(r.Context(), m)
	if err != nil {
		return err
	}
	curve, err := s.labelsCurve(r, m)
	if err != nil {
		return err
	}
	render(w, r, http.StatusOK, web.LeadBatchPage(web.LeadView{Nav: navFor(r, "labeling", fmt.Sprintf("Batch %d · lead", b.ID)), Batch: b,
		Budget:     web.BudgetRow{Used: bud.Used, Limit: bud.Limit, Period: m.Config.Labeling.WithDefaults().Period},
		Annotators: st.Annotators, Kappa: st.Kappa, KappaKind: st.KappaKind, Disagreements: st.Disagreements, Classes: classNames(m),
		Curve: curve, Metric: m.Metric}))
	return nil
}

// labelsCurve pairs each version's holdout metric with the annotator
// labels that existed when it was made.
func (s *Server) labelsCurve(r *http.Request, m *ml.Model) (string, error) {
	vs, err := s.DB.FindVersions(r.Context(), m.ID, 200)
	if err != nil {
		return "", err
	}
	type pt struct {
		Labels int     `json:"labels"`
		Metric float64 `json:"metric"`
	}
	// When every label was given, once; each version counts those before it.
	rows, err := s.DB.Read.QueryContext(r.Context(), `SELECT at FROM annotations WHERE model_id = ? AND undone = 0 ORDER BY at`, m.ID)
	if err != nil {
		return "", err
	}
	var at []int64
	for rows.Next() {
		var t int64
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return "", err
		}
		at = append(at, t)
	}
	rows.Close()
	var pts []pt
	for i := len(vs) - 1; i >= 0; i-- {
		v := vs[i]
		x, ok := v.Metrics[m.Metric]
		if !ok || math.IsNaN(x) {
			continue
		}
		n, _ := slices.BinarySearch(at, v.CreatedAt.UnixMilli()+1)
		pts = append(pts, pt{n, x})
	}
	b, _ := json.Marshal(pts)
	if pts == nil {
		b = []byte("[]")
	}
	return string(b), nil
}

// handleSettleForm is the lead view's settle buttons.
func (s *Server) handleSettleForm(w http.ResponseWriter, r *http.Request) error {
	it, m, b, err := s.itemFromURL(r)
	if err != nil {
		return err
	}
	y, err := labelValue(m, ptr(float64(atoiOr(r.PostFormValue("label"), 0))), "")
	if err != nil {
		return err
	}
	if r.PostFormValue("label") == "0" {
		y = 0
	}
	if err := s.DB.Settle(r.Context(), actorFrom(r), m, it.ID, y); err != nil {
		return err
	}
	redirect(w, r, fmt.Sprintf("/labeling/batches/%d/lead", b.ID))
	return nil
}

func ptr[T any](x T) *T { return &x }

// labelingTurns serves the annotators' requests (POST /api/v1/batches/…
// and /api/v1/items/…) one per core at a time, first come, first served;
// the others wait their turn. Each is a millisecond or two of CPU, mostly
// SQLite's (the session lookup included, so this comes before
// authentication), and their leases and labels take turns on the one
// writer. With 50 annotators starting at once, Go time-sliced all 50, so
// each took as long as all of them, and the writer got a 50th of the CPU.
// In turns, the first answer comes at once and the last no later. (Two
// per core left the p99 of TestLabelingConcurrency at 33–57 ms over three
// runs, one per core at 34–46 ms.)
func (s *Server) labelingTurns() func(http.Handler) http.Handler {
	turns := make(chan struct{}, runtime.GOMAXPROCS(0))
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p := r.URL.Path
			if r.Method != http.MethodPost || !strings.HasPrefix(p, "/api/v1/batches/") && !strings.HasPrefix(p, "/api/v1/items/") {
				next.ServeHTTP(w, r)
				return
			}
			select {
			case turns <- struct{}{}:
			case <-r.Context().Done():
				return // the client went away while it waited
			}
			defer func() { <-turns }()
			next.ServeHTTP(w, r)
		})
	}
}

// requireLabeler lets people (any role, by session) and tools (a token
// with the ingest scope) label.
func (s *Server) requireLabeler(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := principalFrom(r.Context())
		switch {
		case p != nil && p.User != nil:
		case p != nil && p.Token != nil && p.Token.HasScope(ml.ScopeIngest):
		case p == nil || (p.User == nil && p.Token == nil):
			s.writeAPIError(w, r, ml.Errorf(ml.EUNAUTHORIZED, "authentication required: a session or a bearer token"))
			return
		default:
			s.DB.Audit(r.Context(), p.actor(), "access.denied", r.Method+" "+r.URL.Path, "labeling needs a person or the ingest scope")
			s.writeAPIError(w, r, ml.Errorf(ml.EFORBIDDEN, "labeling needs a person's session or the %q scope", ml.ScopeIngest))
			return
		}
		next.ServeHTTP(w, r)
	})
}
