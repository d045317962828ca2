package store

import (
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/freshet/freshet/ml"
)

// Observation sources.
const (
	SourceIngest    = "ingest"
	SourceUpload    = "upload"
	SourceDemo      = "demo"
	SourcePredict   = "predict"
	SourceAnnotator = "annotator"
)

// Frame is a scan result in columns: one entry per observation.
// Categorical features hold their dictionary code (see FindCategories).
type Frame struct {
	ID    []int64
	Time  []int64 // unix ms
	X     [][]float64
	Label []float64 // NaN = unlabeled
	// Score and Version are filled when the scan asked for them.
	Score   []float64
	Version []int64
}

// Len is the number of rows.
func (f *Frame) Len() int { return len(f.Time) }

func newFrame(nfeat, capacity int) *Frame {
	f := &Frame{X: make([][]float64, nfeat)}
	if capacity > 0 {
		f.ID = make([]int64, 0, capacity)
		f.Time = make([]int64, 0, capacity)
		f.Label = make([]float64, 0, capacity)
		for j := range f.X {
			f.X[j] = make([]float64, 0, capacity)
		}
	}
	return f
}

// IngestResult says what an ingest stored.
type IngestResult struct {
	Accepted int   `json:"accepted"`
	Labeled  int   `json:"labeled"`
	FirstID  int64 `json:"first_id"`
	LastID   int64 `json:"last_id"`
}

// InsertBatch stores a validated batch for model m in one transaction:
// the chunk(s), entity ids, category codes, counts and an audit entry. A
// duplicate of an entity id already stored rejects the whole batch with
// the line of the row. source is one of the Source* constants.
func (db *DB) InsertBatch(ctx context.Context, actor ml.Actor, m *ml.Model, b *ml.Batch, source string) (IngestResult, error) {
	return db.insertBatch(ctx, actor, m, b, source, nil, nil)
}

// InsertScored is InsertBatch for observations that carry a logged
// prediction (score and model version) each.
func (db *DB) InsertScored(ctx context.Context, actor ml.Actor, m *ml.Model, b *ml.Batch, scores []float64, version int64) (IngestResult, error) {
	vs := make([]int64, b.N)
	for i := range vs {
		vs[i] = version
	}
	return db.insertBatch(ctx, actor, m, b, SourcePredict, scores, vs)
}

func (db *DB) insertBatch(ctx context.Context, actor ml.Actor, m *ml.Model, b *ml.Batch, source string, scores []float64, versions []int64) (IngestResult, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return IngestResult{}, err
	}
	defer tx.Rollback()
	res, err := db.insertBatchTx(ctx, tx, actor, m, b, source, scores, versions)
	if err != nil {
		return IngestResult{}, err
	}
	if err := tx.Commit(); err != nil {
		return IngestResult{}, fmt.Errorf("store: insert batch: %w", err)
	}
	return res, nil
}

// CreateModelWithBatch creates a model and stores its first observations
// in one transaction: either both happen or neither.
func (db *DB) CreateModelWithBatch(ctx context.Context, actor ml.Actor, m *ml.Model, b *ml.Batch, source string) (IngestResult, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return IngestResult{}, err
	}
	defer tx.Rollback()
	if err := db.createModelTx(ctx, tx, actor, m); err != nil {
		return IngestResult{}, err
	}
	res, err := db.insertBatchTx(ctx, tx, actor, m, b, source, nil, nil)
	if err != nil {
		return IngestResult{}, err
	}
	return res, tx.Commit()
}

func (db *DB) insertBatchTx(ctx context.Context, tx *sql.Tx, actor ml.Actor, m *ml.Model, b *ml.Batch, source string, scores []float64, versions []int64) (IngestResult, error) {
	var res IngestResult
	if b.N == 0 {
		return res, ml.InputErrorf(0, 0, "", "no rows")
	}
	if len(b.Num) != len(m.Features) || len(b.Cat) != len(m.Features) {
		return res, fmt.Errorf("store: batch width %d does not match model %s", len(b.Num), m.Name)
	}
	// Re-read the next id inside the transaction.
	var nextID int64
	if err := tx.QueryRowContext(ctx, `SELECT next_obs_id FROM models WHERE id = ?`, m.ID).Scan(&nextID); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return res, ml.Errorf(ml.ENOTFOUND, "model %q not found", m.Name)
		}
		return res, fmt.Errorf("store: insert batch: %w", err)
	}

	c := &chunk{n: b.N, time: b.Time, x: make([][]float64, len(m.Features)), isCat: make([]bool, len(m.Features))}
	for j, f := range m.Features {
		if f.Type == ml.Categorical {
			c.isCat[j] = true
			codes, err := db.encodeCategories(ctx, tx, m.ID, j, b.Cat[j])
			if err != nil {
				return res, err
			}
			c.x[j] = codes
		} else {
			c.x[j] = b.Num[j]
		}
	}
	labeled := 0
	if b.Label != nil {
		labeled = countLabels(b.Label)
		if labeled > 0 {
			c.label = b.Label
		}
	}
	if scores != nil {
		c.score, c.version = scores, versions
	}
	if b.Entity != nil {
		if err := db.insertEntities(ctx, tx, m.ID, nextID, b); err != nil {
			return res, err
		}
	}
	if err := db.writeChunks(ctx, tx, m, c, nextID, source); err != nil {
		return res, err
	}
	if err := db.addHourly(ctx, tx, m.ID, b.Time, b.Label); err != nil {
		return res, err
	}
	tmin, tmax := minMax(b.Time)
	if _, err := tx.ExecContext(ctx, `UPDATE models SET next_obs_id = next_obs_id + ?, n_obs = n_obs + ?, n_labeled = n_labeled + ?,
		first_ts = MIN(COALESCE(first_ts, ?), ?), last_ts = MAX(COALESCE(last_ts, ?), ?), last_ingest_at = ? WHERE id = ?`,
		b.N, b.N, labeled, tmin, tmin, tmax, tmax, db.now(), m.ID); err != nil {
		return res, fmt.Errorf("store: insert batch: %w", err)
	}
	if source != SourceDemo && source != SourcePredict {
		if err := db.audit(ctx, tx, actor, "observations.ingest", "model:"+m.Name,
			fmt.Sprintf("%d rows (%d labeled) via %s", b.N, labeled, source)); err != nil {
			return res, err
		}
	}
	return IngestResult{Accepted: b.N, Labeled: labeled, FirstID: nextID, LastID: nextID + int64(b.N) - 1}, nil
}

// writeChunks stores c as observations nextID.. of m: merged into the
// model's last chunk when both are small, else split into chunks of at
// most maxChunkRows.
func (db *DB) writeChunks(ctx context.Context, tx *sql.Tx, m *ml.Model, c *chunk, nextID int64, source string) error {
	now := db.now()
	if c.n < appendLimit {
		var id, firstID int64
		var n int
		var blob []byte
		var src string
		err := tx.QueryRowContext(ctx, `SELECT id, first_id, n, source, data FROM obs_chunks WHERE model_id = ? ORDER BY first_id DESC LIMIT 1`, m.ID).
			Scan(&id, &firstID, &n, &src, &blob)
		switch {
		case errors.Is(err, sql.ErrNoRows):
		case err != nil:
			return fmt.Errorf("store: last chunk: %w", err)
		case src == source && n+c.n <= appendLimit && firstID+int64(n) == nextID:
			old, err := toChunk(blob, n, c.isCat)
			if err != nil {
				return err
			}
			merged := concatChunks(old, c)
			tmin, tmax := minMax(merged.time)
			if _, err := tx.ExecContext(ctx, `UPDATE obs_chunks SET n = ?, t_min = ?, t_max = ?, n_labeled = ?, data = ? WHERE id = ?`,
				merged.n, tmin, tmax, countLabels(merged.label), merged.encode(), id); err != nil {
				return fmt.Errorf("store: append chunk: %w", err)
			}
			return nil
		}
	}
	for lo := 0; lo < c.n; lo += maxChunkRows {
		hi := min(lo+maxChunkRows, c.n)
		part := c.slice(lo, hi)
		tmin, tmax := minMax(part.time)
		if _, err := tx.ExecContext(ctx, `INSERT INTO obs_chunks (model_id, first_id, n, t_min, t_max, n_labeled, source, created_at, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.ID, nextID+int64(lo), part.n, tmin, tmax, countLabels(part.label), source, now, part.encode()); err != nil {
			return fmt.Errorf("store: insert chunk: %w", err)
		}
	}
	return nil
}

func (c *chunk) slice(lo, hi int) *chunk {
	p := &chunk{n: hi - lo, time: c.time[lo:hi], x: make([][]float64, len(c.x)), isCat: c.isCat}
	for j := range c.x {
		p.x[j] = c.x[j][lo:hi]
	}
	if c.label != nil {
		p.label = c.label[lo:hi]
		if countLabels(p.label) == 0 {
			p.label = nil
		}
	}
	if c.score != nil {
		p.score, p.version = c.score[lo:hi], c.version[lo:hi]
	}
	return p
}

func concatChunks(a, b *chunk) *chunk {
	n := a.n + b.n
	c := &chunk{n: n, time: append(append(make([]int64, 0, n), a.time...), b.time...), x: make([][]float64, len(a.x)), isCat: a.isCat}
	for j := range a.x {
		c.x[j] = append(append(make([]float64, 0, n), a.x[j]...), b.x[j]...)
	}
	col := func(x, y []float64, na, nb int) []float64 {
		if x == nil && y == nil {
			return nil
		}
		out := make([]float64, 0, n)
		out = appendOrNaN(out, x, na)
		return appendOrNaN(out, y, nb)
	}
	c.label = col(a.label, b.label, a.n, b.n)
	c.score = col(a.score, b.score, a.n, b.n)
	if c.score != nil {
		c.version = make([]int64, 0, n)
		c.version = append(c.version, orZeros(a.version, a.n)...)
		c.version = append(c.version, orZeros(b.version, b.n)...)
	}
	return c
}

func appendOrNaN(dst, src []float64, n int) []float64 {
	if src != nil {
		return append(dst, src[:n]...)
	}
	for range n {
		dst = append(dst, math.NaN())
	}
	return dst
}

func orZeros(v []int64, n int) []int64 {
	if v != nil {
		return v[:n]
	}
	return make([]int64, n)
}

func countLabels(v []float64) int {
	n := 0
	for _, x := range v {
		if !math.IsNaN(x) {
			n++
		}
	}
	return n
}

func minMax(v []int64) (lo, hi int64) {
	lo, hi = math.MaxInt64, math.MinInt64
	for _, x := range v {
		lo, hi = min(lo, x), max(hi, x)
	}
	return lo, hi
}

// encodeCategories maps values to the model's dense codes, adding new
// values (the parser already enforced unknown=reject).
func (db *DB) encodeCategories(ctx context.Context, tx *sql.Tx, modelID int64, feature int, vals []string) ([]float64, error) {
	codes := make(map[string]float64)
	out := make([]float64, len(vals))
	var next int64 = -1
	for i, v := range vals {
		if v == "" {
			out[i] = math.NaN()
			continue
		}
		if c, ok := codes[v]; ok {
			out[i] = c
			continue
		}
		var code int64
		err := tx.QueryRowContext(ctx, `SELECT code FROM categories WHERE model_id = ? AND feature = ? AND value = ?`, modelID, feature, v).Scan(&code)
		if errors.Is(err, sql.ErrNoRows) {
			if next < 0 {
				if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(code), -1) + 1 FROM categories WHERE model_id = ? AND feature = ?`, modelID, feature).Scan(&next); err != nil {
					return nil, fmt.Errorf("store: categories: %w", err)
				}
			}
			code = next
			next++
			if _, err := tx.ExecContext(ctx, `INSERT INTO categories (model_id, feature, code, value) VALUES (?, ?, ?, ?)`, modelID, feature, code, v); err != nil {
				return nil, fmt.Errorf("store: categories: %w", err)
			}
		} else if err != nil {
			return nil, fmt.Errorf("store: categories: %w", err)
		}
		codes[v] = float64(code)
		out[i] = float64(code)
	}
	return out, nil
}

func (db *DB) insertEntities(ctx context.Context, tx *sql.Tx, modelID, nextID int64, b *ml.Batch) error {
	stmt, err := tx.PrepareContext(ctx, `INSERT INTO entities (model_id, entity, obs_id, ts, labeled) VALUES (?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("store: entities: %w", err)
	}
	defer stmt.Close()
	for i, e := range b.Entity {
		if e == "" {
			continue
		}
		labeled := 0
		if b.Label != nil && !math.IsNaN(b.Label[i]) {
			labeled = 1
		}
		if _, err := stmt.ExecContext(ctx, modelID, e, nextID+int64(i), b.Time[i], labeled); err != nil {
			if ml.ErrorCode(formatError(err)) == ml.ECONFLICT {
				line := 0
				if i < len(b.Line) {
					line = b.Line[i]
				}
				return ml.InputErrorf(line, 0, "entity", "entity id %q is already stored for this model", e)
			}
			return fmt.Errorf("store: entities: %w", err)
		}
	}
	return nil
}

func hourOf(ms int64) int64 { return ms - ((ms%3600000)+3600000)%3600000 }

func (db *DB) addHourly(ctx context.Context, tx *sql.Tx, modelID int64, times []int64, labels []float64) error {
	type cnt struct{ n, l int }
	agg := map[int64]*cnt{}
	for i, t := range times {
		h := hourOf(t)
		c := agg[h]
		if c == nil {
			c = &cnt{}
			agg[h] = c
		}
		c.n++
		if labels != nil && !math.IsNaN(labels[i]) {
			c.l++
		}
	}
	// Upsert in multi-row statements: a backfill spans thousands of hours,
	// and one statement per hour costs a cgo round trip each.
	hours := make([]int64, 0, len(agg))
	for h := range agg {
		hours = append(hours, h)
	}
	slices.Sort(hours)
	const perStmt = 500
	args := make([]any, 0, 4*perStmt)
	for lo := 0; lo < len(hours); lo += perStmt {
		part := hours[lo:min(lo+perStmt, len(hours))]
		args = args[:0]
		for _, h := range part {
			args = append(args, modelID, h, agg[h].n, agg[h].l)
		}
		q := `INSERT INTO obs_hourly (model_id, hour, n, labeled) VALUES ` + strings.Repeat("(?, ?, ?, ?), ", len(part)-1) + `(?, ?, ?, ?)
			ON CONFLICT (model_id, hour) DO UPDATE SET n = n + excluded.n, labeled = labeled + excluded.labeled`
		if _, err := tx.ExecContext(ctx, q, args...); err != nil {
			return fmt.Errorf("store: hourly: %w", err)
		}
	}
	return nil
}

// LabelResult says what AttachLabels changed.
type LabelResult struct {
	Updated int `json:"updated"`
	New     int `json:"new"` // observations that had no label before
}

// AttachLabels sets late labels by entity id, all or nothing: an unknown
// entity rejects the whole batch with its line.
func (db *DB) AttachLabels(ctx context.Context, actor ml.Actor, m *ml.Model, lb *ml.LabelBatch, source string) (LabelResult, error) {
	var res LabelResult
	if len(lb.Entity) == 0 {
		return res, ml.InputErrorf(0, 0, "", "no rows")
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return res, err
	}
	defer tx.Rollback()
	find, err := tx.PrepareContext(ctx, `SELECT obs_id, ts, labeled FROM entities WHERE model_id = ? AND entity = ?`)
	if err != nil {
		return res, err
	}
	defer find.Close()
	set, err := tx.PrepareContext(ctx, `INSERT INTO labels (model_id, obs_id, value, at, source, actor) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (model_id, obs_id) DO UPDATE SET value = excluded.value, at = excluded.at, source = excluded.source, actor = excluded.actor`)
	if err != nil {
		return res, err
	}
	defer set.Close()
	mark, err := tx.PrepareContext(ctx, `UPDATE entities SET labeled = 1 WHERE model_id = ? AND entity = ?`)
	if err != nil {
		return res, err
	}
	defer mark.Close()
	ierr := &ml.InputError{}
	now := db.now()
	var newTimes []int64
	for i, e := range lb.Entity {
		var obsID, ts int64
		var labeled int
		err := find.QueryRowContext(ctx, m.ID, e).Scan(&obsID, &ts, &labeled)
		if errors.Is(err, sql.ErrNoRows) {
			if ierr.Add(ml.Issue{Line: lb.Line[i], Field: "entity", Msg: fmt.Sprintf("no observation with entity id %q", e)}) {
				break
			}
			continue
		}
		if err != nil {
			return res, fmt.Errorf("store: attach labels: %w", err)
		}
		if _, err := set.ExecContext(ctx, m.ID, obsID, lb.Label[i], now, source, actor.String()); err != nil {
			return res, fmt.Errorf("store: attach labels: %w", err)
		}
		res.Updated++
		if labeled == 0 {
			res.New++
			newTimes = append(newTimes, ts)
			if _, err := mark.ExecContext(ctx, m.ID, e); err != nil {
				return res, err
			}
		}
	}
	if err := ierr.Err(); err != nil {
		return LabelResult{}, err
	}
	// Count newly labeled rows per hour.
	hours := map[int64]int{}
	for _, t := range newTimes {
		hours[hourOf(t)]++
	}
	for h, n := range hours {
		if _, err := tx.ExecContext(ctx, `UPDATE obs_hourly SET labeled = labeled + ? WHERE model_id = ? AND hour = ?`, n, m.ID, h); err != nil {
			return res, err
		}
	}
	if _, err := tx.ExecContext(ctx, `UPDATE models SET n_labeled = n_labeled + ? WHERE id = ?`, res.New, m.ID); err != nil {
		return res, err
	}
	if source != SourceDemo {
		if err := db.audit(ctx, tx, actor, "labels.attach", "model:"+m.Name, fmt.Sprintf("%d labels (%d new) via %s", res.Updated, res.New, source)); err != nil {
			return res, err
		}
	}
	return res, tx.Commit()
}

// ScanFilter selects observations of a model. Times are unix ms; zero
// means unbounded. Rows come in observation-id (ingest) order.
type ScanFilter struct {
	From, To   int64 // From <= time < To
	AfterID    int64 // id > AfterID
	ToID       int64 // id <= ToID (0 = unbounded)
	Limit      int   // at most this many rows (0 = all)
	WithScores bool
	// LabeledOnly keeps only rows that carry a label.
	LabeledOnly bool
}

// Scan decodes a model's observations into columns. It reads only the
// chunks whose time range overlaps the filter, then applies late labels.
func (db *DB) Scan(ctx context.Context, m *ml.Model, f ScanFilter) (*Frame, error) {
	where, args := []string{"model_id = ?"}, []any{m.ID}
	if f.From != 0 {
		where, args = append(where, "t_max >= ?"), append(args, f.From)
	}
	if f.To != 0 {
		where, args = append(where, "t_min < ?"), append(args, f.To)
	}
	if f.AfterID > 0 {
		where, args = append(where, "first_id + n > ?"), append(args, f.AfterID)
	}
	if f.ToID > 0 {
		where, args = append(where, "first_id <= ?"), append(args, f.ToID)
	}
	tx, err := db.Read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return nil, fmt.Errorf("store: scan: %w", err)
	}
	defer tx.Rollback()
	var total int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(SUM(n), 0) FROM obs_chunks WHERE `+strings.Join(where, " AND "), args...).Scan(&total); err != nil {
		return nil, fmt.Errorf("store: scan: %w", err)
	}
	nfeat := len(m.Features)
	out := newFrame(nfeat, total)
	rows, err := tx.QueryContext(ctx, `SELECT first_id, n, data FROM obs_chunks WHERE `+strings.Join(where, " AND ")+` ORDER BY first_id`, args...)
	if err != nil {
		return nil, fmt.Errorf("store: scan: %w", err)
	}
	defer rows.Close()
	var blob sql.RawBytes
	var idLo, idHi int64 = math.MaxInt64, 0
	for rows.Next() {
		var first int64
		var n int
		if err := rows.Scan(&first, &n, &blob); err != nil {
			return nil, fmt.Errorf("store: scan: %w", err)
		}
		if err := decodeChunkInto(blob, n, nfeat, out, f.WithScores); err != nil {
			return nil, err
		}
		for i := range n {
			out.ID = append(out.ID, first+int64(i))
		}
		idLo, idHi = min(idLo, first), max(idHi, first+int64(n))
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: scan: %w", err)
	}
	rows.Close()
	if out.Len() > 0 {
		// Only the labels of rows the filter can keep.
		if f.AfterID > 0 {
			idLo = max(idLo, f.AfterID+1)
		}
		if f.ToID > 0 {
			idHi = min(idHi, f.ToID+1)
		}
		if err := applyLabels(ctx, tx, m.ID, idLo, idHi, out); err != nil {
			return nil, err
		}
	}
	out.filter(f)
	return out, nil
}

// applyLabels overlays late labels on a frame whose ids are ascending.
func applyLabels(ctx context.Context, tx *sql.Tx, modelID, lo, hi int64, f *Frame) error {
	rows, err := tx.QueryContext(ctx, `SELECT obs_id, value FROM labels WHERE model_id = ? AND obs_id >= ? AND obs_id < ?`, modelID, lo, hi)
	if err != nil {
		return fmt.Errorf("store: labels: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var v float64
		if err := rows.Scan(&id, &v); err != nil {
			return err
		}
		if i, ok := sort.Find(len(f.ID), func(i int) int { return cmp.Compare(id, f.ID[i]) }); ok {
			f.Label[i] = v
		}
	}
	return rows.Err()
}

// filter keeps the rows that pass f, in place.
func (fr *Frame) filter(f ScanFilter) {
	if f.From == 0 && f.To == 0 && f.AfterID == 0 && f.ToID == 0 && !f.LabeledOnly && (f.Limit == 0 || f.Limit >= fr.Len()) {
		return
	}
	k := 0
	for i := range fr.Time {
		t := fr.Time[i]
		if (f.From != 0 && t < f.From) || (f.To != 0 && t >= f.To) || fr.ID[i] <= f.AfterID || (f.ToID > 0 && fr.ID[i] > f.ToID) || (f.LabeledOnly && math.IsNaN(fr.Label[i])) {
			continue
		}
		if f.Limit > 0 && k >= f.Limit {
			break
		}
		fr.ID[k], fr.Time[k], fr.Label[k] = fr.ID[i], fr.Time[i], fr.Label[i]
		for j := range fr.X {
			fr.X[j][k] = fr.X[j][i]
		}
		if fr.Score != nil {
			fr.Score[k], fr.Version[k] = fr.Score[i], fr.Version[i]
		}
		k++
	}
	fr.ID, fr.Time, fr.Label = fr.ID[:k], fr.Time[:k], fr.Label[:k]
	for j := range fr.X {
		fr.X[j] = fr.X[j][:k]
	}
	if fr.Score != nil {
		fr.Score, fr.Version = fr.Score[:k], fr.Version[:k]
	}
}

// HourCount is one bucket of the observations chart.
type HourCount struct {
	Hour    int64 `json:"t"` // unix ms, start of the bucket
	N       int64 `json:"n"`
	Labeled int64 `json:"labeled"`
}

// FindHourlyCounts returns observation counts per bucket of observation
// time (bucket a multiple of an hour, in ms), oldest first, for the
// buckets at or after from (0: all).
func (db *DB) FindHourlyCounts(ctx context.Context, modelID int64, bucketMS, from int64) ([]HourCount, error) {
	if bucketMS < 3600000 {
		bucketMS = 3600000
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT hour - ((hour % ?) + ?) % ? AS b, SUM(n), SUM(labeled) FROM obs_hourly
		WHERE model_id = ? AND hour >= ? GROUP BY b ORDER BY b`, bucketMS, bucketMS, bucketMS, modelID, from)
	if err != nil {
		return nil, fmt.Errorf("store: hourly counts: %w", err)
	}
	defer rows.Close()
	var out []HourCount
	for rows.Next() {
		var c HourCount
		if err := rows.Scan(&c.Hour, &c.N, &c.Labeled); err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, rows.Err()
}

// CategoryCodes returns a batch's features column-major as a model sees
// them: numeric values as they are, categorical values as their codes, a
// value never stored before as NaN (the model has not seen it either).
// It writes nothing.
func (db *DB) CategoryCodes(ctx context.Context, m *ml.Model, b *ml.Batch) ([][]float64, error) {
	X := make([][]float64, len(m.Features))
	for j, f := range m.Features {
		if f.Type != ml.Categorical {
			X[j] = b.Num[j]
			continue
		}
		codes := map[string]float64{}
		col := make([]float64, b.N)
		for i, v := range b.Cat[j] {
			c, ok := codes[v]
			if !ok {
				var code int64
				err := db.Read.QueryRowContext(ctx, `SELECT code FROM categories WHERE model_id = ? AND feature = ? AND value = ?`, m.ID, j, v).Scan(&code)
				switch {
				case errors.Is(err, sql.ErrNoRows) || v == "":
					c = math.NaN()
				case err != nil:
					return nil, fmt.Errorf("store: category codes: %w", err)
				default:
					c = float64(code)
				}
				codes[v] = c
			}
			col[i] = c
		}
		X[j] = col
	}
	return X, nil
}
