package backtest

import (
	"encoding/json"
	"math"

	"github.com/freshet/freshet/ml"
)

// JSON has no NaN: a metric that is not defined (AUC of a batch with one
// class, CPU relative to an every-batch policy the run did not replay)
// is written as null (ml.Finite), and read back as NaN.

// fromNull is NaN for null.
func fromNull(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

type batchJSON struct {
	Start    int64    `json:"start"`
	End      int64    `json:"end"`
	Rows     int      `json:"rows"`
	FirstRow int      `json:"first_row"`
	ModelSaw int      `json:"model_saw"`
	Accuracy *float64 `json:"accuracy"`
	AUC      *float64 `json:"auc"`
	Update   string   `json:"update,omitempty"`
	Why      string   `json:"why,omitempty"`
}

// MarshalJSON writes NaN as null.
func (b Batch) MarshalJSON() ([]byte, error) {
	return json.Marshal(batchJSON{b.Start, b.End, b.Rows, b.FirstRow, b.ModelSaw, ml.Finite(b.Accuracy), ml.Finite(b.AUC), b.Update, b.Why})
}

// UnmarshalJSON reads null as NaN.
func (b *Batch) UnmarshalJSON(data []byte) error {
	var j batchJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*b = Batch{Start: j.Start, End: j.End, Rows: j.Rows, FirstRow: j.FirstRow, ModelSaw: j.ModelSaw, Accuracy: fromNull(j.Accuracy), AUC: fromNull(j.AUC), Update: j.Update, Why: j.Why}
	return nil
}

type resultJSON struct {
	Policy
	MeanAccuracy    *float64   `json:"mean_accuracy"`
	MeanAUC         *float64   `json:"mean_auc"`
	Retrains        int        `json:"retrains"`
	Updates         int        `json:"updates"`
	TrainCPUSeconds float64    `json:"train_cpu_seconds"`
	RowsXRounds     float64    `json:"rows_x_rounds"`
	RelCost         *float64   `json:"rel_cost"`
	RelCPU          *float64   `json:"rel_cpu"`
	CAlpha          []*float64 `json:"c_alpha"`
	CAlphaAUC       *float64   `json:"c_alpha_auc"`
	Pareto          bool       `json:"pareto"`
	Recommended     bool       `json:"recommended"`
	Batches         []Batch    `json:"batches"`
}

// MarshalJSON writes NaN as null.
func (r Result) MarshalJSON() ([]byte, error) {
	j := resultJSON{Policy: r.Policy, MeanAccuracy: ml.Finite(r.MeanAccuracy), MeanAUC: ml.Finite(r.MeanAUC), Retrains: r.Retrains, Updates: r.Updates,
		TrainCPUSeconds: r.TrainCPUSeconds, RowsXRounds: r.RowsXRounds, RelCost: ml.Finite(r.RelCost), RelCPU: ml.Finite(r.RelCPU),
		CAlphaAUC: ml.Finite(r.CAlphaAUC), Pareto: r.Pareto, Recommended: r.Recommended, Batches: r.Batches}
	for _, c := range r.CAlpha {
		j.CAlpha = append(j.CAlpha, ml.Finite(c))
	}
	return json.Marshal(j)
}

// UnmarshalJSON reads null as NaN.
func (r *Result) UnmarshalJSON(data []byte) error {
	var j resultJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return err
	}
	*r = Result{Policy: j.Policy, MeanAccuracy: fromNull(j.MeanAccuracy), MeanAUC: fromNull(j.MeanAUC), Retrains: j.Retrains, Updates: j.Updates,
		TrainCPUSeconds: j.TrainCPUSeconds, RowsXRounds: j.RowsXRounds, RelCost: fromNull(j.RelCost), RelCPU: fromNull(j.RelCPU),
		CAlphaAUC: fromNull(j.CAlphaAUC), Pareto: j.Pareto, Recommended: j.Recommended, Batches: j.Batches}
	for _, c := range j.CAlpha {
		r.CAlpha = append(r.CAlpha, fromNull(c))
	}
	return nil
}
