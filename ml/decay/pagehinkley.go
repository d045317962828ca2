package decay

import (
	"errors"
	"fmt"
	"math"
)

// PHMode selects which direction of change PageHinkley watches.
type PHMode string

// Page-Hinkley modes, as River's mode parameter.
const (
	PHBoth PHMode = "both" // increases and decreases of the mean
	PHUp   PHMode = "up"   // increases only (a rising error rate)
	PHDown PHMode = "down" // decreases only
)

// PageHinkleyConfig holds Page-Hinkley's parameters;
// DefaultPageHinkleyConfig gives River's.
type PageHinkleyConfig struct {
	// MinInstances is how many observations come before any detection
	// (River: 30).
	MinInstances int
	// Delta is the tolerated deviation from the running mean (River: 0.005).
	Delta float64
	// Threshold is λ, the detection threshold (River: 50).
	Threshold float64
	// Alpha is the forgetting factor of the cumulative sums (River: 1-1e-4).
	Alpha float64
	// Mode is the direction watched (River: "both").
	Mode PHMode
}

// DefaultPageHinkleyConfig returns River's defaults.
func DefaultPageHinkleyConfig() PageHinkleyConfig {
	return PageHinkleyConfig{MinInstances: 30, Delta: 0.005, Threshold: 50, Alpha: 1 - 0.0001, Mode: PHBoth}
}

func (c PageHinkleyConfig) validate() error {
	switch {
	case c.MinInstances < 0:
		return errors.New("decay: Page-Hinkley min instances must be >= 0")
	case math.IsNaN(c.Delta) || c.Delta < 0:
		return errors.New("decay: Page-Hinkley delta must be >= 0")
	case !(c.Threshold > 0):
		return errors.New("decay: Page-Hinkley threshold must be > 0")
	case !(c.Alpha > 0 && c.Alpha <= 1):
		return errors.New("decay: Page-Hinkley alpha must be in (0, 1]")
	}
	switch c.Mode {
	case PHBoth, PHUp, PHDown:
		return nil
	}
	return fmt.Errorf("decay: Page-Hinkley mode %q: want both, up or down", c.Mode)
}

// PageHinkley is the Page-Hinkley test (Page 1954; Mouss et al. 2004) as in
// River's page_hinkley.py: two fading cumulative sums of the deviation from
// the running mean, one for increases (x − mean − δ) and one for decreases
// (x − mean + δ), each compared with its running extreme. A change is
// reported when the watched distance exceeds Threshold.
type PageHinkley struct {
	cfg PageHinkleyConfig

	n           float64
	mean        float64
	sumIncrease float64
	sumDecrease float64
	minIncrease float64
	maxDecrease float64
	detected    bool
	rose        bool
}

// NewPageHinkley returns a Page-Hinkley detector.
func NewPageHinkley(cfg PageHinkleyConfig) (*PageHinkley, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	p := &PageHinkley{cfg: cfg}
	p.Reset()
	return p, nil
}

// Name implements Detector.
func (p *PageHinkley) Name() string { return "page_hinkley" }

// Reset implements Detector.
func (p *PageHinkley) Reset() {
	p.n, p.mean = 0, 0
	p.sumIncrease, p.sumDecrease = 0, 0
	p.minIncrease = math.Inf(1)
	p.maxDecrease = -1 // River starts it at -1, not -inf
	p.detected = false
}

// Rose implements Directed: the last detection was an increase of the
// mean (in mode both, when both sums crossed at once it counts as one).
func (p *PageHinkley) Rose() bool { return p.detected && p.rose }

// Update implements Detector.
func (p *PageHinkley) Update(x float64) bool {
	if p.detected {
		p.Reset()
	}
	// river.stats.Mean
	p.n++
	p.mean += (1 / p.n) * (x - p.mean)
	dev := x - p.mean

	p.sumIncrease = p.cfg.Alpha*p.sumIncrease + dev - p.cfg.Delta
	p.sumDecrease = p.cfg.Alpha*p.sumDecrease + dev + p.cfg.Delta
	if p.sumIncrease < p.minIncrease {
		p.minIncrease = p.sumIncrease
	}
	if p.sumDecrease > p.maxDecrease {
		p.maxDecrease = p.sumDecrease
	}
	if p.n >= float64(p.cfg.MinInstances) {
		up := p.sumIncrease-p.minIncrease > p.cfg.Threshold
		down := p.maxDecrease-p.sumDecrease > p.cfg.Threshold
		switch p.cfg.Mode {
		case PHUp:
			p.detected = up
		case PHDown:
			p.detected = down
		default:
			p.detected = up || down
		}
		if p.detected {
			p.rose = up && p.cfg.Mode != PHDown
		}
	}
	return p.detected
}
