package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"syscall"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/store"
)

// RetrainArgs asks for a full retrain of a model with the built-in GBDT
// on its labeled observations.
type RetrainArgs struct {
	ModelID int64        `json:"model_id"`
	Reason  string       `json:"reason"`
	By      string       `json:"by"`
	Config  train.Config `json:"config"`
}

// Kind implements river.JobArgs.
func (RetrainArgs) Kind() string { return "retrain" }

// InsertOpts makes retrains unique per model while one is queued or
// running: a second request joins the first instead of doubling the cost.
func (RetrainArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{
		ByArgs: true,
		ByState: []rivertype.JobState{rivertype.JobStateAvailable, rivertype.JobStatePending, rivertype.JobStateRunning,
			rivertype.JobStateRetryable, rivertype.JobStateScheduled},
	}}
}

// RetrainResult is the retrain job's recorded output.
type RetrainResult struct {
	Version    int                `json:"version"`
	VersionID  int64              `json:"version_id"`
	Rows       int                `json:"rows"`
	Rounds     int                `json:"rounds"`
	Metrics    map[string]float64 `json:"metrics"`
	CPUSeconds float64            `json:"cpu_seconds"`
	Seconds    float64            `json:"wall_seconds"`
}

type retrainWorker struct {
	river.WorkerDefaults[RetrainArgs]
	db *store.DB
}

func (w *retrainWorker) Timeout(*river.Job[RetrainArgs]) time.Duration { return 30 * time.Minute }

// Work trains in this process for now; running it in a measured child
// process comes with the job-queue work (see DESIGN "Training").
func (w *retrainWorker) Work(ctx context.Context, job *river.Job[RetrainArgs]) error {
	res, err := Retrain(ctx, w.db, job.Args, job.ID)
	if err != nil {
		if ml.ErrorCode(err) == ml.EINVALID || ml.ErrorCode(err) == ml.ENOTFOUND {
			// Bad data or a deleted model: retrying cannot help.
			return river.JobCancel(err)
		}
		return err
	}
	return river.RecordOutput(ctx, res)
}

// Retrain trains a new version of a model on all its labeled rows and
// makes it the champion.
func Retrain(ctx context.Context, db *store.DB, args RetrainArgs, jobID int64) (*RetrainResult, error) {
	m, err := db.FindModelByID(ctx, args.ModelID)
	if err != nil {
		return nil, err
	}
	fr, err := db.Scan(ctx, m, store.ScanFilter{LabeledOnly: true})
	if err != nil {
		return nil, err
	}
	start, cpu0 := time.Now(), cpuSeconds()
	r, err := train.GBDT(m, train.Data{X: fr.X, Y: fr.Label, Time: fr.Time, IDs: fr.ID}, args.Config)
	if err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	metrics := train.Evaluate(m.Task, r.ValidScores, r.Outputs, r.ValidY)
	params, _ := json.Marshal(args.Config.Defaults())
	v := &ml.Version{Trainer: ml.TrainerGBDT, UpdateKind: ml.UpdateFull, Format: ml.FormatLightGBM, Params: params,
		Metrics: metrics, Importance: r.Importance, Data: r.Data, JobID: jobID,
		Note: fmt.Sprintf("%s; trained on %d rows, validated on the newest %d", orText(args.Reason, "manual retrain"), r.TrainRows, r.ValidRows)}
	actor := ml.Actor{Kind: "system", Name: "retrain"}
	if err := db.CreateVersion(ctx, actor, m, v, r.Text, true); err != nil {
		return nil, err
	}
	return &RetrainResult{Version: v.Number, VersionID: v.ID, Rows: int(r.Data.Rows), Rounds: r.Rounds, Metrics: metrics,
		CPUSeconds: round3(cpuSeconds() - cpu0), Seconds: round3(time.Since(start).Seconds())}, nil
}

func orText(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func round3(x float64) float64 { return math.Round(x*1000) / 1000 }

// cpuSeconds is this process's user+system CPU time. Training in-process
// shares it with the server; the child-process runner measures exactly.
func cpuSeconds() float64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	tv := func(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }
	return tv(ru.Utime) + tv(ru.Stime)
}

// EnqueueRetrain queues a retrain; a retrain already queued or running for
// the model is returned instead of a second one.
func (r *Runner) EnqueueRetrain(ctx context.Context, args RetrainArgs) (jobID int64, duplicate bool, err error) {
	res, err := r.Client.Insert(ctx, args, nil)
	if err != nil {
		return 0, false, fmt.Errorf("jobs: enqueue retrain: %w", err)
	}
	return res.Job.ID, res.UniqueSkippedAsDuplicate, nil
}
