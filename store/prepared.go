package store

import (
	"context"
	"database/sql"
	"fmt"
)

// The queries that run on every request (the session, the model, the
// labeling queries) cost SQLite more to parse than to run: they are
// prepared once per connection instead (database/sql re-prepares a Stmt
// on each connection of its pool that runs it, and reuses it there).
type stmtKey struct {
	pool *sql.DB
	q    string
}

// prepared returns q prepared on pool, or nil until it is: the first
// call prepares it in the background, as the caller may hold the
// connection it would need (the writer pool has one).
func (db *DB) prepared(pool *sql.DB, q string) *sql.Stmt {
	key := stmtKey{pool, q}
	v, loaded := db.stmts.LoadOrStore(key, (*sql.Stmt)(nil))
	if st := v.(*sql.Stmt); st != nil || loaded {
		return st
	}
	go func() {
		st, err := pool.PrepareContext(context.Background(), q)
		if err != nil {
			db.stmts.Delete(key) // tried again next time
			return
		}
		db.stmts.Store(key, st)
	}()
	return nil
}

// ptx is a transaction of pool that runs its queries as prepared
// statements.
type ptx struct {
	*sql.Tx
	db   *DB
	pool *sql.DB
}

func (db *DB) prep(tx *sql.Tx, pool *sql.DB) ptx { return ptx{Tx: tx, db: db, pool: pool} }

func (t ptx) stmt(ctx context.Context, q string) *sql.Stmt {
	if st := t.db.prepared(t.pool, q); st != nil {
		return t.Tx.StmtContext(ctx, st)
	}
	return nil
}

func (t ptx) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, q, args...)
}

func (t ptx) QueryContext(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, q, args...)
}

func (t ptx) ExecContext(ctx context.Context, q string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, q); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, q, args...)
}

// readRow runs a one-row query, prepared, on the reader pool.
func (db *DB) readRow(ctx context.Context, q string, args ...any) *sql.Row {
	if st := db.prepared(db.Read, q); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return db.Read.QueryRowContext(ctx, q, args...)
}

// readRows runs a query, prepared, on the reader pool.
func (db *DB) readRows(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	if st := db.prepared(db.Read, q); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return db.Read.QueryContext(ctx, q, args...)
}

// readerFunc makes readRow a querier.
type readerFunc func(context.Context, string, ...any) *sql.Row

func (f readerFunc) QueryRowContext(ctx context.Context, q string, args ...any) *sql.Row {
	return f(ctx, q, args...)
}

// readTx begins a read-only transaction on the reader pool.
func (db *DB) readTx(ctx context.Context) (ptx, error) {
	tx, err := db.Read.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return ptx{}, fmt.Errorf("store: begin read: %w", err)
	}
	return db.prep(tx, db.Read), nil
}

// collect scans every row of a query into a slice (rows and err as
// QueryContext returned them; what names the query in an error).
func collect[T any](rows *sql.Rows, err error, what string, scan func(rowScanner) (T, error)) ([]T, error) {
	if err != nil {
		return nil, fmt.Errorf("store: %s: %w", what, err)
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		x, err := scan(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, x)
	}
	return out, rows.Err()
}
