// Package decay tells whether a model's quality on labeled data is getting
// worse: streaming change detectors on the per-row error or loss stream, and
// significance tests of a window's metric against the baseline.
//
// # Detectors
//
// ADWIN, PageHinkley, DDM and KSWIN implement Detector. They are hand ports
// of River 0.21 (online-ml/river: river/drift/adwin.py with adwin_c.pyx,
// page_hinkley.py, binary/ddm.py, kswin.py), with River's defaults and
// River's semantics: Update(x) returns what River's drift_detected reports
// after update(x), and the update that follows a detection first resets the
// detector, as River does. Nothing here links River; the ports were checked
// against a line-by-line Python transcription (bench/decay/make_refs.py)
// that reproduces the change points printed in River's docstrings:
//
//   - ADWIN, random.Random(12345) stream of choices([0, 1]) then
//     choices(range(4, 8)): change at index 1023 (input 4);
//   - PageHinkley, same stream: change at index 1006 (input 5);
//   - KSWIN(alpha=0.0001, seed=42), same stream: change at index 1016 (input 6);
//   - DDM, random.Random(42) stream of choices([0, 1]) then
//     choices([0, 1], weights=[0.3, 0.7]): first warning at 1084, change at
//     1334, next warning at 1492.
//
// The Go ports reproduce those indices and every detection of the
// transcription on further streams (testdata/detectors.json).
//
// The algorithms come from the papers River cites:
//
//   - ADWIN: A. Bifet and R. Gavaldà, "Learning from time-changing data with
//     adaptive windowing", SIAM SDM 2007 (the ADWIN2 exponential histogram;
//     River's cut test adds a variance term to the Hoeffding-style bound);
//   - Page-Hinkley: E. S. Page, "Continuous inspection schemes", Biometrika
//     41 (1954), and H. Mouss et al., "Test of Page-Hinkley, an approach for
//     fault detection in an agro-alimentary production system", 2004;
//   - DDM: J. Gama, P. Medas, G. Castillo and P. Rodrigues, "Learning with
//     drift detection", SBIA 2004;
//   - KSWIN: C. Raab, M. Heusinger and F.-M. Schleif, "Reactive soft
//     prototype computing for concept drift streams", Neurocomputing 2020.
//
// KSWIN draws its reference sample with Python's random.Random(seed).sample,
// so this package carries Python's Mersenne Twister (MT19937 with CPython's
// init_by_array seeding, getrandbits and sample); for a given seed it draws
// the same indices as River and the KS test (ml/drift, scipy's ks_2samp with
// method="auto") gives the same p-values. River's seed=None (OS entropy) has
// no equivalent: a seed is required.
//
// # Windowed significance
//
// BootstrapDiff is a percentile bootstrap confidence interval for the
// difference of mean per-row losses between a current window and the
// baseline, paired or unpaired, deterministic for a seed. TTestMean is
// Welch's t-test, matching scipy.stats.ttest_ind(equal_var=False); its
// Student t tail uses the regularized incomplete beta function ported from
// Cephes (incbet), as scipy does.
//
// The package is pure: no I/O, no app packages.
package decay
