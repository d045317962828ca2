package decay

// Detector is a streaming change detector fed one observation at a time,
// usually a per-row error (0/1) or loss.
type Detector interface {
	// Update adds x and reports whether a change was detected at x. As in
	// River, the next Update after a detection starts from a reset state.
	Update(x float64) (drift bool)
	// Reset returns the detector to its state before any Update.
	Reset()
	// Name is a short lower-case identifier such as "adwin".
	Name() string
}

var (
	_ Detector = (*ADWIN)(nil)
	_ Detector = (*PageHinkley)(nil)
	_ Detector = (*DDM)(nil)
	_ Detector = (*KSWIN)(nil)
)
