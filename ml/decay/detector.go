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

// Directed is a Detector that also tells which way the stream moved at
// its last detection. River's detectors report a change in either
// direction (DDM only watches rises); on an error or loss stream only a
// rise is a degradation, and a fall (the model doing better) must not
// raise a decay alarm.
type Directed interface {
	Detector
	// Rose reports whether the last Update detected a change and saw the
	// newer observations' mean above the older ones'.
	Rose() bool
}

// Rising reports whether the change d detected at its last Update (the
// one that returned true) was a rise of the stream's mean: a degradation
// when the stream is an error rate or a loss. A detector that cannot tell
// counts every detection.
func Rising(d Detector) bool {
	if dd, ok := d.(Directed); ok {
		return dd.Rose()
	}
	return true
}

var (
	_ Directed = (*ADWIN)(nil)
	_ Directed = (*PageHinkley)(nil)
	_ Directed = (*DDM)(nil)
	_ Directed = (*KSWIN)(nil)
)
