package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"database/sql"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/freshet/freshet/ml"
)

// BcryptCost is the bcrypt work factor for passwords; tests lower it.
var BcryptCost = bcrypt.DefaultCost

// MinPasswordLen is the shortest password a person may set.
const MinPasswordLen = 10

var b32 = base32.StdEncoding.WithPadding(base32.NoPadding)

// NewSecret returns n random bytes as lower-case base32 text.
func NewSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return strings.ToLower(b32.EncodeToString(b))
}

func hashSecret(s string) []byte {
	h := sha256.Sum256([]byte(s))
	return h[:]
}

// CreateUser adds a user with a generated password, which it returns; the
// caller shows it once. mustChange makes the user set their own password
// at first login.
func (db *DB) CreateUser(ctx context.Context, actor ml.Actor, name string, role ml.Role, mustChange bool) (*ml.User, string, error) {
	if !ml.ValidName(name) {
		return nil, "", ml.Errorf(ml.EINVALID, "user name %q: use 1-63 lower-case letters, digits, '_', '-' or '.'", name)
	}
	if _, err := ml.ParseRole(string(role)); err != nil {
		return nil, "", err
	}
	password := NewSecret(10) // 16 characters, 80 bits
	hash, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return nil, "", fmt.Errorf("store: create user: %w", err)
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	now := db.now()
	res, err := tx.ExecContext(ctx, `INSERT INTO users (name, role, password_hash, must_change, created_at) VALUES (?, ?, ?, ?, ?)`,
		name, role, string(hash), mustChange, now)
	if err != nil {
		if ml.ErrorCode(formatError(err)) == ml.ECONFLICT {
			return nil, "", ml.Errorf(ml.ECONFLICT, "a user named %q already exists", name)
		}
		return nil, "", fmt.Errorf("store: create user: %w", err)
	}
	id, _ := res.LastInsertId()
	if err := db.audit(ctx, tx, actor, "user.create", "user:"+name, "role "+string(role)); err != nil {
		return nil, "", err
	}
	if err := tx.Commit(); err != nil {
		return nil, "", err
	}
	return &ml.User{ID: id, Name: name, Role: role, CreatedAt: time.UnixMilli(now).UTC()}, password, nil
}

// CountUsers returns how many users exist.
func (db *DB) CountUsers(ctx context.Context) (int, error) {
	var n int
	err := db.Read.QueryRowContext(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	return n, err
}

// FindUsers lists users by name.
func (db *DB) FindUsers(ctx context.Context) ([]*ml.User, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT id, name, role, disabled, created_at FROM users ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*ml.User
	for rows.Next() {
		var u ml.User
		var created int64
		if err := rows.Scan(&u.ID, &u.Name, &u.Role, &u.Disabled, &created); err != nil {
			return nil, err
		}
		u.CreatedAt = time.UnixMilli(created).UTC()
		out = append(out, &u)
	}
	return out, rows.Err()
}

// ErrBadLogin is returned for an unknown user, a wrong password or a
// disabled account alike, so the message does not tell which.
var ErrBadLogin = ml.Errorf(ml.EUNAUTHORIZED, "Wrong user name or password.")

// Authenticate checks a password. mustChange reports that the user must
// set a new password before doing anything else.
func (db *DB) Authenticate(ctx context.Context, name, password string) (u *ml.User, mustChange bool, err error) {
	var hash string
	var created int64
	u = &ml.User{}
	err = db.Read.QueryRowContext(ctx, `SELECT id, name, role, password_hash, must_change, disabled, created_at FROM users WHERE name = ?`, name).
		Scan(&u.ID, &u.Name, &u.Role, &hash, &mustChange, &u.Disabled, &created)
	if errors.Is(err, sql.ErrNoRows) {
		// Spend the same time as a real check so timing does not reveal
		// which names exist.
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return nil, false, ErrBadLogin
	}
	if err != nil {
		return nil, false, fmt.Errorf("store: authenticate: %w", err)
	}
	if bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) != nil || u.Disabled {
		return nil, false, ErrBadLogin
	}
	u.CreatedAt = time.UnixMilli(created).UTC()
	return u, mustChange, nil
}

var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("freshet-dummy-password"), bcrypt.MinCost)

// SetPassword changes a user's password and ends their other sessions.
func (db *DB) SetPassword(ctx context.Context, actor ml.Actor, userID int64, password string, keepSession []byte) error {
	if len(password) < MinPasswordLen {
		return ml.Errorf(ml.EINVALID, "Use a password of at least %d characters.", MinPasswordLen)
	}
	if len(password) > 72 {
		return ml.Errorf(ml.EINVALID, "Use a password of at most 72 bytes.")
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(password), BcryptCost)
	if err != nil {
		return err
	}
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var name string
	if err := tx.QueryRowContext(ctx, `UPDATE users SET password_hash = ?, must_change = 0 WHERE id = ? RETURNING name`, string(hash), userID).Scan(&name); err != nil {
		return fmt.Errorf("store: set password: %w", err)
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE user_id = ? AND hash != ?`, userID, keepSession); err != nil {
		return err
	}
	if err := db.audit(ctx, tx, actor, "user.password", "user:"+name, ""); err != nil {
		return err
	}
	return tx.Commit()
}

// Session is a logged-in browser.
type Session struct {
	Hash       []byte
	User       ml.User
	MustChange bool
	ExpiresAt  time.Time
}

// SessionTTL is how long a session lives without use.
const SessionTTL = 7 * 24 * time.Hour

// CreateSession starts a session for u and returns the cookie secret.
func (db *DB) CreateSession(ctx context.Context, u *ml.User, ip, userAgent string) (string, error) {
	secret := NewSecret(32)
	now := db.now()
	tx, err := db.begin(ctx)
	if err != nil {
		return "", err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `INSERT INTO sessions (hash, user_id, created_at, expires_at, last_seen_at, ip, user_agent) VALUES (?, ?, ?, ?, ?, ?, ?)`,
		hashSecret(secret), u.ID, now, now+SessionTTL.Milliseconds(), now, ip, truncate(userAgent, 200)); err != nil {
		return "", fmt.Errorf("store: create session: %w", err)
	}
	// Expired sessions go when new ones come.
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?`, now); err != nil {
		return "", err
	}
	if err := db.audit(ctx, tx, ml.Actor{Kind: "user", ID: u.ID, Name: u.Name}, "session.login", "user:"+u.Name, "from "+ip); err != nil {
		return "", err
	}
	return secret, tx.Commit()
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// FindSession returns the live session for a cookie secret. It slides the
// expiry forward at most once a minute, so reads do not become writes.
func (db *DB) FindSession(ctx context.Context, secret string) (*Session, error) {
	h := hashSecret(secret)
	var s Session
	var exp, seen, created int64
	err := db.readRow(ctx, `SELECT u.id, u.name, u.role, u.must_change, u.disabled, u.created_at, s.expires_at, s.last_seen_at
		FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.hash = ?`, h).
		Scan(&s.User.ID, &s.User.Name, &s.User.Role, &s.MustChange, &s.User.Disabled, &created, &exp, &seen)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.EUNAUTHORIZED, "Please log in.")
	}
	if err != nil {
		return nil, fmt.Errorf("store: find session: %w", err)
	}
	now := db.now()
	if exp < now || s.User.Disabled {
		return nil, ml.Errorf(ml.EUNAUTHORIZED, "Your session has ended; please log in again.")
	}
	if now-seen > time.Minute.Milliseconds() {
		if _, err := db.Write.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ?, expires_at = ? WHERE hash = ?`, now, now+SessionTTL.Milliseconds(), h); err != nil {
			return nil, fmt.Errorf("store: touch session: %w", err)
		}
		exp = now + SessionTTL.Milliseconds()
	}
	s.Hash = h
	s.User.CreatedAt = time.UnixMilli(created).UTC()
	s.ExpiresAt = time.UnixMilli(exp).UTC()
	return &s, nil
}

// DeleteSession logs a session out.
func (db *DB) DeleteSession(ctx context.Context, actor ml.Actor, hash []byte) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE hash = ?`, hash); err != nil {
		return err
	}
	if err := db.audit(ctx, tx, actor, "session.logout", actor.String(), ""); err != nil {
		return err
	}
	return tx.Commit()
}

// TokenPrefix starts every API token secret, so leaked tokens are easy to
// find with a secret scanner.
const TokenPrefix = "frt_"

// CreateToken adds an API token and returns its secret, shown once.
func (db *DB) CreateToken(ctx context.Context, actor ml.Actor, name string, scopes []string) (*ml.Token, string, error) {
	if !ml.ValidName(name) {
		return nil, "", ml.Errorf(ml.EINVALID, "token name %q: use 1-63 lower-case letters, digits, '_', '-' or '.'", name)
	}
	if len(scopes) == 0 {
		return nil, "", ml.Errorf(ml.EINVALID, "a token needs at least one scope (ingest, predict, admin)")
	}
	secret := TokenPrefix + NewSecret(32)
	now := db.now()
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, "", err
	}
	defer tx.Rollback()
	res, err := tx.ExecContext(ctx, `INSERT INTO api_tokens (name, hash, prefix, scopes, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?)`,
		name, hashSecret(secret), secret[:len(TokenPrefix)+6], strings.Join(scopes, ","), now, actor.String())
	if err != nil {
		if ml.ErrorCode(formatError(err)) == ml.ECONFLICT {
			return nil, "", ml.Errorf(ml.ECONFLICT, "a token named %q already exists", name)
		}
		return nil, "", fmt.Errorf("store: create token: %w", err)
	}
	id, _ := res.LastInsertId()
	if err := db.audit(ctx, tx, actor, "token.create", "token:"+name, "scopes "+strings.Join(scopes, ",")); err != nil {
		return nil, "", err
	}
	if err := tx.Commit(); err != nil {
		return nil, "", err
	}
	return &ml.Token{ID: id, Name: name, Scopes: scopes, CreatedAt: time.UnixMilli(now).UTC(), CreatedBy: actor.String()}, secret, nil
}

// FindTokenBySecret returns the live token for a bearer secret.
func (db *DB) FindTokenBySecret(ctx context.Context, secret string) (*ml.Token, error) {
	var t ml.Token
	var scopes string
	var created int64
	var used, revoked sql.NullInt64
	h := hashSecret(secret)
	err := db.readRow(ctx, `SELECT id, name, scopes, created_at, created_by, last_used_at, revoked_at FROM api_tokens WHERE hash = ?`, h).
		Scan(&t.ID, &t.Name, &scopes, &created, &t.CreatedBy, &used, &revoked)
	if errors.Is(err, sql.ErrNoRows) || (err == nil && revoked.Valid) {
		return nil, ml.Errorf(ml.EUNAUTHORIZED, "invalid or revoked API token")
	}
	if err != nil {
		return nil, fmt.Errorf("store: find token: %w", err)
	}
	t.Scopes = strings.Split(scopes, ",")
	t.CreatedAt = time.UnixMilli(created).UTC()
	now := db.now()
	if !used.Valid || now-used.Int64 > time.Minute.Milliseconds() {
		if _, err := db.Write.ExecContext(ctx, `UPDATE api_tokens SET last_used_at = ? WHERE id = ?`, now, t.ID); err != nil {
			return nil, err
		}
		used = sql.NullInt64{Int64: now, Valid: true}
	}
	t.LastUsedAt = msTime(used)
	return &t, nil
}

// FindTokens lists live tokens.
func (db *DB) FindTokens(ctx context.Context) ([]*ml.Token, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT id, name, scopes, created_at, created_by, last_used_at FROM api_tokens WHERE revoked_at IS NULL ORDER BY name`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*ml.Token
	for rows.Next() {
		var t ml.Token
		var scopes string
		var created int64
		var used sql.NullInt64
		if err := rows.Scan(&t.ID, &t.Name, &scopes, &created, &t.CreatedBy, &used); err != nil {
			return nil, err
		}
		t.Scopes = strings.Split(scopes, ",")
		t.CreatedAt = time.UnixMilli(created).UTC()
		t.LastUsedAt = msTime(used)
		out = append(out, &t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token by id.
func (db *DB) RevokeToken(ctx context.Context, actor ml.Actor, id int64) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	var name string
	err = tx.QueryRowContext(ctx, `UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL RETURNING name`, db.now(), id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return ml.Errorf(ml.ENOTFOUND, "token not found")
	}
	if err != nil {
		return err
	}
	if err := db.audit(ctx, tx, actor, "token.revoke", "token:"+name, ""); err != nil {
		return err
	}
	return tx.Commit()
}
