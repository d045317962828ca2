package jobs

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/freshet/freshet/ml"
	"github.com/freshet/freshet/store"
)

// Training runs in a child process: the same binary, started with
// FRESHET_TRAIN_CHILD set, reads its data from the database (read-only),
// trains, and writes the model and a result file to its run directory;
// the worker stores the version. A crash or an out-of-memory in training
// kills the child, never the server; the child runs at a lower CPU
// priority under a memory limit; its CPU-seconds and peak memory come
// from wait4's rusage.

const (
	childEnv     = "FRESHET_TRAIN_CHILD"
	childSpecEnv = "FRESHET_TRAIN_SPEC"
	childDBEnv   = "FRESHET_TRAIN_DB"
	childDirEnv  = "FRESHET_TRAIN_DIR"
	childDataEnv = "FRESHET_TRAIN_DATA_DIR"
	childMemEnv  = "FRESHET_TRAIN_MEMORY"
	childNiceEnv = "FRESHET_TRAIN_NICE"

	// exitBadData is the child's exit code for a problem retrying cannot
	// fix (bad data, a deleted model).
	exitBadData = 3
)

// childLine is one line of the child's stdout.
type childLine struct {
	Phase    string  `json:"phase,omitempty"`
	Progress float64 `json:"progress,omitempty"`
	Log      string  `json:"log,omitempty"`
}

// childResult is the child's result file.
type childResult struct {
	Trained *Trained `json:"trained,omitempty"`
	Error   string   `json:"error,omitempty"`
	Code    string   `json:"code,omitempty"`
}

// RunChild runs the training child when this process was started as one,
// and reports its exit code. Every main (and TestMain of a package that
// trains) calls it first:
//
//	if code, ok := jobs.RunChild(); ok {
//		os.Exit(code)
//	}
func RunChild() (code int, ok bool) {
	if os.Getenv(childEnv) == "" {
		return 0, false
	}
	return runChild(), true
}

func runChild() int {
	// Limits first, before the data is read.
	if n, err := strconv.ParseInt(os.Getenv(childMemEnv), 10, 64); err == nil && n > 0 {
		// RLIMIT_DATA bounds the heap the child can map (Linux counts
		// private writable mappings since 4.7); the soft GC limit makes
		// the collector work before the wall.
		syscall.Setrlimit(syscall.RLIMIT_DATA, &syscall.Rlimit{Cur: uint64(n), Max: uint64(n)})
	}
	if n, err := strconv.Atoi(os.Getenv(childNiceEnv)); err == nil && n > 0 {
		reniceAll(n)
	}
	dir := os.Getenv(childDirEnv)
	// failWith records what the run found (validation, data), if
	// anything, with the error.
	failWith := func(t *Trained, err error) int {
		res := childResult{Trained: t, Error: childErrorText(err), Code: ml.ErrorCode(err)}
		b, _ := json.Marshal(res)
		os.WriteFile(filepath.Join(dir, "result.json"), b, 0o640)
		fmt.Fprintln(os.Stderr, err)
		if c := ml.ErrorCode(err); c == ml.EINVALID || c == ml.ENOTFOUND {
			return exitBadData
		}
		return 1
	}
	fail := func(err error) int { return failWith(nil, err) }
	var spec TrainSpec
	if err := json.Unmarshal([]byte(os.Getenv(childSpecEnv)), &spec); err != nil {
		return fail(fmt.Errorf("bad training spec: %w", err))
	}
	if childFaultFunc != nil {
		childFaultFunc(spec)
	}
	ctx := context.Background()
	db, err := store.OpenReadOnly(ctx, os.Getenv(childDBEnv))
	if err != nil {
		return fail(err)
	}
	defer db.Close()
	out := bufio.NewWriter(os.Stdout)
	enc := json.NewEncoder(out)
	var mu sync.Mutex
	last := time.Time{}
	progress := func(phase string, frac float64, line string) {
		mu.Lock()
		defer mu.Unlock()
		if line == "" && time.Since(last) < 200*time.Millisecond {
			return
		}
		last = time.Now()
		enc.Encode(childLine{Phase: phase, Progress: frac, Log: line})
		out.Flush()
	}
	t, err := Train(ctx, db, os.Getenv(childDataEnv), spec, progress)
	if err != nil {
		return failWith(t, err)
	}
	if err := os.WriteFile(filepath.Join(dir, "model.txt"), t.Artifact, 0o640); err != nil {
		return fail(err)
	}
	b, _ := json.Marshal(childResult{Trained: t})
	if err := os.WriteFile(filepath.Join(dir, "result.json"), b, 0o640); err != nil {
		return fail(err)
	}
	return 0
}

// childFaultFunc, when set, runs in the training child once its limits
// are in place and its spec is read. It is nil in freshet; the tests set
// it (in the test binary, which is also the child) to make a child
// crash, exit or run out of memory as a broken trainer would.
var childFaultFunc func(TrainSpec)

// childErrorText is the error a job records, which the jobs page shows:
// an *ml.Error's message ("data validation failed: ..."), not its
// Error() ("freshet error: code=invalid message=...").
func childErrorText(err error) string {
	if ml.ErrorCode(err) != ml.EINTERNAL {
		return ml.ErrorMessage(err)
	}
	return err.Error()
}

// reniceAll lowers the CPU priority of every thread of this process. On
// Linux a nice value belongs to a thread (PRIO_PROCESS with pid 0 changes
// only the caller), and new threads inherit their creator's, so every
// thread the runtime has started so far is reniced.
func reniceAll(n int) {
	tasks, err := os.ReadDir("/proc/self/task")
	if err != nil {
		syscall.Setpriority(syscall.PRIO_PROCESS, 0, n)
		return
	}
	for _, t := range tasks {
		if tid, err := strconv.Atoi(t.Name()); err == nil {
			syscall.Setpriority(syscall.PRIO_PROCESS, tid, n)
		}
	}
}

// ChildLimits are the resource limits of training processes.
type ChildLimits struct {
	// MemoryBytes caps a training process's heap (0: half the machine's
	// memory).
	MemoryBytes int64
	// Nice is the CPU priority training runs at (default 10; the
	// dashboard and monitoring run at 0).
	Nice int
}

// childRun is how a child ended.
type childRun struct {
	Result      *childResult
	Stderr      string
	ExitCode    int
	CPUSeconds  float64
	WallSeconds float64
	PeakRSS     int64
	Killed      bool // by us: cancelled or the context ended
}

// runTrainingChild starts the training child for spec in dir and waits
// for it, passing its progress lines on. Cancelling ctx kills it (its
// whole process group) at once.
func runTrainingChild(ctx context.Context, dbPath, dataDir, dir string, spec TrainSpec, lim ChildLimits, onLine func(childLine)) (*childRun, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("jobs: find own binary: %w", err)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	if err := writeRunOwner(dir); err != nil {
		return nil, err
	}
	specJSON, _ := json.Marshal(spec)
	mem := lim.MemoryBytes
	if mem <= 0 {
		var si syscall.Sysinfo_t
		if syscall.Sysinfo(&si) == nil {
			mem = int64(si.Totalram) * int64(si.Unit) / 2
		}
	}
	nice := lim.Nice
	if nice == 0 {
		nice = 10
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), childEnv+"=1", childSpecEnv+"="+string(specJSON), childDBEnv+"="+dbPath, childDirEnv+"="+dir,
		childDataEnv+"="+dataDir, childMemEnv+"="+strconv.FormatInt(mem, 10), childNiceEnv+"="+strconv.Itoa(nice),
		"GOMEMLIMIT="+strconv.FormatInt(mem*9/10, 10))
	cmd.Dir = dir
	var stderr bytes.Buffer
	cmd.Stderr = &limitedWriter{w: &stderr, n: 64 << 10}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	// Its own process group (a kill reaches an external trainer it runs),
	// and killed if this process dies. Pdeathsig follows the thread that
	// started the child, so that thread stays locked until the child ends.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("jobs: start training process: %w", err)
	}
	pid := cmd.Process.Pid
	lines := make(chan struct{})
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var l childLine
			if json.Unmarshal(sc.Bytes(), &l) == nil {
				onLine(l)
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	done := make(chan error, 1)
	go func() {
		<-lines // Wait closes stdout; read it all first
		done <- cmd.Wait()
	}()
	run := &childRun{}
	var waitErr error
	select {
	case waitErr = <-done:
	case <-ctx.Done():
		syscall.Kill(-pid, syscall.SIGKILL)
		waitErr = <-done
		run.Killed = true
	}
	syscall.Kill(-pid, syscall.SIGKILL) // whatever it left behind
	run.WallSeconds = time.Since(start).Seconds()
	run.Stderr = stderr.String()
	if ps := cmd.ProcessState; ps != nil {
		run.ExitCode = ps.ExitCode()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			run.CPUSeconds = tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
			run.PeakRSS = ru.Maxrss * 1024 // Linux reports KiB
		}
	}
	if b, err := os.ReadFile(filepath.Join(dir, "result.json")); err == nil {
		var res childResult
		if json.Unmarshal(b, &res) == nil {
			run.Result = &res
		}
	}
	var exitErr *exec.ExitError
	if waitErr != nil && !errors.As(waitErr, &exitErr) {
		return run, waitErr
	}
	return run, nil
}

// outOfMemory reports whether a child died for lack of memory under its
// limit (bytes). Mostly the runtime says so; but an allocation that fails
// deep in the runtime can also end in a fault (seen: SIGSEGV in the
// garbage collector's span queue, under RLIMIT_DATA), which counts when
// the child had used most of its limit.
func (r *childRun) outOfMemory(limit int64) bool {
	if strings.Contains(r.Stderr, "out of memory") || strings.Contains(r.Stderr, "cannot allocate memory") {
		return true
	}
	fault := strings.HasPrefix(strings.TrimSpace(r.Stderr), "SIG") || strings.Contains(r.Stderr, "fatal error: ") ||
		strings.Contains(r.Stderr, "unexpected signal")
	return fault && limit > 0 && r.PeakRSS >= limit/4*3
}

// limitedWriter keeps the first n bytes written to it.
type limitedWriter struct {
	w io.Writer
	n int
}

func (l *limitedWriter) Write(p []byte) (int, error) {
	if l.n > 0 {
		k := min(len(p), l.n)
		l.w.Write(p[:k])
		l.n -= k
	}
	return len(p), nil
}

// runOwnerFile names the worker process whose training attempt uses a
// run directory, so that a process starting later can tell an orphan
// (its worker was killed, and the training child with it) from a live
// attempt of another worker sharing the data directory.
const runOwnerFile = "worker.json"

// runOwner is a run directory's worker: its pid and its start time in
// clock ticks after boot (/proc/<pid>/stat field 22), which tells the
// worker from a later process that got the same pid.
type runOwner struct {
	PID   int    `json:"pid"`
	Start uint64 `json:"start"`
}

func writeRunOwner(dir string) error {
	start, _ := procStart(os.Getpid())
	b, _ := json.Marshal(runOwner{PID: os.Getpid(), Start: start})
	return os.WriteFile(filepath.Join(dir, runOwnerFile), b, 0o640)
}

// alive is whether the worker that wrote the run directory still runs.
func (o runOwner) alive() bool {
	start, ok := procStart(o.PID)
	return ok && (o.Start == 0 || start == o.Start)
}

// procStart is process pid's start time in clock ticks after boot, and
// whether the process exists and has not exited (a zombie has).
func procStart(pid int) (uint64, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, false
	}
	// The command name (field 2) is in parentheses and may hold spaces;
	// the fields after its closing one are plain: the state (field 3)
	// first, starttime (field 22) at index 19.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, true
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) > 0 && (f[0] == "Z" || f[0] == "X") {
		return 0, false
	}
	if len(f) < 20 {
		return 0, true
	}
	n, err := strconv.ParseUint(f[19], 10, 64)
	if err != nil {
		return 0, true
	}
	return n, true
}
