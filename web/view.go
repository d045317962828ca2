// Package web holds freshet's templ components: the layout, one file per
// page and shared parts. Components take view models that handlers build;
// they never touch the store.
package web

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/static"
)

// Element ids used as htmx targets, shared by templates and tests.
const (
	IDModelStats  = "model-stats"
	IDUploadOut   = "upload-result"
	IDCountsChart = "counts-chart"
	IDOverview    = "overview-models"
	IDJobsTable   = "jobs-table"
	IDDist        = "distribution"
)

// Nav is what the layout needs on every page.
type Nav struct {
	User   *ml.User
	Active string // "overview", "models", "jobs", "gates", "labeling", "audit", "settings"
	Title  string
}

// CanLead reports whether the user is a lead or admin.
func (n Nav) CanLead() bool { return n.User != nil && n.User.Role.AtLeast(ml.RoleLead) }

// IsAdmin reports whether the user is an admin.
func (n Nav) IsAdmin() bool { return n.User != nil && n.User.Role == ml.RoleAdmin }

// Flash is a one-off message on a page.
type Flash struct {
	Kind   string // ok, bad, info
	Text   string
	Issues []ml.Issue
	Secret string // shown once, copyable
}

// ModelRow is one model on the overview and models pages.
type ModelRow struct {
	Name        string
	Task        string
	Description string
	Features    int
	Stats       ml.ModelStats
	Demo        bool
	// Champion is "v3 · auc 0.871", "" when none.
	Champion string
	// Drift is the newest closed window's verdict: "ok", "drift",
	// "minor" (features the model barely uses), "" when unmonitored.
	Drift      string
	DriftTitle string
}

// OverviewView is the overview page.
type OverviewView struct {
	Nav
	Models      []ModelRow
	Recent      []ml.AuditEntry
	TotalObs    int64
	TotalLabels int64
	Users       int
	Demo        bool
	DemoSpeed   float64
}

// ModelView is a model's page.
type ModelView struct {
	Nav
	Model      *ml.Model
	Categories [][]string
	Flash      *Flash
	Origin     string // for the API example, e.g. http://127.0.0.1:8080
	Versions   []*ml.Version
	Monitor    MonitorView
	Policy     PolicyPanel
}

// Champion is the serving version, or nil.
func (v ModelView) Champion() *ml.Version {
	for _, x := range v.Versions {
		if x.Status == ml.StatusChampion {
			return x
		}
	}
	return nil
}

// UploadView is the "new model from a file" flow.
type UploadView struct {
	Nav
	Flash    *Flash
	UploadID string
	FileName string
	Name     string
	Rows     int
	Columns  []UploadColumn
	Preview  [][]string
	Task     string
}

// UploadColumn is one column of an uploaded file with its guessed role.
type UploadColumn struct {
	Name     string
	Role     string // numeric, categorical, label, time, entity, ignore
	Distinct int
	Missing  int
	Summary  string // "0 .. 1", "7 values: 1, 2, 3 ..."
}

// JobsView is the jobs page: training jobs, then background jobs.
type JobsView struct {
	Nav
	Now          time.Time
	Training     []TrainJobRow
	Jobs         []JobRow
	MaxTrainings int
}

// Active counts queued and running training jobs.
func (v JobsView) Active() (queued, running int) {
	for _, r := range v.Training {
		switch r.Job.State {
		case ml.JobQueued:
			queued++
		case ml.JobRunning:
			running++
		}
	}
	return
}

// TrainJobRow is a training job on a page.
type TrainJobRow struct {
	Job     *ml.Job
	Elapsed time.Duration
}

// JobView is one training job's page.
type JobView struct {
	Nav
	Row     TrainJobRow
	Trigger *ml.TriggerEvent
	Version *ml.Version
}

// PolicyPanel is the model page's retraining card.
type PolicyPanel struct {
	Describe  string
	Policy    ml.PolicyConfig // with defaults
	UsedDay   float64
	UsedWeek  float64
	NextRun   *time.Time
	Cooldown  *time.Time // until when, if cooling down
	ActiveJob *ml.Job
	Events    []*ml.TriggerEvent
}

// PolicyView is the policy settings page of a model.
type PolicyView struct {
	Nav
	Model *ml.Model
	P     ml.PolicyConfig
	Flash *Flash
}

// JobRow is one job.
type JobRow struct {
	ID       int64
	Kind     string
	State    string
	Attempt  int
	Created  time.Time
	Finished *time.Time
	Output   string
	Error    string
}

// AuditView is the audit page.
type AuditView struct {
	Nav
	Entries []ml.AuditEntry
	Actor   string
	Action  string
	Target  string
	NextURL string
}

// SettingsView is the settings page (admin).
type SettingsView struct {
	Nav
	Flash  *Flash
	Users  []*ml.User
	Tokens []*ml.Token
	Models []*ml.Model
}

// LoginView is the login page.
type LoginView struct {
	Error string
	Name  string
	Next  string
}

// PasswordView is the change-password page.
type PasswordView struct {
	Nav
	Error      string
	MustChange bool
}

// SoonView is a page for an area a later release fills in.
type SoonView struct {
	Nav
	Heading string
	Lead    string
	Points  []string
}

// ErrorView is an error page.
type ErrorView struct {
	Nav
	Status  int
	Message string
}

// Asset is static.URL, for templates.
func Asset(name string) string { return static.URL(name) }

// Int formats an integer with thousands separators: 45312 → "45,312".
func Int[T ~int | ~int64](n T) string {
	s := strconv.FormatInt(int64(n), 10)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// Pct formats a share as a percentage.
func Pct(x float64) string {
	if math.IsNaN(x) {
		return "–"
	}
	return strconv.FormatFloat(100*x, 'f', 1, 64) + "%"
}

// Width is a CSS width for a bar of share x.
func Width(x float64) string {
	return "width:" + strconv.FormatFloat(math.Max(0, math.Min(100, 100*x)), 'f', 1, 64) + "%"
}

// When formats an optional time in UTC, "–" for none.
func When(t *time.Time) string {
	if t == nil {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

// Stamp formats a time in UTC with seconds.
func Stamp(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05") }

// Ago says how long ago t was, relative to now.
func Ago(t *time.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	d := now.Sub(*t)
	switch {
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

// StatePill maps a job state to a pill class.
func StatePill(s string) string {
	switch s {
	case "completed", "succeeded":
		return "pill ok"
	case "running":
		return "pill info"
	case "discarded", "cancelled", "failed":
		return "pill bad"
	case "retryable":
		return "pill warn"
	}
	return "pill"
}

// Speed describes the demo clock.
func Speed(x float64) string {
	if x == 7*24*60 {
		return "one week of data per minute"
	}
	return fmt.Sprintf("%.0f× real time", x)
}

// MonitorView is the model page's monitoring section.
type MonitorView struct {
	Model             string
	HasData           bool
	Window            string
	ReferenceRows     int
	HeatCols          []string
	Heat              []HeatRow
	Current           string
	CurrentRows       int
	Rows              []DriftRow
	Share             float64
	WeightedShare     float64
	DatasetDrift      bool
	WeightedDrift     bool
	PredictionDrift   string
	PredictionDrifted bool
	Multivariate      string
	MultiDrifted      bool
	Dist              DistView
}

// HeatRow is one feature across windows.
type HeatRow struct {
	Name  string
	Cells []HeatCell
}

// HeatCell is one feature in one window.
type HeatCell struct {
	Class string // h0..h4, h-na
	Title string
}

// DriftRow is one feature in the current window.
type DriftRow struct {
	Name, Method, Statistic, PValue, Threshold, PSI string
	Importance                                      float64
	Drifted                                         bool
}

// DistView is a feature's reference-vs-window distribution.
type DistView struct {
	Model    string
	Feature  string
	Features []string
	Window   string
	Labels   []string
	Ref, Cur []float64
}

// Secs formats CPU- or wall-seconds: "0.42 s", "12.3 s", "4 min 10 s".
func Secs(x float64) string {
	switch {
	case math.IsNaN(x) || x < 0:
		return "–"
	case x < 10:
		return fmt.Sprintf("%.2f s", x)
	case x < 120:
		return fmt.Sprintf("%.1f s", x)
	}
	d := time.Duration(x * float64(time.Second)).Round(time.Second)
	return fmt.Sprintf("%d min %d s", int(d.Minutes()), int(d.Seconds())%60)
}

// Bytes formats a byte count: "84 MiB".
func Bytes(n int64) string {
	switch {
	case n <= 0:
		return "–"
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%d KiB", n>>10)
}

// Share is x/limit as a percentage width for a bar (0..100).
func Share(x, limit float64) string {
	if limit <= 0 {
		return "0"
	}
	return strconv.FormatFloat(math.Min(100, 100*x/limit), 'f', 1, 64)
}

// ProgressPct is a job's progress as a bar width.
func ProgressPct(j *ml.Job) string {
	p := j.Progress
	if j.State == ml.JobSucceeded {
		p = 1
	}
	return strconv.FormatFloat(100*math.Max(0, math.Min(1, p)), 'f', 0, 64)
}

// JobPill is a job state's pill class.
func JobPill(state string) string {
	switch state {
	case ml.JobSucceeded:
		return "pill ok"
	case ml.JobFailed:
		return "pill bad"
	case ml.JobRunning:
		return "pill info"
	case ml.JobCancelled:
		return "pill warn"
	}
	return "pill"
}

// Strategy names an update strategy for people.
func Strategy(s string) string {
	switch s {
	case ml.StrategyWarmStart:
		return "warm start"
	case ml.StrategyFull:
		return "full retrain"
	case ml.StrategyOnline:
		return "online snapshot"
	}
	return s
}

// Dur formats a duration for people: "3.2 s", "4 min".
func Dur(d time.Duration) string {
	if d <= 0 {
		return "–"
	}
	return Secs(d.Seconds())
}

// CostText reads a trigger event's cost estimate JSON.
func CostText(raw []byte) string {
	var c struct {
		CPUSeconds float64
		Basis      string
	}
	if len(raw) == 0 || json.Unmarshal(raw, &c) != nil || (c.CPUSeconds == 0 && c.Basis == "") {
		return ""
	}
	return fmt.Sprintf("predicted %s CPU (%s)", Secs(c.CPUSeconds), c.Basis)
}

// GainText reads a trigger event's gain estimate JSON.
func GainText(raw []byte) string {
	var g *struct {
		Points float64
		Value  float64
		Basis  string
	}
	if len(raw) == 0 || json.Unmarshal(raw, &g) != nil || g == nil {
		return ""
	}
	return fmt.Sprintf("expected gain %.2f points, worth %s CPU (%s)", g.Points, Secs(g.Value), g.Basis)
}

// OptFloat renders an optional number for a form field ("" when zero).
func OptFloat(x float64) string {
	if x == 0 {
		return ""
	}
	return strconv.FormatFloat(x, 'g', -1, 64)
}

// OptInt renders an optional integer for a form field ("" when zero).
func OptInt(n int) string {
	if n == 0 {
		return ""
	}
	return strconv.Itoa(n)
}

// CPUs formats CPU-seconds for budgets: "1,830 CPU-s", "4.2 CPU-s".
func CPUs(x float64) string {
	if x >= 100 {
		return Int(int64(math.Round(x))) + " CPU-s"
	}
	return strconv.FormatFloat(x, 'f', 1, 64) + " CPU-s"
}
