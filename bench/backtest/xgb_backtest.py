#!/usr/bin/python3
"""Peer for freshet's policy backtester: replay retraining policies with XGBoost, prequentially.

The first --init-frac of the rows train the first model. The rest is cut into batches of --batch
rows (a last partial batch is kept only if it has at least half a batch). For each batch in order:
score it with the current model (so no batch is scored by a model that saw its labels), reveal
its labels, then let the policy decide whether to retrain. A full retrain fits XGBoost from scratch
on the newest --window labeled rows. The initial fit is shared by all policies and is not counted
in retrains, CPU or rows x rounds. CPU is time.process_time() around each fit only (all threads),
so it includes libgomp's spin-waiting between parallel regions, which grows with machine load:
OMP_WAIT_POLICY=passive roughly halves every_1's CPU here but not that of small warm-start fits.

  /usr/bin/python3 bench/backtest/xgb_backtest.py --data demo/elec2.csv.gz --label label \
      --drop ts,date --batch 336 [--json]
"""
import argparse, csv, gzip, json, os, time

import numpy as np
import xgboost as xgb
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import roc_auc_score
from sklearn.preprocessing import StandardScaler


def load(path, label, drop):
    """Numeric columns except label and drop become features; non-numeric ones are skipped."""
    with (gzip.open if path.endswith(".gz") else open)(path, "rt", newline="") as f:
        rows = list(csv.reader(f))
    head, body = rows[0], rows[1:]
    cols = {}
    for i, name in enumerate(head):
        try:
            cols[name] = np.array([float(r[i]) if r[i] != "" else np.nan for r in body])
        except ValueError:
            pass  # e.g. a timestamp string
    feats = [c for c in cols if c != label and c not in drop]
    return np.column_stack([cols[c] for c in feats]), cols[label].astype(int), feats


def policies():
    """name -> (kind, decide(batch_index, batch_error, state) -> 'full' | 'warm' | None)."""
    ps = {"never": ("xgb", lambda i, err, st: None)}
    for k in (1, 2, 4, 6, 8, 12):
        ps[f"every_{k}"] = ("xgb", lambda i, err, st, k=k: "full" if (i + 1) % k == 0 else None)

    def error_trigger(i, err, st):
        if st.get("base") is None:  # first batch scored since the last (re)train
            st["base"] = err
            return None
        if err > st["base"] + 0.05:
            st["base"] = None
            return "full"
        return None

    ps["error_trigger"] = ("xgb", error_trigger)
    ps["full8_warm5"] = ("xgb", lambda i, err, st: "full" if (i + 1) % 8 == 0 else "warm")
    ps["online_logreg"] = ("sgd", None)
    return ps


def run(name, kind, decide, X, y, n_init, batches, a):
    params = {"objective": "binary:logistic", "max_depth": a.depth, "eta": 0.1,
              "tree_method": "hist", "nthread": 2, "verbosity": 0}
    out = dict(name=name, retrains=0, updates=0, train_cpu_seconds=0.0, rows_x_rounds=0)

    def fit(lo, hi, rounds, model=None):  # train on rows [lo, hi); timed and counted
        d = xgb.DMatrix(X[lo:hi], label=y[lo:hi])
        t = time.process_time()
        m = xgb.train(params, d, num_boost_round=rounds, xgb_model=model)
        out["train_cpu_seconds"] += time.process_time() - t
        out["rows_x_rounds"] += (hi - lo) * rounds
        return m

    if kind == "sgd":
        scaler = StandardScaler().fit(X[:n_init])
        model = SGDClassifier(loss="log_loss", random_state=0)
        model.partial_fit(scaler.transform(X[:n_init]), y[:n_init], classes=[0, 1])
        score = lambda lo, hi: model.predict_proba(scaler.transform(X[lo:hi]))[:, 1]
    else:
        model = fit(0, n_init, a.rounds)
        score = lambda lo, hi: model.predict(xgb.DMatrix(X[lo:hi]))
    out.update(train_cpu_seconds=0.0, rows_x_rounds=0)  # the shared initial fit is not counted

    accs, aucs, state = [], [], {}
    for i, (lo, hi) in enumerate(batches):
        p = score(lo, hi)  # prequential: labels of [lo, hi) are not yet seen
        acc = float(np.mean((p >= 0.5) == y[lo:hi]))
        accs.append(acc)
        if len(np.unique(y[lo:hi])) == 2:
            aucs.append(roc_auc_score(y[lo:hi], p))
        if i == len(batches) - 1:
            break  # as freshet: no update after the last batch, it would serve nothing
        # labels of [lo, hi) are now revealed: history is rows [0, hi)
        if kind == "sgd":
            t = time.process_time()
            model.partial_fit(scaler.transform(X[lo:hi]), y[lo:hi])
            out["train_cpu_seconds"] += time.process_time() - t
            out["updates"] += 1
            out["rows_x_rounds"] += hi - lo  # one pass
            continue
        action = decide(i, 1 - acc, state)
        if action == "full":
            model = fit(max(0, hi - a.window), hi, a.rounds)
            out["retrains"] += 1
        elif action == "warm":
            model = fit(lo, hi, 5, model)
            out["updates"] += 1
    out.update(mean_accuracy=float(np.mean(accs)), mean_auc=float(np.mean(aucs)))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data", required=True)
    ap.add_argument("--label", required=True)
    ap.add_argument("--drop", default="", help="comma-separated columns not to use as features")
    ap.add_argument("--batch", type=int, default=336)
    ap.add_argument("--init-frac", type=float, default=0.1)
    ap.add_argument("--window", type=int, default=4704)
    ap.add_argument("--rounds", type=int, default=50)
    ap.add_argument("--depth", type=int, default=6)
    ap.add_argument("--json", action="store_true")
    a = ap.parse_args()

    X, y, feats = load(a.data, a.label, set(filter(None, a.drop.split(","))))
    n_init = int(len(y) * a.init_frac + 0.5)  # rounded half up, as Go's math.Round
    batches = [(lo, min(lo + a.batch, len(y))) for lo in range(n_init, len(y), a.batch)]
    if batches and batches[-1][1] - batches[-1][0] < a.batch / 2:
        batches.pop()
    start = time.time()
    results = [run(name, kind, decide, X, y, n_init, batches, a)
               for name, (kind, decide) in policies().items()]
    wall = time.time() - start

    if a.json:
        keys = ["name", "mean_accuracy", "mean_auc", "retrains", "updates",
                "train_cpu_seconds", "rows_x_rounds"]
        for r in results:
            print(json.dumps({k: r[k] for k in keys}))
        return
    print(f"{a.data}: {len(y)} rows x {len(feats)} features ({', '.join(feats)}); "
          f"init {n_init} rows, {len(batches)} batches of {a.batch} "
          f"(last {batches[-1][1] - batches[-1][0]}), window {a.window}, "
          f"XGBoost {xgb.__version__} {a.rounds} rounds depth {a.depth}, "
          f"OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY', '(unset)')}; wall {wall:.1f} s")
    base = next(r["train_cpu_seconds"] for r in results if r["name"] == "every_1")
    print(f"{'policy':<14} {'mean_acc':>8} {'mean_auc':>8} {'full':>5} {'cheap':>5} "
          f"{'cpu_s':>7} {'cpu%':>6} {'rows_x_rounds':>13}")
    for r in results:
        print(f"{r['name']:<14} {r['mean_accuracy']:>8.4f} {r['mean_auc']:>8.4f} "
              f"{r['retrains']:>5} {r['updates']:>5} {r['train_cpu_seconds']:>7.2f} "
              f"{100 * r['train_cpu_seconds'] / base:>5.1f}% {r['rows_x_rounds']:>13,}")


if __name__ == "__main__":
    main()
