#!/usr/bin/python3
"""XGBoost peer for bench/wide (freshet's GBDT on bench/gen's table).

Trains XGBoost 1.7 (tree_method=hist, depth 6, eta 0.1, 100 rounds, 2 threads,
max_bin 256) on the time-ordered 80/20 split of the CSV (first 80% of rows
train, last 20% test, never shuffled) and prints one line: seconds to read
the CSV, seconds to build the DMatrix, seconds to train (the figure that
counts: like freshet's Train, it includes XGBoost's quantile binning, which
1.7 does inside xgb.train), and test AUC. Empty fields are missing values.

Rerun: go run ./bench/gen -out /tmp/wide.csv
       /usr/bin/python3 bench/xgb_wide.py /tmp/wide.csv [rounds]
"""
import sys
import time

import numpy as np
import xgboost as xgb
from sklearn.metrics import roc_auc_score

from widecsv import load


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/wide.csv"
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    t0 = time.perf_counter()
    X, y = load(path)
    t1 = time.perf_counter()
    n = len(y)
    cut = n * 8 // 10
    dtr = xgb.DMatrix(X[:cut], label=y[:cut], nthread=2)
    t2 = time.perf_counter()
    params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6,
              "eta": 0.1, "nthread": 2, "max_bin": 256}
    bst = xgb.train(params, dtr, num_boost_round=rounds)
    t3 = time.perf_counter()
    p = bst.inplace_predict(X[cut:])
    print(f"xgboost {xgb.__version__} rows_train={cut} rows_test={n-cut} features={X.shape[1]} "
          f"read_seconds={t1-t0:.3f} dmatrix_seconds={t2-t1:.3f} seconds={t3-t2:.4f} "
          f"auc={roc_auc_score(y[cut:], p):.4f}")


if __name__ == "__main__":
    main()
