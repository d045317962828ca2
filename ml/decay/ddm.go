package decay

import (
	"errors"
	"math"
)

// DDMConfig holds DDM's parameters; DefaultDDMConfig gives River's.
type DDMConfig struct {
	// WarmStart is how many observations must be exceeded before a warning
	// or a change can be signalled (River: 30).
	WarmStart int
	// WarningThreshold is the number of minimum standard deviations for a
	// warning (River: 2).
	WarningThreshold float64
	// DriftThreshold is the number for a change (River: 3).
	DriftThreshold float64
}

// DefaultDDMConfig returns River's defaults.
func DefaultDDMConfig() DDMConfig {
	return DDMConfig{WarmStart: 30, WarningThreshold: 2, DriftThreshold: 3}
}

func (c DDMConfig) validate() error {
	switch {
	case c.WarmStart < 0:
		return errors.New("decay: DDM warm start must be >= 0")
	case !(c.WarningThreshold > 0) || !(c.DriftThreshold > 0):
		return errors.New("decay: DDM thresholds must be > 0")
	}
	return nil
}

// DDM is the Drift Detection Method (Gama et al. 2004) for a stream of
// errors (1) and successes (0), as in River's drift/binary/ddm.py. With p
// the running error rate and s = sqrt(p(1−p)/n), it keeps the (p, s) at
// which p+s was smallest and signals a warning when p+s > p_min +
// WarningThreshold·s_min and a change when p+s > p_min + DriftThreshold·s_min.
type DDM struct {
	cfg DDMConfig

	n        float64
	p        float64
	pMin     float64
	sMin     float64
	psMin    float64
	detected bool
	warning  bool
}

// NewDDM returns a DDM detector.
func NewDDM(cfg DDMConfig) (*DDM, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	d := &DDM{cfg: cfg}
	d.Reset()
	return d, nil
}

// Name implements Detector.
func (d *DDM) Name() string { return "ddm" }

// Reset implements Detector.
func (d *DDM) Reset() {
	d.n, d.p = 0, 0
	d.pMin, d.sMin = 0, 0
	d.psMin = math.Inf(1)
	d.detected, d.warning = false, false
}

// Warning reports whether the last Update put the detector in the warning
// zone. It is false when that Update detected a change.
func (d *DDM) Warning() bool { return d.warning }

// Rose implements Directed: DDM only detects a rising error rate.
func (d *DDM) Rose() bool { return d.detected }

// Update implements Detector. x is 1 for an error and 0 for a success.
func (d *DDM) Update(x float64) bool {
	if d.detected {
		d.Reset()
	}
	d.n++
	d.p += (1 / d.n) * (x - d.p)
	s := math.Sqrt(d.p * (1 - d.p) / d.n)
	if d.n > float64(d.cfg.WarmStart) {
		if d.p+s <= d.psMin {
			d.pMin, d.sMin = d.p, s
			d.psMin = d.pMin + d.sMin
		}
		d.warning = d.p+s > d.pMin+d.cfg.WarningThreshold*d.sMin
		if d.p+s > d.pMin+d.cfg.DriftThreshold*d.sMin {
			d.detected = true
			d.warning = false
		}
	}
	return d.detected
}
