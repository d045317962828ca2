package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/freshet/freshet/ml"
)

// CreateBatch stores a query batch and its items in one transaction.
func (db *DB) CreateBatch(ctx context.Context, actor ml.Actor, m *ml.Model, b *ml.QueryBatch, items []ml.LabelItem) error {
	if len(items) == 0 {
		return ml.Errorf(ml.EINVALID, "a query batch needs at least one item (the pool had no unlabeled rows)")
	}
	if b.Overlap < 1 {
		b.Overlap = 1
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	now := db.now()
	res, err := tx.ExecContext(ctx, `INSERT INTO query_batches (model_id, strategy, size, overlap, pool_rows, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		m.ID, b.Strategy, len(items), b.Overlap, b.PoolRows, actor.String(), now)
	if err != nil {
		return fmt.Errorf("store: create batch: %w", err)
	}
	b.ID, _ = res.LastInsertId()
	b.ModelID, b.Model, b.Size, b.CreatedBy, b.CreatedAt, b.State = m.ID, m.Name, len(items), actor.String(), time.UnixMilli(now).UTC(), ml.BatchOpen
	st, err := tx.PrepareContext(ctx, `INSERT INTO label_items (batch_id, model_id, obs_id, position, uncertainty, why, score, needed) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer st.Close()
	for i, it := range items {
		if _, err := st.ExecContext(ctx, b.ID, m.ID, it.ObsID, i, it.Uncertainty, it.Why, it.Score, b.Overlap); err != nil {
			return fmt.Errorf("store: batch item: %w", formatError(err))
		}
	}
	if err := db.audit(ctx, tx, actor, "batch.create", "model:"+m.Name, fmt.Sprintf("batch %d: %d items by %s, %d label(s) each", b.ID, len(items), b.Strategy, b.Overlap)); err != nil {
		return err
	}
	return tx.Commit()
}

const batchCols = `b.id, b.model_id, m.name, b.strategy, b.size, b.overlap, b.pool_rows, b.created_by, b.created_at, b.state, b.done, b.given`

func scanBatch(r rowScanner) (*ml.QueryBatch, error) {
	var b ml.QueryBatch
	var at int64
	if err := r.Scan(&b.ID, &b.ModelID, &b.Model, &b.Strategy, &b.Size, &b.Overlap, &b.PoolRows, &b.CreatedBy, &at, &b.State, &b.Done, &b.Given); err != nil {
		return nil, err
	}
	b.CreatedAt = time.UnixMilli(at).UTC()
	if b.State == ml.BatchOpen && b.Done >= b.Size {
		b.State = ml.BatchDone
	}
	return &b, nil
}

// FindBatches lists query batches, newest first (modelID 0: all).
func (db *DB) FindBatches(ctx context.Context, modelID int64, limit int) ([]*ml.QueryBatch, error) {
	where, args := "1 = 1", []any{}
	if modelID != 0 {
		where, args = "b.model_id = ?", append(args, modelID)
	}
	if limit <= 0 {
		limit = 100
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT `+batchCols+` FROM query_batches b JOIN models m ON m.id = b.model_id WHERE `+where+` ORDER BY b.id DESC LIMIT ?`, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: find batches: %w", err)
	}
	defer rows.Close()
	out := []*ml.QueryBatch{}
	for rows.Next() {
		b, err := scanBatch(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// FindBatch returns one batch.
func (db *DB) FindBatch(ctx context.Context, id int64) (*ml.QueryBatch, error) {
	b, err := scanBatch(db.Read.QueryRowContext(ctx, `SELECT `+batchCols+` FROM query_batches b JOIN models m ON m.id = b.model_id WHERE b.id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "batch %d not found", id)
	}
	return b, err
}

const itemCols = `id, batch_id, obs_id, position, uncertainty, why, score, needed, given, final, COALESCE(leased_to, ''), COALESCE(lease_until, 0)`

func scanItem(r rowScanner) (*ml.LabelItem, error) {
	var it ml.LabelItem
	var final sql.NullFloat64
	var until int64
	if err := r.Scan(&it.ID, &it.BatchID, &it.ObsID, &it.Position, &it.Uncertainty, &it.Why, &it.Score, &it.Needed, &it.Given, &final, &it.LeasedTo, &until); err != nil {
		return nil, err
	}
	if final.Valid {
		it.Final = &final.Float64
	}
	if until > 0 {
		it.LeaseUntil = time.UnixMilli(until).UTC()
	}
	return &it, nil
}

// LabelBudget is a model's label budget in the current period.
type LabelBudget struct {
	Used, Limit int // Limit -1: none
	Since       time.Time
}

// Left is how many labels the period still allows (-1: no limit).
func (b LabelBudget) Left() int {
	if b.Limit < 0 {
		return -1
	}
	return max(0, b.Limit-b.Used)
}

func (db *DB) budgetTx(ctx context.Context, q interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}, m *ml.Model) (LabelBudget, error) {
	cfg := m.Config.Labeling.WithDefaults()
	b := LabelBudget{Limit: cfg.Budget, Since: cfg.PeriodStart(db.Now())}
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM annotations WHERE model_id = ? AND undone = 0 AND at >= ?`, m.ID, b.Since.UnixMilli()).Scan(&b.Used)
	return b, err
}

// Budget reads a model's label budget.
func (db *DB) Budget(ctx context.Context, m *ml.Model) (LabelBudget, error) {
	return db.budgetTx(ctx, db.Read, m)
}

// NextItem leases the next item of a batch to user: the one they hold
// already, or the first that still needs labels, that they have not
// labeled or skipped, and that nobody else holds. Leases expire after the
// model's lease time. No item is leased when the labels already given
// plus the items leased to others would reach the budget.
func (db *DB) NextItem(ctx context.Context, m *ml.Model, batchID int64, user string) (*ml.LabelItem, LabelBudget, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, LabelBudget{}, err
	}
	defer tx.Rollback()
	it, bud, err := db.nextItemTx(ctx, tx, m, batchID, user)
	if err != nil {
		return nil, bud, err
	}
	return it, bud, tx.Commit()
}

func (db *DB) nextItemTx(ctx context.Context, tx *sql.Tx, m *ml.Model, batchID int64, user string) (*ml.LabelItem, LabelBudget, error) {
	now := db.now()
	bud, err := db.budgetTx(ctx, tx, m)
	if err != nil {
		return nil, bud, err
	}
	it, err := scanItem(tx.QueryRowContext(ctx, `SELECT `+itemCols+` FROM label_items WHERE batch_id = ? AND leased_to = ? AND lease_until > ? AND given < needed
		ORDER BY position LIMIT 1`, batchID, user, now))
	if err == nil {
		return it, bud, nil
	} else if !errors.Is(err, sql.ErrNoRows) {
		return nil, bud, err
	}
	if bud.Limit >= 0 {
		var held int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM label_items WHERE model_id = ? AND lease_until > ? AND given < needed`, m.ID, now).Scan(&held); err != nil {
			return nil, bud, err
		}
		if bud.Used+held >= bud.Limit {
			return nil, bud, ml.Errorf(ml.ECONFLICT, "the label budget is used: %d of %d labels this %s", bud.Used, bud.Limit, m.Config.Labeling.WithDefaults().Period)
		}
	}
	it, err = scanItem(tx.QueryRowContext(ctx, `SELECT `+itemCols+` FROM label_items i WHERE batch_id = ? AND given < needed
		AND (leased_to IS NULL OR lease_until <= ?)
		AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id AND a.user = ? AND a.undone = 0)
		AND NOT EXISTS (SELECT 1 FROM label_skips s WHERE s.item_id = i.id AND s.user = ?)
		ORDER BY position LIMIT 1`, batchID, now, user, user))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, bud, ml.Errorf(ml.ENOTFOUND, "nothing left for you in batch %d", batchID)
	} else if err != nil {
		return nil, bud, err
	}
	until := now + m.Config.Labeling.Lease().Milliseconds()
	if _, err := tx.ExecContext(ctx, `UPDATE label_items SET leased_to = ?, lease_until = ? WHERE id = ?`, user, until, it.ID); err != nil {
		return nil, bud, err
	}
	it.LeasedTo, it.LeaseUntil = user, time.UnixMilli(until).UTC()
	return it, bud, nil
}

// LabelAndNext records a label and leases the next item in the same
// transaction, so an annotator's answer costs one write; the next item
// is nil (with its reason) when there is none.
func (db *DB) LabelAndNext(ctx context.Context, m *ml.Model, itemID int64, user string, label float64) (*ml.Annotation, *ml.LabelItem, *ml.LabelItem, LabelBudget, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, nil, nil, LabelBudget{}, err
	}
	defer tx.Rollback()
	a, it, err := db.submitTx(ctx, tx, m, itemID, user, label)
	if err != nil {
		return nil, nil, nil, LabelBudget{}, err
	}
	next, bud, nerr := db.nextItemTx(ctx, tx, m, it.BatchID, user)
	if nerr != nil {
		if c := ml.ErrorCode(nerr); c != ml.ENOTFOUND && c != ml.ECONFLICT {
			return nil, nil, nil, bud, nerr
		}
		next = nil
		if bud, err = db.budgetTx(ctx, tx, m); err != nil {
			return nil, nil, nil, bud, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, nil, nil, bud, err
	}
	return a, it, next, bud, nerr
}

// SubmitLabel records user's label on an item they hold, within the
// budget (checked in the same transaction, so no race passes it). When
// the item has all its labels, the majority becomes the observation's
// label (source annotator); a tie leaves it for a lead to settle.
func (db *DB) SubmitLabel(ctx context.Context, m *ml.Model, itemID int64, user string, label float64) (*ml.Annotation, *ml.LabelItem, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	a, it, err := db.submitTx(ctx, tx, m, itemID, user, label)
	if err != nil {
		return nil, nil, err
	}
	return a, it, tx.Commit()
}

func (db *DB) submitTx(ctx context.Context, tx *sql.Tx, m *ml.Model, itemID int64, user string, label float64) (*ml.Annotation, *ml.LabelItem, error) {
	if err := validLabel(m, label); err != nil {
		return nil, nil, err
	}
	now := db.now()
	it, err := scanItem(tx.QueryRowContext(ctx, `SELECT `+itemCols+` FROM label_items WHERE id = ? AND model_id = ?`, itemID, m.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ml.Errorf(ml.ENOTFOUND, "item %d not found", itemID)
	} else if err != nil {
		return nil, nil, err
	}
	switch {
	case it.Given >= it.Needed:
		return nil, nil, ml.Errorf(ml.ECONFLICT, "item %d has all its labels", itemID)
	case it.LeasedTo != user && it.LeasedTo != "" && it.LeaseUntil.UnixMilli() > now:
		return nil, nil, ml.Errorf(ml.ECONFLICT, "item %d is with another annotator", itemID)
	case it.LeasedTo != user:
		return nil, nil, ml.Errorf(ml.ECONFLICT, "item %d is not leased to you (the lease may have expired): ask for the next item", itemID)
	}
	var dup int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM annotations WHERE item_id = ? AND user = ? AND undone = 0`, itemID, user).Scan(&dup); err != nil {
		return nil, nil, err
	}
	if dup > 0 {
		return nil, nil, ml.Errorf(ml.ECONFLICT, "you already labeled item %d", itemID)
	}
	bud, err := db.budgetTx(ctx, tx, m)
	if err != nil {
		return nil, nil, err
	}
	if bud.Limit >= 0 && bud.Used >= bud.Limit {
		return nil, nil, ml.Errorf(ml.ECONFLICT, "the label budget is used: %d of %d labels this %s", bud.Used, bud.Limit, m.Config.Labeling.WithDefaults().Period)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO annotations (item_id, batch_id, model_id, user, label, at) VALUES (?, ?, ?, ?, ?, ?)`, itemID, it.BatchID, m.ID, user, label, now)
	if err != nil {
		return nil, nil, err
	}
	a := &ml.Annotation{ItemID: itemID, User: user, Label: label, At: time.UnixMilli(now).UTC()}
	a.ID, _ = res.LastInsertId()
	it.Given++
	if _, err := tx.ExecContext(ctx, `UPDATE label_items SET given = ?, leased_to = NULL, lease_until = NULL WHERE id = ?`, it.Given, itemID); err != nil {
		return nil, nil, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE query_batches SET given = given + 1, done = done + ? WHERE id = ?`, boolInt(it.Given >= it.Needed), it.BatchID); err != nil {
		return nil, nil, err
	}
	it.LeasedTo = ""
	if it.Given >= it.Needed {
		if err := db.finishItemTx(ctx, tx, m, it, user, now); err != nil {
			return nil, nil, err
		}
	}
	return a, it, nil
}

func validLabel(m *ml.Model, y float64) error {
	switch m.Task {
	case ml.TaskBinary:
		if y != 0 && y != 1 {
			return ml.Errorf(ml.EINVALID, "label %v: a binary label is 0 or 1", y)
		}
	case ml.TaskMulticlass:
		if y < 0 || y >= float64(len(m.Classes)) || y != float64(int(y)) {
			return ml.Errorf(ml.EINVALID, "label %v: use a class index 0 to %d", y, len(m.Classes)-1)
		}
	}
	return nil
}

// finishItemTx sets an item's final label by majority and writes it to
// the observation.
func (db *DB) finishItemTx(ctx context.Context, tx *sql.Tx, m *ml.Model, it *ml.LabelItem, user string, now int64) error {
	rows, err := tx.QueryContext(ctx, `SELECT label FROM annotations WHERE item_id = ? AND undone = 0`, it.ID)
	if err != nil {
		return err
	}
	votes := map[float64]int{}
	for rows.Next() {
		var y float64
		if err := rows.Scan(&y); err != nil {
			rows.Close()
			return err
		}
		votes[y]++
	}
	rows.Close()
	final, ok := majority(votes)
	if !ok {
		return nil // a tie: a lead settles it
	}
	actor := user
	if it.Needed > 1 {
		actor = fmt.Sprintf("majority of %d", it.Needed)
	}
	return db.setFinalTx(ctx, tx, m, it, final, actor, now)
}

// majority is the most common label, false on a tie.
func majority(votes map[float64]int) (float64, bool) {
	type kv struct {
		y float64
		n int
	}
	var all []kv
	for y, n := range votes {
		all = append(all, kv{y, n})
	}
	if len(all) == 0 {
		return 0, false
	}
	sort.Slice(all, func(a, b int) bool { return all[a].n > all[b].n || (all[a].n == all[b].n && all[a].y < all[b].y) })
	if len(all) > 1 && all[0].n == all[1].n {
		return 0, false
	}
	return all[0].y, true
}

// setFinalTx writes an item's final label onto its observation (labels
// table, source annotator) and counts it as newly labeled.
func (db *DB) setFinalTx(ctx context.Context, tx *sql.Tx, m *ml.Model, it *ml.LabelItem, y float64, actor string, now int64) error {
	if _, err := tx.ExecContext(ctx, `UPDATE label_items SET final = ? WHERE id = ?`, y, it.ID); err != nil {
		return err
	}
	it.Final = &y
	var had int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM labels WHERE model_id = ? AND obs_id = ?`, m.ID, it.ObsID).Scan(&had); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO labels (model_id, obs_id, value, at, source, actor) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (model_id, obs_id) DO UPDATE SET value = excluded.value, at = excluded.at, source = excluded.source, actor = excluded.actor`,
		m.ID, it.ObsID, y, now, SourceAnnotator, actor); err != nil {
		return err
	}
	if had == 0 {
		return db.countLabelTx(ctx, tx, m, it.ObsID, +1)
	}
	return nil
}

// countLabelTx moves the labeled counts of the observation's hour and
// model by delta.
func (db *DB) countLabelTx(ctx context.Context, tx *sql.Tx, m *ml.Model, obsID int64, delta int) error {
	var ts int64
	err := tx.QueryRowContext(ctx, `SELECT t_min FROM obs_chunks WHERE model_id = ? AND first_id <= ? AND first_id + n > ?`, m.ID, obsID, obsID).Scan(&ts)
	if err == nil {
		// The chunk's first time stands for the row's hour: chunks are
		// filled in arrival order and rarely span an hour boundary.
		if _, err := tx.ExecContext(ctx, `UPDATE obs_hourly SET labeled = MAX(0, labeled + ?) WHERE model_id = ? AND hour = ?`, delta, m.ID, hourOf(ts)); err != nil {
			return err
		}
	}
	_, err = tx.ExecContext(ctx, `UPDATE models SET n_labeled = MAX(0, n_labeled + ?) WHERE id = ?`, delta, m.ID)
	return err
}

// Undo takes back user's last label in a batch: exactly that annotation
// is marked undone, the item's final label (if it made one) is removed
// from the observation, and the item is leased back to user.
func (db *DB) Undo(ctx context.Context, m *ml.Model, batchID int64, user string) (*ml.Annotation, *ml.LabelItem, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	defer tx.Rollback()
	var a ml.Annotation
	var at int64
	err = tx.QueryRowContext(ctx, `SELECT id, item_id, user, label, at FROM annotations WHERE batch_id = ? AND user = ? AND undone = 0 ORDER BY id DESC LIMIT 1`,
		batchID, user).Scan(&a.ID, &a.ItemID, &a.User, &a.Label, &at)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, ml.Errorf(ml.ENOTFOUND, "nothing to undo")
	} else if err != nil {
		return nil, nil, err
	}
	a.At, a.Undone = time.UnixMilli(at).UTC(), true
	it, err := scanItem(tx.QueryRowContext(ctx, `SELECT `+itemCols+` FROM label_items WHERE id = ?`, a.ItemID))
	if err != nil {
		return nil, nil, err
	}
	if it.LeasedTo != "" && it.LeasedTo != user && it.LeaseUntil.UnixMilli() > db.now() {
		return nil, nil, ml.Errorf(ml.ECONFLICT, "item %d is with another annotator now; it cannot be undone", it.ID)
	}
	if _, err := tx.ExecContext(ctx, `UPDATE annotations SET undone = 1 WHERE id = ?`, a.ID); err != nil {
		return nil, nil, err
	}
	if it.Final != nil {
		res, err := tx.ExecContext(ctx, `DELETE FROM labels WHERE model_id = ? AND obs_id = ? AND source = ?`, m.ID, it.ObsID, SourceAnnotator)
		if err != nil {
			return nil, nil, err
		}
		if n, _ := res.RowsAffected(); n > 0 {
			if err := db.countLabelTx(ctx, tx, m, it.ObsID, -1); err != nil {
				return nil, nil, err
			}
		}
		it.Final = nil
	}
	until := db.now() + m.Config.Labeling.Lease().Milliseconds()
	if _, err := tx.ExecContext(ctx, `UPDATE query_batches SET given = given - 1, done = done - ? WHERE id = ?`, boolInt(it.Given >= it.Needed), it.BatchID); err != nil {
		return nil, nil, err
	}
	it.Given--
	if _, err := tx.ExecContext(ctx, `UPDATE label_items SET given = given - 1, final = NULL, leased_to = ?, lease_until = ? WHERE id = ?`, user, until, it.ID); err != nil {
		return nil, nil, err
	}
	it.LeasedTo, it.LeaseUntil = user, time.UnixMilli(until).UTC()
	return &a, it, tx.Commit()
}

// Skip gives an item back without a label; it is not offered to user
// again.
func (db *DB) Skip(ctx context.Context, m *ml.Model, itemID int64, user string) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `UPDATE label_items SET leased_to = NULL, lease_until = NULL WHERE id = ? AND model_id = ? AND leased_to = ?`, itemID, m.ID, user)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ml.Errorf(ml.ECONFLICT, "item %d is not leased to you", itemID)
	}
	if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO label_skips (item_id, user) VALUES (?, ?)`, itemID, user); err != nil {
		return err
	}
	return tx.Commit()
}

// Settle sets the final label of a tied item (a lead's decision).
func (db *DB) Settle(ctx context.Context, actor ml.Actor, m *ml.Model, itemID int64, label float64) error {
	if err := validLabel(m, label); err != nil {
		return err
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	it, err := scanItem(tx.QueryRowContext(ctx, `SELECT `+itemCols+` FROM label_items WHERE id = ? AND model_id = ?`, itemID, m.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return ml.Errorf(ml.ENOTFOUND, "item %d not found", itemID)
	} else if err != nil {
		return err
	}
	if it.Given < it.Needed {
		return ml.Errorf(ml.ECONFLICT, "item %d still waits for labels", itemID)
	}
	if err := db.setFinalTx(ctx, tx, m, it, label, actor.String(), db.now()); err != nil {
		return err
	}
	if err := db.audit(ctx, tx, actor, "label.settle", "model:"+m.Name, fmt.Sprintf("item %d (observation %d): %g", itemID, it.ObsID, label)); err != nil {
		return err
	}
	return tx.Commit()
}

// BatchItems lists a batch's items with their annotations.
func (db *DB) BatchItems(ctx context.Context, batchID int64) ([]*ml.LabelItem, map[int64][]ml.Annotation, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT `+itemCols+` FROM label_items WHERE batch_id = ? ORDER BY position`, batchID)
	if err != nil {
		return nil, nil, err
	}
	var items []*ml.LabelItem
	for rows.Next() {
		it, err := scanItem(rows)
		if err != nil {
			rows.Close()
			return nil, nil, err
		}
		items = append(items, it)
	}
	rows.Close()
	ann := map[int64][]ml.Annotation{}
	rows, err = db.Read.QueryContext(ctx, `SELECT id, item_id, user, label, at, undone FROM annotations WHERE batch_id = ? ORDER BY id`, batchID)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var a ml.Annotation
		var at int64
		if err := rows.Scan(&a.ID, &a.ItemID, &a.User, &a.Label, &at, &a.Undone); err != nil {
			return nil, nil, err
		}
		a.At = time.UnixMilli(at).UTC()
		if !a.Undone {
			ann[a.ItemID] = append(ann[a.ItemID], a)
		}
	}
	return items, ann, rows.Err()
}

// UnlabeledPool lists the ids of a model's unlabeled observations that are
// in no open batch, newest first, at most limit.
func (db *DB) UnlabeledPool(ctx context.Context, m *ml.Model, limit int) (*Frame, error) {
	fr, err := db.Scan(ctx, m, ScanFilter{WithScores: true})
	if err != nil {
		return nil, err
	}
	taken := map[int64]bool{}
	rows, err := db.Read.QueryContext(ctx, `SELECT i.obs_id FROM label_items i JOIN query_batches b ON b.id = i.batch_id WHERE b.model_id = ? AND b.state = 'open'`, m.ID)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, err
		}
		taken[id] = true
	}
	rows.Close()
	keep := make([]int, 0, fr.Len())
	for i := fr.Len() - 1; i >= 0 && len(keep) < limit; i-- {
		if fr.Label[i] != fr.Label[i] && !taken[fr.ID[i]] { // NaN: unlabeled
			keep = append(keep, i)
		}
	}
	out := &Frame{ID: make([]int64, len(keep)), Time: make([]int64, len(keep)), X: make([][]float64, len(fr.X)), Label: make([]float64, len(keep))}
	for j := range fr.X {
		out.X[j] = make([]float64, len(keep))
	}
	for k, i := range keep {
		out.ID[k], out.Time[k], out.Label[k] = fr.ID[i], fr.Time[i], fr.Label[i]
		for j := range fr.X {
			out.X[j][k] = fr.X[j][i]
		}
	}
	return out, nil
}

// Observation reads one observation's features and time.
func (db *DB) Observation(ctx context.Context, m *ml.Model, id int64) (*Frame, error) {
	fr, err := db.Scan(ctx, m, ScanFilter{AfterID: id - 1, ToID: id, WithScores: true})
	if err != nil {
		return nil, err
	}
	if fr.Len() == 0 {
		return nil, ml.Errorf(ml.ENOTFOUND, "observation %d not found", id)
	}
	return fr, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
