package decay

import "testing"

// Benchmarks of one Update on the docstring stream of River's examples,
// cycling through it.
func benchmarkDetector(b *testing.B, d Detector) {
	stream := detectorRefsT(b).Streams["two"]
	i := 0
	for b.Loop() {
		d.Update(stream[i])
		if i++; i == len(stream) {
			i = 0
		}
	}
}

func BenchmarkADWINUpdate(b *testing.B) {
	d, _ := NewADWIN(DefaultADWINConfig())
	benchmarkDetector(b, d)
}

func BenchmarkPageHinkleyUpdate(b *testing.B) {
	d, _ := NewPageHinkley(DefaultPageHinkleyConfig())
	benchmarkDetector(b, d)
}

func BenchmarkDDMUpdate(b *testing.B) {
	d, _ := NewDDM(DefaultDDMConfig())
	benchmarkDetector(b, d)
}

func BenchmarkKSWINUpdate(b *testing.B) {
	d, _ := NewKSWIN(DefaultKSWINConfig(42))
	benchmarkDetector(b, d)
}

func BenchmarkBootstrapDiff10k(b *testing.B) {
	rng := splitMix{state: 1}
	cur := normals(&rng, 10000, 0.3, 1)
	base := normals(&rng, 10000, 0.25, 1)
	cfg := DefaultBootstrapConfig()
	for b.Loop() {
		if _, err := BootstrapDiff(cur, base, cfg); err != nil {
			b.Fatal(err)
		}
	}
}
