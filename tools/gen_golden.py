#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Generate tests/golden/features_golden.h: window statistics computed by numpy in double.

Run with Debian's python3 (python3-numpy), from the repository root:

    /usr/bin/python3 tools/gen_golden.py            # writes tests/golden/features_golden.h

Each case is a window of float32 samples stored in a ring whose oldest sample is at index
`head` (so ring[(head + j) % n] is sample j). The reference statistics are computed in double
from the float32 values themselves, so the only differences left for the test to bound are
the core's float32 arithmetic:
  last, mean, std (population, ddof=0), min, max,
  slope = np.polyfit(t, x, 1)[0] with t = j * dt (units per second),
  diff = x[-1] - x[-2], range = max - min, adiff = mean |diff(x)|, maxdiff = max |diff(x)|
(slope, diff, adiff and maxdiff are 0 for a window of one sample).
"""
import os
import sys

import numpy as np

SEED = 20240611

# name, n, head, level, noise sd, trend (units per sample), dt (s)
CASES = [
    ("n1_level20_head0", 1, 0, 20.0, 0.5, 0.0, 1.0),
    ("n2_level20_head1", 2, 1, 20.0, 0.5, 0.0, 0.5),
    ("n7_level1e4_head0", 7, 0, 1.0e4, 3.0, 0.0, 60.0),
    ("n7_level1e4_head3", 7, 3, 1.0e4, 3.0, 0.25, 0.1),
    ("n7_constant_head5", 7, 5, 1.0e4, 0.0, 0.0, 1.0),
    ("n60_level20_head0", 60, 0, 20.0, 0.2, 0.01, 1.0),
    ("n60_level1e4_head30", 60, 30, 1.0e4, 2.0, -0.05, 10.0),
    ("n4096_level20_head0", 4096, 0, 20.0, 0.3, 0.0005, 1.0),
    ("n4096_level1e4_head2048", 4096, 2048, 1.0e4, 1.5, 0.002, 0.25),
    ("n4096_level1e4_steep_head4095", 4096, 4095, 1.0e4, 0.5, -1.0, 0.01),
]


def fmt_f32(v):
    s = "%.9g" % float(v)
    if "e" not in s and "." not in s and "inf" not in s and "nan" not in s:
        s += ".0"
    return s + "f"


def fmt_f64(v):
    s = "%.17g" % float(v)
    if "e" not in s and "." not in s:
        s += ".0"
    return s


def stats(x, dt):
    xd = x.astype(np.float64)
    n = len(xd)
    out = {
        "last": xd[-1],
        "mean": np.mean(xd),
        "std": np.std(xd),
        "min": np.min(xd),
        "max": np.max(xd),
        "range": np.max(xd) - np.min(xd),
    }
    if n > 1:
        t = np.arange(n, dtype=np.float64) * float(dt)
        d = np.diff(xd)
        out["slope"] = np.polyfit(t, xd, 1)[0]
        out["diff"] = xd[-1] - xd[-2]
        out["adiff"] = np.mean(np.abs(d))
        out["maxdiff"] = np.max(np.abs(d))
    else:
        out.update(slope=0.0, diff=0.0, adiff=0.0, maxdiff=0.0)
    return out


def main():
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "tests", "golden", "features_golden.h")
    rng = np.random.default_rng(SEED)
    lines = []
    w = lines.append
    w("/* SPDX-License-Identifier: MIT */")
    w("/*")
    w(" * GENERATED FILE, do not edit. Regenerate from the repository root with")
    w(" *     /usr/bin/python3 tools/gen_golden.py")
    w(" * (numpy %s, default_rng(%d)). Window statistics in double of float32 samples held in"
      % (np.__version__, SEED))
    w(" * a ring whose oldest sample is ring[head]; see tools/gen_golden.py for definitions.")
    w(" */")
    w("#ifndef VG_FEATURES_GOLDEN_H")
    w("#define VG_FEATURES_GOLDEN_H")
    w("#include <stddef.h>")
    w("")
    w("typedef struct {")
    w("    const char *name;")
    w("    size_t n, head;")
    w("    float dt;")
    w("    const float *ring;")
    w("    double last, mean, std, min, max, slope, diff, range, adiff, maxdiff;")
    w("} vg_golden_window_t;")
    w("")
    entries = []
    for i, (name, n, head, level, sd, trend, dt) in enumerate(CASES):
        j = np.arange(n, dtype=np.float64)
        x = (level + trend * j + sd * rng.standard_normal(n)).astype(np.float32)
        dt32 = np.float32(dt)
        ring = np.roll(x, head)
        assert ring[head] == x[0]
        st = stats(x, np.float64(dt32))
        w("static const float GOLDEN_RING_%d[%d] = {" % (i, n))
        for k in range(0, n, 6):
            w("    " + ", ".join(fmt_f32(v) for v in ring[k:k + 6]) + ",")
        w("};")
        fields = ["last", "mean", "std", "min", "max", "slope", "diff", "range", "adiff",
                  "maxdiff"]
        entries.append("    {\"%s\", %d, %d, %s, GOLDEN_RING_%d,\n     %s},"
                       % (name, n, head, fmt_f32(dt32), i,
                          ", ".join(fmt_f64(st[f]) for f in fields)))
    w("")
    w("static const vg_golden_window_t VG_GOLDEN_WINDOWS[] = {")
    lines.extend(entries)
    w("};")
    w("")
    w("#endif")
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("wrote %s (%d cases)" % (os.path.relpath(path, root), len(CASES)), file=sys.stderr)


if __name__ == "__main__":
    main()
