package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/freshet/freshet/ml"
)

const modelCols = `id, name, task, label, time_col, entity_col, features, classes, metric, description, config, created_at,
	n_obs, n_labeled, first_ts, last_ts, last_ingest_at`

type rowScanner interface{ Scan(dest ...any) error }

func scanModel(r rowScanner) (*ml.Model, error) {
	var m ml.Model
	var features, classes, config string
	var created int64
	var first, last, ingest sql.NullInt64
	if err := r.Scan(&m.ID, &m.Name, &m.Task, &m.Label, &m.Time, &m.Entity, &features, &classes, &m.Metric, &m.Description, &config, &created,
		&m.Stats.Observations, &m.Stats.Labeled, &first, &last, &ingest); err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(features), &m.Features); err != nil {
		return nil, fmt.Errorf("store: model %s features: %w", m.Name, err)
	}
	if err := json.Unmarshal([]byte(classes), &m.Classes); err != nil {
		return nil, fmt.Errorf("store: model %s classes: %w", m.Name, err)
	}
	if err := json.Unmarshal([]byte(config), &m.Config); err != nil {
		return nil, fmt.Errorf("store: model %s config: %w", m.Name, err)
	}
	m.CreatedAt = time.UnixMilli(created).UTC()
	m.Stats.FirstObservation, m.Stats.LastObservation, m.Stats.LastIngest = msTime(first), msTime(last), msTime(ingest)
	return &m, nil
}

// CreateModel validates and stores a new model, with its declared
// categories, and audits it. The model's ID and CreatedAt are set.
func (db *DB) CreateModel(ctx context.Context, actor ml.Actor, m *ml.Model) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if err := db.createModelTx(ctx, tx, actor, m); err != nil {
		return err
	}
	return tx.Commit()
}

func (db *DB) createModelTx(ctx context.Context, tx *sql.Tx, actor ml.Actor, m *ml.Model) error {
	m.Normalize()
	if err := m.Validate(); err != nil {
		return err
	}
	features, _ := json.Marshal(m.Features)
	classes, _ := json.Marshal(orEmpty(m.Classes))
	config, _ := json.Marshal(m.Config)
	now := db.now()
	res, err := tx.ExecContext(ctx, `INSERT INTO models (name, task, label, time_col, entity_col, features, classes, metric, description, config, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, m.Name, m.Task, m.Label, m.Time, m.Entity, string(features), string(classes), m.Metric, m.Description, string(config), now)
	if err != nil {
		if ml.ErrorCode(formatError(err)) == ml.ECONFLICT {
			return ml.Errorf(ml.ECONFLICT, "a model named %q already exists", m.Name)
		}
		return fmt.Errorf("store: create model: %w", err)
	}
	m.ID, _ = res.LastInsertId()
	m.CreatedAt = time.UnixMilli(now).UTC()
	for j, f := range m.Features {
		for code, v := range f.Categories {
			if _, err := tx.ExecContext(ctx, `INSERT INTO categories (model_id, feature, code, value) VALUES (?, ?, ?, ?)`, m.ID, j, code, v); err != nil {
				return fmt.Errorf("store: create model: %w", err)
			}
		}
	}
	return db.audit(ctx, tx, actor, "model.create", "model:"+m.Name, fmt.Sprintf("%s, %d features, label %s", m.Task, len(m.Features), m.Label))
}

// orEmpty is s, or an empty slice for nil (JSON [] rather than null).
func orEmpty[S ~[]E, E any](s S) S {
	if s == nil {
		return S{}
	}
	return s
}

// FindModelByName returns the named model with its counts.
func (db *DB) FindModelByName(ctx context.Context, name string) (*ml.Model, error) {
	m, err := scanModel(db.readRow(ctx, `SELECT `+modelCols+` FROM models WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "model %q not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("store: find model: %w", err)
	}
	return m, nil
}

// FindModels returns every model, by name.
func (db *DB) FindModels(ctx context.Context) ([]*ml.Model, error) {
	rows, err := db.Read.QueryContext(ctx, `SELECT `+modelCols+` FROM models ORDER BY name`)
	if err != nil {
		return nil, fmt.Errorf("store: find models: %w", err)
	}
	defer rows.Close()
	var out []*ml.Model
	for rows.Next() {
		m, err := scanModel(rows)
		if err != nil {
			return nil, fmt.Errorf("store: find models: %w", err)
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// FindCategories returns, per feature, the categorical values by code
// (nil for numeric features).
func (db *DB) FindCategories(ctx context.Context, m *ml.Model) ([][]string, error) {
	out := make([][]string, len(m.Features))
	rows, err := db.readRows(ctx, `SELECT feature, code, value FROM categories WHERE model_id = ? ORDER BY feature, code`, m.ID)
	if err != nil {
		return nil, fmt.Errorf("store: categories: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var j, code int
		var v string
		if err := rows.Scan(&j, &code, &v); err != nil {
			return nil, err
		}
		if j < 0 || j >= len(out) || code != len(out[j]) {
			return nil, fmt.Errorf("store: categories of %s are not dense at feature %d code %d", m.Name, j, code)
		}
		out[j] = append(out[j], v)
	}
	return out, rows.Err()
}

// FindModelByID returns a model by id.
func (db *DB) FindModelByID(ctx context.Context, id int64) (*ml.Model, error) {
	m, err := scanModel(db.readRow(ctx, `SELECT `+modelCols+` FROM models WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "model %d not found", id)
	}
	if err != nil {
		return nil, fmt.Errorf("store: find model: %w", err)
	}
	return m, nil
}

// UpdateModelConfig replaces a model's configuration after validating it
// with the model's schema, and audits the change.
func (db *DB) UpdateModelConfig(ctx context.Context, actor ml.Actor, name string, cfg ml.ModelConfig) (*ml.Model, error) {
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	m, err := scanModel(tx.QueryRowContext(ctx, `SELECT `+modelCols+` FROM models WHERE name = ?`, name))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ml.Errorf(ml.ENOTFOUND, "model %q not found", name)
	}
	if err != nil {
		return nil, fmt.Errorf("store: update config: %w", err)
	}
	old, _ := json.Marshal(m.Config)
	m.Config = cfg
	if err := m.Validate(); err != nil {
		return nil, err
	}
	data, _ := json.Marshal(cfg)
	if _, err := tx.ExecContext(ctx, `UPDATE models SET config = ? WHERE id = ?`, string(data), m.ID); err != nil {
		return nil, fmt.Errorf("store: update config: %w", err)
	}
	var was ml.ModelConfig
	json.Unmarshal(old, &was)
	o, n := was.Monitor, cfg.Monitor
	switch {
	case !sameTime(o.ReferenceFrom, n.ReferenceFrom) || !sameTime(o.ReferenceTo, n.ReferenceTo):
		// Another reference: rebuild it; its profiles go with it.
		if _, err := tx.ExecContext(ctx, `DELETE FROM monitor_refs WHERE model_id = ?`, m.ID); err != nil {
			return nil, fmt.Errorf("store: update config: %w", err)
		}
	case o.Window != n.Window || o.WindowRows != n.WindowRows:
		// Windows of another size or kind: profile again from the start.
		if _, err := tx.ExecContext(ctx, `DELETE FROM profiles WHERE model_id = ?`, m.ID); err != nil {
			return nil, fmt.Errorf("store: update config: %w", err)
		}
	}
	if err := db.audit(ctx, tx, actor, "model.config", "model:"+m.Name, fmt.Sprintf("%s → %s", old, data)); err != nil {
		return nil, err
	}
	return m, tx.Commit()
}

func sameTime(a, b *time.Time) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.Equal(*b)
}
