// Package metrics computes the quality metrics freshet tracks for a model
// version: ROC AUC, log loss, accuracy and F1 at a 0.5 threshold, Brier
// score and RMSE, each with an optional per-row weight.
//
// Every metric is written by hand (gonum has none of them) to agree with
// scikit-learn 1.2 to rounding; testdata/metrics.json holds the reference
// values produced by bench/drift/make_refs.py.
//
// AUC is the Mann–Whitney U statistic with tied scores counted one half,
// which is what sklearn.metrics.roc_auc_score's trapezoidal rule over the
// ROC curve amounts to (Hanley & McNeil 1982; Fawcett 2006, "An
// introduction to ROC analysis", algorithm 2). Unweighted, it is computed
// exactly in integers after an LSD radix sort of the positive and negative
// scores, so a million rows take a few tens of milliseconds; scores that
// arrive sorted skip the sort.
//
// The package is pure: no I/O, no app packages.
package metrics
