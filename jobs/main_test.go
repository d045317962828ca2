package jobs

import (
	"os"
	"testing"
)

// TestMain lets the test binary stand in for freshet as a training child
// process, and as a worker process for the restart tests (see
// runTestWorker).
func TestMain(m *testing.M) {
	if code, ok := RunChild(); ok {
		os.Exit(code)
	}
	if path := os.Getenv(testWorkerEnv); path != "" {
		os.Exit(runTestWorker(path))
	}
	os.Exit(m.Run())
}
