package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/rand/v2"
)

// Reference is a stored monitoring reference (JSON from ml/monitor).
type Reference struct {
	ID        int64
	VersionID int64
	Rows      int
	Data      []byte
}

// FindReference returns the reference built for a model version, or
// ENOTFOUND-like nil, nil when there is none yet.
func (db *DB) FindReference(ctx context.Context, modelID, versionID int64) (*Reference, error) {
	r := &Reference{VersionID: versionID}
	err := db.Read.QueryRowContext(ctx, `SELECT id, rows, data FROM monitor_refs WHERE model_id = ? AND version_id = ?`, modelID, versionID).Scan(&r.ID, &r.Rows, &r.Data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store: find reference: %w", err)
	}
	return r, nil
}

// FindReferenceByID returns a reference by id.
func (db *DB) FindReferenceByID(ctx context.Context, id int64) (*Reference, error) {
	r := &Reference{ID: id}
	err := db.Read.QueryRowContext(ctx, `SELECT version_id, rows, data FROM monitor_refs WHERE id = ?`, id).Scan(&r.VersionID, &r.Rows, &r.Data)
	if err != nil {
		return nil, fmt.Errorf("store: find reference %d: %w", id, err)
	}
	return r, nil
}

// SaveReference stores the reference of a model version (once). Its id
// is random, never reused after a reference is deleted, so readers may
// cache references by id.
func (db *DB) SaveReference(ctx context.Context, modelID, versionID int64, rows int, data []byte) (int64, error) {
	var id int64
	err := db.Write.QueryRowContext(ctx, `INSERT INTO monitor_refs (id, model_id, version_id, created_at, rows, data) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (model_id, version_id) DO UPDATE SET data = excluded.data, rows = excluded.rows RETURNING id`,
		rand.Int64N(1<<53)+1, modelID, versionID, db.now(), rows, data).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("store: save reference: %w", err)
	}
	return id, nil
}

// Profile is a stored window profile.
type Profile struct {
	Start, End int64
	Rows       int
	Labeled    int
	RefID      int64
	Data       []byte
}

// SaveProfile stores (or replaces) a window's profile.
func (db *DB) SaveProfile(ctx context.Context, modelID int64, p Profile) error {
	_, err := db.Write.ExecContext(ctx, `INSERT INTO profiles (model_id, window_start, window_end, rows, labeled, ref_id, computed_at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (model_id, window_start) DO UPDATE SET window_end = excluded.window_end, rows = excluded.rows, labeled = excluded.labeled,
		ref_id = excluded.ref_id, computed_at = excluded.computed_at, data = excluded.data`,
		modelID, p.Start, p.End, p.Rows, p.Labeled, p.RefID, db.now(), p.Data)
	if err != nil {
		return fmt.Errorf("store: save profile: %w", err)
	}
	return nil
}

// FindProfiles returns a model's newest profiles, oldest first.
func (db *DB) FindProfiles(ctx context.Context, modelID int64, limit int) ([]Profile, error) {
	if limit <= 0 {
		limit = 52
	}
	rows, err := db.Read.QueryContext(ctx, `SELECT window_start, window_end, rows, labeled, ref_id, data FROM
		(SELECT * FROM profiles WHERE model_id = ? ORDER BY window_start DESC LIMIT ?) ORDER BY window_start`, modelID, limit)
	if err != nil {
		return nil, fmt.Errorf("store: find profiles: %w", err)
	}
	defer rows.Close()
	var out []Profile
	for rows.Next() {
		var p Profile
		if err := rows.Scan(&p.Start, &p.End, &p.Rows, &p.Labeled, &p.RefID, &p.Data); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// LastProfileStart is the start of a model's newest profiled window; ok
// is false when there is none.
func (db *DB) LastProfileStart(ctx context.Context, modelID int64) (start int64, ok bool, err error) {
	var s sql.NullInt64
	if err := db.Read.QueryRowContext(ctx, `SELECT MAX(window_start) FROM profiles WHERE model_id = ?`, modelID).Scan(&s); err != nil {
		return 0, false, err
	}
	return s.Int64, s.Valid, nil
}

// LatestRefID is the reference of a model's newest profile.
func (db *DB) LatestRefID(ctx context.Context, modelID int64) (int64, bool, error) {
	var id int64
	err := db.readRow(ctx, `SELECT ref_id FROM profiles WHERE model_id = ? ORDER BY window_start DESC LIMIT 1`, modelID).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, false, nil
	}
	return id, err == nil, err
}
