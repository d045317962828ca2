package jobs

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/modelfile"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/serving"
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
	PeakRSS    int64              `json:"peak_rss_bytes,omitempty"`
	Seconds    float64            `json:"wall_seconds"`
}

type retrainWorker struct {
	river.WorkerDefaults[RetrainArgs]
	db      *store.DB
	dataDir string
}

func (w *retrainWorker) Timeout(*river.Job[RetrainArgs]) time.Duration { return 30 * time.Minute }

// Work trains in this process for now; running it in a measured child
// process comes with the job-queue work (see DESIGN "Training").
func (w *retrainWorker) Work(ctx context.Context, job *river.Job[RetrainArgs]) error {
	res, err := Retrain(ctx, w.db, w.dataDir, job.Args, job.ID)
	if err != nil {
		if ml.ErrorCode(err) == ml.EINVALID || ml.ErrorCode(err) == ml.ENOTFOUND {
			// Bad data or a deleted model: retrying cannot help.
			return river.JobCancel(err)
		}
		return err
	}
	return river.RecordOutput(ctx, res)
}

// Retrain trains a new version of a model on all its labeled rows, with
// the built-in GBDT or the model's external trainer, and makes it the
// champion. dataDir holds external runs' files.
func Retrain(ctx context.Context, db *store.DB, dataDir string, args RetrainArgs, jobID int64) (*RetrainResult, error) {
	m, err := db.FindModelByID(ctx, args.ModelID)
	if err != nil {
		return nil, err
	}
	fr, err := db.Scan(ctx, m, store.ScanFilter{LabeledOnly: true})
	if err != nil {
		return nil, err
	}
	d := train.Data{X: fr.X, Y: fr.Label, Time: fr.Time, IDs: fr.ID}
	cfg := m.Config.Trainer.Train
	if args.Config != (train.Config{}) {
		cfg = args.Config
	}
	start, cpu0 := time.Now(), cpuSeconds()
	var (
		v          *ml.Version
		artifact   []byte
		result     = &RetrainResult{}
		trainRows  int
		validRows  int
		childCPU   float64
		trainerTag = ml.TrainerGBDT
	)
	if m.Config.Trainer.Kind == ml.TrainerKindExternal {
		if d.Len() < train.MinRows {
			return nil, ml.Errorf(ml.EINVALID, "only %d labeled rows; a model needs at least %d", d.Len(), train.MinRows)
		}
		tIdx, vIdx := train.Split(d, cfg.ValidFrac)
		dir := filepath.Join(dataDir, "runs", fmt.Sprintf("job-%d-%d", jobID, time.Now().UnixNano()))
		run, err := RunExternal(ctx, dir, m, m.Config.Trainer, snapshotOf(m, fr.X, fr.Label, fr.Time, tIdx), snapshotOf(m, fr.X, fr.Label, fr.Time, vIdx))
		if err != nil {
			return nil, err
		}
		mf, err := modelfile.Load(run.Model, modelfile.Limits{})
		if err != nil {
			return nil, ml.Errorf(ml.EINVALID, "the trainer's model file was refused: %v", err)
		}
		if mf.NumFeatures > len(m.Features) {
			return nil, ml.Errorf(ml.EINVALID, "the trainer's model uses %d features; model %s has %d", mf.NumFeatures, m.Name, len(m.Features))
		}
		validX := make([][]float64, len(m.Features))
		validY := make([]float64, len(vIdx))
		for j := range validX {
			validX[j] = make([]float64, len(vIdx))
			for i, k := range vIdx {
				validX[j][i] = fr.X[j][k]
			}
		}
		for i, k := range vIdx {
			validY[i] = fr.Label[k]
		}
		sc, err := serving.Load(&ml.Version{Format: ml.FormatLightGBM}, mf.Text)
		if err != nil {
			return nil, err
		}
		scores, err := sc.Score(validX)
		if err != nil {
			return nil, err
		}
		params, _ := json.Marshal(orMap(m.Config.Trainer.Params))
		v = &ml.Version{Trainer: ml.TrainerExternal, Params: params, Metrics: train.Evaluate(m.Task, scores, sc.Outputs(), validY)}
		artifact, trainRows, validRows, childCPU, trainerTag = mf.Text, len(tIdx), len(vIdx), run.CPUSeconds, strings.Join(m.Config.Trainer.Command, " ")
		result.PeakRSS = run.PeakRSS
	} else {
		r, err := train.GBDT(m, d, cfg)
		if err != nil {
			return nil, err
		}
		params, _ := json.Marshal(train.Defaults(cfg))
		v = &ml.Version{Trainer: ml.TrainerGBDT, Params: params, Metrics: train.Evaluate(m.Task, r.ValidScores, r.Outputs, r.ValidY), Importance: r.Importance}
		artifact, trainRows, validRows, result.Rounds = r.Text, r.TrainRows, r.ValidRows, r.Rounds
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	v.UpdateKind, v.Format, v.Data, v.JobID = ml.UpdateFull, ml.FormatLightGBM, d.Version(), jobID
	v.Note = fmt.Sprintf("%s; %s trained on %d rows, validated on the newest %d", orText(args.Reason, "manual retrain"), trainerTag, trainRows, validRows)
	actor := ml.Actor{Kind: "system", Name: "retrain"}
	if err := db.CreateVersion(ctx, actor, m, v, artifact, true); err != nil {
		return nil, err
	}
	result.Version, result.VersionID, result.Rows, result.Metrics = v.Number, v.ID, int(d.Len()), v.Metrics
	result.CPUSeconds = round3(cpuSeconds() - cpu0 + childCPU)
	result.Seconds = round3(time.Since(start).Seconds())
	return result, nil
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
