package ml

import (
	"encoding/json"
	"net/url"
	"time"
)

// Gate modes.
const (
	GateAuto     = "auto"     // promote when every check passes
	GateApproval = "approval" // a lead approves or rejects
)

// Slice tests of GateConfig.SliceTest.
const (
	SliceTestDrop           = "drop"           // fail a slice shown worse by more than the margin
	SliceTestNonInferiority = "noninferiority" // pass a slice only when shown no worse than the margin
)

// GateConfig is how a challenger is judged against the champion on the
// same out-of-time holdout. Zero fields take the documented defaults.
type GateConfig struct {
	// Mode is "approval" (default: a lead decides, with the evidence) or
	// "auto" (promote when every check passes).
	Mode string `json:"mode,omitempty"`
	// Floor is the least value of the model's primary metric (for loss
	// metrics, the most) a challenger may have; 0 means none.
	Floor float64 `json:"floor,omitempty"`
	// MinImprovement is the least point improvement of the primary metric
	// over the champion (default 0: at least as good).
	MinImprovement float64 `json:"min_improvement,omitempty"`
	// RequireSignificant makes the improvement itself have to be
	// significant; by default a challenger fails only when it is
	// significantly worse.
	RequireSignificant bool `json:"require_significant,omitempty"`
	// Alpha is the significance level of every test (default 0.05).
	Alpha float64 `json:"alpha,omitempty"`
	// SliceMargin is how much worse than the champion (in points of the
	// slice's metric) a slice may be (default 0.02); slices smaller than
	// MinSliceRows (default 50) are reported, not judged, whatever the
	// SliceTest.
	SliceMargin  float64 `json:"slice_margin,omitempty"`
	MinSliceRows int     `json:"min_slice_rows,omitempty"`
	// SliceTest is the test each judged slice gets, one-sided, with the
	// p-values Holm-adjusted across the judged slices:
	//
	//   - "drop" (default): the slice fails when the challenger is
	//     significantly worse on it (H0: no drop, rejected at Holm p <
	//     Alpha) and its point drop exceeds SliceMargin. The burden of
	//     proof is on the regression.
	//   - "noninferiority": the slice passes only when the challenger is
	//     shown non-inferior on it: H0: drop ≥ SliceMargin, rejected in
	//     favour of H1: drop < SliceMargin at Holm p < Alpha. The burden
	//     of proof is on the challenger.
	//
	// "drop" is the default because a lead expects the gate to stop a
	// challenger that is shown to be worse somewhere, not one that cannot
	// prove itself everywhere: the standard error of a difference in AUC
	// on a slice of 50 to a few hundred rows is several times a 0.02
	// margin, so under "noninferiority" nearly every challenger, however
	// good, would fail on its small slices (all the more after Holm), and
	// a check that always fails is a check that gets ignored. Choose
	// "noninferiority" with large slices: a larger MinSliceRows or
	// SliceMargin.
	SliceTest string `json:"slice_test,omitempty"`
	// MaxECE bounds the challenger's expected calibration error
	// (default 0.2; binary models, and the top-label ECE of multiclass
	// ones): a sanity bound, since models on drifting data are rarely well
	// calibrated on the newest rows.
	MaxECE float64 `json:"max_ece,omitempty"`
	// StrictCalibration fails the calibration check whenever the
	// challenger's ECE is above MaxECE. By default (false) a challenger
	// above the bound passes when its ECE is no worse than the champion's:
	// the bound guards against a badly calibrated newcomer, not against
	// what already serves.
	StrictCalibration bool `json:"strict_calibration,omitempty"`
	// MaxScoreShift bounds the PSI between the champion's and the
	// challenger's scores on the holdout (default 1: only a wholesale
	// change of the score distribution; retrains shift scores). For
	// multiclass models the scores are the top label's probabilities.
	MaxScoreShift float64 `json:"max_score_shift,omitempty"`
	// StrictScoreShift fails the score-shift check whenever the PSI is
	// above MaxScoreShift. By default (false) a shift is excused when the
	// challenger is significantly better on the primary metric (one-sided
	// p < Alpha): its scores moved because it ranks better.
	StrictScoreShift bool `json:"strict_score_shift,omitempty"`
	// MaxModelBytes and MaxP99Micros bound the artifact's size (default
	// 64 MiB) and its p99 single-row prediction latency in microseconds
	// (default 2,000).
	MaxModelBytes int64   `json:"max_model_bytes,omitempty"`
	MaxP99Micros  float64 `json:"max_p99_micros,omitempty"`
	// Bootstrap is the number of paired bootstrap resamples (default
	// 1,000).
	Bootstrap int `json:"bootstrap,omitempty"`
	// WatchLabels is how many labeled observations after a promotion the
	// post-deploy watch compares the new champion with the old one on
	// (default 500; -1 turns the watch off).
	WatchLabels int `json:"watch_labels,omitempty"`
	// Shadow makes a pending challenger score live traffic too (logged,
	// not returned), so the gate and the lead see it on fresh rows.
	Shadow bool `json:"shadow,omitempty"`
	// FreshRows is how many labeled rows a version that recorded no
	// holdout (an online snapshot) needs after its last learned row before
	// it is judged on them (default 100): fewer would make a verdict that
	// is mostly noise, so until then it waits.
	FreshRows int `json:"fresh_rows,omitempty"`
	// ShadowRows is how many labeled live rows a pending challenger in
	// shadow mode must have scored before it is judged again on them
	// (default 200). It is judged once, at that size: re-testing as rows
	// trickle in would peek at the same test until it says what one wants.
	ShadowRows int `json:"shadow_rows,omitempty"`
}

// WithDefaults fills zero fields.
func (g GateConfig) WithDefaults() GateConfig {
	if g.Mode == "" {
		g.Mode = GateApproval
	}
	if g.Alpha == 0 {
		g.Alpha = 0.05
	}
	if g.SliceMargin == 0 {
		g.SliceMargin = 0.02
	}
	if g.MinSliceRows == 0 {
		g.MinSliceRows = 50
	}
	if g.SliceTest == "" {
		g.SliceTest = SliceTestDrop
	}
	if g.MaxECE == 0 {
		g.MaxECE = 0.2
	}
	if g.MaxScoreShift == 0 {
		g.MaxScoreShift = 1
	}
	if g.MaxModelBytes == 0 {
		g.MaxModelBytes = 64 << 20
	}
	if g.MaxP99Micros == 0 {
		g.MaxP99Micros = 2000
	}
	if g.Bootstrap == 0 {
		g.Bootstrap = 1000
	}
	if g.WatchLabels == 0 {
		g.WatchLabels = 500
	}
	if g.FreshRows == 0 {
		g.FreshRows = 100
	}
	if g.ShadowRows == 0 {
		g.ShadowRows = 200
	}
	return g
}

// validate names the first field out of range, with what to use instead.
func (g GateConfig) validate() error {
	bad := func(format string, args ...any) error { return Errorf(EINVALID, "gate "+format, args...) }
	switch {
	case g.Mode != "" && g.Mode != GateAuto && g.Mode != GateApproval:
		return bad("mode %q: use auto or approval", g.Mode)
	case g.SliceTest != "" && g.SliceTest != SliceTestDrop && g.SliceTest != SliceTestNonInferiority:
		return bad("slice_test %q: use drop or noninferiority", g.SliceTest)
	case g.Floor < 0:
		return bad("floor %v: use a value of the primary metric, or 0 for none", g.Floor)
	case g.MinImprovement < -1 || g.MinImprovement > 1:
		return bad("min_improvement %v: use -1 to 1 points of the primary metric (negative tolerates a small loss)", g.MinImprovement)
	case g.Alpha < 0 || g.Alpha >= 0.5:
		return bad("alpha %v: use a level between 0 and 0.5, e.g. 0.05", g.Alpha)
	case g.SliceMargin < 0 || g.SliceMargin > 1:
		return bad("slice_margin %v: use 0 to 1 points of the primary metric, e.g. 0.02", g.SliceMargin)
	case g.MinSliceRows < 0:
		return bad("min_slice_rows %d: use a positive number of rows, e.g. 50", g.MinSliceRows)
	case g.MaxECE < 0 || g.MaxECE > 1:
		return bad("max_ece %v: use 0 to 1, e.g. 0.2", g.MaxECE)
	case g.MaxScoreShift < 0:
		return bad("max_score_shift %v: use a positive PSI, e.g. 1", g.MaxScoreShift)
	case g.MaxModelBytes < 0:
		return bad("max_model_bytes %d cannot be negative", g.MaxModelBytes)
	case g.MaxP99Micros < 0:
		return bad("max_p99_micros %v cannot be negative", g.MaxP99Micros)
	case g.Bootstrap != 0 && (g.Bootstrap < 100 || g.Bootstrap > 100000):
		return bad("bootstrap %d: use 100 to 100,000 resamples", g.Bootstrap)
	case g.WatchLabels < -1 || g.WatchLabels > 10_000_000:
		return bad("watch_labels %d: -1 (off) or up to 10,000,000", g.WatchLabels)
	case g.FreshRows < 0 || g.FreshRows > 1_000_000:
		return bad("fresh_rows %d: use 1 to 1,000,000 labeled rows after an online snapshot's data, e.g. 100", g.FreshRows)
	case g.ShadowRows < 0 || g.ShadowRows > 1_000_000:
		return bad("shadow_rows %d: use 1 to 1,000,000 labeled shadow-scored rows, e.g. 200", g.ShadowRows)
	}
	return nil
}

// NotifyConfig sends a model's events to a webhook.
type NotifyConfig struct {
	// WebhookURL receives a JSON POST per event (http or https).
	WebhookURL string `json:"webhook_url,omitempty"`
	// Secret, when set, signs each body: header X-Freshet-Signature is
	// "sha256=" and the hex HMAC-SHA256 of the body with it.
	Secret string `json:"secret,omitempty"`
	// Events limits what is sent (empty: all): trigger.fired, job.failed,
	// gate.verdict, version.promoted, version.rolled_back.
	Events []string `json:"events,omitempty"`
}

// Notification events.
const (
	EventTriggerFired = "trigger.fired"
	EventJobFailed    = "job.failed"
	EventGateVerdict  = "gate.verdict"
	EventPromoted     = "version.promoted"
	EventRolledBack   = "version.rolled_back"
)

// Wants reports whether the config sends event.
func (n NotifyConfig) Wants(event string) bool {
	if n.WebhookURL == "" {
		return false
	}
	if len(n.Events) == 0 {
		return true
	}
	for _, e := range n.Events {
		if e == event {
			return true
		}
	}
	return false
}

func (n NotifyConfig) validate() error {
	if n.WebhookURL != "" {
		u, err := url.Parse(n.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return Errorf(EINVALID, "notify webhook_url %q: use an http or https URL", n.WebhookURL)
		}
	}
	for _, e := range n.Events {
		switch e {
		case EventTriggerFired, EventJobFailed, EventGateVerdict, EventPromoted, EventRolledBack:
		default:
			return Errorf(EINVALID, "notify event %q: use trigger.fired, job.failed, gate.verdict, version.promoted or version.rolled_back", e)
		}
	}
	return nil
}

// Gate decision statuses.
const (
	GatePending      = "pending"
	GateApproved     = "approved"
	GateRejected     = "rejected"
	GateAutoPromoted = "auto-promoted"
	GateFailed       = "failed"
)

// GateDecision is the gate's verdict on a challenger and what became of
// it.
type GateDecision struct {
	ID               int64           `json:"id"`
	ModelID          int64           `json:"model_id"`
	Model            string          `json:"model"`
	ChallengerID     int64           `json:"challenger_id"`
	ChallengerNumber int             `json:"challenger_version"`
	ChampionID       int64           `json:"champion_id,omitempty"`
	ChampionNumber   int             `json:"champion_version,omitempty"`
	JobID            int64           `json:"job_id,omitempty"`
	CreatedAt        time.Time       `json:"created_at"`
	Pass             bool            `json:"pass"`
	Status           string          `json:"status"`
	Mode             string          `json:"mode"`
	HoldoutRows      int             `json:"holdout_rows"`
	Summary          string          `json:"summary"`
	Report           json.RawMessage `json:"report"`
	DecidedBy        string          `json:"decided_by,omitempty"`
	DecidedAt        *time.Time      `json:"decided_at,omitempty"`
	Comment          string          `json:"comment,omitempty"`
}

// Deployment kinds.
const (
	DeployPromote      = "promote"
	DeployRollback     = "rollback"
	DeployAutoRollback = "auto-rollback"
)

// Post-deploy watch states.
const (
	WatchNone       = "none"
	WatchWatching   = "watching"
	WatchPassed     = "passed"
	WatchRolledBack = "rolled_back"
)

// Deployment is one change of a model's serving version.
type Deployment struct {
	ID          int64           `json:"id"`
	ModelID     int64           `json:"model_id"`
	VersionID   int64           `json:"version_id"`
	PreviousID  int64           `json:"previous_id,omitempty"`
	At          time.Time       `json:"at"`
	Kind        string          `json:"kind"`
	By          string          `json:"by"`
	Reason      string          `json:"reason"`
	DecisionID  int64           `json:"decision_id,omitempty"`
	Watch       string          `json:"watch"`
	WatchFromID int64           `json:"watch_from_id,omitempty"`
	WatchResult json.RawMessage `json:"watch_result,omitempty"`
}
