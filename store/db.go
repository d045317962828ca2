// Package store keeps freshet's state in SQLite (mattn/go-sqlite3, WAL).
//
// One public method is one transaction. Writes go through a pool of one
// connection (SQLite has one writer; a single connection avoids "database
// is locked" under load), reads through a separate pool so dashboards do
// not wait behind ingest.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/mattn/go-sqlite3"

	"github.com/freshet/freshet/ml"
)

//go:embed migrations/*.sql
var migrationFS embed.FS

// DB is the store.
type DB struct {
	// Write is the single-connection writer pool; River shares it.
	Write *sql.DB
	// Read is the reader pool.
	Read *sql.DB
	Path string

	// Now is the clock; tests replace it.
	Now func() time.Time

	// labeling is what the labeling API keeps between requests
	// (labeling.go).
	labeling labelingState
	stmts    sync.Map // stmtKey → *sql.Stmt, see prepared

	// ckpt checkpoints the WAL in the background (see checkpoints).
	ckpt     *sql.DB
	stopCkpt chan struct{}
	ckptDone chan struct{}
}

// DSN returns the go-sqlite3 DSN for path. PRAGMAs go in the DSN so every
// pooled connection gets them (an Exec("PRAGMA ...") sets only one).
// synchronous=NORMAL is safe with WAL (a power cut may lose the last
// transactions, never corrupt the file).
func DSN(path string, readOnly bool) string {
	q := url.Values{}
	q.Set("_journal_mode", "WAL")
	q.Set("_busy_timeout", "5000")
	q.Set("_foreign_keys", "on")
	q.Set("_synchronous", "NORMAL")
	if readOnly {
		q.Set("_query_only", "true")
		q.Set("_txlock", "deferred")
	} else {
		q.Set("_txlock", "immediate")
	}
	return "file:" + path + "?" + q.Encode()
}

// Open opens (creating if needed) the database at path and applies the
// migrations. DB.Path is absolute: other processes are handed it, and a
// training process runs in its own directory (with `--db freshet.db`,
// as `make run` serves, it opened an empty freshet.db there, and every
// retrain failed with "no such table: models").
func Open(ctx context.Context, path string) (*DB, error) {
	path, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	w, err := sql.Open("sqlite3", DSN(path, false))
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	w.SetMaxOpenConns(1)
	w.SetMaxIdleConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite3", DSN(path, true))
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("store: open reader: %w", err)
	}
	r.SetMaxOpenConns(4)
	r.SetMaxIdleConns(4)
	db := &DB{Write: w, Read: r, Path: path, Now: time.Now}
	if err := db.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	if err := db.checkpoints(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return db, nil
}

// CheckpointEvery is how often the background checkpointer copies the WAL
// into the database file.
var CheckpointEvery = 500 * time.Millisecond

// checkpoints moves WAL checkpoints out of commits. SQLite checkpoints
// in the commit that passes 1,000 WAL pages, so that commit (and every
// write queued behind the one writer: leases, labels, River) waited for
// the copy and its fsync, tens of milliseconds here. The writer's
// automatic checkpoints are turned off and a connection of its own runs
// passive checkpoints, which never block the writer or readers. Should
// the writer's connection be replaced, the new one checkpoints
// automatically again, as SQLite does by default.
func (db *DB) checkpoints(ctx context.Context) error {
	if _, err := db.Write.ExecContext(ctx, `PRAGMA wal_autocheckpoint = 0`); err != nil {
		return fmt.Errorf("store: open: %w", err)
	}
	c, err := sql.Open("sqlite3", DSN(db.Path, false))
	if err != nil {
		return fmt.Errorf("store: open checkpointer: %w", err)
	}
	c.SetMaxOpenConns(1)
	c.SetConnMaxLifetime(0)
	db.ckpt, db.stopCkpt, db.ckptDone = c, make(chan struct{}), make(chan struct{})
	go func() {
		defer close(db.ckptDone)
		t := time.NewTicker(CheckpointEvery)
		defer t.Stop()
		for {
			select {
			case <-db.stopCkpt:
				return
			case <-t.C:
				// A busy or failed checkpoint is tried again next tick.
				c.Exec(`PRAGMA wal_checkpoint(PASSIVE)`)
			}
		}
	}()
	return nil
}

// OpenReadOnly opens an existing database for reading only, without
// migrations: a training child process reads its data through it while
// the server keeps the one writer.
func OpenReadOnly(ctx context.Context, path string) (*DB, error) {
	if _, err := os.Stat(path); err != nil {
		// Opening would create an empty database and fail later, on the
		// first table it reads.
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	r, err := sql.Open("sqlite3", DSN(path, true))
	if err != nil {
		return nil, fmt.Errorf("store: open: %w", err)
	}
	r.SetMaxOpenConns(2)
	if err := r.PingContext(ctx); err != nil {
		r.Close()
		return nil, fmt.Errorf("store: open %s: %w", path, err)
	}
	return &DB{Write: r, Read: r, Path: path, Now: time.Now}, nil
}

// Close closes both pools.
func (db *DB) Close() error {
	if db.Read == db.Write {
		return db.Read.Close()
	}
	var ckpt error
	if db.ckpt != nil {
		close(db.stopCkpt)
		<-db.ckptDone
		ckpt = db.ckpt.Close()
	}
	return errors.Join(db.Read.Close(), db.Write.Close(), ckpt)
}

func (db *DB) now() int64 { return db.Now().UnixMilli() }

// migrate applies the embedded migrations in order, each in its own
// transaction, recording their names (wtf's scheme). Applied migrations are
// never edited.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.Write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	names, err := fs.Glob(migrationFS, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		if err := db.migrateFile(ctx, name); err != nil {
			return fmt.Errorf("migrate %s: %w", name, err)
		}
	}
	return nil
}

func (db *DB) migrateFile(ctx context.Context, name string) error {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var n int
	if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE name = ?`, name).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return nil
	}
	buf, err := fs.ReadFile(migrationFS, name)
	if err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, string(buf)); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (name, applied_at) VALUES (?, ?)`, name, db.now()); err != nil {
		return err
	}
	return tx.Commit()
}

// begin starts a write transaction (BEGIN IMMEDIATE through the DSN).
func (db *DB) begin(ctx context.Context) (*sql.Tx, error) {
	tx, err := db.Write.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("store: begin: %w", err)
	}
	return tx, nil
}

// formatError translates driver errors into ml errors at the boundary.
func formatError(err error) error {
	if err == nil {
		return nil
	}
	var se sqlite3.Error
	if errors.As(err, &se) && (se.ExtendedCode == sqlite3.ErrConstraintUnique || se.ExtendedCode == sqlite3.ErrConstraintPrimaryKey) {
		return ml.Errorf(ml.ECONFLICT, "already exists")
	}
	return err
}

// audit writes an audit entry inside tx.
func (db *DB) audit(ctx context.Context, tx *sql.Tx, actor ml.Actor, action, target, detail string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO audit_log (at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)`,
		db.now(), actor.String(), action, target, detail)
	if err != nil {
		return fmt.Errorf("store: audit: %w", err)
	}
	return nil
}

// Audit records an action that changed nothing in the store itself (a
// login, a failed login, a refused request).
func (db *DB) Audit(ctx context.Context, actor ml.Actor, action, target, detail string) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.audit(ctx, tx, actor, action, target, detail); err != nil {
		return err
	}
	return tx.Commit()
}

// AuditFilter selects audit entries.
type AuditFilter struct {
	Actor  string // exact, or prefix ending in ':' such as "user:"
	Action string // prefix, e.g. "model."
	Target string // substring
	Before int64  // id, for paging
	Limit  int
}

// FindAudit returns audit entries, newest first.
func (db *DB) FindAudit(ctx context.Context, f AuditFilter) ([]ml.AuditEntry, error) {
	where, args := []string{"1 = 1"}, []any{}
	if f.Actor != "" {
		if strings.HasSuffix(f.Actor, ":") {
			where, args = append(where, "actor LIKE ? ESCAPE '\\'"), append(args, likeEscape(f.Actor)+"%")
		} else {
			where, args = append(where, "actor = ?"), append(args, f.Actor)
		}
	}
	if f.Action != "" {
		where, args = append(where, "action LIKE ? ESCAPE '\\'"), append(args, likeEscape(f.Action)+"%")
	}
	if f.Target != "" {
		where, args = append(where, "target LIKE ? ESCAPE '\\'"), append(args, "%"+likeEscape(f.Target)+"%")
	}
	if f.Before > 0 {
		where, args = append(where, "id < ?"), append(args, f.Before)
	}
	if f.Limit <= 0 || f.Limit > 1000 {
		f.Limit = 100
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT id, at, actor, action, target, detail FROM audit_log WHERE `+
		strings.Join(where, " AND ")+` ORDER BY id DESC LIMIT ?`, append(args, f.Limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: find audit: %w", err)
	}
	defer rows.Close()
	var out []ml.AuditEntry
	for rows.Next() {
		var e ml.AuditEntry
		var at int64
		if err := rows.Scan(&e.ID, &at, &e.Actor, &e.Action, &e.Target, &e.Detail); err != nil {
			return nil, err
		}
		e.At = time.UnixMilli(at).UTC()
		out = append(out, e)
	}
	return out, rows.Err()
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// GetKV reads a value from the key/value table; ok is false when absent.
func (db *DB) GetKV(ctx context.Context, key string) (value string, ok bool, err error) {
	err = db.Write.QueryRowContext(ctx, `SELECT value FROM kv WHERE key = ?`, key).Scan(&value)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	return value, err == nil, err
}

// SetKV writes a value to the key/value table.
func (db *DB) SetKV(ctx context.Context, key, value string) error {
	_, err := db.Write.ExecContext(ctx, `INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`, key, value)
	return err
}

func msTime(ms sql.NullInt64) *time.Time {
	if !ms.Valid {
		return nil
	}
	t := time.UnixMilli(ms.Int64).UTC()
	return &t
}
