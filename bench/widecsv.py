"""Reads bench/gen's CSV (header, empty field = missing, column "label")
into float64 numpy arrays, caching the parsed arrays next to the file
(PATH.npz, rebuilt when the CSV is newer) since parsing 150 MB in Python is
slow and is not what the benchmarks measure."""
import os
import re

import numpy as np


def load(path, label="label"):
    cache = path + ".npz"
    if os.path.exists(cache) and os.path.getmtime(cache) >= os.path.getmtime(path):
        with np.load(cache) as z:
            return z["X"], z["y"]
    with open(path) as f:
        header = f.readline().strip().split(",")
        # numpy's loadtxt has no notion of an empty field: spell them "nan".
        text = re.sub(r",(?=,|\n)", ",nan", f.read())
    data = np.loadtxt(text.splitlines(), delimiter=",", dtype=np.float64)
    li = header.index(label)
    X = np.ascontiguousarray(np.delete(data, li, axis=1))
    y = data[:, li].copy()
    np.savez(cache, X=X, y=y)
    return X, y
