package main

import (
	"os"
	"testing"

	"github.com/freshet/freshet/jobs"
)

// TestMain lets the test binary stand in for freshet as a training child
// process.
func TestMain(m *testing.M) {
	if code, ok := jobs.RunChild(); ok {
		os.Exit(code)
	}
	os.Exit(m.Run())
}
