package store

import (
	"context"
	"database/sql"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/freshet/freshet/ml"
)

// labelingState is what the labeling API keeps between requests.
type labelingState struct {
	writes writeQueue
	chunks chunkCache
}

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
	b, err := scanBatch(db.readRow(ctx, `SELECT `+batchCols+` FROM query_batches b JOIN models m ON m.id = b.model_id WHERE b.id = ?`, id))
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

// querier is a pool or a transaction.
type querier interface {
	QueryRowContext(context.Context, string, ...any) *sql.Row
}

// budgetAt counts the labels of the period containing now (unix ms).
func budgetAt(ctx context.Context, q querier, m *ml.Model, now int64) (LabelBudget, error) {
	cfg := m.Config.Labeling.WithDefaults()
	b := LabelBudget{Limit: cfg.Budget, Since: cfg.PeriodStart(time.UnixMilli(now))}
	err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM annotations WHERE model_id = ? AND undone = 0 AND at >= ?`, m.ID, b.Since.UnixMilli()).Scan(&b.Used)
	return b, err
}

// Budget reads a model's label budget.
func (db *DB) Budget(ctx context.Context, m *ml.Model) (LabelBudget, error) {
	return budgetAt(ctx, readerFunc(db.readRow), m, db.now())
}

// NextItem leases the next item of a batch to user: the one they hold
// already, or the first that still needs labels, that they have not
// labeled or skipped, and that nobody else holds. Leases expire after the
// model's lease time. No item is leased when the labels already given
// plus the items leased to others would reach the budget.
//
// Most calls change nothing (the item is held already, the budget is
// used, nothing is left), so they are answered from one read snapshot on
// the reader pool; only a new lease takes the writer, and its transaction
// decides everything again.
func (db *DB) NextItem(ctx context.Context, m *ml.Model, batchID int64, user string) (*ml.LabelItem, LabelBudget, error) {
	it, bud, lease, err := db.peekNextItem(ctx, m, batchID, user)
	if !lease {
		return it, bud, err
	}
	err = db.groupWrite(ctx, func(ctx context.Context, tx ptx) error {
		var err error
		it, bud, err = db.nextItemTx(ctx, tx, m, batchID, user, nil)
		return err
	})
	if err != nil {
		return nil, bud, err
	}
	return it, bud, nil
}

// peekNextItem answers NextItem from a read snapshot when that needs no
// write; lease is true when a new lease should be tried under the writer.
func (db *DB) peekNextItem(ctx context.Context, m *ml.Model, batchID int64, user string) (it *ml.LabelItem, bud LabelBudget, lease bool, err error) {
	tx, err := db.readTx(ctx)
	if err != nil {
		return nil, bud, false, err
	}
	defer tx.Rollback()
	now := db.now()
	if bud, err = budgetAt(ctx, tx, m, now); err != nil {
		return nil, bud, false, err
	}
	if it, err = heldItem(ctx, tx, m, batchID, user, now); err != nil || it != nil {
		return it, bud, false, err
	}
	if err := budgetLeft(ctx, tx, m, bud, now); err != nil {
		return nil, bud, false, err
	}
	if _, err := freeItem(ctx, tx, batchID, user, now); err != nil {
		return nil, bud, false, err
	}
	return nil, bud, true, nil
}

// nextItemTx is NextItem in tx. bud, when given, is the budget counted
// earlier in tx (it is counted again if the period has turned since).
func (db *DB) nextItemTx(ctx context.Context, tx ptx, m *ml.Model, batchID int64, user string, known *LabelBudget) (*ml.LabelItem, LabelBudget, error) {
	now := db.now()
	var bud LabelBudget
	if cfg := m.Config.Labeling.WithDefaults(); known != nil && known.Since.Equal(cfg.PeriodStart(time.UnixMilli(now))) {
		bud = *known
	} else {
		var err error
		if bud, err = budgetAt(ctx, tx, m, now); err != nil {
			return nil, bud, err
		}
	}
	it, err := heldItem(ctx, tx, m, batchID, user, now)
	if err != nil || it != nil {
		return it, bud, err
	}
	if err := budgetLeft(ctx, tx, m, bud, now); err != nil {
		return nil, bud, err
	}
	if it, err = freeItem(ctx, tx, batchID, user, now); err != nil {
		return nil, bud, err
	}
	until := now + m.Config.Labeling.Lease().Milliseconds()
	if _, err := tx.ExecContext(ctx, `UPDATE label_items SET leased_to = ?, lease_until = ? WHERE id = ?`, user, until, it.ID); err != nil {
		return nil, bud, err
	}
	it.LeasedTo, it.LeaseUntil = user, time.UnixMilli(until).UTC()
	return it, bud, nil
}

// heldItem is the item of the batch that user holds, nil if none: one
// probe of the holders' index, not a walk of the batch's queue or of the
// model's leases.
func heldItem(ctx context.Context, q querier, m *ml.Model, batchID int64, user string, now int64) (*ml.LabelItem, error) {
	it, err := scanItem(q.QueryRowContext(ctx, `SELECT `+itemCols+` FROM label_items INDEXED BY label_items_holder
		WHERE batch_id = ? AND leased_to = ? AND lease_until > ? AND model_id = ? AND given < needed
		ORDER BY position LIMIT 1`, batchID, user, now, m.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	return it, err
}

// budgetLeft refuses a new lease when the labels given plus the items
// leased would reach the budget.
func budgetLeft(ctx context.Context, q querier, m *ml.Model, bud LabelBudget, now int64) error {
	if bud.Limit < 0 {
		return nil
	}
	var held int
	if err := q.QueryRowContext(ctx, `SELECT COUNT(*) FROM label_items INDEXED BY label_items_open_leases WHERE model_id = ? AND lease_until > ? AND given < needed`, m.ID, now).Scan(&held); err != nil {
		return err
	}
	if bud.Used+held >= bud.Limit {
		return ml.Errorf(ml.ECONFLICT, "the label budget is used: %d of %d labels this %s", bud.Used, bud.Limit, m.Config.Labeling.WithDefaults().Period)
	}
	return nil
}

// freeItem is the first item of the batch that still needs labels, that
// user has not labeled or skipped and that nobody holds.
func freeItem(ctx context.Context, q querier, batchID int64, user string, now int64) (*ml.LabelItem, error) {
	it, err := scanItem(q.QueryRowContext(ctx, `SELECT `+itemCols+` FROM label_items i WHERE batch_id = ? AND given < needed
		AND (leased_to IS NULL OR lease_until <= ?)
		AND NOT EXISTS (SELECT 1 FROM annotations a WHERE a.item_id = i.id AND a.user = ? AND a.undone = 0)
		AND NOT EXISTS (SELECT 1 FROM label_skips s WHERE s.item_id = i.id AND s.user = ?)
		ORDER BY position LIMIT 1`, batchID, now, user, user))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "nothing left for you in batch %d", batchID)
	}
	return it, err
}

// LabelAndNext records a label and leases the next item in the same
// transaction, so an annotator's answer costs one write; the next item
// is nil (with its reason) when there is none.
func (db *DB) LabelAndNext(ctx context.Context, m *ml.Model, itemID int64, user string, label float64) (*ml.Annotation, *ml.LabelItem, *ml.LabelItem, LabelBudget, error) {
	var (
		a        *ml.Annotation
		it, next *ml.LabelItem
		bud      LabelBudget
		nerr     error
	)
	err := db.groupWrite(ctx, func(ctx context.Context, tx ptx) error {
		var err error
		if a, it, bud, err = db.submitTx(ctx, tx, m, itemID, user, label); err != nil {
			bud = LabelBudget{}
			return err
		}
		next, bud, nerr = db.nextItemTx(ctx, tx, m, it.BatchID, user, &bud)
		if c := ml.ErrorCode(nerr); nerr != nil && c != ml.ENOTFOUND && c != ml.ECONFLICT {
			return nerr
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, bud, err
	}
	return a, it, next, bud, nerr
}

// writeQueue gathers the labeling writes (leases, labels) that wait for
// the writer at the same time, so that one transaction serves them all:
// with many annotators, one transaction per answer made them queue for
// the single writer, in random order, behind each other's commits (and
// behind the WAL checkpoints that many commits bring). This is the one
// exception to one public method, one transaction: each write still runs
// alone, in order, in its own savepoint (it sees the writes before it,
// its failure undoes only its own changes), and its method returns once
// the shared transaction has committed.
type writeQueue struct {
	mu      sync.Mutex
	pending []*writeOp
	running bool // a drainWrites goroutine is serving pending
}

type writeOp struct {
	ctx   context.Context
	fn    func(context.Context, ptx) error
	err   error
	panic any
	done  chan struct{}
}

// groupWrite runs fn in a write transaction that it may share with other
// writes, and returns once that transaction has committed: fn's error,
// or the transaction's. fn must not keep anything from tx.
func (db *DB) groupWrite(ctx context.Context, fn func(context.Context, ptx) error) error {
	op := &writeOp{ctx: ctx, fn: fn, done: make(chan struct{})}
	q := &db.labeling.writes
	q.mu.Lock()
	q.pending = append(q.pending, op)
	if !q.running {
		q.running = true
		go db.drainWrites()
	}
	q.mu.Unlock()
	select {
	case <-op.done:
	case <-ctx.Done():
		q.mu.Lock()
		if i := slices.Index(q.pending, op); i >= 0 {
			// Not started: it will not be.
			q.pending = slices.Delete(q.pending, i, i+1)
			q.mu.Unlock()
			return fmt.Errorf("store: begin: %w", ctx.Err())
		}
		q.mu.Unlock()
		<-op.done // started: its outcome is known shortly
	}
	if op.panic != nil {
		panic(op.panic)
	}
	return op.err
}

// A transaction serves at most this many writes, so that it holds the
// writer (which River shares) for a few milliseconds at most.
const maxGroupWrites = 64

// drainWrites serves the pending writes, one transaction for those
// waiting when it gets the writer, until none are left.
func (db *DB) drainWrites() {
	q := &db.labeling.writes
	for {
		q.mu.Lock()
		if len(q.pending) == 0 {
			q.running = false
			q.mu.Unlock()
			return
		}
		q.mu.Unlock()
		// The writes' contexts end with their requests; the shared
		// transaction must not, so it gets none.
		tx, err := db.begin(context.Background())
		q.mu.Lock()
		ops := q.pending[:min(len(q.pending), maxGroupWrites)]
		q.pending = q.pending[len(ops):]
		q.mu.Unlock()
		if err == nil {
			err = runWrites(db.prep(tx, db.Write), ops)
		}
		for _, op := range ops {
			if op.err == nil && op.panic == nil {
				op.err = err
			}
			close(op.done)
		}
	}
}

// runWrites runs ops in tx, each in a savepoint, and commits. An error it
// returns (a failed savepoint or commit) is every op's that did not fail
// on its own.
func runWrites(tx ptx, ops []*writeOp) error {
	defer tx.Rollback()
	ctx := context.Background()
	for _, op := range ops {
		if op.err = op.ctx.Err(); op.err != nil {
			continue
		}
		if _, err := tx.ExecContext(ctx, `SAVEPOINT labeling`); err != nil {
			return err
		}
		if op.run(ctx, tx) {
			return fmt.Errorf("store: a write in the same transaction failed")
		}
		if op.err != nil {
			if _, err := tx.ExecContext(ctx, `ROLLBACK TO labeling`); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `RELEASE labeling`); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// run calls op.fn, keeping a panic for op's own goroutine to raise again;
// it reports whether fn panicked.
func (op *writeOp) run(ctx context.Context, tx ptx) (panicked bool) {
	defer func() {
		if p := recover(); p != nil {
			op.panic, panicked = p, true
		}
	}()
	op.err = op.fn(ctx, tx)
	return false
}

// SubmitLabel records user's label on an item they hold, within the
// budget (checked in the same transaction, so no race passes it). When
// the item has all its labels, the majority becomes the observation's
// label (source annotator); a tie leaves it for a lead to settle.
func (db *DB) SubmitLabel(ctx context.Context, m *ml.Model, itemID int64, user string, label float64) (*ml.Annotation, *ml.LabelItem, error) {
	raw, err := db.begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	tx := db.prep(raw, db.Write)
	defer tx.Rollback()
	a, it, _, err := db.submitTx(ctx, tx, m, itemID, user, label)
	if err != nil {
		return nil, nil, err
	}
	return a, it, tx.Commit()
}

// submitTx is SubmitLabel in tx; the budget it returns counts the new
// label.
func (db *DB) submitTx(ctx context.Context, tx ptx, m *ml.Model, itemID int64, user string, label float64) (*ml.Annotation, *ml.LabelItem, LabelBudget, error) {
	if err := validLabel(m, label); err != nil {
		return nil, nil, LabelBudget{}, err
	}
	now := db.now()
	it, err := scanItem(tx.QueryRowContext(ctx, `SELECT `+itemCols+` FROM label_items WHERE id = ? AND model_id = ?`, itemID, m.ID))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil, LabelBudget{}, ml.Errorf(ml.ENOTFOUND, "item %d not found", itemID)
	} else if err != nil {
		return nil, nil, LabelBudget{}, err
	}
	switch {
	case it.Given >= it.Needed:
		return nil, nil, LabelBudget{}, ml.Errorf(ml.ECONFLICT, "item %d has all its labels", itemID)
	case it.LeasedTo != user && it.LeasedTo != "" && it.LeaseUntil.UnixMilli() > now:
		return nil, nil, LabelBudget{}, ml.Errorf(ml.ECONFLICT, "item %d is with another annotator", itemID)
	case it.LeasedTo != user:
		return nil, nil, LabelBudget{}, ml.Errorf(ml.ECONFLICT, "item %d is not leased to you (the lease may have expired): ask for the next item", itemID)
	}
	var dup int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM annotations WHERE item_id = ? AND user = ? AND undone = 0`, itemID, user).Scan(&dup); err != nil {
		return nil, nil, LabelBudget{}, err
	}
	if dup > 0 {
		return nil, nil, LabelBudget{}, ml.Errorf(ml.ECONFLICT, "you already labeled item %d", itemID)
	}
	bud, err := budgetAt(ctx, tx, m, now)
	if err != nil {
		return nil, nil, LabelBudget{}, err
	}
	if bud.Limit >= 0 && bud.Used >= bud.Limit {
		return nil, nil, LabelBudget{}, ml.Errorf(ml.ECONFLICT, "the label budget is used: %d of %d labels this %s", bud.Used, bud.Limit, m.Config.Labeling.WithDefaults().Period)
	}
	res, err := tx.ExecContext(ctx, `INSERT INTO annotations (item_id, batch_id, model_id, user, label, at) VALUES (?, ?, ?, ?, ?, ?)`, itemID, it.BatchID, m.ID, user, label, now)
	if err != nil {
		return nil, nil, LabelBudget{}, err
	}
	a := &ml.Annotation{ItemID: itemID, User: user, Label: label, At: time.UnixMilli(now).UTC()}
	a.ID, _ = res.LastInsertId()
	it.Given++
	if _, err := tx.ExecContext(ctx, `UPDATE label_items SET given = ?, leased_to = NULL, lease_until = NULL WHERE id = ?`, it.Given, itemID); err != nil {
		return nil, nil, LabelBudget{}, err
	}
	if _, err := tx.ExecContext(ctx, `UPDATE query_batches SET given = given + 1, done = done + ? WHERE id = ?`, boolInt(it.Given >= it.Needed), it.BatchID); err != nil {
		return nil, nil, LabelBudget{}, err
	}
	bud.Used++ // at now, within the period
	it.LeasedTo = ""
	if it.Given >= it.Needed {
		if err := db.finishItemTx(ctx, tx, m, it, user, now); err != nil {
			return nil, nil, LabelBudget{}, err
		}
	}
	return a, it, bud, nil
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
func (db *DB) finishItemTx(ctx context.Context, tx ptx, m *ml.Model, it *ml.LabelItem, user string, now int64) error {
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
func (db *DB) setFinalTx(ctx context.Context, tx ptx, m *ml.Model, it *ml.LabelItem, y float64, actor string, now int64) error {
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
func (db *DB) countLabelTx(ctx context.Context, tx ptx, m *ml.Model, obsID int64, delta int) error {
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
	raw, err := db.begin(ctx)
	if err != nil {
		return nil, nil, err
	}
	tx := db.prep(raw, db.Write)
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
	raw, err := db.begin(ctx)
	if err != nil {
		return err
	}
	tx := db.prep(raw, db.Write)
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
	raw, err := db.begin(ctx)
	if err != nil {
		return err
	}
	tx := db.prep(raw, db.Write)
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
	if err := db.audit(ctx, tx.Tx, actor, "label.settle", "model:"+m.Name, fmt.Sprintf("item %d (observation %d): %g", itemID, it.ObsID, label)); err != nil {
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

// Observation reads one observation (a one-row frame, with its score):
// what Scan would give for that id, without decoding the rest of its
// chunk, which it reads from the store only when chunkCache does not
// have it.
func (db *DB) Observation(ctx context.Context, m *ml.Model, id int64) (*Frame, error) {
	tx, err := db.readTx(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	var first int64
	var n int
	err = tx.QueryRowContext(ctx, `SELECT first_id, n FROM obs_chunks WHERE model_id = ? AND first_id <= ? ORDER BY first_id DESC LIMIT 1`, m.ID, id).Scan(&first, &n)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && (id < 1 || id >= first+int64(n))) {
		return nil, ml.Errorf(ml.ENOTFOUND, "observation %d not found", id)
	} else if err != nil {
		return nil, fmt.Errorf("store: observation: %w", err)
	}
	k, nfeat := int(id-first), len(m.Features)
	// decode reads the chunk in tx (so its row count is the one above).
	decode := func(all bool) (*Frame, error) {
		var blob sql.RawBytes
		rows, err := tx.QueryContext(ctx, `SELECT data FROM obs_chunks WHERE model_id = ? AND first_id = ?`, m.ID, first)
		if err != nil {
			return nil, fmt.Errorf("store: observation: %w", err)
		}
		defer rows.Close()
		if !rows.Next() {
			return nil, fmt.Errorf("store: observation: %w", errors.Join(rows.Err(), sql.ErrNoRows))
		}
		if err := rows.Scan(&blob); err != nil {
			return nil, fmt.Errorf("store: observation: %w", err)
		}
		if !all {
			return decodeChunkRow(blob, n, nfeat, k)
		}
		fr := newFrame(nfeat, n)
		return fr, decodeChunkInto(blob, n, nfeat, fr, true)
	}
	var fr *Frame
	if cells := n * (nfeat + 4); cells > chunkCacheCells/4 {
		fr, err = decode(false)
	} else {
		var c *Frame
		if c, err = db.labeling.chunks.load(chunkKey{m.ID, first, n}, cells, func() (*Frame, error) { return decode(true) }); err == nil {
			fr = c.row(k)
		}
	}
	if err != nil {
		return nil, err
	}
	fr.ID = []int64{id}
	// A late label overrides the chunk's.
	var y float64
	switch err := tx.QueryRowContext(ctx, `SELECT value FROM labels WHERE model_id = ? AND obs_id = ?`, m.ID, id).Scan(&y); {
	case err == nil:
		fr.Label[0] = y
	case !errors.Is(err, sql.ErrNoRows):
		return nil, fmt.Errorf("store: labels: %w", err)
	}
	return fr, nil
}

// chunkCache keeps the chunks Observation read last, decoded: the items
// of a batch come from a few chunks, and reading one row meant reading,
// copying and decoding its whole chunk (up to maxChunkRows rows) every
// time. A stored row never changes (a chunk only grows, at its end, and
// then has another row count), so a model, first id and row count name a
// chunk's content.
type chunkCache struct {
	mu      sync.Mutex
	entries []*cachedChunk // most recently used first
	cells   int
}

type chunkKey struct {
	model, first int64
	n            int
}

type cachedChunk struct {
	key   chunkKey
	cells int
	ready chan struct{} // closed once fr is set
	fr    *Frame        // nil: decoding failed
}

// At most this many values (8 bytes each) are kept; a chunk of more than
// a quarter of them is not kept but read row by row.
const chunkCacheCells = 1 << 20

// load returns the chunk decoded, calling decode (cells values) when it
// is not kept; many asking at once for a chunk decode it once.
func (c *chunkCache) load(key chunkKey, cells int, decode func() (*Frame, error)) (*Frame, error) {
	c.mu.Lock()
	for i, e := range c.entries {
		if e.key == key {
			copy(c.entries[1:i+1], c.entries[:i])
			c.entries[0] = e
			c.mu.Unlock()
			if <-e.ready; e.fr != nil {
				return e.fr, nil
			}
			return decode() // it failed for another: see why
		}
	}
	e := &cachedChunk{key: key, cells: cells, ready: make(chan struct{})}
	c.entries = append([]*cachedChunk{e}, c.entries...)
	for c.cells += cells; c.cells > chunkCacheCells; {
		last := len(c.entries) - 1
		c.cells -= c.entries[last].cells
		c.entries = c.entries[:last]
	}
	c.mu.Unlock()
	fr, err := decode()
	if err != nil {
		fr = nil
		c.mu.Lock()
		if i := slices.Index(c.entries, e); i >= 0 {
			c.entries = slices.Delete(c.entries, i, i+1)
			c.cells -= cells
		}
		c.mu.Unlock()
	}
	e.fr = fr
	close(e.ready)
	return fr, err
}

// row copies row k of a frame with scores into a frame of its own.
func (fr *Frame) row(k int) *Frame {
	out := &Frame{Time: []int64{fr.Time[k]}, X: make([][]float64, len(fr.X)), Label: []float64{fr.Label[k]},
		Score: []float64{fr.Score[k]}, Version: []int64{fr.Version[k]}}
	for j := range fr.X {
		out.X[j] = []float64{fr.X[j][k]}
	}
	return out
}

// decodeChunkRow decodes row k of a chunk blob (the format is in
// chunk.go) into a one-row frame with scores, as decodeChunkInto would,
// stepping over the other rows' values instead of decoding them.
func decodeChunkRow(blob []byte, wantN, nfeat, k int) (*Frame, error) {
	r := &chunkReader{b: blob}
	if len(blob) < 4 || string(blob[:4]) != chunkMagic {
		return nil, errCorrupt
	}
	r.off = 4
	n := int(r.uvarint())
	w := int(r.uvarint())
	flags := r.byte1()
	if r.err != nil {
		return nil, r.err
	}
	if n != wantN || w != nfeat {
		return nil, fmt.Errorf("%w: %d rows × %d features, want %d × %d", errCorrupt, n, w, wantN, nfeat)
	}
	if k < 0 || k >= n {
		return nil, fmt.Errorf("%w: row %d of %d", errCorrupt, k, n)
	}
	// f64At is row k of the next column of n float64.
	f64At := func() float64 {
		if r.err != nil || len(r.b)-r.off < 8*n {
			r.err = errCorrupt
			return 0
		}
		v := math.Float64frombits(binary.LittleEndian.Uint64(r.b[r.off+8*k:]))
		r.off += 8 * n
		return v
	}
	// uvarintAt is row k of the next column of n uvarints.
	uvarintAt := func() uint64 {
		var at uint64
		for i := 0; i < n && r.err == nil; i++ {
			v, w := binary.Uvarint(r.b[r.off:])
			if w <= 0 {
				r.err = errCorrupt
				break
			}
			r.off += w
			if i == k {
				at = v
			}
		}
		return at
	}
	f := &Frame{Time: make([]int64, 1), X: make([][]float64, nfeat), Label: []float64{math.NaN()}, Score: []float64{math.NaN()}, Version: make([]int64, 1)}
	for i := 0; i < n; i++ { // times: deltas, zigzag varints
		v, w := binary.Varint(r.b[r.off:])
		if w <= 0 {
			return nil, errCorrupt
		}
		r.off += w
		if i <= k {
			f.Time[0] += v
		}
	}
	for j := range f.X {
		f.X[j] = make([]float64, 1)
		switch r.byte1() {
		case kindF64:
			f.X[j][0] = f64At()
		case kindCode:
			if c := uvarintAt(); c == 0 {
				f.X[j][0] = math.NaN()
			} else {
				f.X[j][0] = float64(c - 1)
			}
		default:
			return nil, errCorrupt
		}
	}
	if flags&flagLabel != 0 {
		f.Label[0] = f64At()
	}
	if flags&flagScore != 0 {
		f.Score[0] = f64At()
		f.Version[0] = int64(uvarintAt())
	}
	if r.err != nil {
		return nil, r.err
	}
	return f, nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
