// SPDX-License-Identifier: MIT
// The selected device's live charts: its readings (top) and the model's raw score against
// the threshold (bottom, log scale), on one time axis with a shared cursor. History comes
// from GET /api/telemetry, then each telemetry message of the stream is appended.
import { $, h, num } from './format.js';
import { COLORS, axis, chart, positive, runs, spans, timeAxis } from './charts.js';

const MAX_POINTS = 3600;
const MAX_CHANNELS = 4;

export class LiveCharts {
  constructor() {
    this.sigEl = $('chart-signal');
    this.scoreEl = $('chart-score');
    this.device = null;
    this.sig = null;
    this.score = null;
    this.reset();
  }

  reset() {
    this.xs = [];
    this.ch = [];
    this.vals = [];
    this.raw = [];
    this.thr = [];
    this.flag = [];
    this.seen = new Set();
    this.last = null;
  }

  destroy() {
    if (this.sig) this.sig.destroy();
    if (this.score) this.score.destroy();
    this.sig = this.score = null;
  }

  /** Show @p device with its history @p rows (telemetry messages, oldest first). */
  setDevice(device, rows) {
    this.destroy();
    this.reset();
    this.device = device;
    $('dev-name').textContent = device || '—';
    const names = new Set();
    for (const m of rows) for (const k of Object.keys(m.values || {})) if (names.size < MAX_CHANNELS) names.add(k);
    this.ch = [...names];
    this.vals = this.ch.map(() => []);
    for (const m of rows) this.append(m);
    this.build();
  }

  append(m) {
    const key = `${m.boot}/${m.seq}`;
    if (this.seen.has(key)) return false;
    const x = (m.ts > 0 ? m.ts : Date.now()) / 1000;
    if (this.xs.length && x < this.xs[this.xs.length - 1]) return false; // late: keep time order
    this.seen.add(key);
    // A pause in the data (a device that was off, an earlier session) is a gap in the lines,
    // not a straight line across it: an all-null point in between breaks them.
    const n = this.xs.length;
    if (n >= 2) {
      const last = this.xs[n - 1], step = Math.max(last - this.xs[n - 2], 0.05);
      if (x - last > Math.max(30, 20 * step)) {
        this.xs.push((last + x) / 2);
        this.vals.forEach((v) => v.push(null));
        this.raw.push(null);
        this.thr.push(null);
        this.flag.push(0);
      }
    }
    this.xs.push(x);
    this.ch.forEach((c, i) => this.vals[i].push(Number.isFinite(m.values?.[c]) ? m.values[c] : null));
    this.raw.push(positive(m.raw));
    this.thr.push(positive(m.thr));
    this.flag.push(m.anomaly ? 1 : 0);
    this.last = m;
    if (this.xs.length > MAX_POINTS) {
      const cut = this.xs.length - MAX_POINTS;
      for (const a of [this.xs, this.raw, this.thr, this.flag, ...this.vals]) a.splice(0, cut);
    }
    return true;
  }

  build() {
    const empty = this.xs.length === 0;
    $('dev-empty').hidden = !empty || !this.device;
    this.sigEl.hidden = this.scoreEl.hidden = empty;
    this.mark();
    if (empty) return;
    const sync = { key: 'live', setSeries: false };
    const bands = spans(() => runs(this.xs, this.flag).map((r) => ({ ...r, color: COLORS.anomaly })));
    this.sig = chart(
      this.sigEl,
      200,
      {
        cursor: { sync },
        plugins: [bands],
        // One y scale per channel (rms, freq and thd differ by orders of magnitude): the first
        // channel's axis on the left, the second's on the right, the others in the legend.
        scales: { x: { time: true }, ...Object.fromEntries(this.ch.map((c, i) => [`ch${i}`, {}])) },
        series: [{}, ...this.ch.map((c, i) => ({ label: c, scale: `ch${i}`, stroke: COLORS.signal[i], width: 1.6 }))],
        axes: [
          timeAxis(),
          ...this.ch.slice(0, 2).map((c, i) =>
            axis({ scale: `ch${i}`, label: c, size: 56, side: i ? 1 : 3, stroke: this.ch.length > 1 ? COLORS.signal[i] : '#57606a', grid: { show: i === 0, stroke: '#eaeef2', width: 1 } }),
          ),
        ],
      },
      [this.xs, ...this.vals],
    );
    this.score = chart(
      this.scoreEl,
      150,
      {
        cursor: { sync },
        scales: { x: { time: true }, y: { distr: 3, log: 10 } },
        plugins: [bands],
        series: [
          {},
          { label: 'raw score', stroke: COLORS.score, width: 1.4, fill: 'rgba(130, 80, 223, 0.08)' },
          { label: 'threshold', stroke: COLORS.thr, width: 1.6, dash: [6, 4] },
        ],
        axes: [timeAxis(), axis({ label: 'raw score', size: 56 })],
      },
      [this.xs, this.raw, this.thr],
    );
    this.legend();
  }

  /** A telemetry message of @p device from the stream. */
  push(device, m) {
    if (device !== this.device) return;
    const fresh = Object.keys(m.values || {}).some((k) => !this.ch.includes(k) && this.ch.length < MAX_CHANNELS);
    if (!this.append(m)) return;
    if (fresh || !this.sig) {
      // A new channel (or the first point): rebuild with it.
      for (const k of Object.keys(m.values || {})) {
        if (this.ch.includes(k) || this.ch.length >= MAX_CHANNELS) continue;
        this.ch.push(k);
        this.vals.push(this.xs.map((_, i) => (i === this.xs.length - 1 ? m.values[k] : null)));
      }
      this.destroy();
      this.build();
      return;
    }
    if (this.pending) return;
    this.pending = true;
    requestAnimationFrame(() => {
      this.pending = false;
      if (!this.sig) return;
      this.sig.setData([this.xs, ...this.vals]);
      this.score.setData([this.xs, this.raw, this.thr]);
      this.mark();
      this.legend();
    });
  }

  /** The number of points, for tests and people (data-points). */
  mark() {
    this.sigEl.dataset.points = String(this.xs.length);
    this.scoreEl.dataset.points = String(this.xs.length);
  }

  legend() {
    const m = this.last;
    const items = this.ch.map((c, i) =>
      h('span', { class: 'lg' }, h('i', { style: `background:${COLORS.signal[i]}` }), `${c} `, h('b', {}, num(m?.values?.[c]))),
    );
    items.push(h('span', { class: 'lg' }, h('i', { style: `background:${COLORS.score}` }), 'raw score ', h('b', {}, num(m?.raw, 3))));
    items.push(h('span', { class: 'lg' }, h('i', { class: 'dash', style: `border-color:${COLORS.thr}` }), 'threshold ', h('b', {}, num(m?.thr, 3))));
    if (m?.anomaly) items.push(h('span', { class: 'pill alert' }, 'anomaly'));
    $('dev-legend').replaceChildren(...items);
  }
}
