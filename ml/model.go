package ml

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"
)

// Task is what a model predicts.
type Task string

// Tasks. Binary classification comes first; the others share the schema.
const (
	TaskBinary     Task = "binary"
	TaskMulticlass Task = "multiclass"
	TaskRegression Task = "regression"
)

// FeatureType says how a feature's values are read.
type FeatureType string

// Feature types.
const (
	Numeric     FeatureType = "numeric"
	Categorical FeatureType = "categorical"
)

// Unknown-category policies for categorical features with declared
// categories.
const (
	UnknownAccept = "accept" // a new value is stored and gets its own code
	UnknownReject = "reject" // a value outside Categories rejects the input
)

// Feature is one input column of a model.
type Feature struct {
	Name string      `json:"name"`
	Type FeatureType `json:"type"`
	// Categories optionally declares the known values of a categorical
	// feature, in order.
	Categories []string `json:"categories,omitempty"`
	// Unknown is the policy for values outside Categories: "accept" (the
	// default) or "reject".
	Unknown string `json:"unknown,omitempty"`
}

// Primary metrics.
const (
	MetricAUC      = "auc"
	MetricLogLoss  = "logloss"
	MetricAccuracy = "accuracy"
	MetricF1       = "f1"
	MetricRMSE     = "rmse"
)

// Model is a named prediction task with its schema. Config holds the
// per-model settings later parts of freshet add (training, policy, gate);
// it is stored as JSON.
type Model struct {
	ID       int64     `json:"id"`
	Name     string    `json:"name"`
	Task     Task      `json:"task"`
	Label    string    `json:"label"`
	Time     string    `json:"time,omitempty"`
	Entity   string    `json:"entity,omitempty"`
	Features []Feature `json:"features"`
	// Classes names the classes of a multiclass model; a label is one of
	// them. Binary labels are 0/1 (or true/false).
	Classes     []string    `json:"classes,omitempty"`
	Metric      string      `json:"metric"`
	Description string      `json:"description,omitempty"`
	Config      ModelConfig `json:"config"`
	CreatedAt   time.Time   `json:"created_at"`

	Stats ModelStats `json:"-"`
}

// ModelConfig is the part of a model's settings kept as JSON. It grows
// with freshet; unknown fields are rejected when a model is created.
type ModelConfig struct {
	// Demo marks the built-in demo model.
	Demo bool `json:"demo,omitempty"`
	// Trainer says how versions are trained: the built-in GBDT (default)
	// or an external command.
	Trainer TrainerConfig `json:"trainer"`
	// Monitor sets the monitoring windows and drift thresholds.
	Monitor MonitorConfig `json:"monitor"`
	// Policy says when to retrain, how, and on what data.
	Policy PolicyConfig `json:"policy"`
	// Gate says how a challenger is judged and promoted.
	Gate GateConfig `json:"gate"`
	// Notify sends events to a webhook.
	Notify NotifyConfig `json:"notify"`
	// Labeling sets the label budget and leases for annotators.
	Labeling LabelingConfig `json:"labeling"`
}

// Monitoring windows.
const (
	WindowHour = "hour"
	WindowDay  = "day"
	WindowWeek = "week"
)

// MonitorConfig sets how a model is monitored; zero fields take
// Evidently's defaults (see ml/drift).
type MonitorConfig struct {
	// Window is the profile window by observation time: hour, day (the
	// default) or week.
	Window string `json:"window,omitempty"`
	// WindowRows, when set, makes each window a run of this many
	// observations (in arrival order) instead of a span of time.
	WindowRows    int     `json:"window_rows,omitempty"`
	PValue        float64 `json:"p_value,omitempty"`
	Wasserstein   float64 `json:"wasserstein,omitempty"`
	JensenShannon float64 `json:"jensen_shannon,omitempty"`
	DriftShare    float64 `json:"drift_share,omitempty"`
	// Correction across features for p-value tests: "", "bonferroni" or "bh".
	Correction string `json:"correction,omitempty"`
	// ReferenceFrom and ReferenceTo pin the reference to a period of
	// observation time; without them the reference is the champion's
	// training rows.
	ReferenceFrom *time.Time `json:"reference_from,omitempty"`
	ReferenceTo   *time.Time `json:"reference_to,omitempty"`
}

// Pinned reports whether the reference is a pinned period.
func (c MonitorConfig) Pinned() bool { return c.ReferenceFrom != nil && c.ReferenceTo != nil }

// WindowName describes the window: "week", "1,000 rows".
func (c MonitorConfig) WindowName() string {
	if c.WindowRows > 0 {
		return fmt.Sprintf("%d rows", c.WindowRows)
	}
	if c.Window == "" {
		return WindowDay
	}
	return c.Window
}

// WindowMS is the window length in milliseconds.
func (c MonitorConfig) WindowMS() int64 {
	switch c.Window {
	case WindowHour:
		return 3600_000
	case WindowWeek:
		return 7 * 86400_000
	}
	return 86400_000
}

func (c MonitorConfig) validate() error {
	switch c.Window {
	case "", WindowHour, WindowDay, WindowWeek:
	default:
		return Errorf(EINVALID, "monitor window %q: use hour, day or week", c.Window)
	}
	if (c.ReferenceFrom == nil) != (c.ReferenceTo == nil) || (c.Pinned() && !c.ReferenceTo.After(*c.ReferenceFrom)) {
		return Errorf(EINVALID, "monitor reference_from and reference_to: give both, from before to")
	}
	if c.WindowRows != 0 && (c.WindowRows < 50 || c.WindowRows > 10_000_000) {
		return Errorf(EINVALID, "monitor window_rows %d: use 50 to 10,000,000 rows", c.WindowRows)
	}
	for name, v := range map[string]float64{"p_value": c.PValue, "wasserstein": c.Wasserstein, "jensen_shannon": c.JensenShannon, "drift_share": c.DriftShare} {
		if v < 0 || v > 1 {
			return Errorf(EINVALID, "monitor %s %v: use a number between 0 and 1", name, v)
		}
	}
	switch c.Correction {
	case "", "bonferroni", "bh":
	default:
		return Errorf(EINVALID, "monitor correction %q: use bonferroni or bh", c.Correction)
	}
	return nil
}

// Trainer kinds.
const (
	TrainerKindBuiltin  = "builtin"
	TrainerKindExternal = "external"
)

// TrainerConfig configures training for a model.
type TrainerConfig struct {
	// Kind is "builtin" (default) or "external".
	Kind string `json:"kind,omitempty"`
	// Train is the built-in GBDT's settings (zero fields take defaults);
	// its ValidFrac also sets the external trainer's validation slice.
	Train TrainConfig `json:"train"`
	// Command runs an external trainer: argv, no shell. freshet sets
	// FRESHET_TRAIN, FRESHET_VALID (CSV), FRESHET_TRAIN_PARQUET,
	// FRESHET_VALID_PARQUET, FRESHET_MODEL_OUT, FRESHET_PARAMS (JSON),
	// FRESHET_LABEL, FRESHET_FEATURES and FRESHET_TASK; the command writes
	// a LightGBM text or XGBoost JSON model to FRESHET_MODEL_OUT.
	Command []string `json:"command,omitempty"`
	// Timeout bounds an external run, as a Go duration (default 30m).
	Timeout string `json:"timeout,omitempty"`
	// Params are passed to the external command as FRESHET_PARAMS.
	Params map[string]any `json:"params,omitempty"`
}

// TrainConfig is what a training run may set; zero fields take defaults
// (see ml/train).
type TrainConfig struct {
	Rounds        int     `json:"rounds,omitempty"`
	MaxDepth      int     `json:"max_depth,omitempty"`
	NumLeaves     int     `json:"num_leaves,omitempty"`
	LearningRate  float64 `json:"learning_rate,omitempty"`
	ValidFrac     float64 `json:"valid_frac,omitempty"`
	EarlyStopping int     `json:"early_stopping_rounds,omitempty"`
	Seed          uint64  `json:"seed,omitempty"`
	Threads       int     `json:"threads,omitempty"`
}

// MaxTrainerTimeout bounds an external trainer's run.
const MaxTrainerTimeout = 24 * time.Hour

// TimeoutDuration is the external trainer's timeout, 30 minutes by default.
func (c TrainerConfig) TimeoutDuration() time.Duration {
	d, err := time.ParseDuration(c.Timeout)
	if err != nil || d <= 0 {
		return 30 * time.Minute
	}
	return d
}

func (c TrainerConfig) validate() error {
	switch c.Kind {
	case "", TrainerKindBuiltin:
		if len(c.Command) > 0 {
			return Errorf(EINVALID, "trainer: a command needs kind \"external\"")
		}
	case TrainerKindExternal:
		if len(c.Command) == 0 || c.Command[0] == "" {
			return Errorf(EINVALID, "trainer: an external trainer needs a command, e.g. [\"python3\", \"train.py\"]")
		}
	default:
		return Errorf(EINVALID, "trainer kind %q: use builtin or external", c.Kind)
	}
	if c.Timeout != "" {
		d, err := time.ParseDuration(c.Timeout)
		if err != nil || d <= 0 || d > MaxTrainerTimeout {
			return Errorf(EINVALID, "trainer timeout %q: use a Go duration such as 10m, at most 24h", c.Timeout)
		}
	}
	t := c.Train
	if t.Rounds < 0 || t.Rounds > 100000 || t.MaxDepth < 0 || t.MaxDepth > 32 || t.NumLeaves < 0 || t.LearningRate < 0 || t.LearningRate > 1 || t.ValidFrac < 0 || t.ValidFrac >= 1 {
		return Errorf(EINVALID, "trainer.train: rounds 0..100000, max_depth 0..32, learning_rate 0..1, valid_frac 0..<1")
	}
	return nil
}

// ModelStats are a model's running counts.
type ModelStats struct {
	Observations      int64      `json:"observations"`
	Labeled           int64      `json:"labeled"`
	FirstObservation  *time.Time `json:"first_observation_at,omitempty"`
	LastObservation   *time.Time `json:"last_observation_at,omitempty"`
	LastIngest        *time.Time `json:"last_ingest_at,omitempty"`
	CategoryCardinals []int      `json:"-"`
}

// LabelCoverage is the share of observations with a label, 0 when there
// are none.
func (s ModelStats) LabelCoverage() float64 {
	if s.Observations == 0 {
		return 0
	}
	return float64(s.Labeled) / float64(s.Observations)
}

var nameRE = regexp.MustCompile(`^[a-z0-9][a-z0-9_.-]{0,62}$`)

// ValidName reports whether s is a valid model, user or token name:
// lower-case letters, digits, '_', '-', '.', at most 63, starting with a
// letter or digit.
func ValidName(s string) bool { return nameRE.MatchString(s) }

// MaxFeatures bounds a schema's width.
const MaxFeatures = 1000

// Normalize fills defaults (metric, unknown policy) in place.
func (m *Model) Normalize() {
	if m.Task == "" {
		m.Task = TaskBinary
	}
	if m.Metric == "" {
		switch m.Task {
		case TaskBinary:
			m.Metric = MetricAUC
		case TaskMulticlass:
			m.Metric = MetricLogLoss
		case TaskRegression:
			m.Metric = MetricRMSE
		}
	}
	for i := range m.Features {
		f := &m.Features[i]
		f.Name = strings.TrimSpace(f.Name)
		if f.Type == Categorical && f.Unknown == "" {
			f.Unknown = UnknownAccept
		}
	}
}

// Validate checks a model definition and returns an *Error (EINVALID) that
// names the first problem.
func (m *Model) Validate() error {
	bad := func(format string, args ...any) error { return Errorf(EINVALID, format, args...) }
	if err := m.Config.Trainer.validate(); err != nil {
		return err
	}
	if err := m.Config.Monitor.validate(); err != nil {
		return err
	}
	if err := m.Config.Policy.validate(m.Task); err != nil {
		return err
	}
	if err := m.Config.Gate.validate(); err != nil {
		return err
	}
	if err := m.Config.Notify.validate(); err != nil {
		return err
	}
	if err := m.Config.Labeling.validate(); err != nil {
		return err
	}
	if !ValidName(m.Name) {
		return bad("model name %q: use 1-63 lower-case letters, digits, '_', '-' or '.', starting with a letter or digit", m.Name)
	}
	switch m.Task {
	case TaskBinary, TaskRegression:
		if len(m.Classes) > 0 {
			return bad("classes are only for multiclass models")
		}
	case TaskMulticlass:
		if len(m.Classes) < 3 {
			return bad("a multiclass model needs at least 3 classes (use task binary for 2)")
		}
		seen := map[string]bool{}
		for _, c := range m.Classes {
			if c == "" || seen[c] {
				return bad("class %q is empty or repeated", c)
			}
			seen[c] = true
		}
	default:
		return bad("task %q: use binary, multiclass or regression", m.Task)
	}
	okMetric := map[Task][]string{
		TaskBinary:     {MetricAUC, MetricLogLoss, MetricAccuracy, MetricF1},
		TaskMulticlass: {MetricLogLoss, MetricAccuracy},
		TaskRegression: {MetricRMSE},
	}[m.Task]
	if !slices.Contains(okMetric, m.Metric) {
		return bad("metric %q does not fit task %s: use one of %s", m.Metric, m.Task, strings.Join(okMetric, ", "))
	}
	if strings.TrimSpace(m.Label) == "" {
		return bad("label: name the label column")
	}
	if len(m.Features) == 0 {
		return bad("features: a model needs at least one feature")
	}
	if len(m.Features) > MaxFeatures {
		return bad("features: %d features, at most %d", len(m.Features), MaxFeatures)
	}
	reserved := map[string]string{m.Label: "label"}
	if m.Time != "" {
		if _, dup := reserved[m.Time]; dup {
			return bad("time column %q is also the label column", m.Time)
		}
		reserved[m.Time] = "time"
	}
	if m.Entity != "" {
		if other, dup := reserved[m.Entity]; dup {
			return bad("entity column %q is also the %s column", m.Entity, other)
		}
		reserved[m.Entity] = "entity"
	}
	seen := map[string]bool{}
	for i, f := range m.Features {
		if f.Name == "" {
			return bad("feature %d has no name", i+1)
		}
		if len(f.Name) > 200 || strings.ContainsAny(f.Name, "\n\r\"") {
			return bad("feature %d: name %q is too long or has quotes or line breaks", i+1, f.Name)
		}
		if seen[f.Name] {
			return bad("feature %q is declared twice", f.Name)
		}
		seen[f.Name] = true
		if other, ok := reserved[f.Name]; ok {
			return bad("feature %q is also the %s column", f.Name, other)
		}
		switch f.Type {
		case Numeric:
			if len(f.Categories) > 0 || f.Unknown != "" {
				return bad("feature %q: categories and unknown are only for categorical features", f.Name)
			}
		case Categorical:
			if f.Unknown != UnknownAccept && f.Unknown != UnknownReject {
				return bad("feature %q: unknown must be accept or reject", f.Name)
			}
			if f.Unknown == UnknownReject && len(f.Categories) == 0 {
				return bad("feature %q: unknown=reject needs declared categories", f.Name)
			}
			cs := map[string]bool{}
			for _, c := range f.Categories {
				if c == "" || cs[c] {
					return bad("feature %q: category %q is empty or repeated", f.Name, c)
				}
				cs[c] = true
			}
		default:
			return bad("feature %q: type %q, use numeric or categorical", f.Name, f.Type)
		}
	}
	return nil
}

// FeatureIndex returns the index of the named feature, or -1.
func (m *Model) FeatureIndex(name string) int {
	for i, f := range m.Features {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// Batch is a parsed, validated set of observations for one model, in
// columns. Categorical values stay strings here; the store maps them to
// codes. Missing numeric values are NaN, missing categorical values "".
type Batch struct {
	N int
	// Time is each row's time in unix milliseconds.
	Time []int64
	// Entity holds each row's entity id ("" for none); nil when the input
	// had no entity column.
	Entity []string
	// Num[j] is feature j's values when it is numeric, else nil.
	Num [][]float64
	// Cat[j] is feature j's values when it is categorical, else nil.
	Cat [][]string
	// Label is each row's label (NaN when unlabeled): 0/1 for binary, the
	// class index for multiclass, the value for regression. Nil when the
	// input had no label column.
	Label []float64
	// Line is each row's line in the input, for error messages.
	Line []int
}

// LabelBatch is a parsed set of late labels, attached by entity id.
type LabelBatch struct {
	Entity []string
	Label  []float64
	Line   []int
}

// Roles of people.
type Role string

// Roles, in increasing power.
const (
	RoleAnnotator Role = "annotator"
	RoleLead      Role = "lead"
	RoleAdmin     Role = "admin"
)

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	switch r := Role(s); r {
	case RoleAdmin, RoleLead, RoleAnnotator:
		return r, nil
	}
	return "", Errorf(EINVALID, "role %q: use admin, lead or annotator", s)
}

// AtLeast reports whether r has at least the power of min.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() }

func (r Role) rank() int {
	switch r {
	case RoleAdmin:
		return 3
	case RoleLead:
		return 2
	case RoleAnnotator:
		return 1
	}
	return 0
}

// User is a person who logs in.
type User struct {
	ID        int64     `json:"id"`
	Name      string    `json:"name"`
	Role      Role      `json:"role"`
	CreatedAt time.Time `json:"created_at"`
	Disabled  bool      `json:"disabled"`
}

// Token scopes.
const (
	ScopeIngest  = "ingest"
	ScopePredict = "predict"
	ScopeAdmin   = "admin"
)

// ParseScopes validates a comma-separated scope list.
func ParseScopes(s string) ([]string, error) {
	var out []string
	for _, p := range strings.Split(s, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		switch p {
		case ScopeIngest, ScopePredict, ScopeAdmin:
		default:
			return nil, Errorf(EINVALID, "scope %q: use ingest, predict or admin", p)
		}
		if !slices.Contains(out, p) {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return nil, Errorf(EINVALID, "a token needs at least one scope (ingest, predict, admin)")
	}
	return out, nil
}

// Token is an API token; the secret is shown once and stored hashed.
type Token struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Scopes     []string   `json:"scopes"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	CreatedBy  string     `json:"created_by,omitempty"`
}

// HasScope reports whether t carries scope s; admin implies every scope.
func (t *Token) HasScope(s string) bool {
	return slices.Contains(t.Scopes, s) || slices.Contains(t.Scopes, ScopeAdmin)
}

// Actor names who did something, for the audit log.
type Actor struct {
	Kind string // "user", "token" or "system"
	ID   int64
	Name string
}

// String is "user:alice", "token:ci" or "system".
func (a Actor) String() string {
	if a.Kind == "system" || a.Kind == "" {
		if a.Name != "" && a.Name != "system" {
			return "system:" + a.Name
		}
		return "system"
	}
	return fmt.Sprintf("%s:%s", a.Kind, a.Name)
}

// SystemActor is the actor for what freshet does on its own.
var SystemActor = Actor{Kind: "system", Name: "system"}

// AuditEntry is one state change: who, what, when.
type AuditEntry struct {
	ID     int64     `json:"id"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"`
	Action string    `json:"action"`
	Target string    `json:"target"`
	Detail string    `json:"detail,omitempty"`
}
