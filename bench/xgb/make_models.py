#!/usr/bin/python3
"""Real-peer fixtures for ml/modelfile: small XGBoost models and their predictions.

Trains three XGBoost (1.7, Debian's python3-xgboost) gbtree models, depth 4, 20 rounds,
on synthetic data with missing values (NaN) in both the training and the test rows:

  xgb_binary.json  binary:logistic (base_score 0.35, so logit(base_score) must be folded)
  xgb_multi.json   multi:softprob, 3 classes (base_score 0.2 per class)
  xgb_reg.json     reg:squarederror (default base_score 0.5)
  xgb_pruned.json  binary:logistic, exact updater with gamma (pruned: deleted nodes stay in
                   the arrays), num_parallel_tree 2, subsample 0.8, named features

For each model it writes NAME_cases.json: {"objective", "num_features", "num_outputs",
"rows": [[x or null]], "predictions": [[p, ...]]}, with null for a missing value and the
predictions of booster.predict. The test rows mix fresh random rows, rows whose values sit
exactly on split thresholds and rows just below/above them (float64 values that round to the
threshold's float32), so the x < t versus x <= t conversion is exercised.

It also writes a tiny one-split model three ways: xgb_tiny.json (a fuzzing seed) and two
files freshet must refuse, xgb_legacy.bin (the deprecated binary format) and xgb_tiny.ubj
(UBJSON).

Usage: /usr/bin/python3 bench/xgb/make_models.py [OUTDIR]   (default ml/modelfile/testdata)
"""
import json
import os
import sys

import numpy as np
import xgboost as xgb

ROUNDS = 20
DEPTH = 4
NFEAT = 6
NTRAIN = 600
NRANDOM = 120
MISSING = 0.15


def data(rng, n):
    X = rng.normal(size=(n, NFEAT))
    X[:, 2] = np.round(X[:, 2] * 3)  # a discrete feature: many rows sit on thresholds
    X[rng.random(X.shape) < MISSING] = np.nan
    return X


def signal(X):
    Z = np.nan_to_num(X)
    return 1.5 * Z[:, 0] - Z[:, 1] ** 2 + 0.7 * Z[:, 2] * (Z[:, 3] > 0) + 0.3 * np.isnan(X[:, 4])


def probe_rows(rng, booster, X):
    """Rows whose values lie on, just below and just above the model's thresholds."""
    model = json.loads(booster.save_raw(raw_format="json"))
    splits = []
    for tree in model["learner"]["gradient_booster"]["model"]["trees"]:
        for i, left in enumerate(tree["left_children"]):
            if left != -1:
                splits.append((tree["split_indices"][i], tree["split_conditions"][i]))
    rows = []
    for k in range(60):
        row = X[rng.integers(len(X))].copy()
        for _ in range(3):
            f, t = splits[rng.integers(len(splits))]
            t32 = np.float32(t)
            below32 = np.nextafter(t32, np.float32(-np.inf))
            choice = k % 4
            if choice == 0:
                row[f] = float(t32)  # exactly on the threshold
            elif choice == 1:
                row[f] = float(below32)  # the float32 just below
            elif choice == 2:
                # a float64 strictly between the two float32 values, nearer the threshold:
                # xgboost rounds it up to t32 (goes right)
                row[f] = float(t32) - (float(t32) - float(below32)) / 4
            else:
                row[f] = float(t32) - (float(t32) - float(below32)) * 3 / 4
        rows.append(row)
    return np.array(rows)


def cell(v):
    return None if np.isnan(v) else float(v)


def write_cases(path, objective, Xt, pred, nout):
    pred = np.asarray(pred, dtype=np.float64).reshape(len(Xt), nout)
    doc = {
        "objective": objective,
        "num_features": NFEAT,
        "num_outputs": nout,
        "rows": [[cell(v) for v in r] for r in Xt],
        "predictions": [[float(p) for p in r] for r in pred],
    }
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))
        f.write("\n")


def train(name, params, X, y, out, rng, named=False):
    params = dict({"max_depth": DEPTH, "eta": 0.3, "tree_method": "hist", "nthread": 1, "seed": 1}, **params)
    names = ["f%d" % j for j in range(NFEAT)] if named else None
    b = xgb.train(params, xgb.DMatrix(X, label=y, missing=np.nan, feature_names=names), ROUNDS)
    b.save_model(os.path.join(out, name + ".json"))
    Xt = np.vstack([data(rng, NRANDOM), probe_rows(rng, b, X)])
    pred = b.predict(xgb.DMatrix(Xt, missing=np.nan, feature_names=names))
    nout = params.get("num_class", 1)
    write_cases(os.path.join(out, name + "_cases.json"), params["objective"], Xt, pred, nout)
    return b


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default = os.path.join(here, "..", "..", "ml", "modelfile", "testdata")
    out = sys.argv[1] if len(sys.argv) > 1 else default
    os.makedirs(out, exist_ok=True)
    rng = np.random.default_rng(42)

    X = data(rng, NTRAIN)
    s = signal(X)
    y = (s + rng.normal(scale=0.5, size=len(s)) > 0).astype(float)
    train("xgb_binary", {"objective": "binary:logistic", "base_score": 0.35}, X, y, out, rng)

    X = data(rng, NTRAIN)
    s = signal(X)
    y = np.digitize(s + rng.normal(scale=0.5, size=len(s)), [-0.5, 0.8]).astype(float)
    train("xgb_multi", {"objective": "multi:softprob", "num_class": 3, "base_score": 0.2}, X, y, out, rng)

    X = data(rng, NTRAIN)
    y = signal(X) + rng.normal(scale=0.1, size=NTRAIN)
    train("xgb_reg", {"objective": "reg:squarederror"}, X, y, out, rng)

    # The exact updater with gamma prunes, leaving deleted nodes in the arrays;
    # num_parallel_tree=2 puts two trees in each round; feature names are set.
    X = data(rng, NTRAIN)
    s = signal(X)
    y = (s + rng.normal(scale=0.5, size=len(s)) > 0).astype(float)
    params = {"objective": "binary:logistic", "tree_method": "exact", "gamma": 2.0,
              "num_parallel_tree": 2, "subsample": 0.8}
    train("xgb_pruned", params, X, y, out, rng, named=True)

    # Tiny files in formats freshet refuses (leaves dies on the first, errors on the second).
    X = data(rng, 50)
    y = (np.nan_to_num(X[:, 0]) > 0).astype(float)
    tiny = xgb.train({"objective": "binary:logistic", "max_depth": 1, "nthread": 1}, xgb.DMatrix(X, label=y), 1)
    tiny.save_model(os.path.join(out, "xgb_legacy.bin"))  # any name not ending .json/.ubj: legacy binary
    tiny.save_model(os.path.join(out, "xgb_tiny.ubj"))
    tiny.save_model(os.path.join(out, "xgb_tiny.json"))  # a small seed for FuzzLoad
    print("xgboost", xgb.__version__, "models written to", os.path.normpath(out))


if __name__ == "__main__":
    main()
