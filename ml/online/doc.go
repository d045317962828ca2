// Package online learns binary classifiers one row at a time: an
// FTRL-Proximal logistic regression (Model), an Ensemble of them with
// different learning rates combined by Hedge weights, prequential
// metrics, and snapshots in a small versioned binary format.
//
// # Algorithm
//
// Model is Algorithm 1 of McMahan et al., "Ad Click Prediction: a View
// from the Trenches" (KDD 2013). Every coordinate i keeps z_i and n_i (the
// sum of its squared gradients); its weight is computed lazily when a row
// uses it,
//
//	w_i = 0                                                if |z_i| <= lambda1
//	w_i = -(z_i - sgn(z_i) lambda1) / ((beta + sqrt(n_i))/alpha + lambda2)  otherwise,
//
// so each coordinate has its own learning rate alpha/(beta+sqrt(n_i)), L1
// makes weights exactly zero, and L2 shrinks them. The intercept is not
// regularised.
//
// # Inputs
//
// A Schema says which columns are numeric and which are categorical.
//
//   - A categorical value is a code (any float64; -0 and 0 are the same
//     code, and NaN is a code of its own meaning "missing"). The pair
//     (column, code) is hashed to one of Config.Buckets one-hot
//     coordinates, so unseen codes need no dictionary and memory is fixed;
//     codes that collide share a weight. With the default 4096 buckets a
//     column of 7 codes collides with probability about 0.5%.
//   - A numeric value is standardised (below) and multiplies its column's
//     weight. NaN and ±Inf mean missing. A missing value contributes
//     nothing through the column's weight, which is the same as imputing
//     the running mean (it standardises to 0), and instead switches on the
//     column's own "missing" coordinate, so the model can learn whether
//     missingness itself predicts the label.
//
// # Standardisation and drift
//
// Each numeric column keeps a running mean and variance (Welford's
// method) over every non-missing value seen; LearnOne adds the row to the
// statistics before its update, and the weights live in standardised
// units. The statistics are cumulative, not windowed, so they move by
// O(1/n) per row: the first rows (where they move a lot and the weights
// are also young) shift the meaning of a weight, later rows barely do.
// The model's raw-scale function is w·(x-mean)/sd, so when the statistics
// move, every prediction moves with them even without a weight update;
// FTRL's following updates absorb the difference. A real shift in a
// feature's distribution is therefore learned by the weights and the
// intercept, not by re-centring, and a column whose scale changes a lot
// late in the stream will stay mis-scaled (at worst its effective learning
// rate is off by the ratio of the scales). Config.Clip bounds the
// standardised values, which also limits the damage from outliers.
// Snapshots carry the statistics, so a restored model is exactly the
// saved one.
//
// # Prequential metrics
//
// LearnOne first scores the row with the model as it is (before the
// row's statistics update and weight update), then learns it; Metrics
// reports the running mean log loss and accuracy of those predictions over
// all rows since creation (or ResetMetrics), and the exact AUC over a
// sliding window of the last Config.AUCWindow rows.
//
// # Ensemble
//
// Ensemble runs one Model per learning rate alpha and predicts the
// mixture sum_k v_k p_k with Hedge weights v_k ∝ exp(-eta L_k), L_k learner
// k's cumulative prequential log loss. Weights shows them.
//
// # Snapshots
//
// Model.Snapshot and Ensemble.Snapshot write a little-endian binary
// format with a magic string and a version (documented in snapshot.go);
// Restore and RestoreEnsemble validate versions, sizes and that every
// number is finite, and fail with an error wrapping ErrSnapshot.
package online
