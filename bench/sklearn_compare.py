#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Vigil's autoencoder and isolation forest against scikit-learn's, in one run.

Every input is produced by `vigil` (simulated data, the normalised feature matrices, the
window labels), so both sides train and are scored on identical numbers. Prints training
time ratios measured in this run (the machine is noisy: compare ratios, not seconds),
ROC AUC and F1 side by side, a verdict per pair against the goal, and writes the same as
JSON. Exits 0 whether or not a goal is met (a benchmark, not a test); 1 only when
something fails to run.

Run through bench/run.sh (which checks the Debian packages); needs Debian's python3 with
python3-numpy and python3-sklearn.
"""
import argparse
import hashlib
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
import warnings

import numpy as np
import sklearn
from sklearn.ensemble import IsolationForest
from sklearn.metrics import precision_recall_curve, roc_auc_score
from sklearn.neural_network import MLPRegressor

# The data (brief: 2 h of normal data to train on, a labelled day to test on).
TRAIN_MINUTES = 120
TEST_MINUTES = 1440
RATE = 2
# The rule `vigil train` applies by default (host/vigil/cmd_train.c, tail_threshold).
TAIL_QUANTILE = 0.9
FALSE_ALARMS_PER_DAY = 0.2
# The goal from the issue.
GOAL_RATIO = 4.0
GOAL_F1_SLACK = 0.01
# `vigil train` prints its fit time with %.3f: a reading of X s is anything in
# [X - 0.0005, X + 0.0005).
PRINT_RESOLUTION = 0.0005


def log(msg):
    print(msg, file=sys.stderr, flush=True)


def run(cmd, **kw):
    r = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if r.returncode != 0:
        sys.exit("bench: command failed (exit %d): %s\n%s" % (r.returncode, " ".join(cmd), r.stderr))
    return r


# ---- our side ----------------------------------------------------------------------------

TRAINED_RE = re.compile(r"trained (\S+) on (\d+) windows .* in ([0-9.]+) s")


def train_ours(vigil, kind, train_csv, model, repeats):
    """Run `vigil train` `repeats` times. Returns fit CPU seconds (as printed), whole-command
    wall seconds, the window count, and whether every run wrote the same bytes."""
    fit, wall, digests, n = [], [], set(), None
    for _ in range(repeats):
        cmd = [vigil, "train", "-i", train_csv, "-o", model, "--kind", kind, "--seed", "1"]
        t0 = time.perf_counter()
        r = run(cmd)
        wall.append(time.perf_counter() - t0)
        m = TRAINED_RE.search(r.stderr.replace("\r", "\n"))
        if not m:
            sys.exit("bench: no 'trained ... in X s' line from: %s\n%s" % (" ".join(cmd), r.stderr))
        fit.append(float(m.group(3)))
        n = int(m.group(2))
        with open(model, "rb") as f:
            digests.add(hashlib.sha256(f.read()).hexdigest())
    return fit, wall, n, len(digests) == 1


def model_info(vigil, model):
    js = json.loads(run([vigil, "info", "-m", model, "--json"]).stdout)
    text = run([vigil, "info", "-m", model]).stdout
    return js, text


def ae_shape(info_text, model):
    """Hidden widths and activation from `vigil info`'s 'network:' line, e.g.
    '3 -> 8 relu -> 1 relu -> 8 relu -> 3 linear', and the epochs from the artifact's
    metadata (epochs=N)."""
    m = re.search(r"^network:\s*(.+)$", info_text, re.M)
    if not m:
        sys.exit("bench: no 'network:' line in vigil info output:\n" + info_text)
    parts = [p.split() for p in m.group(1).split("->")]
    hidden = tuple(int(p[0]) for p in parts[1:-1])
    acts = {p[1] for p in parts[1:-1]}
    if len(acts) != 1 or parts[-1][1] != "linear":
        sys.exit("bench: cannot mirror network '%s' in MLPRegressor" % m.group(1))
    with open(model, "rb") as f:
        em = re.search(rb"epochs=(\d+)", f.read())
    epochs = int(em.group(1)) if em else 200
    return hidden, acts.pop(), epochs, m.group(1).strip()


def load_features(path):
    """vigil features CSV: timestamp, feature columns, raw, label."""
    with open(path) as f:
        header = f.readline().strip().split(",")
    d = np.loadtxt(path, delimiter=",", skiprows=1, ndmin=2)
    if header[-2:] != ["raw", "label"]:
        sys.exit("bench: unexpected columns in %s: %s" % (path, header))
    return header[1:-2], d[:, 1:-2], d[:, -2], d[:, -1].astype(int)


# ---- the threshold rule, once, for all four models --------------------------------------

def tail_threshold(train_scores, per_day, cap_at_max):
    """vigil train's default threshold (cmd_train.c tail_threshold and its caller): above u,
    the 90th percentile of the training scores, fit an exponential to the excesses (scale =
    mean excess) and put the threshold where the tail leaves FALSE_ALARMS_PER_DAY per day of
    windows; isolation forests are capped at the highest training score."""
    s = np.asarray(train_scores, dtype=np.float32)
    s = s[~np.isnan(s)]
    m = s.size
    p_exceed = FALSE_ALARMS_PER_DAY / per_day
    u = np.float32(np.quantile(s, TAIL_QUANTILE))
    over = s[s > u]
    k = over.size
    beta = float(np.mean(over.astype(np.float64) - float(u))) if k else 0.0
    if not beta > 0:
        beta = max(1e-6, 1e-3 * abs(float(u)))
    pu = k / m
    if k == 0 or p_exceed >= pu:
        thr = float(np.quantile(s, 1.0 - p_exceed))
    else:
        thr = float(u) + beta * math.log(pu / p_exceed)
    qmax = float(s.max())
    if cap_at_max and thr > qmax:
        thr = qmax
    if not thr > 0:
        thr = qmax if qmax > 0 else 1e-6
    return thr


def quality(test_scores, labels, thr):
    pred = test_scores > thr  # the detector's rule: over when raw > threshold
    tp = int(np.sum(pred & (labels == 1)))
    fp = int(np.sum(pred & (labels == 0)))
    fn = int(np.sum(~pred & (labels == 1)))
    f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
    prec, rec, _ = precision_recall_curve(labels, test_scores)
    with np.errstate(invalid="ignore", divide="ignore"):
        f1s = np.where(prec + rec > 0, 2 * prec * rec / (prec + rec), 0.0)
    return {
        "auc": float(roc_auc_score(labels, test_scores)),
        "threshold": thr,
        "f1": f1,
        "precision": tp / (tp + fp) if tp + fp else 0.0,
        "recall": tp / (tp + fn) if tp + fn else 0.0,
        "best_f1": float(np.max(f1s)),
    }


# ---- scikit-learn side -------------------------------------------------------------------

def time_fits(make, X, y, repeats):
    wall, cpu, est = [], [], None
    for _ in range(repeats):
        est = make()
        c0, t0 = time.process_time(), time.perf_counter()
        if y is None:
            est.fit(X)
        else:
            est.fit(X, y)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return est, wall, cpu


def rms_error(mlp, X):
    return np.sqrt(np.mean((X - mlp.predict(X)) ** 2, axis=1))


# ---- main --------------------------------------------------------------------------------

def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--vigil", required=True, help="path to the vigil binary")
    ap.add_argument("--workdir", required=True, help="scratch directory (BUILD_DIR/bench)")
    ap.add_argument("--json", help="output JSON (default WORKDIR/sklearn_compare.json)")
    ap.add_argument("--repeats", type=int, default=5, help="fits per model; the median counts")
    a = ap.parse_args()
    vigil = os.path.abspath(a.vigil)
    wd = os.path.abspath(a.workdir)
    os.makedirs(wd, exist_ok=True)
    out_json = a.json or os.path.join(wd, "sklearn_compare.json")
    p = lambda name: os.path.join(wd, name)
    t_start = time.perf_counter()

    log("bench: simulating %d min of normal data and a labelled %d min day at %d Hz"
        % (TRAIN_MINUTES, TEST_MINUTES, RATE))
    run([vigil, "simulate", "temperature", "-o", p("train.csv"), "--minutes", str(TRAIN_MINUTES),
         "--rate", str(RATE), "--seed", "1"])
    run([vigil, "simulate", "temperature", "-o", p("test.csv"), "--minutes", str(TEST_MINUTES),
         "--rate", str(RATE), "--seed", "2", "--anomalies", "all"])

    pairs = [
        ("autoencoder", "ae.vgm", "MLPRegressor (autoencoder)"),
        ("iforest", "if.vgm", "IsolationForest"),
    ]
    results = []
    for kind, model_name, sk_name in pairs:
        model = p(model_name)
        log("bench: vigil train --kind %s x%d" % (kind, a.repeats))
        fit, wall, n_windows, deterministic = train_ours(vigil, kind, p("train.csv"), model, a.repeats)
        info, info_text = model_info(vigil, model)
        per_day = 86400.0 * info["sample_rate"] / info["hop"]
        stem = os.path.splitext(model_name)[0]
        run([vigil, "features", "-m", model, "-i", p("train.csv"), "-o", p(stem + "_train_feats.csv"),
             "--stride", "1"])
        run([vigil, "features", "-m", model, "-i", p("test.csv"), "-o", p(stem + "_test_feats.csv")])
        names, Xtr, our_train, _ = load_features(p(stem + "_train_feats.csv"))
        _, Xte, our_test, yte = load_features(p(stem + "_test_feats.csv"))
        if Xtr.shape[0] != n_windows:
            sys.exit("bench: vigil features gave %d training windows, vigil train used %d"
                     % (Xtr.shape[0], n_windows))

        is_if = kind == "iforest"
        if is_if:
            sk_cfg = dict(n_estimators=100, max_samples=256, random_state=1)
            log("bench: sklearn IsolationForest(%s) x%d" % (sk_cfg, a.repeats))
            est, sk_wall, sk_cpu = time_fits(lambda: IsolationForest(**sk_cfg), Xtr, None, a.repeats)
            sk_train, sk_test = -est.score_samples(Xtr), -est.score_samples(Xte)
            shape = "%d trees, subsample %d" % (100, 256)
        else:
            hidden, act, epochs, net = ae_shape(info_text, model)
            # alpha=0: ours has no L2 penalty; tol=0 and a huge n_iter_no_change: every epoch
            # runs, as ours does (no early stop by default).
            sk_cfg = dict(hidden_layer_sizes=hidden, activation=act, solver="adam", alpha=0.0,
                          batch_size=32, learning_rate_init=1e-3, max_iter=epochs, tol=0.0,
                          n_iter_no_change=10**9, shuffle=True, random_state=1)
            log("bench: sklearn MLPRegressor(%s) x%d (the slow part, ~20 s per fit)"
                % (sk_cfg, a.repeats))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # ConvergenceWarning after max_iter epochs
                est, sk_wall, sk_cpu = time_fits(lambda: MLPRegressor(**sk_cfg), Xtr, Xtr, a.repeats)
            if est.n_iter_ != epochs:
                sys.exit("bench: MLPRegressor ran %d epochs, not %d" % (est.n_iter_, epochs))
            sk_train, sk_test = rms_error(est, Xtr), rms_error(est, Xte)
            shape = "%s, %d epochs" % (net, epochs)

        our_thr = tail_threshold(our_train, per_day, is_if)
        sk_thr = tail_threshold(sk_train, per_day, is_if)
        thr_err = abs(our_thr - info["threshold"]) / info["threshold"]
        ours_q = quality(our_test, yte, our_thr)
        sk_q = quality(sk_test, yte, sk_thr)

        our_fit = statistics.median(fit)
        our_wall = statistics.median(wall)
        sk_fit = statistics.median(sk_wall)
        ratio = sk_fit / our_fit if our_fit > 0 else None  # a 0.000 s reading
        sk_cpu_fit = statistics.median(sk_cpu)
        # Ours is CPU time (clock()); sklearn's wall time also counts time this process
        # waited on a busy machine. The verdict uses the lower of wall and CPU, with ours
        # at the top of its 1 ms reading.
        ratio_cpu = sk_cpu_fit / our_fit if our_fit > 0 else None
        ratio_low = min(sk_fit, sk_cpu_fit) / (our_fit + PRINT_RESOLUTION)
        ratio_wall = sk_fit / our_wall
        met_time = ratio_low >= GOAL_RATIO
        met_f1 = ours_q["f1"] >= sk_q["f1"] - GOAL_F1_SLACK
        results.append({
            "pair": kind,
            "ours": {
                "kind": kind, "shape": shape, "fit_s_runs": fit, "fit_s": our_fit,
                "command_wall_s_runs": wall, "command_wall_s": our_wall,
                "deterministic": deterministic, "threshold_vigil_info": info["threshold"],
                "threshold_rule_check_rel_err": thr_err, **ours_q,
            },
            "sklearn": {
                "estimator": sk_name, "params": sk_cfg, "fit_s_runs": sk_wall, "fit_s": sk_fit,
                "fit_cpu_s_runs": sk_cpu, "fit_cpu_s": sk_cpu_fit, **sk_q,
            },
            "ratio_fit": ratio,
            "ratio_fit_cpu": ratio_cpu,
            "ratio_fit_lower_bound": ratio_low,
            "ratio_vs_our_command_wall": ratio_wall,
            "goal": {"ratio_at_least": GOAL_RATIO, "f1_slack": GOAL_F1_SLACK,
                     "time_met": met_time, "f1_met": met_f1, "met": met_time and met_f1},
        })

    data = {
        "train_windows": n_windows,
        "test_windows": int(yte.size), "test_anomalous_windows": int(yte.sum()),
        "features": names, "windows_per_day": per_day,
        "threshold_rule": "exponential tail above the 90th percentile of training scores, "
                          "extrapolated to %g false alarms/day; iforest capped at the highest "
                          "training score" % FALSE_ALARMS_PER_DAY,
        "repeats": a.repeats, "sklearn_version": sklearn.__version__,
        "numpy_version": np.__version__, "cpu_count": os.cpu_count(),
        "bench_wall_s": time.perf_counter() - t_start, "pairs": results,
    }
    with open(out_json, "w") as f:
        json.dump(data, f, indent=2)

    # ---- report --------------------------------------------------------------------------
    print("Vigil vs scikit-learn %s: %d training windows (%s), %d test windows (%d anomalous),"
          % (sklearn.__version__, data["train_windows"], ", ".join(names), data["test_windows"],
             data["test_anomalous_windows"]))
    print("fit times are medians of %d runs in this run; ratio = sklearn / ours" % a.repeats)
    hdr = ("pair", "our fit", "sk fit", "ratio", "our AUC", "sk AUC", "our F1", "sk F1",
           "our bestF1", "sk bestF1")
    fmt = "%-12s %9s %9s %8s %8s %8s %7s %7s %10s %9s"
    print(fmt % hdr)
    for r in results:
        o, s = r["ours"], r["sklearn"]
        print(fmt % (r["pair"], "%.3f s" % o["fit_s"], "%.3f s" % s["fit_s"],
                     "%.0fx" % r["ratio_fit"] if r["ratio_fit"] else "n/a",
                     "%.4f" % o["auc"], "%.4f" % s["auc"], "%.3f" % o["f1"], "%.3f" % s["f1"],
                     "%.3f" % o["best_f1"], "%.3f" % s["best_f1"]))
    for r in results:
        o, g = r["ours"], r["goal"]
        print("%s: sklearn fit CPU %.3f s (CPU ratio %s); whole `vigil train` command %.3f s "
              "(sklearn fit / that = %.1fx); threshold rule reproduces vigil's %.6g to %.2g%%%s"
              % (r["pair"], r["sklearn"]["fit_cpu_s"],
                 "%.0fx" % r["ratio_fit_cpu"] if r["ratio_fit_cpu"] else "n/a",
                 o["command_wall_s"], r["ratio_vs_our_command_wall"],
                 o["threshold_vigil_info"], 100 * o["threshold_rule_check_rel_err"],
                 "" if o["deterministic"] else "; WARNING: runs wrote different models"))
    for r in results:
        g, o, s = r["goal"], r["ours"], r["sklearn"]
        why = []
        if not g["time_met"]:
            why.append("fit ratio %.1fx < %gx" % (r["ratio_fit_lower_bound"], GOAL_RATIO))
        if not g["f1_met"]:
            why.append("F1 %.3f < sklearn %.3f - %g" % (o["f1"], s["f1"], GOAL_F1_SLACK))
        print("VERDICT %-12s %s (goal: ratio >= %g [checked: lower of wall/CPU, ours +0.5 ms: %.1fx], "
              "our F1 >= sk F1 - %g)%s"
              % (r["pair"], "MET" if g["met"] else "MISSED", GOAL_RATIO, r["ratio_fit_lower_bound"],
                 GOAL_F1_SLACK, "" if g["met"] else ": " + "; ".join(why)))
    for r in results:
        if r["ours"]["threshold_rule_check_rel_err"] > 0.01:
            print("WARNING: %s threshold rule differs from vigil's by %.2f%%"
                  % (r["pair"], 100 * r["ours"]["threshold_rule_check_rel_err"]))
    print("JSON: %s (%.0f s)" % (out_json, data["bench_wall_s"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
