// Package datacheck validates a retrain's training window before it
// trains: the feature schema against the champion's, the row count, the
// labels, the class balance, and per feature the missing-value rate and
// the share of values outside the champion's training range. A failed
// check stops the job; Report.Error gives the reason in words for the job
// page.
//
// The reference is a summary of the champion's training rows
// (ReferenceOf), so a stored model carries it without its rows. Without a
// reference (a model's first version) the checks that compare use
// absolute limits only.
//
// Run is deterministic and linear in the rows, one pass per feature, with
// no allocation per row; the offline policy backtester calls it too.
//
// The package is pure: no I/O, no app packages.
package datacheck
