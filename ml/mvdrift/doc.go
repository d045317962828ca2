// Package mvdrift detects multivariate drift: changes in the joint
// distribution of a model's inputs that per-feature tests can miss, such as
// a correlation that flips sign while every marginal stays the same.
//
// Two methods are offered; both take column-major data (x[j][i] is feature j
// of row i) with NaN for a missing value, and a flag per column marking
// categorical columns, whose values are category codes.
//
// # Data reconstruction with PCA
//
// FitPCA follows NannyML's "Data Reconstruction with PCA"
// (NannyML documentation, "How it works: Multivariate Drift Detection",
// https://nannyml.readthedocs.io/en/stable/how_it_works/multivariate_drift.html#data-reconstruction-with-pca,
// and its code, nannyml/drift/multivariate/data_reconstruction/calculator.py):
//
//  1. Missing values are imputed with the reference mean (numeric columns)
//     or the most frequent reference code (categorical columns; ties go to
//     the smallest code, as sklearn's SimpleImputer does).
//  2. A categorical code is replaced by its relative frequency in the
//     (imputed) reference, which is what NannyML's CountEncoder(normalize=True)
//     does. This was chosen over one-hot (which adds a dimension per code and
//     lets a high-cardinality column dominate the principal components) and
//     over code-as-number (which invents an order and distances between
//     codes). A code never seen in the reference has frequency 0.
//  3. Every column is standardised with the reference mean and population
//     standard deviation (sklearn's StandardScaler; a constant column is
//     left unscaled).
//  4. The principal components come from gonum's mat.SVD of the
//     standardised reference's Gram matrix ZᵀZ (d×d; its singular vectors are
//     Z's right singular vectors and its singular values Z's squared ones, so
//     the fit costs one pass over the rows). The model keeps the fewest
//     components whose cumulative explained-variance ratio exceeds
//     varianceKept (default 0.65), sklearn PCA's rule for a fractional
//     n_components.
//  5. A row's reconstruction error is the Euclidean distance between the
//     standardised row and its projection onto the kept components; a window
//     is summarised by the mean over its rows.
//
// The alert band is NannyML's: split the reference, in order, into chunks of
// the monitoring window's size, take each chunk's mean error, and flag a
// window whose mean error lies outside mean ± 3 standard deviations of those
// chunk means. Three deliberate differences, each measured on 1,000
// no-drift simulations (5,000 reference rows, 8 features, one pair with
// correlation 0.9; false alarms for windows of 1,000 / 500 rows):
//
//   - The reference errors are computed out of sample: the reference is cut
//     into 5 contiguous blocks and each block is scored by the components
//     fitted on the other four. Scored in sample, as NannyML does, the
//     reference looks better reconstructed than new data, because where
//     eigenvalues are close PCA keeps precisely the directions in which the
//     reference happens to vary most; new windows then drift "upwards".
//   - The standard deviation of chunk means is floored at the standard error
//     std(row errors)/√chunk, NannyML's own sampling-error formula: with
//     only five or ten chunks, their standard deviation is often small by
//     chance. Without the floor the band fired in 7.8% / 3.3% of the
//     simulations; with the floor but in-sample errors, in 3.7% / 1.8%; with
//     both, in 0.8% / 0.6%.
//   - A trailing partial chunk is dropped (NannyML keeps it by default), and
//     the lower bound is clipped at 0.
//
// PCA reconstruction sees only changes that move data out of the retained
// subspace or change its spread across the discarded directions: a mean
// shift along the kept components leaves the error unchanged. In the
// simulations a shift of 0.3 standard deviations in one feature was never
// flagged, while a correlation falling from 0.9 to 0.7 was flagged in 14 of
// 20. Use it alongside the per-feature tests of ml/drift, as NannyML
// advises, or use the domain classifier.
//
// # Domain classifier
//
// DomainClassifier asks whether a classifier can tell reference rows (label
// 0) from current rows (label 1), as NannyML's "Classifier for Drift
// Detection" does (same documentation page, #classifier-for-drift-detection;
// nannyml/drift/multivariate/domain_classifier/calculator.py; after
// Rabanser, Günnemann & Lipton 2019, "Failing Loudly", arXiv:1810.11953): the
// larger sample is subsampled to at most 3× the smaller (and both to at most
// 5,000 rows), the built-in GBDT of ml/gbdt (30 rounds, depth 4, learning
// rate 0.1, at least 20 rows per leaf, 64 bins) is trained in 5-fold stratified
// cross-validation whose folds are fixed by the seed, and each fold's
// held-out rows are scored (ml/metrics.AUC). Result.AUC is the mean of the
// fold AUCs; Result.PooledAUC, the AUC of all out-of-fold scores pooled, is
// NannyML's figure and is reported alongside. Missing values go to the GBDT
// as NaN, so a change in the missing rate is itself detectable; categorical
// codes are split on as numbers, which trees handle with one split per
// boundary.
//
// NannyML flags a window with a constant band (0.45 to 0.65 in its
// calculator; 0.55 is a common rule of thumb). Here the bound is statistical
// instead. Under no drift a fold's held-out labels are exchangeable given its
// model, which never saw them, so each fold AUC is exactly a Mann–Whitney
// statistic with mean 1/2 and variance (a+b+1)/(12·a·b) for a reference and
// b current rows in the fold (Mann & Whitney 1947; ties only lower it). The
// folds are not independent, though: every model is trained on the other
// folds' labels, so chance structure that fold j's current rows share with
// fold k's raises both AUCs together. Pooling the folds and using the
// Mann–Whitney variance of all n0+n1 rows, the textbook bound, therefore
// under-states the spread: in 300 no-drift simulations (5,000 vs 1,000 rows,
// 8 features) the cross-validated AUC had a standard deviation of 0.0137
// against the pooled formula's 0.0105, and that formula's nominal 1% bound
// fired in 5.7% of them. The mean of K fold AUCs has a standard deviation of at most
// the mean of theirs, whatever their correlation, so Bound uses that:
// 1/2 + z(1−α)·mean over folds of √((a+b+1)/(12·a·b)). It is a valid upper
// bound on the (1−α) quantile (up to the normal approximation), conservative
// by about 1.7× in standard deviation in the simulation above. α defaults
// to 0.05; with 3,000 vs 1,000 rows the bound is an AUC of 0.539 and the
// simulated false-alarm rate was 0 in 300 (about 0.2% expected), while a
// shift of 0.15 standard deviations in one of 8 features was flagged in 16
// of 20 simulations and 0.2 in all 20. A
// permutation test would calibrate exactly, but at K extra
// cross-validations per window, which does not fit the monitoring budget.
//
// The package is pure: no I/O, no app packages.
package mvdrift
