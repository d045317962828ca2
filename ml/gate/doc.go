// Package gate judges a retrained model (the challenger) against the
// model in production (the champion) on the same out-of-time holdout: the
// newest labeled rows, which the challenger never trained on. Evaluate
// returns every check with its numbers, so that a lead can approve or
// reject in one look, and the verdict an automatic gate acts on.
//
// It is written by hand: no Go library compares two classifiers on paired
// data (gonum has no DeLong, McNemar, bootstrap interval, Holm correction,
// calibration error or PSI). The metrics themselves come from ml/metrics,
// which agrees with scikit-learn; multiclass log loss and accuracy and
// the regression MAE, which ml/metrics lacks, are computed here the way
// scikit-learn 1.2 computes them.
//
// # Checks
//
// In order: floor (the primary metric's least value, or most for a loss),
// min_improvement, significance, slices, calibration (ECE; top-label ECE
// for multiclass), score_shift (PSI of the challenger's scores against
// the champion's; of the top label's probability for multiclass), size
// and latency. The four that compare need a champion; without one
// (a first model) they are skipped, and the report says why. A skipped
// check counts as passed.
//
// # Comparing two models on the same rows
//
// The difference is always reported as an improvement: challenger −
// champion, or champion − challenger for a loss (logloss, rmse). Its
// interval is the paired percentile bootstrap (B. Efron and R. J.
// Tibshirani, "An Introduction to the Bootstrap", 1993, ch. 13): each
// resample draws the holdout's rows with replacement and scores both
// models on the same draw. Its test depends on the metric:
//
//   - auc: DeLong, DeLong and Clarke-Pearson (Biometrics 44, 1988), with
//     the O(N log N) midrank computation of Sun and Xu (IEEE Signal
//     Processing Letters 21, 2014); ties count one half.
//   - accuracy: McNemar (Psychometrika 12, 1947) on the rows exactly one
//     model gets right: Edwards' continuity-corrected chi-square is the
//     statistic, the exact binomial test the p-value.
//   - logloss, f1, rmse: the bootstrap itself, z = difference / standard
//     deviation of the resampled differences, read against the normal.
//
// The significance check fails when the challenger is significantly
// worse (one-sided p < alpha); with RequireSignificant it also fails
// unless the challenger is significantly better. The one-sided test at
// alpha matches the bound of the two-sided 1−2·alpha interval, not of the
// 1−alpha interval shown; the interval is for reading, the p-value
// decides.
//
// # Slices
//
// Every value of every slice column is a slice, and so is every decile of
// the champion's scores (the challenger's without a champion; for
// multiclass, of the top label's probability). A slice with a champion
// and at least MinSliceRows rows is judged; a smaller one is shown, not
// judged. The judged slices' one-sided p-values are adjusted together
// with Holm's step-down method (S. Holm, Scandinavian Journal of
// Statistics 6, 1979), and GateConfig.SliceTest chooses the test:
//
//   - "drop" (the default) tests H0 "the challenger is no worse on the
//     slice" with the same test as the whole holdout: DeLong for auc,
//     McNemar's exact binomial for accuracy, and for logloss, f1 and
//     rmse the bootstrap z, whose standard error comes from the same
//     resamples as the holdout's interval (a resample of the holdout
//     restricted to the slice's rows is a resample of the slice). A slice
//     fails when its adjusted p is below alpha and it is worse by more
//     than SliceMargin.
//   - "noninferiority" tests H0 "the challenger is worse by SliceMargin
//     or more" against H1 "it is worse by less" (S. Wellek, "Testing
//     Statistical Hypotheses of Equivalence and Noninferiority", 2nd ed.
//     2010): z = (difference + SliceMargin) / standard error, read
//     against the normal, the standard error being DeLong's for auc, the
//     paired proportions' from the discordant rows for accuracy,
//     sqrt(((b + c)/n − ((c − b)/n)²)/n), and the bootstrap's otherwise. A
//     slice passes only when its adjusted p is below alpha. Since the
//     check passes only when every slice does, the unadjusted tests
//     would already bound the chance of a wrong pass at alpha (an
//     intersection–union test, R. L. Berger, Technometrics 24, 1982);
//     Holm makes the check stricter and lets each slice's verdict stand
//     on its own.
//
// An auc slice without two rows of each class is compared on accuracy
// instead, and its note says so.
//
// # Calibration and score shift
//
// ECE is the expected calibration error over ten equal-width bins,
// weighted by the bins' counts (M. P. Naeini, G. F. Cooper and M.
// Hauskrecht, AAAI 2015; C. Guo et al., ICML 2017). For multiclass models
// it is the top-label ECE of Guo et al.: the bins are over each row's
// largest probability (its confidence), and each bin's accuracy of the
// top label is compared with its mean confidence. PSI goes through
// ml/drift's PSI (Evidently's rule for empty bins) on ten bins: equal-width
// bins of [0, 1] for binary scores, of [1/classes, 1] for the top label's
// probability, the champion's deciles for regression. By default a
// challenger above MaxECE but no worse calibrated than the champion
// passes, and so does a score shift when the challenger is significantly
// better; StrictCalibration and StrictScoreShift turn these exemptions
// off.
//
// # Reproducibility and cost
//
// The bootstrap is seeded (Input.Seed): resample r draws from its own
// SplitMix64 stream, so a report depends only on its input, whatever the
// number of goroutines that share the resamples. Each model's scores are
// sorted once; DeLong on the holdout and on every slice, the bootstrap's
// AUC passes, the deciles and the PSI bins all derive from that order, and
// one set of resamples serves the interval and every slice. With the
// default 1,000 resamples, 50,000 rows and three slice columns take a few
// hundred milliseconds on two cores.
//
// testdata/reference.json holds reference values (DeLong by the O(m·n)
// placement-value form, McNemar by scipy, Holm, PSI, ECE, multiclass
// metrics by scikit-learn) written by testdata/gen_reference.py.
// testdata/proc_reference.json holds a third-party reference for DeLong:
// the AUCs, DeLong variances and paired DeLong tests of R's pROC (X.
// Robin et al., BMC Bioinformatics 12, 2011) on its aSAH data
// (testdata/asah.csv), written by testdata/gen_proc.R.
//
// The package is pure: no I/O, no app packages.
package gate
