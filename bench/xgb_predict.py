#!/usr/bin/python3
"""XGBoost peer for ml/gbdt's BenchmarkLeavesPredict1M300 and bench/predict.

Trains XGBoost 1.7 (hist, 300 rounds, depth 6, eta 0.1, 2 threads) on the
first 100k rows of bench/gen's table (as the Go benchmark trains on 100k rows;
more rows change the trees little and only slow the setup), saves it as OUT.json, then times
booster.inplace_predict on 1M rows (the table's rows repeated, row-major
float32, XGBoost's native type) with 2 threads, 3 times, and prints the
median rows/s. It writes its predictions for the first 10,000 rows to
OUT.pred so bench/predict can check leaves on the converted model.

Rerun: /usr/bin/python3 bench/xgb_predict.py /tmp/wide.csv /tmp/xgb300
"""
import statistics
import sys
import time

import numpy as np
import xgboost as xgb

from widecsv import load

ROWS, TREES, THREADS = 1_000_000, 300, 2


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/wide.csv"
    out = sys.argv[2] if len(sys.argv) > 2 else "/tmp/xgb300"
    X, y = load(path)
    cut = min(len(y), 100_000)
    params = {"objective": "binary:logistic", "tree_method": "hist", "max_depth": 6,
              "eta": 0.1, "nthread": THREADS, "max_bin": 256}
    t0 = time.perf_counter()
    bst = xgb.train(params, xgb.DMatrix(X[:cut], label=y[:cut], nthread=THREADS),
                    num_boost_round=TREES)
    train_s = time.perf_counter() - t0
    bst.save_model(out + ".json")

    rows = np.ascontiguousarray(np.resize(X, (ROWS, X.shape[1])), dtype=np.float32)
    bst.set_param({"nthread": THREADS})
    secs = []
    for _ in range(3):
        t = time.perf_counter()
        p = bst.inplace_predict(rows)
        secs.append(time.perf_counter() - t)
    med = statistics.median(secs)
    np.savetxt(out + ".pred", p[:10_000], fmt="%.9g")
    print(f"xgboost {xgb.__version__} model={out}.json trees={TREES} train_seconds={train_s:.1f} "
          f"rows={ROWS} threads={THREADS} seconds={med:.3f} rows_per_s={ROWS/med:.0f}")


if __name__ == "__main__":
    main()
