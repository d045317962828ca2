package ml

import (
	"encoding/json"
	"sort"
	"strings"
	"time"
)

// Defaults of a backtest of a stored model (see ml/backtest for the
// replay itself).
const (
	// DefaultBacktestBatch is the rows per batch when the model has at
	// least DefaultBacktestBatches of them; with fewer rows a batch is
	// the labeled rows / DefaultBacktestBatches.
	DefaultBacktestBatch   = 336
	DefaultBacktestBatches = 20
	DefaultBacktestRounds  = 50
	// DefaultBacktestWindow is the sliding window (rows) of a full
	// retrain when the model's live policy has no sliding_rows window.
	DefaultBacktestWindow = 4704
	DefaultBacktestAlpha  = DefaultAlpha
)

// BacktestSettings is what a backtest replays. Zero fields take the
// defaults above when the backtest is requested; a stored backtest has
// every field set.
type BacktestSettings struct {
	// Batch is the rows per replayed batch.
	Batch int `json:"batch,omitempty"`
	// Policies are presets such as "never", "every:4" or "cost_aware",
	// each with an optional "@window" (see ml/backtest.ParsePolicies).
	Policies []string `json:"policies,omitempty"`
	// Rounds is the boosting rounds of a full retrain.
	Rounds int `json:"rounds,omitempty"`
	// Window is the sliding window of a full retrain, in rows.
	Window int `json:"window,omitempty"`
	// Alpha is the weight of the relative training cost against mean
	// AUC for the recommendation (C_α).
	Alpha float64 `json:"alpha,omitempty"`
}

// BacktestProgress is how far a running backtest got: batches replayed
// of every policy, and the policy being replayed.
type BacktestProgress struct {
	Done   int    `json:"done"`
	Total  int    `json:"total"`
	Policy string `json:"policy,omitempty"`
}

// Frac is the share done, in [0, 1].
func (p BacktestProgress) Frac() float64 {
	if p.Total <= 0 {
		return 0
	}
	return min(1, max(0, float64(p.Done)/float64(p.Total)))
}

// Backtest is a replay of retraining policies on a model's stored,
// labeled history, run as a job. Its id is the queue's job id; its
// states are the job states (queued, running, succeeded, failed,
// cancelled).
type Backtest struct {
	ID              int64            `json:"id"`
	ModelID         int64            `json:"model_id"`
	Model           string           `json:"model"`
	State           string           `json:"state"`
	Settings        BacktestSettings `json:"settings"`
	Progress        BacktestProgress `json:"progress"`
	CancelRequested bool             `json:"cancel_requested,omitempty"`
	Error           string           `json:"error,omitempty"`
	CreatedBy       string           `json:"created_by"`
	CreatedAt       time.Time        `json:"created_at"`
	StartedAt       *time.Time       `json:"started_at,omitempty"`
	FinishedAt      *time.Time       `json:"finished_at,omitempty"`
	HeartbeatAt     *time.Time       `json:"-"`
	// Recommended is the report's recommended policy (empty until it
	// succeeded).
	Recommended string `json:"recommended,omitempty"`
	// Applied is the last policy of this backtest applied to the
	// model's live policy, by whom and when.
	Applied   string     `json:"applied,omitempty"`
	AppliedBy string     `json:"applied_by,omitempty"`
	AppliedAt *time.Time `json:"applied_at,omitempty"`
	// Report is the ml/backtest Report as JSON (NaN written as null);
	// lists leave it out.
	Report json.RawMessage `json:"report,omitempty"`
}

// Done reports whether the backtest has finished one way or another.
func (b *Backtest) Done() bool {
	return b.State == JobSucceeded || b.State == JobFailed || b.State == JobCancelled
}

// Adopt is p with the retraining rule of q, a policy a backtest
// replayed: q's triggers (and how they combine), strategy, full_every,
// warm_rounds and data window replace p's, while p keeps its cooldown,
// priority, budgets, time zone, validation and the window's minimum rows
// and holdout (a replay has neither a gate nor a clock to cool down on).
// q's online_every, when set, replaces p's.
func (p PolicyConfig) Adopt(q PolicyConfig) PolicyConfig {
	out := p
	out.Combine, out.AtLeast, out.Schedule = q.Combine, q.AtLeast, q.Schedule
	out.Drift, out.Decay, out.Volume, out.CostAware = q.Drift, q.Decay, q.Volume, q.CostAware
	out.Strategy, out.FullEvery, out.WarmRounds = q.Strategy, q.FullEvery, q.WarmRounds
	if q.OnlineEvery != 0 {
		out.OnlineEvery = q.OnlineEvery
	}
	w := q.Window
	if w.MinRows == 0 {
		w.MinRows = p.Window.MinRows
	}
	if w.HoldoutFrac == 0 {
		w.HoldoutFrac = p.Window.HoldoutFrac
	}
	out.Window = w
	return out
}

// FieldError is an EINVALID error about named fields of a form or a
// request body, so a form can show each message next to its field.
type FieldError struct {
	// Fields maps a field's name to what is wrong with it.
	Fields map[string]string
	err    *Error
}

// NewFieldError builds the error from fields (nil when empty); its
// message lists them, "field: problem", in the order given by order
// (fields not in order follow alphabetically).
func NewFieldError(fields map[string]string, order ...string) error {
	if len(fields) == 0 {
		return nil
	}
	rank := map[string]int{}
	for i, f := range order {
		rank[f] = i + 1
	}
	names := make([]string, 0, len(fields))
	for f := range fields {
		names = append(names, f)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := rank[names[i]], rank[names[j]]
		switch {
		case a != 0 && b != 0:
			return a < b
		case a != 0 || b != 0:
			return a != 0
		}
		return names[i] < names[j]
	})
	parts := make([]string, len(names))
	for i, f := range names {
		parts[i] = f + ": " + fields[f]
	}
	return &FieldError{Fields: fields, err: Errorf(EINVALID, "%s", strings.Join(parts, "; "))}
}

// Error implements error.
func (e *FieldError) Error() string { return e.err.Error() }

// Unwrap lets ErrorCode and ErrorMessage see the EINVALID error.
func (e *FieldError) Unwrap() error { return e.err }
