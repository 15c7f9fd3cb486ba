#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Upper bound on normal-vs-disturbed snippet accuracy set by class 5 (impulsive transient).

An oracle classifier that knows every snippet's sine exactly (amplitude, frequency, phase)
sees, after subtracting it, either white noise (class 1) or the 1 ms impulse of class 5 plus
white noise. With the impulse's shape known and its start and amplitude drawn from the
generator's own priors, the Bayes-optimal test between the two is the likelihood ratio
    L(r) = E_{start, psi} exp((psi <s_start, r> - psi^2 |s|^2 / 2) / sigma^2),
and no classifier can beat its error. Every other class is assumed perfectly separable, so
    accuracy <= 1 - (2 / 29) * BayesError(class 1 vs class 5)
on a data set with the same number of snippets per class (equal priors for 1 and 5).
The generator's definitions are those of host/vigil/sim_power.c (docs/power-simulation.md):
start U(1, n-1) cycles rounded to a sample, gate round(1 ms * fs) samples, value
-psi (e^{-750 x} - e^{-344 x}) at x = j / fs from the gate start, psi ~ U(0.222, 1.11),
noise sigma = sqrt(P / 10^(snr/10)) with P the snippet's power (0.5 for a unit sine).

Usage: pq_impulse_bound.py [--fs 6400] [--f0 50] [--cycles 10] [--snr 20] [--trials 20000]
"""
import argparse
import numpy as np


def bound(fs, f0, cycles, snr_db, trials, seed):
    rng = np.random.default_rng(seed)
    spc = fs / f0
    P = int(round(spc * cycles))
    gate = int(round(0.001 * fs))
    x = np.arange(gate) / fs
    shape = -(np.exp(-750.0 * x) - np.exp(-344.0 * x))  # per unit psi
    energy = float(shape @ shape)
    sigma = np.sqrt(0.5 / 10.0 ** (snr_db / 10.0))
    lo, hi = int(round(1.0 * spc)), int(round((cycles - 1) * spc))
    starts = np.arange(lo, min(hi, P - gate) + 1)
    psis = np.linspace(0.222, 1.11, 64)  # the psi prior, integrated on a grid

    def log_lr(r):
        c = np.correlate(r, shape, mode="valid")[starts]  # <s_start, r> for every start
        e = (np.outer(psis, c) - 0.5 * psis[:, None] ** 2 * energy) / sigma**2
        m = e.max()
        return m + np.log(np.mean(np.exp(e - m)))

    wrong_normal = wrong_impulse = 0
    for _ in range(trials):
        r = sigma * rng.standard_normal(P)
        wrong_normal += log_lr(r) > 0.0
        r = sigma * rng.standard_normal(P)
        k = rng.integers(lo, hi + 1)
        g = min(gate, P - k)
        r[k:k + g] += rng.uniform(0.222, 1.11) * shape[:g]
        wrong_impulse += log_lr(r) <= 0.0
    err = 0.5 * (wrong_normal + wrong_impulse) / trials
    return err, wrong_normal / trials, wrong_impulse / trials, energy, sigma


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fs", type=float, nargs="+", default=[6400.0])
    ap.add_argument("--f0", type=float, default=50.0)
    ap.add_argument("--cycles", type=int, default=10)
    ap.add_argument("--snr", type=float, nargs="+", default=[20.0])
    ap.add_argument("--trials", type=int, default=20000)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    print("fs_hz,snr_db,bayes_error_1v5,normal_called_impulse,impulse_missed,"
          "accuracy_bound_29_classes")
    for fs in a.fs:
        for snr in a.snr:
            err, fa, miss, _, _ = bound(fs, a.f0, a.cycles, snr, a.trials, a.seed)
            print(f"{fs:g},{snr:g},{err:.4f},{fa:.4f},{miss:.4f},{1.0 - 2.0 / 29.0 * err:.4f}")


if __name__ == "__main__":
    main()
