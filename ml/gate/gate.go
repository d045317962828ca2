package gate

import (
	"math"
	"slices"

	"github.com/freshet/freshet/ml"
)

// Input is what Evaluate judges: the labels of an out-of-time holdout and
// both models' scores on it.
type Input struct {
	// Task is binary (default), multiclass or regression.
	Task ml.Task
	// Metric is the model's primary metric: auc, accuracy, logloss or f1
	// for binary models, accuracy or logloss for multiclass, rmse for
	// regression. Empty takes the task's default (auc, logloss, rmse), as
	// ml.Model.Normalize does.
	Metric string
	// Classes is the number of classes of a multiclass model.
	Classes int
	// Labels are 0 or 1 (binary), the class index (multiclass) or the
	// value (regression); every row must be labeled.
	Labels []float64
	// Champion and Challenger are the scores per row: the probability of
	// class 1 (binary), Classes probabilities per row, row-major
	// (multiclass), or the prediction (regression). A nil Champion means
	// there is none (a first model), and only the absolute checks run.
	Champion   []float64
	Challenger []float64
	// Slices are categorical features to break the holdout down by, each
	// with its value per row as people see it. Evaluate adds score buckets
	// itself: of the scores (binary and regression) or of the top label's
	// probability (multiclass).
	Slices []SliceColumn
	// ChallengerBytes is the size of the challenger's artifact; 0 means
	// not given (the size check is skipped).
	ChallengerBytes int64
	// ChallengerP99Micros is the challenger's measured p99 single-row
	// prediction latency in microseconds; NaN or 0 means not measured (the
	// latency check is skipped).
	ChallengerP99Micros float64
	// Seed makes the bootstrap resamples, and so the report, reproducible.
	Seed uint64
}

// SliceColumn is one categorical feature's value per holdout row.
type SliceColumn struct {
	Name   string
	Values []string
}

// Report is the gate's verdict with every number behind it.
type Report struct {
	// Pass is true when no check failed.
	Pass bool `json:"pass"`
	// Reasons are the failures in words, one per failing check (one per
	// failing slice); empty when the challenger passes.
	Reasons []string `json:"reasons"`
	Task    ml.Task  `json:"task"`
	Metric  string   `json:"metric"`
	// N is the number of holdout rows.
	N int `json:"n"`
	// Champion (nil without one) and Challenger hold every metric of the
	// task: auc, accuracy, logloss, f1 and brier (binary; auc is missing
	// when the holdout holds one class), accuracy and logloss
	// (multiclass), rmse and mae (regression).
	Champion   map[string]float64 `json:"champion,omitempty"`
	Challenger map[string]float64 `json:"challenger"`
	// Diff compares the primary metric; nil without a champion.
	Diff *Difference `json:"diff,omitempty"`
	// Checks are floor, min_improvement, significance, slices,
	// calibration, score_shift, size and latency, in that order.
	Checks []Check `json:"checks"`
	// Slices break the primary metric down by each categorical value and
	// each score bucket.
	Slices []SliceResult `json:"slices,omitempty"`
	// SliceTest is the test the judged slices got: ml.SliceTestDrop or
	// ml.SliceTestNonInferiority (GateConfig.SliceTest). Reports stored
	// before it was recorded lack it; they ran "drop".
	SliceTest string `json:"slice_test,omitempty"`
	// Calibration is the reliability of the probabilities (binary; top
	// label for multiclass); nil for regression.
	Calibration *Calibration `json:"calibration,omitempty"`
	// ScoreShift is the PSI of the challenger's scores against the
	// champion's on the holdout (the top label's probability for
	// multiclass); 0 without a champion.
	ScoreShift float64 `json:"score_shift"`
	// Notes are things the reader should know that are not failures, such
	// as slice columns cut to their largest values.
	Notes []string `json:"notes,omitempty"`
}

// Difference compares the primary metric of challenger and champion.
type Difference struct {
	Metric string `json:"metric"`
	// LowerIsBetter is set for loss metrics (logloss, rmse); Value, CILo
	// and CIHi are then champion − challenger, so that a positive number
	// is always an improvement.
	LowerIsBetter bool    `json:"lower_is_better"`
	Champion      float64 `json:"champion"`
	Challenger    float64 `json:"challenger"`
	// Value is the improvement: challenger − champion, or champion −
	// challenger for a loss.
	Value float64 `json:"value"`
	// CILo and CIHi bound the improvement: the paired percentile bootstrap
	// interval at level Level = 1 − alpha from Resamples resamples.
	CILo      float64 `json:"ci_lo"`
	CIHi      float64 `json:"ci_hi"`
	Level     float64 `json:"level"`
	Resamples int     `json:"resamples"`
	// Test is "delong" (auc), "mcnemar" (accuracy) or "bootstrap".
	// Statistic is DeLong's z, McNemar's corrected chi-square or the
	// bootstrap z = Value / bootstrap standard error; for delong and
	// bootstrap a positive statistic favours the challenger.
	Test      string  `json:"test"`
	Statistic float64 `json:"statistic"`
	// P is the two-sided p-value (McNemar: the exact binomial one).
	P float64 `json:"p"`
	// PWorse is the one-sided p-value for "the challenger is worse";
	// PBetter for "the challenger is better".
	PWorse  float64 `json:"p_worse"`
	PBetter float64 `json:"p_better"`
}

// Check is one of the gate's tests. A skipped check did not apply; it
// counts as passed (Pass is true) and Detail says why it was skipped.
// Value is the number judged and Threshold its bound: the primary metric
// and the floor; the improvement and MinImprovement; the deciding
// one-sided p-value and alpha; the number of failing slices and 0; ECE
// and MaxECE; PSI and MaxScoreShift; bytes and MaxModelBytes;
// microseconds and MaxP99Micros.
type Check struct {
	Name      string  `json:"name"`
	Pass      bool    `json:"pass"`
	Skipped   bool    `json:"skipped"`
	Value     float64 `json:"value"`
	Threshold float64 `json:"threshold"`
	Detail    string  `json:"detail"`
}

// Check names, in the order of Report.Checks.
const (
	CheckFloor          = "floor"
	CheckMinImprovement = "min_improvement"
	CheckSignificance   = "significance"
	CheckSlices         = "slices"
	CheckCalibration    = "calibration"
	CheckScoreShift     = "score_shift"
	CheckSize           = "size"
	CheckLatency        = "latency"
)

// SliceResult is the primary metric on one slice of the holdout.
type SliceResult struct {
	// Feature is the slice column's name, or "champion_score" /
	// "challenger_score" for score buckets ("champion_confidence" /
	// "challenger_confidence", the top label's probability, for
	// multiclass); Value is the category, or the bucket ("decile 3
	// (0.121–0.184)"; "bucket 2 of 7 (…)" when tied scores leave fewer
	// than ten).
	Feature string `json:"feature"`
	Value   string `json:"value"`
	N       int    `json:"n"`
	// Metric is the metric compared on the slice: the primary one, except
	// that an auc slice without two rows of each class uses accuracy (and
	// Note says so).
	Metric string `json:"metric"`
	// Champion and Challenger are the slice's metric (Champion 0 without
	// one); Diff is the improvement, in the sense of Difference.Value.
	Champion   float64 `json:"champion"`
	Challenger float64 `json:"challenger"`
	Diff       float64 `json:"diff"`
	// P is the one-sided p-value of the slice's test (Report.SliceTest),
	// PAdj its Holm adjustment across the judged slices; both are 1 for
	// slices that are not judged. Under "drop" H0 is "the challenger is
	// no worse", so a small p is evidence of a drop; under
	// "noninferiority" H0 is "the challenger is worse by SliceMargin or
	// more", so a small p shows the slice non-inferior.
	P    float64 `json:"p"`
	PAdj float64 `json:"p_adj"`
	// Judged is set for slices with a champion and at least MinSliceRows
	// rows. Pass is false when the slice fails: under "drop", PAdj <
	// alpha and a drop larger than SliceMargin; under "noninferiority",
	// PAdj >= alpha.
	Judged bool   `json:"judged"`
	Pass   bool   `json:"pass"`
	Note   string `json:"note,omitempty"`
}

// Calibration is the reliability diagram of binary probabilities, or of
// the top label's probability of multiclass ones (TopLabel), in ten
// equal-width bins.
type Calibration struct {
	// TopLabel is set for multiclass models: the bins are over the top
	// label's probability (the confidence), MeanScore is the mean
	// confidence and FracPositive the share of rows whose top label is
	// right, and the ECEs are top-label ECEs (TopLabelECE).
	TopLabel      bool     `json:"top_label,omitempty"`
	Champion      []CalBin `json:"champion,omitempty"`
	Challenger    []CalBin `json:"challenger"`
	ChampionECE   float64  `json:"champion_ece"`
	ChallengerECE float64  `json:"challenger_ece"`
}

// CalibrationBins is the number of equal-width bins of Report.Calibration.
const CalibrationBins = 10

// ScoreBuckets is the number of quantile buckets of the score slices and
// the number of bins of the score-shift PSI.
const ScoreBuckets = 10

// MaxSliceValues is how many values of one slice column a report keeps:
// the most frequent ones; a note tells when a column had more.
const MaxSliceValues = 100

// Evaluate judges the challenger on the holdout in in, against the
// champion when there is one, with the thresholds of cfg (zero fields take
// ml.GateConfig's defaults). Invalid input (mismatched lengths, no rows,
// labels or scores out of range) is an ml.EINVALID error.
func Evaluate(cfg ml.GateConfig, in Input) (*Report, error) {
	cfg = cfg.WithDefaults()
	if !(cfg.Alpha > 0 && cfg.Alpha < 0.5) || cfg.Bootstrap < 2 || cfg.MinSliceRows < 1 ||
		cfg.SliceMargin < 0 || cfg.MaxECE < 0 || cfg.MaxScoreShift < 0 || cfg.MaxModelBytes < 0 || cfg.MaxP99Micros < 0 {
		return nil, ml.Errorf(ml.EINVALID, "gate: alpha %v, bootstrap %d, min_slice_rows %d: use 0 < alpha < 0.5, at least 2 resamples, non-negative limits",
			cfg.Alpha, cfg.Bootstrap, cfg.MinSliceRows)
	}
	if err := in.normalize(); err != nil {
		return nil, err
	}
	e := &evaluation{
		cfg:    cfg,
		in:     in,
		sc:     scorer{task: in.Task, classes: in.Classes, y: in.Labels},
		metric: in.Metric,
		champ:  in.Champion != nil,
	}
	return e.run(), nil
}

// normalize fills the task and metric defaults and validates in.
func (in *Input) normalize() error {
	bad := func(format string, args ...any) error { return ml.Errorf(ml.EINVALID, "gate: "+format, args...) }
	if in.Task == "" {
		in.Task = ml.TaskBinary
	}
	var ok []string
	switch in.Task {
	case ml.TaskBinary:
		ok = []string{ml.MetricAUC, ml.MetricLogLoss, ml.MetricAccuracy, ml.MetricF1}
	case ml.TaskMulticlass:
		ok = []string{ml.MetricLogLoss, ml.MetricAccuracy}
		if in.Classes < 2 {
			return bad("a multiclass holdout needs Classes >= 2, got %d", in.Classes)
		}
	case ml.TaskRegression:
		ok = []string{ml.MetricRMSE}
	default:
		return bad("task %q: use binary, multiclass or regression", in.Task)
	}
	if in.Metric == "" {
		in.Metric = ok[0] // auc, logloss, rmse
	}
	fits := false
	for _, m := range ok {
		fits = fits || m == in.Metric
	}
	if !fits {
		return bad("metric %q does not fit task %s", in.Metric, in.Task)
	}
	n := len(in.Labels)
	if n == 0 {
		return bad("the holdout has no rows")
	}
	if n > maxRows {
		return bad("the holdout has %d rows, at most %d", n, maxRows)
	}
	width := 1
	if in.Task == ml.TaskMulticlass {
		width = in.Classes
	}
	if len(in.Challenger) != n*width {
		return bad("%d labels but %d challenger scores (want %d)", n, len(in.Challenger), n*width)
	}
	if in.Champion != nil && len(in.Champion) != n*width {
		return bad("%d labels but %d champion scores (want %d)", n, len(in.Champion), n*width)
	}
	var pos int
	for i, v := range in.Labels {
		switch in.Task {
		case ml.TaskBinary:
			if v != 0 && v != 1 {
				return bad("label %v in row %d: binary labels are 0 or 1", v, i+1)
			}
			pos += int(v)
		case ml.TaskMulticlass:
			if v != math.Trunc(v) || v < 0 || v >= float64(in.Classes) {
				return bad("label %v in row %d: use a class index 0 to %d", v, i+1, in.Classes-1)
			}
		default:
			if !finite(v) {
				return bad("label in row %d is missing or infinite", i+1)
			}
		}
	}
	for _, s := range []struct {
		who    string
		scores []float64
	}{{"challenger", in.Challenger}, {"champion", in.Champion}} {
		for i, v := range s.scores {
			if !finite(v) {
				return bad("%s score %d is NaN or infinite", s.who, i+1)
			}
			if in.Task != ml.TaskRegression && (v < 0 || v > 1) {
				return bad("%s score %d is %v: probabilities lie in [0, 1]", s.who, i+1, v)
			}
		}
	}
	if in.Task == ml.TaskBinary && in.Metric == ml.MetricAUC {
		need := 1
		if in.Champion != nil {
			need = 2 // DeLong's variance
		}
		if pos < need || n-pos < need {
			return bad("auc needs at least %d rows of each class; the holdout has %d positives and %d negatives", need, pos, n-pos)
		}
	}
	seen := map[string]bool{}
	for _, c := range in.Slices {
		if c.Name == "" || seen[c.Name] || slices.Contains(bucketFeatures, c.Name) {
			return bad("slice column %q is unnamed, repeated or the name of the score buckets", c.Name)
		}
		seen[c.Name] = true
		if len(c.Values) != n {
			return bad("slice column %q has %d values for %d rows", c.Name, len(c.Values), n)
		}
	}
	if in.ChallengerBytes < 0 {
		return bad("challenger size %d bytes is negative", in.ChallengerBytes)
	}
	if in.ChallengerP99Micros < 0 || math.IsInf(in.ChallengerP99Micros, 0) {
		return bad("challenger p99 latency %v µs: use a positive number, or NaN when not measured", in.ChallengerP99Micros)
	}
	return nil
}
