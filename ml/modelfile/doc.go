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
// multi:softmax, reg:squarederror) are validated and converted to the same
// text. The rules, which match xgboost.predict to about 1e-7 on rows with
// missing values, are listed on parseXGBoostJSON (xgboost.go); in short:
// x < t becomes x <= T with T the largest float64 that XGBoost's float32
// cast still sends left; decision_type 8 | 2 if default_left; nodes in
// preorder; the base score folded into each class's first tree. Dart,
// gblinear, categorical splits, vector leaves and other objectives are
// refused with a message. UBJSON and the legacy binary format are
// recognised and refused with a message saying how to save JSON instead.
//
// Memory: Limits bounds the file size, trees, leaves and nodes before any
// array of that size is allocated; a loaded model costs roughly 100 bytes
// per node (parsed arrays, canonical text and leaves' copy).
//
// The package is pure: it works on []byte and io.Reader and does no I/O of
// its own.
package modelfile
