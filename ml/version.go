package ml

import (
	"encoding/json"
	"time"
)

// Version statuses.
const (
	StatusCandidate  = "candidate"
	StatusChampion   = "champion"
	StatusRetired    = "retired"
	StatusRejected   = "rejected"
	StatusRolledBack = "rolled_back"
)

// Update kinds: how a version was made from its parent.
const (
	UpdateFull      = "full"
	UpdateWarmStart = "warm_start"
	UpdateOnline    = "online"
)

// Trainers and artifact formats.
const (
	TrainerGBDT     = "builtin-gbdt"
	TrainerExternal = "external"
	TrainerOnline   = "online-ftrl"
	FormatLightGBM  = "lightgbm-text"
)

// DataVersion is the exact set of rows a version trained on.
type DataVersion struct {
	FromID int64 `json:"from_id"`
	ToID   int64 `json:"to_id"`
	Rows   int64 `json:"rows"`
	// Hash is the sha256 of the rows' ids, times, features and labels (and
	// weights) in training order: two jobs with the same hash saw the same
	// data.
	Hash string `json:"hash,omitempty"`
	// Window says which rule chose the rows, in words.
	Window string `json:"window,omitempty"`
	// The held-out rows: the newest HoldoutRows labeled rows in training
	// order (time, then id), after the training window, never trained on.
	// HoldoutFromID is the first of them in that order, not the lowest id:
	// rows uploaded out of order interleave ids, so the holdout is not an
	// id range. It is the labeled rows at or after row HoldoutFromID in
	// training order whose ids are at most HoldoutToID (the highest
	// held-out id); rows labeled since that also fall there lie after
	// every training row, never trained on. Versions that record none (an
	// online snapshot) leave all three 0.
	HoldoutFromID int64 `json:"holdout_from_id,omitempty"`
	HoldoutToID   int64 `json:"holdout_to_id,omitempty"`
	HoldoutRows   int64 `json:"holdout_rows,omitempty"`
	// LabeledTotal is how many labeled rows the model had when the job
	// read its data (volume triggers count new labels from it).
	LabeledTotal int64 `json:"labeled_total,omitempty"`
}

// Importance is one feature's share of the model's split gain.
type Importance struct {
	Feature string  `json:"feature"`
	Gain    float64 `json:"gain"`
}

// Version is a trained model version.
type Version struct {
	ID         int64              `json:"id"`
	ModelID    int64              `json:"model_id"`
	Number     int                `json:"number"`
	CreatedAt  time.Time          `json:"created_at"`
	Trainer    string             `json:"trainer"`
	UpdateKind string             `json:"update_kind"`
	Format     string             `json:"format"`
	SHA256     string             `json:"sha256"`
	Size       int64              `json:"size_bytes"`
	Params     json.RawMessage    `json:"params"`
	Metrics    map[string]float64 `json:"metrics"`
	Importance []Importance       `json:"importance"`
	Data       DataVersion        `json:"data"`
	ParentID   int64              `json:"parent_id,omitempty"`
	JobID      int64              `json:"job_id,omitempty"`
	Status     string             `json:"status"`
	Note       string             `json:"note,omitempty"`
}
