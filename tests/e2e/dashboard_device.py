#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# A stand-in for `vigil device` in tests/e2e/dashboard.sh: turns a labelled recording and the
# model's per-row output (`vigil detect`) into docs/protocol.md payloads, one JSON object per
# line, for `mosquitto_pub -l`.
#
#   history REC.csv DETECT.csv --start ROW --rows N --boot B --thr T --out DIR
#       DIR/telemetry.lines: rows [ROW, ROW+N) as telemetry, dated so that the last row is
#       "now" (one row per 1/rate s); DIR/events.lines: open and close of each run of
#       `anomaly` in those rows, as the device's decision raised them. Prints the next seq.
#   live REC.csv DETECT.csv --start ROW --seq S --boot B --thr T [--rows N]
#       rows from ROW on as telemetry on standard output, paced at the recording's rate and
#       dated with the wall clock.
import argparse
import csv
import json
import math
import sys
import time


def load(rec_path, det_path):
    with open(rec_path, newline='') as f:
        rec = list(csv.DictReader(f))
    with open(det_path, newline='') as f:
        det = list(csv.DictReader(f))
    if len(rec) != len(det):
        sys.exit(f'dashboard_device: {rec_path} has {len(rec)} rows, {det_path} {len(det)}')
    return rec, det


def number(s):
    try:
        v = float(s)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def telemetry(rec, det, i, t0, boot, seq, ts, thr):
    raw = number(det[i]['raw'])
    return {
        'v': 1, 'boot': boot, 'seq': seq, 'ts': ts,
        't': round(float(rec[i]['timestamp']) - t0, 3),
        'values': {'temp': number(rec[i]['value'])},
        # protocol.md: score in [0, 1), 0.5 at the threshold
        'score': round(raw / (raw + thr), 4) if raw is not None and raw >= 0 else 0.0,
        'raw': raw, 'thr': thr, 'anomaly': det[i]['anomaly'] == '1',
    }


def line(obj):
    return json.dumps(obj, separators=(',', ':'))


def history(a):
    rec, det = load(a.rec, a.det)
    t0 = float(rec[0]['timestamp'])
    period_ms = 1000.0 / a.rate
    end = a.start + a.rows
    now = int(time.time() * 1000)
    seq = 2  # 1 is the status
    n_event = 0
    cur = None  # the open event: number, first row, peak raw, extreme reading
    tele, events = [], []
    for i in range(a.start, end):
        ts = int(now - (end - 1 - i) * period_ms)
        m = telemetry(rec, det, i, t0, a.boot, seq, ts, a.thr)
        seq += 1
        tele.append(line(m))
        x = m['values']['temp']
        if m['anomaly'] and cur is None:
            n_event += 1
            cur = {'event': n_event, 'row': i, 'raw': m['raw'] or 0.0, 'peak': x, 'base': x}
            events.append(line(event_msg(a, cur, seq, ts, m['t'], None)))
            seq += 1
        elif cur is not None:
            cur['raw'] = max(cur['raw'], m['raw'] or 0.0)
            if x is not None and (cur['peak'] is None or abs(x - cur['base']) > abs(cur['peak'] - cur['base'])):
                cur['peak'] = x
            if not m['anomaly']:
                t_start = round(float(rec[cur['row']]['timestamp']) - t0, 3)
                events.append(line(event_msg(a, cur, seq, ts, t_start, m['t'])))
                seq += 1
                cur = None
    with open(f'{a.out}/telemetry.lines', 'w') as f:
        f.write('\n'.join(tele) + '\n')
    with open(f'{a.out}/events.lines', 'w') as f:
        f.write('\n'.join(events) + ('\n' if events else ''))
    print(seq)


def event_msg(a, cur, seq, ts, t_start, t_end):
    raw = cur['raw']
    return {
        'v': 1, 'boot': a.boot, 'seq': seq, 'ts': ts, 'event': cur['event'],
        'phase': 'open' if t_end is None else 'close', 't_start': t_start, 't_end': t_end,
        'score': round(raw / (raw + a.thr), 4), 'raw': raw, 'thr': a.thr, 'kind': 'zscore',
        'class': None, 'class_name': None, 'magnitude': {'peak': cur['peak']}, 'features': {},
    }


def live(a):
    rec, det = load(a.rec, a.det)
    t0 = float(rec[0]['timestamp'])
    period = 1.0 / a.rate
    seq = a.seq
    nxt = time.monotonic()
    last = len(rec) if a.rows is None else min(len(rec), a.start + a.rows)
    for i in range(a.start, last):
        m = telemetry(rec, det, i, t0, a.boot, seq, int(time.time() * 1000), a.thr)
        seq += 1
        try:
            print(line(m), flush=True)
        except BrokenPipeError:
            return
        nxt += period
        time.sleep(max(0.0, nxt - time.monotonic()))


def main():
    p = argparse.ArgumentParser()
    p.add_argument('mode', choices=['history', 'live'])
    p.add_argument('rec')
    p.add_argument('det')
    p.add_argument('--start', type=int, required=True)
    p.add_argument('--rows', type=int)
    p.add_argument('--seq', type=int, default=2)
    p.add_argument('--boot', type=int, default=1)
    p.add_argument('--thr', type=float, required=True)
    p.add_argument('--rate', type=float, default=2.0)
    p.add_argument('--out', default='.')
    a = p.parse_args()
    if a.mode == 'history':
        if a.rows is None:
            p.error('history needs --rows')
        history(a)
    else:
        live(a)


if __name__ == '__main__':
    main()
