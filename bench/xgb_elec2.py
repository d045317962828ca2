#!/usr/bin/python3
"""XGBoost peer for ml/gbdt's BenchmarkTrainElec2.

Trains XGBoost (tree_method=hist, depth 6, eta 0.1, 100 rounds, 2 threads) on
the same time-ordered 80/20 split of Elec2 that ml/gbdt's benchmark uses (the
first 80% of rows train, the last 20% test; never shuffled) and prints train
seconds (best of 5 runs, DMatrix construction included and excluded) and test
AUC. Run with Debian's python: /usr/bin/python3 bench/xgb_elec2.py [csv]
"""
import csv
import gzip
import sys
import time

import numpy as np
import xgboost as xgb
from sklearn.metrics import roc_auc_score

FEATURES = ["day", "period", "nswprice", "nswdemand", "vicprice", "vicdemand", "transfer"]


def load(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rt") as f:
        rows = list(csv.DictReader(f))
    X = np.array([[float(r[c]) for c in FEATURES] for r in rows])
    y = np.array([float(r["label"]) for r in rows])
    return X, y


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "demo/elec2.csv.gz"
    X, y = load(path)
    n = len(y)
    cut = n * 8 // 10
    Xtr, ytr, Xte, yte = X[:cut], y[:cut], X[cut:], y[cut:]
    params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6,
              "eta": 0.1, "nthread": 2, "max_bin": 256, "eval_metric": "logloss"}
    best_total, best_train = float("inf"), float("inf")
    for _ in range(5):
        t0 = time.perf_counter()
        dtr = xgb.DMatrix(Xtr, label=ytr, nthread=2)
        t1 = time.perf_counter()
        bst = xgb.train(params, dtr, num_boost_round=100)
        t2 = time.perf_counter()
        best_total = min(best_total, t2 - t0)
        best_train = min(best_train, t2 - t1)
    p = bst.predict(xgb.DMatrix(Xte))
    print(f"xgboost {xgb.__version__} rows_train={cut} rows_test={n-cut} "
          f"seconds={best_total:.4f} seconds_train_only={best_train:.4f} "
          f"auc={roc_auc_score(yte, p):.4f}")


if __name__ == "__main__":
    main()
