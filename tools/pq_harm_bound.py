#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Lower bound on the errors between a sag (swell) and a sag (swell) with harmonics.

Class 15 is s + gu H inside the sag's gate (gu = -alpha, H = s + a3 sin(3wt - th3) +
a5 sin(5wt - th5)); class 2 is s (1 + gu). Inside the gate they differ by gu (a3 sin 3 +
a5 sin 5) and nowhere else; classes 16 and 3 (a swell, gu = +beta) likewise. An oracle that
knows the snippet's fundamental, the gate and its depth exactly, and draws the harmonics'
amplitudes and phases from the generator's priors (a3, a5 ~ U(0.05, 0.15), th ~ U(-pi, pi)),
takes the Bayes-optimal decision between the two with the likelihood ratio
    L(r) = E_{a3, a5, th3, th5} exp((<h, r> - |h|^2 / 2) / sigma^2),  h = gu (a3 sin 3 + a5 sin 5) u,
on the residual r after removing s (1 + gu u). <h, r> and |h|^2 are exact over the gate: four
projections and their 4 x 4 Gram matrix, the prior integrated on a grid. Its error, with
equal priors for the two classes, is a floor for any classifier on these snippets: a shallow
or short sag leaves harmonics of alpha * a_k, a few hundredths of a pu, in noise of sd 0.071 pu
at 20 dB. The generator's definitions are those of host/vigil/sim_power.c (docs/power-simulation.md):
gate U(1, n-1) cycles rounded to a sample, anywhere; alpha ~ U(0.1, 0.9), beta ~ U(0.1, 0.8);
noise sigma = sqrt(P / 10^(snr/10)) with P the class-2 (3) snippet's power (class 15's own
power differs by at most 2 %, which the oracle does not use).

Usage: pq_harm_bound.py [--fs 6400 16000] [--f0 50] [--cycles 10] [--snr 20] [--trials 4000]
"""
import argparse
import numpy as np


def bound(fs, f0, cycles, snr_db, trials, seed, swell):
    rng = np.random.default_rng(seed)
    spc = fs / f0
    P = int(round(spc * cycles))
    n = np.arange(P)
    w = 2.0 * np.pi * f0 / fs
    # the prior on a grid: amplitudes (midpoints of 6 bins) x phases (24)
    a = 0.05 + 0.1 * (np.arange(6) + 0.5) / 6
    th = 2.0 * np.pi * np.arange(24) / 24
    A3, T3, A5, T5 = np.meshgrid(a, th, a, th, indexing="ij")
    W = np.stack([A3 * np.cos(T3), -A3 * np.sin(T3), A5 * np.cos(T5), -A5 * np.sin(T5)],
                 axis=-1).reshape(-1, 4)
    wrong = [0, 0]
    for _ in range(trials):
        depth = rng.uniform(0.1, 0.8) if swell else -rng.uniform(0.1, 0.9)
        L = min(P, int(round(rng.uniform(1.0, cycles - 1.0) * spc)))
        g0 = rng.integers(0, P - L + 1)
        gate = np.zeros(P)
        gate[g0:g0 + L] = 1.0
        phi = rng.uniform(-np.pi, np.pi)
        s = np.sin(w * n - phi)
        sigma = np.sqrt(np.mean((s * (1.0 + depth * gate)) ** 2) / 10.0 ** (snr_db / 10.0))
        # basis of h over the gate: gu sin(3wt - th) = gu (cos th sin 3wt - sin th cos 3wt)
        B = depth * gate * np.stack([np.sin(3 * w * n), np.cos(3 * w * n),
                                     np.sin(5 * w * n), np.cos(5 * w * n)])
        G = B @ B.T
        quad = 0.5 * np.einsum("ij,jk,ik->i", W, G, W)
        for truth in (0, 1):
            r = sigma * rng.standard_normal(P)
            if truth:
                a3, a5 = rng.uniform(0.05, 0.15, 2)
                t3, t5 = rng.uniform(-np.pi, np.pi, 2)
                r += depth * gate * (a3 * np.sin(3 * w * n - t3) + a5 * np.sin(5 * w * n - t5))
            e = (W @ (B @ r) - quad) / sigma**2
            m = e.max()
            llr = m + np.log(np.mean(np.exp(e - m)))
            wrong[truth] += (llr > 0.0) != bool(truth)
    return 0.5 * (wrong[0] + wrong[1]) / trials, wrong[0] / trials, wrong[1] / trials


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fs", type=float, nargs="+", default=[6400.0, 16000.0])
    ap.add_argument("--f0", type=float, default=50.0)
    ap.add_argument("--cycles", type=int, default=10)
    ap.add_argument("--snr", type=float, nargs="+", default=[20.0])
    ap.add_argument("--trials", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=1)
    o = ap.parse_args()
    for fs in o.fs:
        for snr in o.snr:
            for swell in (False, True):
                err, fa, miss = bound(fs, o.f0, o.cycles, snr, o.trials, o.seed, swell)
                pair = "16 vs 3 (swell)" if swell else "15 vs 2 (sag)"
                print(f"fs {fs:g} Hz, {snr:g} dB, {pair}: Bayes error {err:.4f} "
                      f"(plain taken for harmonics {fa:.4f}, harmonics missed {miss:.4f}; "
                      f"{o.trials} trials each)")


if __name__ == "__main__":
    main()
