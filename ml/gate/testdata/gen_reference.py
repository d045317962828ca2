#!/usr/bin/python3
"""Reference values for ml/gate's tests: writes reference.json.

Run with /usr/bin/python3 (numpy 1.24, scipy 1.10, scikit-learn 1.2):

    /usr/bin/python3 ml/gate/testdata/gen_reference.py

Everything here is written independently of the Go code:

- DeLong: the O(m*n) placement-value (structural component) form of
  DeLong, DeLong & Clarke-Pearson (1988), pair by pair, with no ranks;
  AUCs are checked against sklearn.metrics.roc_auc_score as well.
- McNemar: scipy.stats.chi2.sf for the corrected statistic and
  scipy.stats.binomtest for the exact p-values.
- Holm: a direct transcription of Holm (1979)'s step-down rule (statsmodels
  is not installed here).
- PSI: numpy.quantile cut points, numpy.searchsorted bins and Evidently's
  empty-bin rule.
- ECE: numpy equal-width bins.
- Multiclass log loss and accuracy, regression MAE: scikit-learn.
"""
import json
import os

import numpy as np
from scipy import stats
from sklearn.metrics import accuracy_score, log_loss, mean_absolute_error, roc_auc_score


def psi_kernel(x, y):
    return np.where(x > y, 1.0, np.where(x == y, 0.5, 0.0))


def delong_quadratic(y, a, b):
    y = np.asarray(y)
    pos, neg = y == 1, y == 0
    m, n = pos.sum(), neg.sum()
    v10, v01 = [], []
    for s in (np.asarray(a), np.asarray(b)):
        k = psi_kernel(s[pos][:, None], s[neg][None, :])  # m x n
        v10.append(k.mean(axis=1))  # placement of each positive
        v01.append(k.mean(axis=0))  # placement of each negative
    auc = [v.mean() for v in v10]
    s10 = np.cov(np.vstack(v10), ddof=1)
    s01 = np.cov(np.vstack(v01), ddof=1)
    s = s10 / m + s01 / n
    var = s[0, 0] + s[1, 1] - 2 * s[0, 1]
    z = (auc[0] - auc[1]) / np.sqrt(var)
    p = 2 * stats.norm.sf(abs(z))
    return dict(auc_a=auc[0], auc_b=auc[1], var_a=s[0, 0], var_b=s[1, 1], cov=s[0, 1], z=z, p=p,
                sk_auc_a=roc_auc_score(y, a), sk_auc_b=roc_auc_score(y, b))


def delong_cases():
    rng = np.random.default_rng(20240601)
    cases = []

    n = 200
    y = (rng.random(n) < 0.4).astype(float)
    base = rng.normal(size=n)
    a = 1.0 * y + base + 0.5 * rng.normal(size=n)
    b = 0.7 * y + base + 0.5 * rng.normal(size=n)
    cases.append(("correlated normal", y, a, b))

    n = 150
    y = (rng.random(n) < 0.5).astype(float)
    a = np.round(0.8 * y + rng.normal(size=n), 1)
    b = np.round(0.6 * y + rng.normal(size=n), 1)
    cases.append(("ties (one decimal)", y, a, b))

    n = 300
    y = np.zeros(n)
    y[rng.choice(n, 15, replace=False)] = 1
    a = 1.5 * y + rng.normal(size=n)
    b = 1.2 * y + 0.8 * a + rng.normal(size=n)
    cases.append(("unbalanced, 15 of 300 positive", y, a, b))

    n = 120
    y = (rng.random(n) < 0.3).astype(float)
    a = np.clip(np.floor(y + rng.normal(size=n) + 2), 0, 3)
    b = np.clip(np.floor(0.5 * y + rng.normal(size=n) + 2), 0, 3)
    cases.append(("heavy ties, four levels", y, a, b))

    y = np.array([0, 0, 1, 1, 0, 1, 0, 1, 1, 0], dtype=float)
    a = np.array([0.1, 0.4, 0.35, 0.8, 0.2, 0.7, 0.6, 0.9, 0.5, 0.3])
    b = np.array([0.2, 0.3, 0.6, 0.7, 0.1, 0.4, 0.5, 0.8, 0.9, 0.35])
    cases.append(("ten rows", y, a, b))

    n = 400
    y = (rng.random(n) < 0.2).astype(float)
    p = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(size=n))))
    a = p
    b = np.clip(p + 0.05 * rng.normal(size=n), 0, 1)
    cases.append(("nearly identical probabilities", y, a, b))

    out = []
    for name, y, a, b in cases:
        r = delong_quadratic(y, a, b)
        out.append(dict(name=name, y=y.tolist(), a=np.asarray(a, float).tolist(), b=np.asarray(b, float).tolist(),
                        **{k: float(v) for k, v in r.items()}))
    return out


def mcnemar_cases():
    rng = np.random.default_rng(7)
    out = []
    specs = [
        ("few discordant", 40, 0.7, 0.72, 0.9),
        ("balanced", 500, 0.8, 0.8, 0.5),
        ("challenger better", 2000, 0.75, 0.80, 0.6),
        ("challenger worse", 1500, 0.85, 0.80, 0.7),
        ("large, close", 5000, 0.9, 0.91, 0.8),
    ]
    for name, n, acc_a, acc_b, corr in specs:
        y = (rng.random(n) < 0.5).astype(float)
        shared = rng.random(n)
        ua = np.where(rng.random(n) < corr, shared, rng.random(n))
        ub = np.where(rng.random(n) < corr, shared, rng.random(n))
        right_a, right_b = ua < acc_a, ub < acc_b
        # Scores on the right side of 0.5 when right.
        side_a = np.where(right_a, y, 1 - y)
        side_b = np.where(right_b, y, 1 - y)
        a = np.where(side_a == 1, 0.75, 0.25)
        b = np.where(side_b == 1, 0.5, 0.25)  # 0.5 is class 1: the threshold is inclusive
        out.append(dict(name=name, y=y.tolist(), score_a=a.tolist(), score_b=b.tolist(), threshold=0.5,
                        **mcnemar_ref(int((right_a & ~right_b).sum()), int((~right_a & right_b).sum()))))
    for B, C in [(3, 0), (0, 0), (5, 5), (1, 11), (30, 12), (400, 460), (2, 3)]:
        out.append(dict(name="counts %d/%d" % (B, C), **mcnemar_ref(B, C)))
    return out


def mcnemar_ref(B, C):
    if B + C == 0:
        return dict(b=B, c=C, statistic=0.0, p=1.0, p_exact=1.0, p_b_worse=1.0, p_b_better=1.0)
    stat = max(abs(B - C) - 1, 0) ** 2 / (B + C)
    return dict(b=B, c=C, statistic=float(stat), p=float(stats.chi2.sf(stat, 1)),
                p_exact=float(stats.binomtest(B, B + C, 0.5).pvalue),
                p_b_worse=float(stats.binomtest(B, B + C, 0.5, alternative="greater").pvalue),
                p_b_better=float(stats.binomtest(C, B + C, 0.5, alternative="greater").pvalue))


def holm_ref(p):
    p = np.asarray(p, float)
    m = len(p)
    order = np.argsort(p, kind="stable")
    adj = np.empty(m)
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p[i]))
        adj[i] = running
    return adj


def holm_cases():
    rng = np.random.default_rng(3)
    cases = [[0.01, 0.04, 0.03, 0.005], [0.5], [0.02, 0.02, 0.02], [0.001, 0.9, 0.04, 0.03, 0.2, 0.0001]]
    cases.append(rng.random(25).tolist())
    cases.append((rng.random(40) ** 4).tolist())
    return [dict(p=list(map(float, c)), adj=holm_ref(c).tolist()) for c in cases]


def psi_ref(ref, cur, bins):
    ref, cur = np.asarray(ref, float), np.asarray(cur, float)
    cuts = np.unique(np.quantile(ref, np.linspace(0, 1, bins + 1)[1:-1]))
    r = np.bincount(np.searchsorted(cuts, ref, side="right"), minlength=len(cuts) + 1) / len(ref)
    c = np.bincount(np.searchsorted(cuts, cur, side="right"), minlength=len(cuts) + 1) / len(cur)
    for s in (r, c):
        nz = s[s != 0].min()
        s[s == 0] = nz / 1e6 if nz <= 0.0001 else 0.0001
    return float(np.sum((r - c) * np.log(r / c)))


def psi_cases():
    rng = np.random.default_rng(11)
    out = []
    ref = rng.normal(size=1000)
    out.append(dict(name="normal vs shifted", ref=ref.tolist(), cur=(rng.normal(size=800) + 0.3).tolist(), bins=10))
    ref = rng.beta(2, 5, size=600)
    out.append(dict(name="beta vs wider beta", ref=ref.tolist(), cur=rng.beta(2, 3, size=700).tolist(), bins=10))
    ref = np.floor(rng.random(500) * 4)
    out.append(dict(name="four levels (repeated cuts)", ref=ref.tolist(), cur=np.floor(rng.random(300) * 5).tolist(), bins=10))
    ref = rng.normal(size=300)
    out.append(dict(name="same sample", ref=ref.tolist(), cur=ref.tolist(), bins=10))
    ref = rng.random(200)
    out.append(dict(name="current outside the reference range", ref=ref.tolist(), cur=(rng.random(150) + 0.9).tolist(), bins=5))
    for c in out:
        c["ref"] = np.round(c["ref"], 6).tolist()
        c["cur"] = np.round(c["cur"], 6).tolist()
        c["psi"] = psi_ref(c["ref"], c["cur"], c["bins"])
    return out


def ece_ref(s, y, bins):
    s, y = np.asarray(s, float), np.asarray(y, float)
    edges = np.arange(bins + 1) / bins
    idx = np.clip(np.searchsorted(edges[1:-1], s, side="right"), 0, bins - 1)
    ece = 0.0
    for b in range(bins):
        sel = idx == b
        if sel.any():
            ece += sel.sum() / len(s) * abs(s[sel].mean() - y[sel].mean())
    return float(ece)


def ece_cases():
    rng = np.random.default_rng(5)
    out = []
    p = rng.random(1000)
    y = (rng.random(1000) < p).astype(float)
    out.append(dict(name="calibrated", scores=p.tolist(), y=y.tolist()))
    y = (rng.random(1000) < p ** 2).astype(float)
    out.append(dict(name="overconfident", scores=p.tolist(), y=y.tolist()))
    s = np.round(rng.random(200), 1)  # values on bin edges
    y = (rng.random(200) < 0.5).astype(float)
    out.append(dict(name="scores on bin edges", scores=s.tolist(), y=y.tolist()))
    for c in out:
        c["scores"] = np.round(c["scores"], 6).tolist()
        c["ece"] = ece_ref(c["scores"], c["y"], 10)
    return out


def multiclass_cases():
    rng = np.random.default_rng(9)
    n, k = 300, 4
    y = rng.integers(0, k, size=n)
    logits = rng.normal(size=(n, k))
    logits[np.arange(n), y] += 1.0
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    p[0] = [1.0, 0.0, 0.0, 0.0]  # clipping
    p[1] = [0.25, 0.25, 0.25, 0.25]  # argmax tie: first
    return dict(classes=k, y=y.astype(float).tolist(), p=p.ravel().tolist(),
                logloss=float(log_loss(y, p, labels=list(range(k)))),
                accuracy=float(accuracy_score(y, p.argmax(axis=1))))


def regression_case():
    rng = np.random.default_rng(13)
    y = rng.normal(size=200) * 3
    p = y + rng.normal(size=200)
    return dict(y=y.tolist(), p=p.tolist(), mae=float(mean_absolute_error(y, p)))


def main():
    out = dict(
        versions=dict(numpy=np.__version__, scipy=__import__("scipy").__version__, sklearn=__import__("sklearn").__version__),
        delong=delong_cases(),
        mcnemar=mcnemar_cases(),
        holm=holm_cases(),
        psi=psi_cases(),
        ece=ece_cases(),
        multiclass=multiclass_cases(),
        regression=regression_case(),
    )
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "reference.json")
    with open(path, "w") as f:
        json.dump(out, f, indent=None, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
