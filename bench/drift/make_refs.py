#!/usr/bin/python3
"""Reference values for ml/drift and ml/metrics, from Debian's scipy 1.10 /
scikit-learn 1.2 / numpy 1.24. Run with /usr/bin/python3 from the repo root:

    /usr/bin/python3 bench/drift/make_refs.py

Large samples are not stored: they come from a seeded SplitMix64 stream that
the Go tests reproduce bit for bit (testdata_test.go genSample). Only exactly
rounded IEEE operations (+, -, *, floor) turn the stream into values, so both
languages get identical floats. Small samples and count vectors are stored.
"""
import json
import os
import sys

import numpy as np
import scipy
import sklearn
from scipy import stats
from scipy.spatial import distance
from sklearn import metrics

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
DRIFT = os.path.join(ROOT, "ml", "drift", "testdata")
METRICS = os.path.join(ROOT, "ml", "metrics", "testdata")

GOLDEN = np.uint64(0x9E3779B97F4A7C15)


def uniforms(seed, n):
    """SplitMix64 (Steele, Lea, Flood 2014) → [0,1) doubles, 53 bits."""
    with np.errstate(over="ignore"):
        z = np.uint64(seed) + GOLDEN * np.arange(1, n + 1, dtype=np.uint64)
        z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
        z = z ^ (z >> np.uint64(31))
    return (z >> np.uint64(11)).astype(np.float64) * 2.0**-53


def gen(spec):
    """Mirror of genSample in ml/drift/testdata_test.go."""
    kind, seed, n = spec["kind"], spec["seed"], spec["n"]
    scale, shift = spec.get("scale", 1.0), spec.get("shift", 0.0)
    if kind == "uniform":
        x = uniforms(seed, n)
    elif kind == "normal":  # Irwin–Hall(12) - 6, summed left to right
        u = uniforms(seed, 12 * n).reshape(n, 12)
        x = u[:, 0].copy()
        for t in range(1, 12):
            x = x + u[:, t]
        x = x - 6.0
    elif kind == "int":  # ties: k levels
        x = np.floor(uniforms(seed, n) * float(spec["levels"]))
    else:
        raise ValueError(kind)
    x = x * scale
    x = x + shift
    if "take" in spec:
        x = x[: spec["take"]]
    return x


def sample(s):
    return np.asarray(s, dtype=np.float64) if isinstance(s, list) else gen(s)


def dump(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=1, allow_nan=True)
        f.write("\n")
    print(f"{path}: {os.path.getsize(path)} bytes")


def ks_refs():
    rng = np.random.default_rng(20240601)
    cases = []

    def add(name, a, b):
        x, y = sample(a), sample(b)
        r = stats.ks_2samp(x, y)  # method='auto', two-sided
        m = "exact" if max(len(x), len(y)) <= 10000 else "asymp"
        cases.append(dict(name=name, ref=a, cur=b, method=m,
                          statistic=float(r.statistic), pvalue=float(r.pvalue),
                          location=float(r.statistic_location), sign=int(r.statistic_sign)))

    small = lambda n, loc=0.0: [float(v) for v in np.round(rng.normal(loc, 1, n), 6)]
    add("tiny equal n", small(8), small(8, 1.0))
    add("equal n shifted", small(40), small(40, 0.8))
    add("unequal n", small(37), small(53, 0.4))
    add("one vs many", small(1), small(30))
    add("identical", [1.0, 2.0, 3.0], [1.0, 2.0, 3.0])
    add("ties small", [float(v) for v in rng.integers(0, 5, 60)], [float(v) for v in rng.integers(0, 6, 45)])
    add("disjoint", [1.0, 2.0, 3.0, 4.0], [10.0, 11.0, 12.0])
    add("exact 3000 vs 4500", dict(kind="normal", seed=1, n=3000), dict(kind="normal", seed=2, n=4500, shift=0.08))
    add("exact 10000 vs 10000 same", dict(kind="normal", seed=3, n=10000), dict(kind="normal", seed=4, n=10000))
    add("exact 9999 vs 10000", dict(kind="uniform", seed=5, n=9999), dict(kind="uniform", seed=6, n=10000, scale=1.02))
    add("exact ties 2000 vs 3000", dict(kind="int", seed=7, n=2000, levels=20), dict(kind="int", seed=8, n=3000, levels=20))
    add("exact tiny p", dict(kind="normal", seed=9, n=500), dict(kind="normal", seed=10, n=700, shift=1.0))
    # Asymptotic: max(n1, n2) > 10000; kstwo.sf picks among Pelz–Good,
    # Durbin matrix, Pomeranz and 2·smirnov depending on n and n·d².
    add("asymp pelz-good", dict(kind="normal", seed=11, n=20000), dict(kind="normal", seed=12, n=15000))
    add("asymp smirnov tail", dict(kind="normal", seed=13, n=20000), dict(kind="normal", seed=14, n=15000, shift=0.04))
    add("asymp far", dict(kind="normal", seed=15, n=30000), dict(kind="normal", seed=16, n=12000, shift=0.5))
    add("asymp durbin", dict(kind="normal", seed=17, n=20000), dict(kind="normal", seed=17, n=20000, take=19990))
    add("asymp small en pomeranz", dict(kind="normal", seed=18, n=12, shift=0.7), dict(kind="normal", seed=19, n=20000))
    add("asymp small en durbin", dict(kind="normal", seed=20, n=30), dict(kind="normal", seed=21, n=12000))
    add("asymp ties", dict(kind="int", seed=22, n=40000, levels=50), dict(kind="int", seed=23, n=25000, levels=50, shift=0.0, scale=1.0))
    add("asymp 200k vs 150k", dict(kind="normal", seed=24, n=200000), dict(kind="normal", seed=25, n=150000, shift=0.01))
    # kstwo.sf directly, for branches the samples above may not reach.
    kst = []
    for n in [5, 20, 100, 140, 141, 1000, 8571, 50000, 100001, 500000]:
        for x in [0.3 / n, 0.8 / n, 1.5 / n, 0.004, 0.01, 0.03, 0.08, 0.2, 0.45, 0.6, 0.97]:
            kst.append(dict(n=n, x=x, sf=float(stats.kstwo.sf(x, n))))
    return dict(scipy=scipy.__version__, cases=cases, kstwo_sf=kst)


def wasserstein_refs():
    cases = []

    def add(name, a, b):
        x, y = sample(a), sample(b)
        w = stats.wasserstein_distance(x, y)
        wn = w / max(np.std(x), 0.001)  # Evidently wasserstein_distance_norm
        cases.append(dict(name=name, ref=a, cur=b, distance=float(w), normed=float(wn)))

    add("small", [0.0, 1.0, 3.0], [5.0, 6.0, 8.0])
    add("scipy doc", [3.4, 3.9, 7.5, 7.8], [4.5, 1.4])
    add("ties", [1.0, 1.0, 2.0, 2.0, 2.0, 5.0], [1.0, 2.0, 2.0, 7.0])
    add("constant ref", [2.0] * 5, [2.0, 2.5, 3.0])
    add("normal shift", dict(kind="normal", seed=31, n=5000), dict(kind="normal", seed=32, n=4000, shift=0.3, scale=1.2))
    add("int ties", dict(kind="int", seed=33, n=3000, levels=7), dict(kind="int", seed=34, n=2000, levels=9))
    return dict(scipy=scipy.__version__, cases=cases)


def evidently_binned(ref, cur, numeric, feel_zeroes):
    """evidently/calculations/stattests/utils.py get_binned_data, without
    pandas: numeric columns with > 20 distinct reference values use
    histogram_bin_edges(ref ∪ cur, 'sturges'); others use value counts."""
    if numeric and len(np.unique(ref)) > 20:
        bins = np.histogram_bin_edges(np.concatenate([ref, cur]), bins="sturges")
        rp = np.histogram(ref, bins)[0] / len(ref)
        cp = np.histogram(cur, bins)[0] / len(cur)
    else:
        keys = np.union1d(ref, cur)
        rp = np.array([np.sum(ref == k) for k in keys]) / len(ref)
        cp = np.array([np.sum(cur == k) for k in keys]) / len(cur)
    if feel_zeroes:
        for p in (rp, cp):
            m = min(p[p != 0])
            np.place(p, p == 0, m / 10**6 if m <= 0.0001 else 0.0001)
    return rp, cp


def psi_of(rp, cp):
    v = 0.0
    for r, c in zip(rp, cp):  # Evidently sums in a Python loop
        v += (r - c) * np.log(r / c)
    return float(v)


def binned_refs():
    """PSI and JS over reference-quantile bins (freshet's profiles) and over
    Evidently's own Sturges bins."""
    cases = []
    specs = [
        ("normal shift", dict(kind="normal", seed=41, n=5000), dict(kind="normal", seed=42, n=3000, shift=0.25)),
        ("same", dict(kind="normal", seed=43, n=4000), dict(kind="normal", seed=44, n=4000)),
        ("scale", dict(kind="uniform", seed=45, n=2000), dict(kind="uniform", seed=46, n=2500, scale=1.5, shift=-0.2)),
        ("ties", dict(kind="int", seed=47, n=3000, levels=30), dict(kind="int", seed=48, n=3000, levels=25)),
        ("empty bins", dict(kind="normal", seed=49, n=3000), dict(kind="normal", seed=50, n=2000, shift=4.0)),
    ]
    for name, a, b in specs:
        x, y = sample(a), sample(b)
        for nb in (10, 20):
            q = np.linspace(0, 1, nb + 1)
            cuts = np.unique(np.quantile(x, q)[1:-1])
            rc = np.bincount(np.searchsorted(cuts, x, side="right"), minlength=len(cuts) + 1).astype(float)
            cc = np.bincount(np.searchsorted(cuts, y, side="right"), minlength=len(cuts) + 1).astype(float)
            rp, cp = rc / len(x), cc / len(y)
            js = distance.jensenshannon(rp, cp, base=2)
            rp2, cp2 = rp.copy(), cp.copy()
            for p in (rp2, cp2):
                m = min(p[p != 0])
                np.place(p, p == 0, m / 10**6 if m <= 0.0001 else 0.0001)
            cases.append(dict(name=f"{name} q{nb}", ref=a, cur=b, bins="quantile", n_bins=nb,
                              cuts=[float(c) for c in cuts], ref_counts=rc.tolist(), cur_counts=cc.tolist(),
                              psi=psi_of(rp2, cp2), js=float(js)))
        rp, cp = evidently_binned(x, y, True, True)
        rpj, cpj = evidently_binned(x, y, True, False)
        cases.append(dict(name=f"{name} evidently", ref=a, cur=b, bins="evidently",
                          psi=psi_of(rp, cp), js=float(distance.jensenshannon(rpj, cpj, base=2))))
    # Count vectors straight into scipy.
    vecs = []
    rng = np.random.default_rng(7)
    pairs = [([10, 20, 30], [30, 20, 10]), ([1, 0, 0], [0, 0, 1]), ([5, 5], [5, 5]),
             ([0, 3, 9, 1], [2, 0, 7, 7]), (rng.integers(0, 1000, 40).tolist(), rng.integers(0, 1000, 40).tolist())]
    for r, c in pairs:
        r, c = np.asarray(r, float), np.asarray(c, float)
        vecs.append(dict(ref=r.tolist(), cur=c.tolist(), js=float(distance.jensenshannon(r, c, base=2)),
                         linf=float(np.max(np.abs(r / r.sum() - c / c.sum())))))
    return dict(scipy=scipy.__version__, numpy=np.__version__, cases=cases, vectors=vecs)


def categorical_refs():
    chi = []
    rng = np.random.default_rng(11)
    pairs = [([50, 30, 20], [45, 35, 20]), ([500, 300, 200], [300, 300, 400]),
             ([10, 10, 10, 10], [12, 8, 11, 9]), ([1000, 1, 500], [900, 50, 450]),
             (rng.integers(1, 200, 25).tolist(), rng.integers(1, 200, 25).tolist()),
             ([4000, 3000, 2000, 1000], [1000, 2000, 3000, 4000]), ([7, 3], [3, 8])]
    for r, c in pairs:
        r, c = np.asarray(r, float), np.asarray(c, float)
        k = c.sum() / r.sum()  # Evidently chisquare_stattest: f_exp = ref * n_cur / n_ref
        res = stats.chisquare(c, r * k)
        chi.append(dict(ref=r.tolist(), cur=c.tolist(), statistic=float(res.statistic), pvalue=float(res.pvalue)))
    z = []
    from scipy.stats import norm
    for rf, rn, cf, cn in [(30, 100, 45, 120), (500, 1000, 520, 1000), (10, 10, 5, 20), (0, 50, 10, 60), (900, 1000, 100, 1000)]:
        # Evidently z_stattest: first category → 0, others → 1.
        p1, p2 = (rn - rf) / rn, (cn - cf) / cn
        P = (p1 * rn + p2 * cn) / (rn + cn)
        zs = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / rn + 1.0 / cn))
        z.append(dict(ref_first=rf, ref_n=rn, cur_first=cf, cur_n=cn, z=float(zs), pvalue=float(2 * (1 - norm.cdf(np.abs(zs))))))
    return dict(scipy=scipy.__version__, chisquare=chi, ztest=z)


def metric_refs():
    n = 3000
    u1, u2, u3 = uniforms(101, n), uniforms(102, n), uniforms(103, n)
    s = np.floor(u1 * 50.0) / 50.0  # ties
    y = (u2 < s * 0.8 + 0.1).astype(int)
    w = u3 + 0.5
    reg_y = gen(dict(kind="normal", seed=104, n=n))
    reg_p = reg_y + gen(dict(kind="normal", seed=105, n=n)) * 0.3
    pred = (s >= 0.5).astype(int)
    out = dict(sklearn=sklearn.__version__, n=n, seeds=[101, 102, 103, 104, 105])
    out["auc"] = metrics.roc_auc_score(y, s)
    out["auc_weighted"] = metrics.roc_auc_score(y, s, sample_weight=w)
    out["log_loss"] = metrics.log_loss(y, s)
    out["log_loss_weighted"] = metrics.log_loss(y, s, sample_weight=w)
    out["accuracy"] = metrics.accuracy_score(y, pred)
    out["accuracy_weighted"] = metrics.accuracy_score(y, pred, sample_weight=w)
    out["f1"] = metrics.f1_score(y, pred)
    out["f1_weighted"] = metrics.f1_score(y, pred, sample_weight=w)
    out["brier"] = metrics.brier_score_loss(y, s)
    out["brier_weighted"] = metrics.brier_score_loss(y, s, sample_weight=w)
    out["rmse"] = metrics.mean_squared_error(reg_y, reg_p, squared=False)
    out["rmse_weighted"] = metrics.mean_squared_error(reg_y, reg_p, sample_weight=w, squared=False)
    small = []
    for yy, ss in [([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]), ([1, 0, 1, 0, 1], [0.5, 0.5, 0.5, 0.5, 0.5]),
                   ([0, 1, 1, 0, 1, 0], [0.2, 0.2, 0.9, 0.9, 0.4, 0.1]), ([1, 1, 0], [1.0, 0.0, 0.5])]:
        small.append(dict(y=yy, score=ss, auc=metrics.roc_auc_score(yy, ss), log_loss=metrics.log_loss(yy, ss)))
    out["small"] = small
    return {k: (float(v) if isinstance(v, (np.floating, float)) else v) for k, v in out.items()}


if __name__ == "__main__":
    os.makedirs(DRIFT, exist_ok=True)
    os.makedirs(METRICS, exist_ok=True)
    dump(os.path.join(DRIFT, "ks.json"), ks_refs())
    dump(os.path.join(DRIFT, "wasserstein.json"), wasserstein_refs())
    dump(os.path.join(DRIFT, "binned.json"), binned_refs())
    dump(os.path.join(DRIFT, "categorical.json"), categorical_refs())
    dump(os.path.join(METRICS, "metrics.json"), metric_refs())
    sys.exit(0)
