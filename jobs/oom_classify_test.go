package jobs

import "testing"

// A child near its memory limit may die of a fault in the runtime rather
// than say "out of memory" (TestResourceChildFailures met a SIGSEGV in the
// collector's span queue); one that faults far below its limit crashed.
func TestOutOfMemoryClassification(t *testing.T) {
	const limit = 512 << 20
	segv := "SIGSEGV: segmentation violation\nPC=0x43791d m=0 sigcode=1 addr=0x0\n\ngoroutine 0 [idle]:\nruntime.(*spanQueue).tryDrain(...)\n"
	for _, tc := range []struct {
		name   string
		stderr string
		peak   int64
		limit  int64
		want   bool
	}{
		{"says so", "fatal error: runtime: out of memory\n", 1 << 20, limit, true},
		{"cannot allocate", "runtime: cannot allocate memory\n", 1 << 20, limit, true},
		{"fault near the limit", segv, 450 << 20, limit, true},
		{"fatal error near the limit", "fatal error: unexpected signal during runtime execution\n", 400 << 20, limit, true},
		{"fault far below the limit", segv, 60 << 20, limit, false},
		{"panic near the limit", "panic: injected training crash\n\ngoroutine 1 [running]:\n", 450 << 20, limit, false},
		{"no limit known", segv, 450 << 20, 0, false},
	} {
		r := &childRun{Stderr: tc.stderr, PeakRSS: tc.peak, ExitCode: 2}
		if got := r.outOfMemory(tc.limit); got != tc.want {
			t.Errorf("%s: outOfMemory = %v, want %v", tc.name, got, tc.want)
		}
	}
}
