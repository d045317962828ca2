package store

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"github.com/freshet/freshet/ml"
)

// UploadTTL is how long an uploaded file waits for its model to be created.
const UploadTTL = 2 * time.Hour

// SaveUpload keeps a file uploaded in the browser until the user confirms
// the schema; it returns its id. Old uploads are removed.
func (db *DB) SaveUpload(ctx context.Context, userID int64, name string, data []byte) (string, error) {
	id := NewSecret(16)
	tx, err := db.begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	now := db.now()
	if _, err := tx.ExecContext(ctx, `DELETE FROM uploads WHERE created_at < ?`, now-UploadTTL.Milliseconds()); err != nil {
		return "", err
	}
	if _, err := tx.ExecContext(ctx, `INSERT INTO uploads (id, user_id, name, created_at, data) VALUES (?, ?, ?, ?, ?)`, id, userID, name, now, data); err != nil {
		return "", err
	}
	return id, tx.Commit()
}

// FindUpload returns an upload of the user.
func (db *DB) FindUpload(ctx context.Context, userID int64, id string) (name string, data []byte, err error) {
	err = db.Read.QueryRowContext(ctx, `SELECT name, data FROM uploads WHERE id = ? AND user_id = ? AND created_at >= ?`,
		id, userID, db.now()-UploadTTL.Milliseconds()).Scan(&name, &data)
	if errors.Is(err, sql.ErrNoRows) {
		return "", nil, ml.Errorf(ml.ENOTFOUND, "This upload has expired; please upload the file again.")
	}
	return name, data, err
}

// DeleteUpload removes an upload once used.
func (db *DB) DeleteUpload(ctx context.Context, id string) error {
	_, err := db.Write.ExecContext(ctx, `DELETE FROM uploads WHERE id = ?`, id)
	return err
}
