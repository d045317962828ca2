package jobs

import (
	"bytes"
	"context"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/freshet/freshet/demo"
	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/ml/train"
	"github.com/freshet/freshet/store"
)

// externalModel makes the demo model with n labeled rows and the given
// trainer command.
func externalModel(t *testing.T, n int, command ...string) (*store.DB, *ml.Model) {
	t.Helper()
	ctx := context.Background()
	db, err := store.Open(ctx, filepath.Join(t.TempDir(), "x.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	m := demo.Elec2Model()
	m.Config.Demo = false
	m.Config.Trainer = ml.TrainerConfig{Kind: ml.TrainerKindExternal, Command: command, Timeout: "20s", Params: map[string]any{"rounds": 20}}
	if err := db.CreateModel(ctx, ml.SystemActor, m); err != nil {
		t.Fatal(err)
	}
	tab, _ := demo.Elec2()
	b := tab.Batch(0, n, 0, 0)
	b.Label = tab.Label[:n]
	if _, err := db.InsertBatch(ctx, ml.SystemActor, m, b, store.SourceIngest); err != nil {
		t.Fatal(err)
	}
	return db, m
}

func script(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "trainer.sh")
	if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// A trainer that writes a valid LightGBM model (made by our own GBDT)
// and checks the environment it was promised.
func TestExternalTrainerWritesModel(t *testing.T) {
	ctx := context.Background()
	tab, _ := demo.Elec2()
	m0 := demo.Elec2Model()
	X := make([][]float64, 7)
	X[0] = make([]float64, 2000)
	for i := range 2000 {
		X[0][i] = float64(tab.Day[i][0] - '1')
	}
	for j := range 6 {
		X[j+1] = tab.Num[j][:2000]
	}
	r, err := train.GBDT(m0, train.Data{X: X, Y: tab.Label[:2000]}, train.Config{Rounds: 10})
	if err != nil {
		t.Fatal(err)
	}
	src := filepath.Join(t.TempDir(), "model.txt")
	os.WriteFile(src, r.Text, 0o644)
	sh := script(t, `set -e
test -s "$FRESHET_TRAIN" && test -s "$FRESHET_VALID" && test -s "$FRESHET_TRAIN_PARQUET" && test -s "$FRESHET_VALID_PARQUET"
test "$FRESHET_LABEL" = label && test "$FRESHET_TASK" = binary
test "$FRESHET_FEATURES" = "day,period,nswprice,nswdemand,vicprice,vicdemand,transfer"
echo "$FRESHET_PARAMS" | grep -q '"rounds":20'
head -1 "$FRESHET_TRAIN"
echo training...
cp "`+src+`" "$FRESHET_MODEL_OUT"
`)
	db, m := externalModel(t, 1000, "/bin/sh", sh)
	res, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 7)
	if err != nil {
		t.Fatal(err)
	}
	v, _ := db.FindChampion(ctx, m.ID)
	if res.Version != 1 || v.Trainer != ml.TrainerExternal || v.Data.Rows+v.Data.HoldoutRows != 1000 || res.Metrics[ml.MetricAUC] < 0.6 {
		t.Fatalf("result %+v version %+v", res, v)
	}
}

func TestExternalTrainerFails(t *testing.T) {
	db, m := externalModel(t, 200, "/bin/sh", script(t, "echo preparing\necho 'boom: no GPU' >&2\nexit 3\n"))
	_, err := Retrain(context.Background(), db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 1)
	if ml.ErrorCode(err) != ml.EINVALID || !strings.Contains(err.Error(), "exit status 3") || !strings.Contains(err.Error(), "boom: no GPU") {
		t.Fatalf("want exit status and log: %v", err)
	}
	if _, err := db.FindChampion(context.Background(), m.ID); ml.ErrorCode(err) != ml.ENOTFOUND {
		t.Fatal("a failed run made a version")
	}
}

// A trainer that hangs (with a child process) is killed within a second
// of cancellation, children included.
func TestExternalTrainerCancelled(t *testing.T) {
	marker := filepath.Join(t.TempDir(), "child-alive")
	db, m := externalModel(t, 200, "/bin/sh", script(t, "(sleep 3; touch "+marker+") &\nsleep 60\n"))
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(300 * time.Millisecond); cancel() }()
	start := time.Now()
	_, err := Retrain(ctx, db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 1)
	if err == nil || time.Since(start) > 1500*time.Millisecond {
		t.Fatalf("cancel took %v: %v", time.Since(start), err)
	}
	time.Sleep(3500 * time.Millisecond)
	if _, err := os.Stat(marker); err == nil {
		t.Fatal("the trainer's child survived the cancel")
	}
}

func TestExternalTrainerTimeout(t *testing.T) {
	db, m := externalModel(t, 200, "/bin/sh", script(t, "sleep 60\n"))
	m.Config.Trainer.Timeout = "500ms"
	tx := m.Config.Trainer
	start := time.Now()
	_, err := RunExternal(context.Background(), t.TempDir(), m, tx, &Snapshot{}, &Snapshot{})
	if err == nil || !strings.Contains(err.Error(), "timed out") || time.Since(start) > 2*time.Second {
		t.Fatalf("timeout: %v after %v", err, time.Since(start))
	}
	_ = db
}

// Hostile or broken model files are refused with a clear message and no
// version; nothing crashes.
func TestExternalTrainerHostileModel(t *testing.T) {
	for name, content := range map[string]string{
		"garbage":        "not a model at all",
		"legacy xgboost": "\x00\x00\x00?binf\x00\x00\x00\x00\x00\x00\x00\x00",
		"huge leaves":    "tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nmax_feature_idx=6\nobjective=binary sigmoid:1\ntree_sizes=1\n\nTree=0\nnum_leaves=1000000000\nnum_cat=0\nleaf_value=1\n\nend of trees\n",
		"bad child":      "tree\nversion=v3\nnum_class=1\nnum_tree_per_iteration=1\nmax_feature_idx=6\nobjective=binary sigmoid:1\ntree_sizes=1\n\nTree=0\nnum_leaves=2\nnum_cat=0\nsplit_feature=0\nthreshold=0.5\ndecision_type=2\nleft_child=-1\nright_child=5\nleaf_value=0.1 0.2\n\nend of trees\n",
	} {
		t.Run(name, func(t *testing.T) {
			f := filepath.Join(t.TempDir(), "m")
			os.WriteFile(f, []byte(content), 0o644)
			db, m := externalModel(t, 200, "/bin/sh", script(t, `cp "`+f+`" "$FRESHET_MODEL_OUT"`+"\n"))
			_, err := Retrain(context.Background(), db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 1)
			if ml.ErrorCode(err) != ml.EINVALID || !strings.Contains(err.Error(), "refused") {
				t.Fatalf("want a refusal: %v", err)
			}
		})
	}
}

func TestSnapshotParquetRoundTrip(t *testing.T) {
	s := &Snapshot{Names: []string{"b", "a"}, X: [][]float64{{1, 2, 3}, {4, nan(), 6}}, Y: []float64{0, 1, 0}, Time: []int64{10, 20, 30}}
	p := filepath.Join(t.TempDir(), "s.parquet")
	if err := s.WriteParquet(p, "y"); err != nil {
		t.Fatal(err)
	}
	f, _ := os.Open(p)
	defer f.Close()
	st, _ := f.Stat()
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatal(err)
	}
	if pf.NumRows() != 3 {
		t.Fatalf("rows %d", pf.NumRows())
	}
	r := parquet.NewGenericReader[map[string]any](f, pf.Schema())
	rows := make([]map[string]any, 3)
	for i := range rows {
		rows[i] = map[string]any{}
	}
	if n, _ := r.Read(rows); n != 3 {
		t.Fatalf("read %d", n)
	}
	if rows[0]["b"] != 1.0 || rows[1]["a"] != nil || rows[2]["a"] != 6.0 || rows[1]["y"] != 1.0 || rows[2]["__time_ms"] != int64(30) {
		t.Fatalf("rows %v", rows)
	}
	var buf bytes.Buffer
	c := filepath.Join(t.TempDir(), "s.csv")
	if err := s.WriteCSV(c, "y"); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(c)
	buf.Write(b)
	if buf.String() != "b,a,y,__time_ms\n1,4,0,10\n2,,1,20\n3,6,0,30\n" {
		t.Fatalf("csv %q", buf.String())
	}
}

// With Debian's python3-xgboost (always in CI), the example XGBoost
// trainer runs end to end and its JSON model serves through leaves.
func TestExternalXGBoostExample(t *testing.T) {
	if exec.Command("/usr/bin/python3", "-c", "import xgboost").Run() != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("python3-xgboost missing in CI")
		}
		t.Skip("python3-xgboost not installed")
	}
	ex, _ := filepath.Abs("../examples/trainers/xgboost_train.py")
	db, m := externalModel(t, 3000, "/usr/bin/python3", ex)
	res, err := Retrain(context.Background(), db, t.TempDir(), RetrainArgs{ModelID: m.ID}, 1)
	if err != nil {
		t.Fatal(err)
	}
	if res.Metrics[ml.MetricAUC] < 0.75 || res.CPUSeconds <= 0 || res.PeakRSS <= 0 {
		t.Fatalf("xgboost run: %+v", res)
	}
}

func nan() float64 { return math.NaN() }
