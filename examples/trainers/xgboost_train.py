#!/usr/bin/python3
"""An external trainer for freshet: XGBoost on the snapshot freshet writes.

Configure a model with
    "config": {"trainer": {"kind": "external",
                           "command": ["/usr/bin/python3", "examples/trainers/xgboost_train.py"],
                           "params": {"rounds": 100, "max_depth": 6, "eta": 0.1}}}
freshet runs it with these environment variables:
    FRESHET_TRAIN, FRESHET_VALID                  CSV snapshots (header: features, label, __time_ms)
    FRESHET_TRAIN_PARQUET, FRESHET_VALID_PARQUET  the same as Parquet
    FRESHET_MODEL_OUT                             where to write the model (XGBoost JSON or LightGBM text)
    FRESHET_PARAMS                                the model's "params" as JSON
    FRESHET_LABEL, FRESHET_FEATURES, FRESHET_TASK label column, feature columns (comma-separated), task
Categorical features arrive as integer codes; missing values as empty cells.
"""
import json
import os

import numpy as np
import xgboost as xgb


def load(path, features, label):
    import csv
    with open(path) as f:
        rows = list(csv.DictReader(f))
    X = np.array([[float(r[c]) if r[c] != "" else np.nan for c in features] for r in rows], dtype=float)
    y = np.array([float(r[label]) for r in rows])
    return X, y


def main():
    features = os.environ["FRESHET_FEATURES"].split(",")
    label = os.environ["FRESHET_LABEL"]
    params = json.loads(os.environ.get("FRESHET_PARAMS", "{}"))
    X, y = load(os.environ["FRESHET_TRAIN"], features, label)
    Xv, yv = load(os.environ["FRESHET_VALID"], features, label)
    task = os.environ.get("FRESHET_TASK", "binary")
    objective = {"binary": "binary:logistic", "regression": "reg:squarederror"}.get(task, "binary:logistic")
    booster = xgb.train(
        {"objective": objective, "tree_method": "hist", "max_depth": params.get("max_depth", 6),
         "eta": params.get("eta", 0.1), "nthread": params.get("nthread", 2)},
        xgb.DMatrix(X, label=y, missing=np.nan),
        num_boost_round=int(params.get("rounds", 100)),
        evals=[(xgb.DMatrix(Xv, label=yv, missing=np.nan), "valid")],
        verbose_eval=25,
    )
    booster.save_model(os.environ["FRESHET_MODEL_OUT"] + ".json")
    os.replace(os.environ["FRESHET_MODEL_OUT"] + ".json", os.environ["FRESHET_MODEL_OUT"])
    print("saved", os.environ["FRESHET_MODEL_OUT"])


if __name__ == "__main__":
    main()
