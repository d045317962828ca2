package jobs

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/freshet/freshet/ml"
)

// MaxModelFile bounds the file an external trainer may write.
const MaxModelFile = 256 << 20

// maxLogKeep is how much of a trainer's output a job keeps in memory (the
// head and the tail); the whole log is in the run directory.
const maxLogKeep = 64 << 10

// ExternalRun is what an external trainer produced.
type ExternalRun struct {
	Model      []byte // the file it wrote, unvalidated
	Log        string // head and tail of its output
	LogPath    string
	Seconds    float64
	CPUSeconds float64
	PeakRSS    int64 // bytes
	ExitCode   int
}

// RunExternal runs a model's external trainer in dir: it writes the
// training and validation snapshots (CSV and Parquet), runs the command
// (no shell) with the documented FRESHET_* variables in its own process
// group, and returns the model file it wrote. Cancelling ctx or passing
// the timeout kills the whole process group at once.
func RunExternal(ctx context.Context, dir string, m *ml.Model, tc ml.TrainerConfig, trainSnap, validSnap *Snapshot) (*ExternalRun, error) {
	if len(tc.Command) == 0 {
		return nil, ml.Errorf(ml.EINVALID, "model %s has no trainer command", m.Name)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	paths := map[string]string{
		"FRESHET_TRAIN":         filepath.Join(dir, "train.csv"),
		"FRESHET_VALID":         filepath.Join(dir, "valid.csv"),
		"FRESHET_TRAIN_PARQUET": filepath.Join(dir, "train.parquet"),
		"FRESHET_VALID_PARQUET": filepath.Join(dir, "valid.parquet"),
		"FRESHET_MODEL_OUT":     filepath.Join(dir, "model.out"),
	}
	for _, w := range []struct {
		s         *Snapshot
		csv, parq string
	}{{trainSnap, paths["FRESHET_TRAIN"], paths["FRESHET_TRAIN_PARQUET"]}, {validSnap, paths["FRESHET_VALID"], paths["FRESHET_VALID_PARQUET"]}} {
		if err := w.s.WriteCSV(w.csv, m.Label); err != nil {
			return nil, fmt.Errorf("jobs: write snapshot: %w", err)
		}
		if err := w.s.WriteParquet(w.parq, m.Label); err != nil {
			return nil, fmt.Errorf("jobs: write snapshot: %w", err)
		}
	}
	params, _ := json.Marshal(orMap(tc.Params))
	env := os.Environ()
	for k, v := range paths {
		env = append(env, k+"="+v)
	}
	env = append(env, "FRESHET_PARAMS="+string(params), "FRESHET_LABEL="+m.Label, "FRESHET_FEATURES="+strings.Join(trainSnap.Names, ","),
		"FRESHET_TASK="+string(m.Task), "FRESHET_MODEL="+m.Name)

	logPath := filepath.Join(dir, "trainer.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	defer logFile.Close()
	keep := &headTail{max: maxLogKeep}
	out := io.MultiWriter(logFile, keep)

	ctx, cancel := context.WithTimeout(ctx, tc.TimeoutDuration())
	defer cancel()
	cmd := exec.Command(tc.Command[0], tc.Command[1:]...)
	cmd.Dir, cmd.Env, cmd.Stdout, cmd.Stderr = dir, env, out, out
	// Its own process group, so a kill reaches the children a script
	// starts; a lower CPU priority keeps the dashboard responsive.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return nil, ml.Errorf(ml.EINVALID, "cannot start trainer %q: %v", tc.Command[0], err)
	}
	syscall.Setpriority(syscall.PRIO_PROCESS, cmd.Process.Pid, 10)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var waitErr error
	select {
	case waitErr = <-done:
	case <-ctx.Done():
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		<-done
		run := &ExternalRun{Log: keep.String(), LogPath: logPath, Seconds: time.Since(start).Seconds()}
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return run, ml.Errorf(ml.EINVALID, "trainer timed out after %s and was killed", tc.TimeoutDuration())
		}
		return run, ctx.Err()
	}
	// Children that outlived the script go too.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	run := &ExternalRun{Log: keep.String(), LogPath: logPath, Seconds: time.Since(start).Seconds()}
	if ps := cmd.ProcessState; ps != nil {
		run.ExitCode = ps.ExitCode()
		if ru, ok := ps.SysUsage().(*syscall.Rusage); ok {
			run.CPUSeconds = tvSeconds(ru.Utime) + tvSeconds(ru.Stime)
			run.PeakRSS = ru.Maxrss * 1024 // Linux reports KiB
		}
	}
	if waitErr != nil {
		return run, ml.Errorf(ml.EINVALID, "trainer %q failed (exit status %d); last output:\n%s", tc.Command[0], run.ExitCode, lastLines(run.Log, 15))
	}
	fi, err := os.Stat(paths["FRESHET_MODEL_OUT"])
	if err != nil {
		return run, ml.Errorf(ml.EINVALID, "trainer exited 0 but wrote no model to FRESHET_MODEL_OUT")
	}
	if fi.Size() > MaxModelFile {
		return run, ml.Errorf(ml.EINVALID, "trainer wrote a %d-byte model; the limit is %d", fi.Size(), MaxModelFile)
	}
	if run.Model, err = os.ReadFile(paths["FRESHET_MODEL_OUT"]); err != nil {
		return run, err
	}
	return run, nil
}

func tvSeconds(t syscall.Timeval) float64 { return float64(t.Sec) + float64(t.Usec)/1e6 }

func orMap(m map[string]any) map[string]any {
	if m == nil {
		return map[string]any{}
	}
	return m
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// headTail keeps the first and last max/2 bytes written to it.
type headTail struct {
	mu      sync.Mutex
	max     int
	head    bytes.Buffer
	tail    []byte
	dropped int64
}

func (h *headTail) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	n := len(p)
	if room := h.max/2 - h.head.Len(); room > 0 {
		k := min(room, len(p))
		h.head.Write(p[:k])
		p = p[k:]
	}
	if len(p) > 0 {
		h.tail = append(h.tail, p...)
		if over := len(h.tail) - h.max/2; over > 0 {
			h.dropped += int64(over)
			h.tail = append(h.tail[:0], h.tail[over:]...)
		}
	}
	return n, nil
}

func (h *headTail) String() string {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.dropped == 0 {
		return h.head.String() + string(h.tail)
	}
	return fmt.Sprintf("%s\n… %d bytes omitted …\n%s", h.head.String(), h.dropped, h.tail)
}
