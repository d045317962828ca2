// Package gbdt trains gradient-boosted decision trees with histograms, in
// pure Go, and writes them as LightGBM text that github.com/dmitryikh/leaves
// loads for serving.
//
// It is written by hand because no maintained pure-Go GBDT trainer exists:
// the Go module proxy refuses the old candidates (randomForest, CloudForest,
// goml, pa-m/sklearn) and golearn has no boosting (see shared/STACK.md).
//
// # Algorithm
//
// The design follows XGBoost's "hist" method and LightGBM:
//
//   - Each feature is binned once per training call into at most
//     Params.MaxBins quantile bins stored as uint8; bin 0 is reserved for
//     missing values (NaN). A value x falls in the first bin whose upper edge
//     e satisfies x <= e, which is exactly the comparison a split uses at
//     prediction time ("x <= threshold goes left"), so the trainer's binned
//     view of a row and the float thresholds written for leaves always agree.
//   - Every node gets a gradient/hessian histogram; only the smaller child of
//     a split is built from rows and its sibling is the parent minus it
//     (histogram subtraction).
//   - Trees grow depth-wise to Params.MaxDepth (the default, like XGBoost) or
//     leaf-wise, best gain first, to Params.NumLeaves (like LightGBM).
//   - Each split learns a default direction for missing values: the missing
//     bin is tried on both sides and the better side is kept.
//   - Split gain and leaf weights are XGBoost's second-order formulas with L2
//     regularisation (Lambda) and a minimum hessian per child
//     (MinChildWeight). Histograms hold no row counts (it keeps them in L1
//     cache), so MinDataInLeaf is checked on counts estimated from
//     hessians, as LightGBM does; leaf row counts are exact.
//   - Rows (Subsample, per round) and features (ColSample, per tree) are
//     sampled from a generator seeded with Params.Seed.
//   - Histogram building, partitioning, split search and gradients run on
//     Params.Threads goroutines (idle ones spin for 100µs before parking,
//     as an OpenMP runtime does, since a tree alternates short serial and
//     parallel steps). Work is cut into blocks whose boundaries
//     depend only on the data, never on the number of threads, and partial
//     results are summed in block order, so a model is byte-identical for a
//     given seed whatever the thread count or scheduling.
//
// # Model text
//
// WriteText writes LightGBM's text format (version v3) the way leaves reads
// it: the learning rate is already in every leaf value (leaves ignores
// shrinkage) and the starting score (base margin) is folded into the first
// tree of each class, since the format has no field for it. ParseText reads
// the format back, so a stored model can be scored by Model or continued.
//
// # Warm start
//
// Continue adds rounds to an existing model, starting from that model's raw
// scores on the new data. It bins only the new data (the trees already in the
// model keep their float thresholds), so a warm start costs about rows ×
// rounds of the new data and never touches the history the model was first
// trained on.
package gbdt
