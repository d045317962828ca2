package web

import "github.com/freshet/freshet/ml"

// ItemField is one feature of an item on the labeling page.
type ItemField struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Range string `json:"range,omitempty"` // the reference's 5th–95th percentile
}

// AnnotatorRow is one annotator's work on a batch.
type AnnotatorRow struct {
	User      string  `json:"user"`
	Labels    int     `json:"labels"`
	PerMinute float64 `json:"per_minute"`
}

// Disagreement is an item whose labels tie, for a lead to settle.
type Disagreement struct {
	ItemID int64    `json:"item_id"`
	ObsID  int64    `json:"obs_id"`
	Labels []string `json:"labels"`
}

// LabelingView is the labeling home: open batches and, for leads, the
// form that starts one.
type LabelingView struct {
	Nav
	Batches []*ml.QueryBatch
	Models  []*ml.Model
	Budgets map[int64]BudgetRow
	Flash   *Flash
}

// BudgetRow is a model's label budget this period.
type BudgetRow struct {
	Used, Limit int
	Period      string
}

// BatchPage is the labeling page of one batch.
type BatchPage struct {
	Nav
	Batch   *ml.QueryBatch
	Classes []string
	Budget  BudgetRow
}

// LeadView is the lead's view of a batch.
type LeadView struct {
	Nav
	Batch         *ml.QueryBatch
	Budget        BudgetRow
	Annotators    []AnnotatorRow
	Kappa         float64
	KappaKind     string
	Disagreements []Disagreement
	Classes       []string
	Curve         string // JSON [{labels, metric}] of the model's metric on labeled data vs labels spent
	Metric        string
}
