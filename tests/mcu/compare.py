#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Compare a replay image's window lines (firmware/app/vg_replay.c) with `vigil detect`.

compare.py --detect DETECT.csv --image IMAGE.out [--ref HOST_IMAGE.out] --threshold T
           [--label NAME] [--exact]

Every row of `vigil detect` is rebuilt from the image's windows (a detector's outputs change
only when a window completes) and checked:
  * anomaly flags identical on every row, hence identical event boundaries (listed);
  * forest classes identical on every row (waveform models);
  * raw and unit scores within the tolerance of docs/mcu.md: |a - b| <= 1e-5 max(|a|, |b|,
    1e-3 T) (T the model's raw threshold), plus half a unit of the last digit `vigil detect`
    prints.
With --ref (the same application built for the host), the image's scores are also compared
at full precision with the same tolerance, and the largest difference is reported in ulps.

--exact (int8 models: integer arithmetic, then only correctly rounded float operations):
DETECT.csv comes from `vigil detect --exact` (9 significant digits, which give back the
float32), and every window's raw and unit score must have exactly the bits `vigil detect`
computed, and every window line must equal the host build's.
"""
import argparse
import csv
import math
import struct
import sys

REL = 1e-5
FLOOR = 1e-3


def f32(hexbits):
    return struct.unpack("<f", struct.pack("<I", int(hexbits, 16)))[0]


def read_image(path):
    wins, end = [], None
    with open(path) as f:
        for line in f:
            p = line.split()
            if p and p[0] == "w" and len(p) == 7:
                wins.append((int(p[1]), int(p[2], 16), int(p[3], 16), int(p[4]), int(p[5]), int(p[6])))
            elif p and p[0] == "end" and len(p) == 4:
                end = (int(p[1]), int(p[2]), int(p[3]))
    return wins, end


def close(a, b, thr, printed=0.0):
    if math.isinf(a) or math.isinf(b):
        return a == b
    return abs(a - b) <= REL * max(abs(a), abs(b), FLOOR * thr) + printed


def events(flags):
    ev, start = [], None
    for i, a in enumerate(flags):
        if a and start is None:
            start = i
        elif not a and start is not None:
            ev.append((start, i - 1))
            start = None
    if start is not None:
        ev.append((start, len(flags) - 1))
    return ev


def bits_of(text):
    """The float32 bits of a number `vigil detect --exact` printed (%.9g round-trips)."""
    return struct.unpack("<I", struct.pack("<f", float(text)))[0]


def ulp_diff(a, b):
    def key(u):
        return u if u < 0x80000000 else 0x80000000 - u
    return abs(key(a) - key(b))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--detect", required=True)
    ap.add_argument("--image", required=True)
    ap.add_argument("--ref")
    ap.add_argument("--threshold", type=float, required=True)
    ap.add_argument("--label", default="image")
    ap.add_argument("--exact", action="store_true")
    a = ap.parse_args()
    thr = a.threshold
    wins, end = read_image(a.image)
    bad = []
    if end is None:
        print(f"FAIL - {a.label}: no 'end' line (the image stopped early)")
        return 1
    with open(a.detect) as f:
        rows = list(csv.reader(f))
    head, rows = rows[0], rows[1:]
    wave = head[0] == "t"  # waveform stream: t,score,anomaly,class
    if end[0] != len(rows) or end[1] != len(wins):
        bad.append(f"image pushed {end[0]} rows, {end[1]} windows; vigil detect has {len(rows)} rows")
    k, cur = 0, None
    flags_img, flags_host = [], []
    worst_printed = 0.0
    exact_rows = 0
    for i, r in enumerate(rows):
        while k < len(wins) and wins[k][0] <= i:
            cur = wins[k]
            k += 1
        anomaly = cur[3] if cur else 0
        flags_img.append(anomaly)
        flags_host.append(int(r[2]))
        if anomaly != int(r[2]):
            bad.append(f"row {i}: anomaly {anomaly} on the image, {r[2]} from vigil detect")
        if a.exact and not wave:
            if cur:
                if bits_of(r[1]) != cur[2] or r[3] == "" or bits_of(r[3]) != cur[1]:
                    bad.append(f"row {i}: raw/score bits {cur[1]:08x}/{cur[2]:08x} on the image, "
                               f"{r[3]}/{r[1]} from vigil detect --exact")
                else:
                    exact_rows += 1
            elif r[3] != "":
                bad.append(f"row {i}: no window yet on the image, raw {r[3]} from vigil detect")
            continue
        score = f32("%08x" % cur[2]) if cur else 0.0
        digits = 0.5e-4 if wave else 0.5e-6
        if not close(score, float(r[1]), 1.0, digits):
            bad.append(f"row {i}: score {score:.9g} on the image, {r[1]} from vigil detect")
        if wave:
            want = "" if (cur and cur[5]) else str(cur[4] if cur else 1)
            if r[3] != want:
                bad.append(f"row {i}: class '{want}' on the image, '{r[3]}' from vigil detect")
        elif cur:
            raw = f32("%08x" % cur[1])
            host_raw = float(r[3])
            if not close(raw, host_raw, thr, 0.5e-5 * abs(host_raw) if not math.isinf(host_raw) else 0):
                bad.append(f"row {i}: raw {raw:.9g} on the image, {r[3]} from vigil detect")
            elif not math.isinf(raw):
                worst_printed = max(worst_printed, abs(raw - host_raw) / max(abs(raw), abs(host_raw), FLOOR * thr))
        elif r[3] != "":
            bad.append(f"row {i}: no window yet on the image, raw {r[3]} from vigil detect")
    ev_img, ev_host = events(flags_img), events(flags_host)
    print(f"{a.label}: {len(rows)} rows, {len(wins)} windows, events (first row, last row) "
          f"image {ev_img[:6]}{' ...' if len(ev_img) > 6 else ''} / vigil detect "
          f"{len(ev_host)} events{' identical' if ev_img == ev_host else ' DIFFERENT'}; "
          f"stack {end[2]} B")
    if ev_img != ev_host:
        bad.append("event boundaries differ")
    if a.exact:
        print(f"{a.label}: raw and unit score bit-identical to vigil detect --exact on "
              f"{exact_rows} rows with a window")
    if a.ref:
        ref, _ = read_image(a.ref)
        if len(ref) != len(wins):
            bad.append(f"{len(wins)} windows on the image, {len(ref)} on the host build")
        exact, worst, worst_ulp = 0, 0.0, 0
        for w, h in zip(wins, ref):
            if w == h:
                exact += 1
                continue
            if a.exact:
                bad.append(f"window at row {w[0]}: {w} on the image, {h} on the host build")
                continue
            if w[0] != h[0] or w[3:] != h[3:]:
                bad.append(f"window at row {w[0]}: decision {w[3:]} on the image, {h[3:]} on the host build")
                continue
            for idx, t in ((1, thr), (2, 1.0)):
                x, y = f32("%08x" % w[idx]), f32("%08x" % h[idx])
                if not close(x, y, t):
                    bad.append(f"window at row {w[0]}: score {x:.9g} on the image, {y:.9g} on the host build")
                elif not math.isinf(x):
                    worst = max(worst, abs(x - y) / max(abs(x), abs(y), FLOOR * t))
                    worst_ulp = max(worst_ulp, ulp_diff(w[idx], h[idx]))
        print(f"{a.label}: {exact} of {len(wins)} windows bit-identical to the x86-64 build; "
              f"largest difference {worst:.3g} relative ({worst_ulp} ulp)")
    for b in bad[:10]:
        print(f"  {b}")
    if bad:
        print(f"FAIL - {a.label}: {len(bad)} differences from the host")
        return 1
    if a.exact:
        print(f"ok - {a.label}: decisions and scores bit-exact equal to vigil detect's")
    else:
        print(f"ok - {a.label}: decisions equal vigil detect's; scores within tolerance")
    return 0


if __name__ == "__main__":
    sys.exit(main())
