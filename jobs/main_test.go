package jobs

import (
	"os"
	"testing"
)

// TestMain lets the test binary stand in for freshet as a training child
// process.
func TestMain(m *testing.M) {
	if code, ok := RunChild(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}
