#!/usr/bin/python3
"""Peer timings for BenchmarkKS1M, BenchmarkPSI50x1M and BenchmarkAUC1M,
on the same kind of data (standard normals, 1M rows). Run with Debian's
/usr/bin/python3 (scipy 1.10, scikit-learn 1.2, numpy 1.24):

    /usr/bin/python3 bench/drift/peers.py

PSI is done the straightforward numpy way: reference deciles with
np.quantile, np.searchsorted into them for both windows, np.bincount, then
Evidently's zero fill and the PSI sum, one feature after another.
"""
import time

import numpy as np
from scipy import stats
from sklearn.metrics import roc_auc_score


def best(f, repeat=3):
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        f()
        t.append(time.perf_counter() - t0)
    return min(t)


def psi_numpy(refs, curs, n_bins=10):
    out = []
    q = np.linspace(0, 1, n_bins + 1)
    for r, c in zip(refs, curs):
        cuts = np.unique(np.quantile(r, q)[1:-1])
        rp = np.bincount(np.searchsorted(cuts, r, side="right"), minlength=len(cuts) + 1) / len(r)
        cp = np.bincount(np.searchsorted(cuts, c, side="right"), minlength=len(cuts) + 1) / len(c)
        for p in (rp, cp):
            m = p[p != 0].min()
            p[p == 0] = m / 1e6 if m <= 1e-4 else 1e-4
        out.append(np.sum((rp - cp) * np.log(rp / cp)))
    return out


def main():
    rng = np.random.default_rng(1)
    n = 1_000_000
    a, b = rng.standard_normal(n), rng.standard_normal(n) + 0.01
    t_ks = best(lambda: stats.ks_2samp(a, b))
    print(f"scipy ks_2samp 1M vs 1M: {t_ks:.3f} s")

    refs = [rng.standard_normal(n) for _ in range(50)]
    curs = [rng.standard_normal(n) + 0.05 * (f % 5) for f in range(50)]
    t_psi = best(lambda: psi_numpy(refs, curs), repeat=1)
    print(f"numpy PSI 50 features 1M vs 1M: {t_psi:.3f} s")
    del refs, curs

    y = rng.integers(0, 2, n)
    s = rng.standard_normal(n) + 0.5 * y
    t_auc = best(lambda: roc_auc_score(y, s))
    print(f"sklearn roc_auc_score 1M: {t_auc:.3f} s")


if __name__ == "__main__":
    main()
