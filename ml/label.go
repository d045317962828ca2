package ml

import (
	"time"
)

// Label budget periods.
const (
	PeriodDay   = "day"
	PeriodWeek  = "week"
	PeriodMonth = "month"
)

// LabelingConfig sets how people label a model's observations.
type LabelingConfig struct {
	// Budget is how many labels the model may receive per Period
	// (default 500 a week; -1: no limit).
	Budget int    `json:"budget,omitempty"`
	Period string `json:"period,omitempty"`
	// LeaseTTL is how long an item stays with one annotator before it
	// returns to the queue (Go duration, default 5m).
	LeaseTTL string `json:"lease_ttl,omitempty"`
}

// WithDefaults fills zero fields.
func (c LabelingConfig) WithDefaults() LabelingConfig {
	if c.Budget == 0 {
		c.Budget = 500
	}
	if c.Period == "" {
		c.Period = PeriodWeek
	}
	if c.LeaseTTL == "" {
		c.LeaseTTL = "5m"
	}
	return c
}

// Lease is the lease time.
func (c LabelingConfig) Lease() time.Duration {
	d, err := time.ParseDuration(c.WithDefaults().LeaseTTL)
	if err != nil || d <= 0 {
		return 5 * time.Minute
	}
	return d
}

// PeriodStart is the start of the budget period containing t (UTC; weeks
// start on Monday).
func (c LabelingConfig) PeriodStart(t time.Time) time.Time {
	t = t.UTC()
	day := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
	switch c.WithDefaults().Period {
	case PeriodDay:
		return day
	case PeriodMonth:
		return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	}
	return day.AddDate(0, 0, -((int(day.Weekday()) + 6) % 7))
}

func (c LabelingConfig) validate() error {
	switch c.Period {
	case "", PeriodDay, PeriodWeek, PeriodMonth:
	default:
		return Errorf(EINVALID, "labeling period %q: use day, week or month", c.Period)
	}
	if c.Budget < -1 || c.Budget > 1e9 {
		return Errorf(EINVALID, "labeling budget %d: use a count of labels, or -1 for no limit", c.Budget)
	}
	if c.LeaseTTL != "" {
		if d, err := time.ParseDuration(c.LeaseTTL); err != nil || d < time.Second || d > 24*time.Hour {
			return Errorf(EINVALID, "labeling lease_ttl %q: use a Go duration from 1s to 24h", c.LeaseTTL)
		}
	}
	return nil
}

// Query batch states.
const (
	BatchOpen   = "open"
	BatchDone   = "done"
	BatchClosed = "closed"
)

// QueryBatch is a set of observations chosen for labeling.
type QueryBatch struct {
	ID        int64     `json:"id"`
	ModelID   int64     `json:"model_id"`
	Model     string    `json:"model"`
	Strategy  string    `json:"strategy"`
	Size      int       `json:"size"`
	Overlap   int       `json:"overlap"`
	PoolRows  int       `json:"pool_rows"`
	CreatedBy string    `json:"created_by"`
	CreatedAt time.Time `json:"created_at"`
	State     string    `json:"state"`
	// Done counts items with all their labels; Given counts labels.
	Done  int `json:"done"`
	Given int `json:"labels_given"`
}

// LabelItem is one observation in a batch.
type LabelItem struct {
	ID          int64     `json:"id"`
	BatchID     int64     `json:"batch_id"`
	ObsID       int64     `json:"obs_id"`
	Position    int       `json:"position"`
	Uncertainty float64   `json:"uncertainty"`
	Why         string    `json:"why"`
	Score       float64   `json:"score"`
	Needed      int       `json:"needed"`
	Given       int       `json:"given"`
	Final       *float64  `json:"final,omitempty"`
	LeasedTo    string    `json:"leased_to,omitempty"`
	LeaseUntil  time.Time `json:"lease_until,omitempty"`
}

// Annotation is one person's label on an item.
type Annotation struct {
	ID     int64     `json:"id"`
	ItemID int64     `json:"item_id"`
	User   string    `json:"user"`
	Label  float64   `json:"label"`
	At     time.Time `json:"at"`
	Undone bool      `json:"undone,omitempty"`
}
