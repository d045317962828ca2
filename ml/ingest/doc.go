// Package ingest turns uploaded observation and label files (CSV, NDJSON and
// JSON) into validated, columnar ml.Batch and ml.LabelBatch values, and
// guesses a schema from a CSV file for the browser's upload flow.
//
// Parsing is all or nothing: a bad value anywhere rejects the whole input
// with an *ml.InputError that lists up to ml.MaxIssues problems, each with
// its line, column and field, and no batch. An error from the reader itself
// (a body that is too large, a dropped connection) is passed through,
// wrapped, so callers can tell it from bad input with errors.As.
//
// The package does no I/O beyond reading the io.Reader it is handed, and
// keeps little per row: columns are appended to, categorical values are
// interned, and CSV records are reused.
package ingest
