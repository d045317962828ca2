package ml

import (
	"encoding/json"
	"time"
)

// Job states, as the API reports them.
const (
	JobQueued    = "queued"
	JobRunning   = "running"
	JobSucceeded = "succeeded"
	JobFailed    = "failed"
	JobCancelled = "cancelled"
)

// Job is a training job: why it ran, on what data, what it cost and what
// it made. Its id is the queue's job id.
type Job struct {
	ID          int64      `json:"id"`
	ModelID     int64      `json:"model_id"`
	Model       string     `json:"model,omitempty"`
	TriggerID   int64      `json:"trigger_id,omitempty"`
	Strategy    string     `json:"strategy"`
	Priority    int        `json:"priority"`
	Reason      string     `json:"reason"`
	RequestedBy string     `json:"requested_by"`
	State       string     `json:"state"`
	Attempt     int        `json:"attempt"`
	Phase       string     `json:"phase"`
	Progress    float64    `json:"progress"`
	CreatedAt   time.Time  `json:"created_at"`
	StartedAt   *time.Time `json:"started_at,omitempty"`
	FinishedAt  *time.Time `json:"finished_at,omitempty"`
	HeartbeatAt *time.Time `json:"-"`
	// CancelRequested is set when a person asked to cancel.
	CancelRequested bool        `json:"cancel_requested,omitempty"`
	CPUSeconds      float64     `json:"cpu_seconds"`
	WallSeconds     float64     `json:"wall_seconds"`
	PeakRSS         int64       `json:"peak_rss_bytes"`
	Rows            int         `json:"rows"`
	Rounds          int         `json:"rounds"`
	Data            DataVersion `json:"data"`
	Validation      []Check     `json:"validation"`
	Log             string      `json:"log,omitempty"`
	Error           string      `json:"error,omitempty"`
	VersionID       int64       `json:"version_id,omitempty"`
}

// Done reports whether the job has finished one way or another.
func (j *Job) Done() bool {
	return j.State == JobSucceeded || j.State == JobFailed || j.State == JobCancelled
}

// Check is one data-validation check on a training window.
type Check struct {
	Name    string  `json:"name"`
	Feature string  `json:"feature,omitempty"`
	Pass    bool    `json:"pass"`
	Value   float64 `json:"value"`
	Limit   float64 `json:"limit"`
	Message string  `json:"message"`
}

// Trigger outcomes.
const (
	OutcomeFired      = "fired"
	OutcomeSuppressed = "suppressed"
)

// TriggerEvent is one decision to retrain or not, with its reasons.
type TriggerEvent struct {
	ID          int64           `json:"id"`
	ModelID     int64           `json:"model_id"`
	At          time.Time       `json:"at"`
	LastAt      time.Time       `json:"last_at"`
	Repeats     int             `json:"repeats"`
	Outcome     string          `json:"outcome"`
	Triggers    []string        `json:"triggers"`
	Reasons     []string        `json:"reasons"`
	Suppressed  string          `json:"suppressed,omitempty"`
	Strategy    string          `json:"strategy,omitempty"`
	StrategyWhy string          `json:"strategy_why,omitempty"`
	Cost        json.RawMessage `json:"cost,omitempty"`
	Gain        json.RawMessage `json:"gain,omitempty"`
	// Gap is the champion's metric gap (baseline − recent) when decided.
	Gap *float64 `json:"gap,omitempty"`
	// Recent is the champion's recent metric when decided.
	Recent *float64 `json:"recent,omitempty"`
	JobID  int64    `json:"job_id,omitempty"`
	// DataAt is the observation time the decision saw up to (the end of
	// the newest profiled window), for drawing it on monitoring charts.
	DataAt *time.Time `json:"data_at,omitempty"`
}
