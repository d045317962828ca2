package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/riverqueue/river"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/serving"
	"github.com/freshet/freshet/store"
)

// DemoFeedArgs is the demo feeder's job: one tick of the stream.
type DemoFeedArgs struct{}

// Kind implements river.JobArgs.
func (DemoFeedArgs) Kind() string { return "demo_feed" }

type demoFeedWorker struct {
	river.WorkerDefaults[DemoFeedArgs]
	feeder *DemoFeeder
}

func (w *demoFeedWorker) Timeout(*river.Job[DemoFeedArgs]) time.Duration { return time.Minute }

func (w *demoFeedWorker) Work(ctx context.Context, job *river.Job[DemoFeedArgs]) error {
	fed, labeled, err := w.feeder.Tick(ctx)
	if err != nil {
		return err
	}
	return river.RecordOutput(ctx, map[string]int{"rows": fed, "labels": labeled})
}

// Demo stream constants.
const (
	demoRowSeconds = 1800 // Elec2 is half-hourly
	// DemoPreloadRows are ingested at install: 48 weeks, so the dashboard
	// has history on first load and the first model has a year to learn
	// from. Elec2's big shift (vicprice, vicdemand and transfer become real
	// after being constant) comes at row 17,424 (1997-05-05), 3.86 weeks
	// after the preload: at the default speed it streams in 3 min 51 s
	// after the start, and the weekly window it begins in closes at 4 min
	// 17 s (see TestDemoShiftFiresTheFirstRetrain).
	DemoPreloadRows = 48 * 336
	// DemoLabelDelay is how many rows (one day of data) labels lag behind
	// observations: they arrive later, by entity id, as in production.
	DemoLabelDelay = 48
	demoMaxPerTick = 4000
	kvDemoEpoch    = "demo.epoch_ms"
)

// DemoFeeder replays Elec2 as a live stream at an accelerated clock. Its
// position is derived from the model's own counts (rows fed = n_obs,
// labels sent = n_labeled), so a crash between ticks neither skips nor
// repeats rows. At the end of the data it starts again, shifted in time
// past the previous loop.
type DemoFeeder struct {
	DB    *store.DB
	Log   *slog.Logger
	Speed float64 // data seconds per wall second
	// Serving, when set, scores each batch with the champion before it is
	// stored, as a live service calling /predict would.
	Serving *serving.Registry

	once  sync.Once
	table *demo.Table
	err   error
}

func (f *DemoFeeder) load() (*demo.Table, error) {
	f.once.Do(func() { f.table, f.err = demo.Elec2() })
	return f.table, f.err
}

// Install creates the demo model and preloads DemoPreloadRows, once per
// database.
func (f *DemoFeeder) Install(ctx context.Context) (installed bool, err error) {
	if _, ok, err := f.DB.GetKV(ctx, kvDemoEpoch); err != nil || ok {
		return false, err
	}
	return true, f.install(ctx)
}

func (f *DemoFeeder) install(ctx context.Context) error {
	t, err := f.load()
	if err != nil {
		return err
	}
	m := demo.Elec2Model()
	if err := f.DB.CreateModel(ctx, ml.SystemActor, m); err != nil && ml.ErrorCode(err) != ml.ECONFLICT {
		return fmt.Errorf("demo: %w", err)
	}
	if m.ID == 0 {
		if m, err = f.DB.FindModelByName(ctx, m.Name); err != nil {
			return err
		}
	}
	if m.Stats.Observations == 0 {
		if _, err := f.DB.InsertBatch(ctx, ml.SystemActor, m, t.Batch(0, DemoPreloadRows, 0, 0), store.SourceDemo); err != nil {
			return fmt.Errorf("demo: preload: %w", err)
		}
		if _, err := f.label(ctx, m, 0, DemoPreloadRows-DemoLabelDelay); err != nil {
			return err
		}
	}
	// Row k is due at epoch + k*1800s/speed.
	epoch := f.DB.Now().UnixMilli() - int64(float64(DemoPreloadRows*demoRowSeconds*1000)/f.Speed)
	if err := f.DB.SetKV(ctx, kvDemoEpoch, strconv.FormatInt(epoch, 10)); err != nil {
		return err
	}
	return f.DB.Audit(ctx, ml.SystemActor, "demo.install", "model:elec2", fmt.Sprintf("demo stream at %.0f× real time", f.Speed))
}

// Tick feeds the rows that are due and the labels that have matured.
func (f *DemoFeeder) Tick(ctx context.Context) (fed, labeled int, err error) {
	raw, ok, err := f.DB.GetKV(ctx, kvDemoEpoch)
	if err != nil || !ok {
		return 0, 0, err
	}
	epoch, _ := strconv.ParseInt(raw, 10, 64)
	t, err := f.load()
	if err != nil {
		return 0, 0, err
	}
	m, err := f.DB.FindModelByName(ctx, "elec2")
	if err != nil {
		if ml.ErrorCode(err) == ml.ENOTFOUND {
			return 0, 0, nil
		}
		return 0, 0, err
	}
	now := f.DB.Now().UnixMilli()
	due := int64(float64(now-epoch) * f.Speed / (demoRowSeconds * 1000))
	have := m.Stats.Observations
	if due-have > demoMaxPerTick {
		// The server was down: resume the stream from here instead of
		// flooding a backlog; move the epoch so due == have + max.
		due = have + demoMaxPerTick
		epoch = now - int64(float64(due*demoRowSeconds*1000)/f.Speed)
		if err := f.DB.SetKV(ctx, kvDemoEpoch, strconv.FormatInt(epoch, 10)); err != nil {
			return 0, 0, err
		}
	}
	n := int64(t.Len())
	for have < due {
		loop, row := have/n, have%n
		hi := min(n, row+(due-have))
		shift := loop * (t.Time[n-1] - t.Time[0] + demoRowSeconds*1000)
		res, err := f.insert(ctx, m, t.Batch(int(row), int(hi), int(loop), shift))
		if err != nil {
			return fed, labeled, fmt.Errorf("demo: feed: %w", err)
		}
		fed += res.Accepted
		have += int64(res.Accepted)
	}
	l, err := f.label(ctx, m, m.Stats.Labeled, have-DemoLabelDelay)
	return fed, l, err
}

// insert stores a batch, scored by the champion when there is one.
func (f *DemoFeeder) insert(ctx context.Context, m *ml.Model, b *ml.Batch) (store.IngestResult, error) {
	if f.Serving != nil {
		sc, err := f.Serving.Champion(ctx, m)
		switch {
		case err == nil:
			X, err := f.DB.CategoryCodes(ctx, m, b)
			if err != nil {
				return store.IngestResult{}, err
			}
			scores, err := sc.Score(X)
			if err != nil {
				return store.IngestResult{}, err
			}
			return f.DB.InsertScored(ctx, ml.SystemActor, m, b, scores, sc.Version.ID)
		case ml.ErrorCode(err) != ml.ENOTFOUND:
			return store.IngestResult{}, err
		}
	}
	return f.DB.InsertBatch(ctx, ml.SystemActor, m, b, store.SourceDemo)
}

// label sends the true labels of stream rows [from, to) by entity id.
func (f *DemoFeeder) label(ctx context.Context, m *ml.Model, from, to int64) (int, error) {
	if to <= from {
		return 0, nil
	}
	t, err := f.load()
	if err != nil {
		return 0, err
	}
	n := int64(t.Len())
	lb := &ml.LabelBatch{}
	for k := from; k < to; k++ {
		lb.Entity = append(lb.Entity, demo.EntityID(int(k/n), int(k%n)))
		lb.Label = append(lb.Label, t.Label[k%n])
		lb.Line = append(lb.Line, int(k-from)+2)
	}
	res, err := f.DB.AttachLabels(ctx, ml.SystemActor, m, lb, store.SourceDemo)
	if err != nil {
		return 0, fmt.Errorf("demo: labels: %w", err)
	}
	return res.New, nil
}
