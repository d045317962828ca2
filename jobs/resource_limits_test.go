package jobs

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river/rivertype"

	"github.com/freshet/freshet/ml"
)

// faultEnv makes training children of the test binary fail on purpose:
// a comma-separated list of modelID=fault, fault one of panic, exit
// (status 7) or oom (allocate until the memory limit stops it).
const faultEnv = "FRESHET_TEST_CHILD_FAULT"

// The test binary is also the training child (see TestMain), so this
// hook is in every child the tests start, and idle unless faultEnv
// names the child's model.
func init() {
	childFaultFunc = func(spec TrainSpec) {
		for _, f := range strings.Split(os.Getenv(faultEnv), ",") {
			id, fault, _ := strings.Cut(f, "=")
			if id != strconv.FormatInt(spec.ModelID, 10) {
				continue
			}
			switch fault {
			case "panic":
				panic("injected training crash")
			case "exit":
				fmt.Fprintln(os.Stderr, "injected: the trainer gave up")
				os.Exit(7)
			case "oom":
				// Touched, so the pages are really used, and kept, so the
				// collector cannot free them.
				var keep [][]byte
				for {
					b := make([]byte, 64<<20)
					for i := range b {
						if i%4096 == 0 {
							b[i] = 1
						}
					}
					keep = append(keep, b)
				}
			}
		}
	}
}

// fastRetries spaces attempts 50 ms apart, so a test sees a job use up
// its attempts in a moment rather than in River's 17 s.
type fastRetries struct{}

func (fastRetries) NextRetry(*rivertype.JobRow) time.Time {
	return time.Now().Add(50 * time.Millisecond)
}

// A training process that panics, exits non-zero or runs out of memory
// fails its job, and nothing else: the worker (this test process) keeps
// working and trains the next job. A crash is retried (it may be the
// machine's) until the attempts run out; running out of memory is not
// (the same data needs the same memory).
func TestResourceChildFailures(t *testing.T) {
	ctx := context.Background()
	db := newDB(t)
	cfg := ml.ModelConfig{Trainer: ml.TrainerConfig{Train: ml.TrainConfig{Rounds: 20, EarlyStopping: -1}}}
	crash := elecModel(t, db, "crash", 600, cfg)
	exit := elecModel(t, db, "exit", 600, cfg)
	oom := elecModel(t, db, "oom", 600, cfg)
	fine := elecModel(t, db, "fine", 600, cfg)
	t.Setenv(faultEnv, fmt.Sprintf("%d=panic,%d=exit,%d=oom", crash.ID, exit.ID, oom.ID))
	const limit = 512 << 20
	r := startRunner(t, db, Config{Work: true, MaxTrainings: 2, RetryPolicy: fastRetries{}, Limits: ChildLimits{MemoryBytes: limit}})

	for _, tc := range []struct {
		m        *ml.Model
		attempts int
		err      []string
	}{
		{crash, 3, []string{"the training process failed (exit status 2): ", "panic: injected training crash"}},
		{exit, 3, []string{"the training process failed (exit status 7): injected: the trainer gave up"}},
		{oom, 1, []string{"the training process ran out of memory (limit 512 MiB)"}},
	} {
		// No subtests: trainingChildren finds a test's processes by its
		// name in their database's path, and a subtest has its own name.
		j, _, err := r.Enqueue(ctx, tc.m, ml.SystemActor, JobRequest{Reason: "broken trainer"})
		if err != nil {
			t.Fatal(err)
		}
		done := waitJob(t, db, j.ID, time.Minute, "done", isDone)
		if done.State != ml.JobFailed || done.Attempt != tc.attempts || done.VersionID != 0 {
			t.Fatalf("%s: job %s on attempt %d (want failed on %d), version %d: %q\n%s", tc.m.Name, done.State, done.Attempt, tc.attempts, done.VersionID, done.Error, done.Log)
		}
		for _, want := range tc.err {
			if !strings.Contains(done.Error, want) {
				t.Errorf("%s: error %q lacks %q", tc.m.Name, done.Error, want)
			}
		}
		if tc.attempts > 1 && !strings.Contains(done.Log, fmt.Sprintf("attempt %d failed: ", tc.attempts)+tc.err[0]) {
			t.Errorf("%s: log:\n%s", tc.m.Name, done.Log)
		}
		if len(trainingChildren(t, j.ID)) != 0 {
			t.Errorf("%s: a training process outlived its job", tc.m.Name)
		}
	}
	// The worker is up: the next job trains.
	j, _, err := r.Enqueue(ctx, fine, ml.SystemActor, JobRequest{Reason: "after the crashes"})
	if err != nil {
		t.Fatal(err)
	}
	if done := waitJob(t, db, j.ID, time.Minute, "done", isDone); done.State != ml.JobSucceeded {
		t.Fatalf("job after the crashes %s: %s", done.State, done.Error)
	}
}

// The training process runs at the configured lower CPU priority (every
// thread) under the configured memory limit (RLIMIT_DATA, and a Go soft
// limit below it), read back from /proc while it trains; without a
// setting it runs at nice 10 under half the machine's memory.
func TestResourceChildPriorityAndLimit(t *testing.T) {
	ctx := context.Background()
	if n := statNice(t, fmt.Sprintf("/proc/%d/stat", os.Getpid())); n != 0 {
		// Only root may lower a nice value, so 7 is out of reach.
		t.Skipf("the tests run at nice %d; the worker is meant to run at 0", n)
	}
	for _, tc := range []struct {
		name   string
		limits ChildLimits
		nice   int
		mem    int64
	}{
		{"configured", ChildLimits{MemoryBytes: 3 << 30, Nice: 7}, 7, 3 << 30},
		{"defaults", ChildLimits{}, 10, totalMemory(t) / 2},
	} {
		// One database each, under this test's name (trainingChildren
		// goes by it; a subtest's differs).
		db := newDB(t)
		m := elecModel(t, db, tc.name, 16000, ml.ModelConfig{Trainer: longTraining})
		r := startRunner(t, db, Config{Work: true, MaxTrainings: 1, Limits: tc.limits})
		j, _, err := r.Enqueue(ctx, m, ml.SystemActor, JobRequest{Reason: "limits"})
		if err != nil {
			t.Fatal(err)
		}
		waitJob(t, db, j.ID, 15*time.Second, "training", isTraining)
		pids := trainingChildren(t, j.ID)
		if len(pids) != 1 {
			t.Fatalf("%s: training processes: %v", tc.name, pids)
		}
		pid := pids[0]

		// Every thread: a nice value belongs to a thread on Linux.
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
		if err != nil || len(tasks) < 2 {
			t.Fatalf("%s: threads of %d: %d: %v", tc.name, pid, len(tasks), err)
		}
		for _, task := range tasks {
			if n := statNice(t, fmt.Sprintf("/proc/%d/task/%s/stat", pid, task.Name())); n != tc.nice {
				t.Errorf("%s: thread %s runs at nice %d, want %d", tc.name, task.Name(), n, tc.nice)
			}
		}
		soft, hard := procLimit(t, pid, "Max data size")
		if soft != strconv.FormatInt(tc.mem, 10) || hard != soft {
			t.Errorf("%s: data size limit %s/%s, want %d", tc.name, soft, hard, tc.mem)
		}
		env, err := os.ReadFile(fmt.Sprintf("/proc/%d/environ", pid))
		if err != nil {
			t.Fatal(err)
		}
		if want := fmt.Sprintf("GOMEMLIMIT=%d", tc.mem*9/10); !bytes.Contains(env, []byte("\x00"+want+"\x00")) {
			t.Errorf("%s: the child's environment lacks %s", tc.name, want)
		}
		if _, err := r.Cancel(ctx, ml.SystemActor, j.ID); err != nil {
			t.Fatal(err)
		}
		waitNoChildren(t, j.ID, 5*time.Second)
	}
}

// statNice is field 19 (nice) of a /proc stat file.
func statNice(t *testing.T, path string) int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	n, err := strconv.Atoi(f[19-3])
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return n
}

// procLimit is the soft and hard value of a row of /proc/<pid>/limits.
func procLimit(t *testing.T, pid int, name string) (soft, hard string) {
	t.Helper()
	f, err := os.Open(filepath.Join("/proc", strconv.Itoa(pid), "limits"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), name); ok {
			fs := strings.Fields(rest)
			if len(fs) >= 2 {
				return fs[0], fs[1]
			}
		}
	}
	t.Fatalf("no %q in the limits of %d", name, pid)
	return "", ""
}

// totalMemory is the machine's memory in bytes, as the runner reads it.
func totalMemory(t *testing.T) int64 {
	t.Helper()
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			if err != nil {
				t.Fatal(err)
			}
			return kb << 10
		}
	}
	t.Fatal("no MemTotal in /proc/meminfo")
	return 0
}
