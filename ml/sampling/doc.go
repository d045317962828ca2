// Package sampling chooses which unlabeled rows an annotator should label
// next: pool-based active learning over rows the current model has scored.
//
// It is written by hand, after B. Settles, "Active Learning Literature
// Survey", Computer Sciences Technical Report 1648, University of
// Wisconsin–Madison, 2009 (uncertainty sampling §3.1, query by committee
// §3.2, information density §3.6), and O. Sener and S. Savarese, "Active
// Learning for Convolutional Neural Networks: A Core-Set Approach", ICLR
// 2018 (k-center greedy, their Algorithm 1).
//
// # Strategies
//
//   - random: uniform over the unlabeled rows; the control every other
//     strategy is compared with.
//   - least_confidence: 1 − max_y P(y|x).
//   - margin: 1 − (P(y₁|x) − P(y₂|x)), the two most likely classes.
//   - entropy: −Σ P(y|x) log P(y|x), divided by log K so it lies in [0, 1].
//   - committee: the variance of the committee members' P(1) (query by
//     committee with bootstrap models or groups of trees).
//   - density: margin uncertainty × Density^Beta (information density): an
//     uncertain row in a crowded region teaches more than an outlier.
//   - diversity: the Candidates least sure rows by margin, then k-center
//     greedy down to the batch size, so a batch covers the uncertain region
//     instead of being 100 near-copies of one ambiguous case. This is the
//     product's default (DefaultStrategy).
//   - epsilon: a share ε of the batch drawn at random, the rest as
//     diversity; the random share keeps exploring where the model is
//     confidently wrong and keeps an unbiased sample in the labels.
//
// For a binary model the three uncertainty measures order rows the same way
// (each is a decreasing function of |P(1) − ½|); they differ only in the
// numbers shown and for more than two classes.
//
// # Distances
//
// Density and KCenterGreedy measure Euclidean distance between rows after
// putting every column on a common scale. Density standardises columns
// (mean 0, standard deviation 1). KCenterGreedy maps each value to its
// rank in the column (the empirical CDF, in [0, 1]) because the models
// freshet trains are trees, which see a column only through its order: a
// single outlier (a pressure of 5503.8 in the NOAA data) would otherwise
// dominate a z-score distance and k-center would spend the batch on
// outliers. Missing values sit at the column's centre (the mean for z
// scores, ½ for ranks).
//
// Ties in uncertainty, common when a young tree ensemble gives many rows
// the same score, are broken by a random order drawn from Options.Seed,
// never by row position: the pool is usually in time order, and breaking
// ties by position would quietly prefer old rows.
//
// Everything is deterministic for a given Options.Seed. The package is
// pure: no I/O, no app packages.
package sampling
