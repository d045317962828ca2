// Package window chooses the rows a retrain learns from: a policy's
// data-window rule (ml.DataWindow) applied to a model's labeled rows in
// time order, widened back to the rule's minimum size, with the newest
// rows held out for comparing champion and challenger.
//
// The offline policy backtester calls the same code as the retrain job, so
// Select is deterministic and linear in the rows (a binary search for the
// time-based rules) and allocates nothing per row except the weights of a
// recency-weighted window.
//
// The package is pure: no I/O, no app packages.
package window
