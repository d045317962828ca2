#!/usr/bin/python3
"""Reference values for ml/decay, from Debian's Python 3.11 / scipy 1.10.
Run with /usr/bin/python3 from the repo root:

    /usr/bin/python3 bench/decay/make_refs.py

River is not installed here (PyPI is unreachable), so this script carries a
line-by-line transcription of River 0.21's detectors (river/drift/adwin.py +
adwin_c.pyx, page_hinkley.py, binary/ddm.py, kswin.py). It first checks that
the transcription prints the change points of River's docstring examples,
then records the detections on a few more streams, which the Go ports must
reproduce index for index. The docstring streams use Python's `random`
(Mersenne Twister + choices), so they are stored rather than regenerated.

Welch's t-test references come from scipy.stats.ttest_ind(equal_var=False).
"""
import collections
import itertools
import json
import math
import os
import random

import numpy as np
import scipy
from scipy import stats

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
OUT = os.path.join(ROOT, "ml", "decay", "testdata")


# ---------------------------------------------------------------- River ports


class Mean:
    """river.stats.Mean."""

    def __init__(self):
        self.n = 0
        self.mean = 0.0

    def update(self, x, w=1.0):
        self.n += w
        self.mean += (w / self.n) * (x - self.mean)


class Bucket:
    def __init__(self, max_size):
        self.current_idx = 0
        self.total = [0.0] * (max_size + 1)
        self.variance = [0.0] * (max_size + 1)

    def insert_data(self, value, variance):
        self.total[self.current_idx] = value
        self.variance[self.current_idx] = variance
        self.current_idx += 1

    def compress(self, n):
        L = len(self.total)
        for i in range(n, L):
            self.total[i - n] = self.total[i]
            self.variance[i - n] = self.variance[i]
        for i in range(L - n, L):
            self.total[i] = 0.0
            self.variance[i] = 0.0
        self.current_idx -= n


class AdaptiveWindowing:
    """river/drift/adwin_c.pyx, in plain Python."""

    def __init__(self, delta=0.002, clock=32, max_buckets=5, min_window_length=5, grace_period=10):
        self.delta = delta
        self.buckets = collections.deque([Bucket(max_buckets)])
        self.total = 0.0
        self.variance = 0.0
        self.width = 0.0
        self.n_buckets = 0
        self.grace_period = grace_period
        self.tick = 0
        self.clock = clock
        self.min_window_length = min_window_length
        self.max_buckets = max_buckets

    def update(self, value):
        self._insert_element(float(value), 0.0)
        return self._detect_change()

    def _insert_element(self, value, variance):
        self.buckets[0].insert_data(value, variance)
        self.n_buckets += 1
        self.width += 1
        inc = 0.0
        if self.width > 1.0:
            inc = (self.width - 1.0) * (value - self.total / (self.width - 1.0)) * (value - self.total / (self.width - 1.0)) / self.width
        self.variance += inc
        self.total += value
        self._compress_buckets()

    def _delete_element(self):
        bucket = self.buckets[-1]
        n = math.pow(2, len(self.buckets) - 1)
        u = bucket.total[0]
        mu = u / n
        v = bucket.variance[0]
        self.width -= n
        self.total -= u
        mu_window = self.total / self.width
        inc = v + n * self.width * (mu - mu_window) * (mu - mu_window) / (n + self.width)
        self.variance -= inc
        bucket.compress(1)
        self.n_buckets -= 1
        if bucket.current_idx == 0:
            self.buckets.pop()
        return n

    def _compress_buckets(self):
        bucket = self.buckets[0]
        idx = 0
        while bucket is not None:
            if bucket.current_idx == self.max_buckets + 1:
                try:
                    nxt = self.buckets[idx + 1]
                except IndexError:
                    self.buckets.append(Bucket(self.max_buckets))
                    nxt = self.buckets[-1]
                n1 = math.pow(2, idx)
                n2 = math.pow(2, idx)
                mu1 = bucket.total[0] / n1
                mu2 = bucket.total[1] / n2
                total12 = bucket.total[0] + bucket.total[1]
                temp = n1 * n2 * (mu1 - mu2) * (mu1 - mu2) / (n1 + n2)
                v12 = bucket.variance[0] + bucket.variance[1] + temp
                nxt.insert_data(total12, v12)
                self.n_buckets += 1
                bucket.compress(2)
                if nxt.current_idx <= self.max_buckets:
                    break
            else:
                break
            try:
                bucket = self.buckets[idx + 1]
            except IndexError:
                bucket = None
            idx += 1

    def _detect_change(self):
        change = False
        self.tick += 1
        if self.tick % self.clock == 0 and self.width > self.grace_period:
            reduce_width = True
            while reduce_width:
                reduce_width = False
                exit_flag = False
                n0, n1 = 0.0, self.width
                u0, u1 = 0.0, self.total
                for idx in range(len(self.buckets) - 1, -1, -1):
                    if exit_flag:
                        break
                    bucket = self.buckets[idx]
                    for k in range(bucket.current_idx - 1):
                        n0 += math.pow(2, idx)
                        n1 -= math.pow(2, idx)
                        u0 += bucket.total[k]
                        u1 -= bucket.total[k]
                        if idx == 0 and k == bucket.current_idx - 1:
                            exit_flag = True
                            break
                        delta_mean = (u0 / n0) - (u1 / n1)
                        if n1 >= self.min_window_length and n0 >= self.min_window_length and self._evaluate_cut(n0, n1, delta_mean):
                            reduce_width = True
                            change = True
                            if self.width > 0:
                                n0 -= self._delete_element()
                                exit_flag = True
                                break
        return change

    def _evaluate_cut(self, n0, n1, delta_mean):
        delta_prime = math.log(2 * math.log(self.width) / self.delta)
        m_recip = (1.0 / (n0 - self.min_window_length + 1)) + (1.0 / (n1 - self.min_window_length + 1))
        epsilon = math.sqrt(2 * m_recip * (self.variance / self.width) * delta_prime) + 2 / 3 * delta_prime * m_recip
        return abs(delta_mean) > epsilon


class ADWIN:
    def __init__(self, **kw):
        self.kw = kw
        self._reset()

    def _reset(self):
        self.drift_detected = False
        self.helper = AdaptiveWindowing(**self.kw)

    def update(self, x):
        if self.drift_detected:
            self._reset()
        self.drift_detected = self.helper.update(x)


class PageHinkley:
    def __init__(self, min_instances=30, delta=0.005, threshold=50.0, alpha=1 - 0.0001, mode="both"):
        self.min_instances, self.delta, self.threshold, self.alpha, self.mode = min_instances, delta, threshold, alpha, mode
        self._reset()

    def _reset(self):
        self.drift_detected = False
        self.x_mean = Mean()
        self.sum_inc = 0.0
        self.sum_dec = 0.0
        self.min_inc = float("inf")
        self.max_dec = -1

    def update(self, x):
        if self.drift_detected:
            self._reset()
        self.x_mean.update(x)
        dev = x - self.x_mean.mean
        self.sum_inc = self.alpha * self.sum_inc + dev - self.delta
        self.sum_dec = self.alpha * self.sum_dec + dev + self.delta
        if self.sum_inc < self.min_inc:
            self.min_inc = self.sum_inc
        if self.sum_dec > self.max_dec:
            self.max_dec = self.sum_dec
        if self.x_mean.n >= self.min_instances:
            ti = self.sum_inc - self.min_inc
            td = self.max_dec - self.sum_dec
            if self.mode == "up":
                self.drift_detected = ti > self.threshold
            elif self.mode == "down":
                self.drift_detected = td > self.threshold
            else:
                self.drift_detected = ti > self.threshold or td > self.threshold


class DDM:
    def __init__(self, warm_start=30, warning_threshold=2.0, drift_threshold=3.0):
        self.warm_start, self.warning_threshold, self.drift_threshold = warm_start, warning_threshold, drift_threshold
        self._reset()

    def _reset(self):
        self.drift_detected = False
        self.warning_detected = False
        self.p = Mean()
        self.p_min = None
        self.s_min = None
        self.ps_min = float("inf")

    def update(self, x):
        if self.drift_detected:
            self._reset()
        self.p.update(x)
        p_i = self.p.mean
        n = self.p.n
        s_i = math.sqrt(p_i * (1 - p_i) / n)
        if n > self.warm_start:
            if p_i + s_i <= self.ps_min:
                self.p_min = p_i
                self.s_min = s_i
                self.ps_min = self.p_min + self.s_min
            self.warning_detected = p_i + s_i > self.p_min + self.warning_threshold * self.s_min
            if p_i + s_i > self.p_min + self.drift_threshold * self.s_min:
                self.drift_detected = True
                self.warning_detected = False


class KSWIN:
    def __init__(self, alpha=0.005, window_size=100, stat_size=30, seed=None):
        self.alpha, self.window_size, self.stat_size, self.seed = alpha, window_size, stat_size, seed
        self._reset()

    def _reset(self):
        self.drift_detected = False
        self.p_value = 0
        self.n = 0
        self.window = collections.deque(maxlen=self.window_size)
        self._rng = random.Random(self.seed)

    def update(self, x):
        if self.drift_detected:
            self._reset()
        self.n += 1
        self.window.append(x)
        if len(self.window) >= self.window_size:
            rnd_window = [self.window[r] for r in self._rng.sample(range(self.window_size - self.stat_size), self.stat_size)]
            most_recent = list(itertools.islice(self.window, self.window_size - self.stat_size, self.window_size))
            st, self.p_value = stats.ks_2samp(rnd_window, most_recent, method="auto")
            if self.p_value <= self.alpha and st > 0.1:
                self.drift_detected = True
                self.window = collections.deque(most_recent, maxlen=self.window_size)
            else:
                self.drift_detected = False
        else:
            self.drift_detected = False


def run(det, stream, warn=False):
    drifts, warnings = [], []
    for i, x in enumerate(stream):
        det.update(x)
        if det.drift_detected:
            drifts.append(i)
        if warn and det.warning_detected:
            warnings.append(i)
    return drifts, warnings


# ---------------------------------------------------------------- streams


def docstring_streams():
    rng = random.Random(12345)
    two = rng.choices([0, 1], k=1000) + rng.choices(range(4, 8), k=1000)
    rng = random.Random(42)
    ddm = rng.choices([0, 1], k=1000)
    ddm = ddm + rng.choices([0, 1], k=1000, weights=[0.3, 0.7])
    return two, ddm


def extra_streams():
    rng = random.Random(2024)
    gauss = [rng.gauss(0, 1) for _ in range(800)] + [rng.gauss(1.5, 1) for _ in range(800)] + [rng.gauss(-1, 2) for _ in range(800)]
    errs = [1 if rng.random() < 0.1 else 0 for _ in range(1500)] + [1 if rng.random() < 0.3 else 0 for _ in range(1500)]
    return {"gauss": gauss, "errors": errs}


def main():
    os.makedirs(OUT, exist_ok=True)
    two, ddm_stream = docstring_streams()

    # River's documented outputs.
    d, _ = run(ADWIN(), two)
    assert d == [1023] and two[1023] == 4, d
    d, _ = run(PageHinkley(), two)
    assert d == [1006] and two[1006] == 5, d
    d, _ = run(KSWIN(alpha=0.0001, seed=42), two)
    assert d == [1016] and two[1016] == 6, d
    det = DDM()
    warn_first, drifts, print_warning = [], [], True
    for i, x in enumerate(ddm_stream):
        det.update(x)
        if det.warning_detected and print_warning:
            warn_first.append(i)
            print_warning = False
        if det.drift_detected:
            drifts.append(i)
            print_warning = True
    assert warn_first == [1084, 1492] and drifts == [1334], (warn_first, drifts)

    extra = extra_streams()
    cases = []

    def add(name, stream, detector, params, make, warn=False):
        dr, wa = run(make(), stream, warn)
        cases.append({"stream": name, "detector": detector, "params": params, "drifts": dr, "warnings": wa if warn else None})

    for name, s in [("two", two), ("gauss", extra["gauss"])]:
        add(name, s, "adwin", {}, ADWIN)
        add(name, s, "adwin", {"clock": 1, "delta": 0.01}, lambda: ADWIN(clock=1, delta=0.01))
        add(name, s, "page_hinkley", {}, PageHinkley)
        add(name, s, "page_hinkley", {"threshold": 10, "mode": "up"}, lambda: PageHinkley(threshold=10, mode="up"))
        add(name, s, "page_hinkley", {"threshold": 10, "mode": "down"}, lambda: PageHinkley(threshold=10, mode="down"))
        add(name, s, "kswin", {"alpha": 0.0001, "seed": 42}, lambda: KSWIN(alpha=0.0001, seed=42))
        add(name, s, "kswin", {"seed": 7}, lambda: KSWIN(seed=7))
        add(name, s, "kswin", {"seed": 123456789012, "window_size": 60, "stat_size": 20}, lambda: KSWIN(seed=123456789012, window_size=60, stat_size=20))
    for name, s in [("ddm", ddm_stream), ("errors", extra["errors"])]:
        add(name, s, "ddm", {}, DDM, warn=True)
        add(name, s, "adwin", {}, ADWIN)
        add(name, s, "page_hinkley", {"threshold": 5}, lambda: PageHinkley(threshold=5))

    # Python's random.Random(seed).sample(range(n), k), for the Go MT19937 port.
    samples = []
    for seed, n, k, draws in [(42, 70, 30, 3), (0, 70, 30, 2), (7, 40, 20, 2), (2**40 + 5, 10, 3, 4), (-5, 70, 30, 1), (99, 1000, 10, 3)]:
        r = random.Random(seed)
        samples.append({"seed": seed, "n": n, "k": k, "draws": [r.sample(range(n), k) for _ in range(draws)]})

    with open(os.path.join(OUT, "detectors.json"), "w") as f:
        json.dump({
            "generator": "bench/decay/make_refs.py (Python %s, scipy %s)" % (os.sys.version.split()[0], scipy.__version__),
            "streams": {"two": two, "ddm": ddm_stream, "gauss": extra["gauss"], "errors": extra["errors"]},
            "cases": cases,
            "samples": samples,
        }, f, separators=(",", ":"))
        f.write("\n")

    # Welch's t-test.
    rs = np.random.RandomState(5)
    tcases = []
    specs = [
        ("small", rs.normal(0, 1, 5), rs.normal(0.5, 2, 7)),
        ("equal_n", rs.normal(1, 1, 20), rs.normal(1.2, 1, 20)),
        ("unequal_var", rs.normal(0, 0.1, 50), rs.normal(0.05, 3, 12)),
        ("large_shift", rs.normal(0, 1, 200), rs.normal(1.5, 1.3, 150)),
        ("tiny_p", rs.normal(0, 1, 400), rs.normal(0.8, 1, 400)),
        ("two_each", np.array([1.0, 2.0]), np.array([3.0, 5.0])),
        ("losses", rs.exponential(0.3, 300), rs.exponential(0.35, 250)),
        ("negative_t", rs.normal(2, 1, 30), rs.normal(0, 1, 40)),
    ]
    for name, a, b in specs:
        r = stats.ttest_ind(a, b, equal_var=False)
        va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
        df = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1))
        g = stats.ttest_ind(a, b, equal_var=False, alternative="greater")
        tcases.append({"name": name, "a": a.tolist(), "b": b.tolist(), "t": float(r.statistic), "p": float(r.pvalue), "p_greater": float(g.pvalue), "df": float(df)})
    # Student t survival function at a few points (scipy.stats.t.sf).
    tsf = []
    for df in [1, 2.5, 5, 30, 1000, 1e6]:
        for t in [0.0, 0.5, 1.96, 4.0, 12.0, -2.0]:
            tsf.append({"t": t, "df": df, "sf": float(stats.t.sf(t, df))})
    with open(os.path.join(OUT, "ttest.json"), "w") as f:
        json.dump({"generator": "bench/decay/make_refs.py (scipy %s)" % scipy.__version__, "cases": tcases, "t_sf": tsf}, f, separators=(",", ":"))
        f.write("\n")
    print("ok: River docstring examples reproduced; wrote", OUT)


if __name__ == "__main__":
    main()
