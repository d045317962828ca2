// Package modelfile reads tree-ensemble model files written by other trainers
// (LightGBM text, XGBoost JSON) and turns them into a *leaves.Ensemble that is
// safe to serve.
//
// github.com/dmitryikh/leaves trusts its input: a wrong child index panics at
// prediction time, a cycle in a tree makes it loop while allocating, a legacy
// XGBoost binary file kills the process with "out of memory", and some header
// mistakes (a wrong tree_sizes count, three blank lines) silently load fewer
// trees. So leaves never sees a file as it arrived. Load sniffs the format,
// parses the file into a small tree representation, checks every bound
// (sizes, counts, indices, tree shape, finite numbers, decision-type bits,
// objective against num_class), writes the model back as canonical LightGBM
// v3 text, and only hands that text to leaves.LGEnsembleFromReader, inside a
// recover() guard as a last defence.
//
// XGBoost JSON models (gbtree; binary:logistic, multi:softprob,
// multi:softmax, reg:squarederror) are converted to the same text: see
// FromXGBoostJSON's rules in xgboost.go. UBJSON and the legacy binary format
// are recognised and refused with a message saying how to save JSON instead.
//
// The package is pure: it works on []byte and io.Reader and does no I/O of
// its own.
package modelfile
