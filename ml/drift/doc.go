// Package drift measures how far a window of data has moved from its
// reference: per-feature statistics, Evidently's automatic choice among
// them, multiple-testing corrections and a dataset verdict that can be
// weighted by the champion's feature importances.
//
// Numeric features: the two-sample Kolmogorov–Smirnov test (KS, with the
// p-value of scipy.stats.ks_2samp, exact for max(n1, n2) <= 10000 and from
// the Kolmogorov distribution otherwise), the Wasserstein distance normed
// by the reference's standard deviation, PSI over reference-quantile bins
// and the Jensen–Shannon distance (base 2). Categorical features, given as
// codes or count vectors: chi-squared against the reference proportions,
// Jensen–Shannon, L-infinity and the two-proportion Z-test.
//
// Every statistic is written by hand: gonum has none of the two-sample
// tests, and ml/drift imports only the standard library. The reference
// algorithms are those of scipy 1.10 (_stats_py.py ks_2samp and its exact
// path-counting helpers after Hodges 1958 and Viehmann 2021, _ksstats.py
// after Simard & L'Ecuyer 2011, cephes kolmogorov.c after van Mulbregt
// 2018, cephes igam.c and ndtr.c, wasserstein_distance,
// spatial.distance.jensenshannon) and Evidently's stattests
// (chisquare_stattest, z_stattest, psi, jensenshannon,
// wasserstein_distance_norm, registry._get_default_stattest,
// utils.get_binned_data). testdata/ holds their outputs, produced by
// bench/drift/make_refs.py, and the tests match them to 1e-9 or better.
//
// Monitoring reads stored profiles rather than raw rows: Bins (reference
// quantile cut points), Bins.Count and the count-vector statistics (PSI,
// JensenShannon, ChiSquare, LInf) work from histograms, and KSSorted and
// WassersteinSorted from sorted samples.
//
// One deliberate difference from Evidently: its get_binned_data bins a
// numeric column with equal-width Sturges bins over reference and current
// together, which depend on the current window and so cannot be stored.
// PSI here uses reference-quantile bins; SturgesBins reproduces
// Evidently's bins when an exact comparison is wanted, and Detect uses
// them for Jensen–Shannon, which Evidently's automatic rule may pick.
//
// The package is pure: no I/O, no app packages.
package drift
