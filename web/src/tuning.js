// SPDX-License-Identifier: MIT
// Threshold tuning: replay the device's stored, labelled recording through its model at
// another threshold (GET /api/replay), compare precision, recall and the events raised with
// the threshold in use, and send the new one to the device (POST /api/devices/<id>/cmd,
// op set_threshold); the device's ack arrives on the stream.
import { $, dur, h, hms, num, ratio } from './format.js';
import { ApiError, get, post } from './api.js';
import { COLORS, ELAPSED_INCRS, axis, chart, positive, spans } from './charts.js';

const ACK_TIMEOUT_MS = 30000;

export class Tuning {
  constructor() {
    this.device = null;
    this.base = null; // the replay at the threshold in use
    this.cur = null; // the replay at the candidate threshold
    this.applied = null; // the replay whose threshold the device acknowledged
    this.req = 0;
    this.chart = null;
    this.pending = null; // {id, thr, sentAt, timer}
    this.lo = 1e-3;
    this.hi = 1;
    this.form = $('tune-form');
    this.input = $('tune-thr');
    this.slider = $('tune-slider');
    this.sendBtn = $('tune-send');
    this.form.addEventListener('submit', (e) => {
      e.preventDefault();
      this.run(this.value());
    });
    this.input.addEventListener('change', () => this.run(this.value()));
    this.slider.addEventListener('input', () => {
      this.input.value = num(this.fromSlider(Number(this.slider.value)), 4);
      clearTimeout(this.debounce);
      this.debounce = setTimeout(() => this.run(this.value()), 250);
    });
    this.sendBtn.addEventListener('click', () => this.send());
    this.enable(false);
  }

  value() {
    return Number(this.input.value);
  }

  fromSlider(p) {
    return this.lo * (this.hi / this.lo) ** (p / 1000);
  }

  toSlider(v) {
    return Math.round((1000 * Math.log(v / this.lo)) / Math.log(this.hi / this.lo));
  }

  enable(on) {
    for (const e of [this.input, this.slider, $('tune-run')]) e.disabled = !on;
    this.sendBtn.disabled = !on || !this.cur;
  }

  msg(text, kind = '') {
    const m = $('tune-msg');
    m.textContent = text;
    m.className = `tune-msg ${kind}`;
  }

  /** Show @p device, whose threshold in use is @p inUse (null: the model's). */
  async setDevice(device, inUse) {
    this.device = device;
    this.base = this.cur = this.applied = null;
    this.clearPending();
    $('tune-dev').textContent = device || '—';
    $('tune-rec').textContent = '';
    $('tune-ack').textContent = '';
    $('tune-ack').dataset.state = 'none';
    this.input.value = '';
    this.slider.value = '500';
    this.sendBtn.textContent = 'Send to device';
    this.render();
    this.enable(false);
    if (!device) return;
    this.msg('Loading the recording…');
    const my = ++this.req;
    let r;
    try {
      r = await get('replay', { device, threshold: Number.isFinite(inUse) && inUse > 0 ? inUse : undefined });
    } catch (e) {
      if (my !== this.req) return;
      this.msg(e instanceof ApiError && e.status === 404 ? `No recording to tune with: ${e.message}.` : `Replay failed: ${e.message}`, 'error');
      return;
    }
    if (my !== this.req) return;
    this.base = r;
    const t = r.threshold;
    this.lo = t / 30;
    this.hi = t * 30;
    this.input.value = num(t, 4);
    this.slider.value = String(this.toSlider(t));
    $('tune-rec').textContent = `${r.recording.file} · ${hms(r.recording.duration_s)} · ${r.events.labelled} labelled events · ${r.model.kind} model, trained threshold ${num(r.model.threshold)}`;
    this.msg(`Threshold in use: ${num(t)}. Move the slider or type a value to replay the recording with another.`);
    this.enable(true);
    this.sendBtn.disabled = true;
    this.render();
  }

  async run(thr) {
    if (!this.device || !this.base) return;
    if (!Number.isFinite(thr) || thr <= 0) {
      this.msg('threshold: must be a finite number > 0', 'error');
      return;
    }
    const my = ++this.req;
    if (this.applied) {
      this.base = this.applied;
      this.applied = null;
    }
    this.msg(`Replaying at ${num(thr)}…`);
    let r;
    try {
      r = await get('replay', { device: this.device, threshold: thr });
    } catch (e) {
      if (my === this.req) this.msg(`Replay failed: ${e.message}`, 'error');
      return;
    }
    if (my !== this.req) return;
    this.cur = r;
    if (thr >= this.lo && thr <= this.hi) this.slider.value = String(this.toSlider(thr));
    const e = r.events;
    this.msg(`At ${num(r.threshold)}: ${e.predicted} events raised, ${e.detected} of ${e.labelled} labelled events found, ${e.false_alarms} false alarm${e.false_alarms === 1 ? '' : 's'}.`);
    this.render();
    this.sendBtn.disabled = false;
    this.sendBtn.textContent = `Send ${num(r.threshold)} to ${this.device}`;
  }

  render() {
    const r = this.cur || this.base;
    const b = this.cur ? this.base : null;
    const res = $('tune-results');
    $('tune-body').hidden = !r;
    res.dataset.state = r ? (this.cur ? 'candidate' : 'current') : 'empty';
    res.dataset.threshold = r ? String(r.threshold) : '';
    const tile = (id, v, bv, fmt, better) => {
      $(`m-${id}`).textContent = r ? fmt(v) : '–';
      const d = $(`d-${id}`);
      d.className = 'd';
      d.textContent = '';
      if (!b || !Number.isFinite(v) || !Number.isFinite(bv) || v === bv) {
        if (b) d.textContent = 'same as now';
        return;
      }
      const up = v > bv;
      d.textContent = `${up ? '▲' : '▼'} from ${fmt(bv)}`;
      if (better !== null) d.classList.add(up === better ? 'good' : 'worse');
    };
    const e = r?.events || {};
    const be = b?.events || {};
    tile('precision', e.precision, be.precision, ratio, true);
    tile('recall', e.recall, be.recall, ratio, true);
    tile('f1', e.f1, be.f1, ratio, true);
    tile('raised', e.predicted, be.predicted, (v) => String(v ?? '–'), null); // neither way is better
    tile('fad', e.false_alarms_per_day, be.false_alarms_per_day, (v) => num(v, 3), false);
    tile('delay', e.mean_delay_s, be.mean_delay_s, dur, false);
    const p = r?.pointwise;
    $('tune-pointwise').textContent = p
      ? `Event-level figures above (a raised event counts when it overlaps a labelled one). Point-wise: precision ${ratio(p.precision)}, recall ${ratio(p.recall)}, F1 ${ratio(p.f1)}, ROC AUC ${ratio(p.auc)}.`
      : '';
    this.table(r);
    this.plot(r);
  }

  table(r) {
    const body = $('raised').tBodies[0];
    if (!r) {
      body.replaceChildren();
      return;
    }
    const t0 = r.recording.t0;
    const rows = r.raised.map((e) =>
      h(
        'tr',
        {},
        h('td', {}, hms(e.start - t0)),
        h('td', { class: 'num' }, dur(e.end - e.start)),
        h('td', { class: 'num' }, num(e.peak, 3)),
        h('td', {}, e.match ? h('span', { class: 'pill ok' }, e.match) : h('span', { class: 'pill alert' }, 'false alarm')),
      ),
    );
    if (r.raised_total > r.raised.length)
      rows.push(h('tr', {}, h('td', { colspan: '4', class: 'muted' }, `and ${r.raised_total - r.raised.length} more`)));
    if (!rows.length) rows.push(h('tr', {}, h('td', { colspan: '4', class: 'muted' }, 'This threshold raises no event.')));
    body.replaceChildren(...rows);
  }

  plot(r) {
    const el = $('chart-replay');
    if (this.chart) this.chart.destroy();
    this.chart = null;
    el.dataset.points = '0';
    if (!r) return;
    const t0 = r.recording.t0;
    const xs = r.windows.t.map((t) => t - t0);
    const raw = r.windows.raw.map(positive);
    const cand = xs.map(() => r.threshold);
    const inUse = xs.map(() => (this.base ? this.base.threshold : r.threshold));
    const labelled = r.labelled.map((e) => ({ x0: e.start - t0, x1: e.end - t0, color: COLORS.label }));
    const raised = r.raised.map((e) => ({ x0: e.start - t0, x1: e.end - t0, color: COLORS.raised, strip: 6 }));
    this.chart = chart(
      el,
      190,
      {
        scales: { x: { time: false }, y: { distr: 3, log: 10 } },
        plugins: [spans(() => [...labelled, ...raised])],
        series: [
          { value: (u, v) => hms(v) },
          { label: 'window score', stroke: COLORS.score, width: 1.2 },
          { label: 'candidate', stroke: COLORS.thr, width: 1.8 },
          { label: 'in use', stroke: COLORS.current, width: 1.4, dash: [5, 4] },
        ],
        axes: [axis({ size: 30, space: 64, incrs: ELAPSED_INCRS, values: (u, ticks) => ticks.map(hms) }), axis({ label: 'window score', size: 56 })],
      },
      [xs, raw, cand, inUse],
    );
    el.dataset.points = String(xs.length);
  }

  async send() {
    const r = this.cur;
    if (!r || !this.device) return;
    const ack = $('tune-ack');
    this.clearPending();
    let sent;
    try {
      sent = await post(`devices/${encodeURIComponent(this.device)}/cmd`, { op: 'set_threshold', threshold: r.threshold });
    } catch (e) {
      ack.dataset.state = 'error';
      ack.textContent = `Not sent: ${e.message}`;
      return;
    }
    const pending = { id: sent.id, thr: r.threshold, device: this.device, sentAt: performance.now() };
    pending.timer = setTimeout(() => {
      if (this.pending !== pending) return;
      ack.dataset.state = 'timeout';
      ack.textContent = `No ack from ${pending.device} after ${ACK_TIMEOUT_MS / 1000} s for ${pending.id}; the device may be offline (it gets the command when it reconnects).`;
    }, ACK_TIMEOUT_MS);
    this.pending = pending;
    ack.dataset.state = 'waiting';
    ack.dataset.id = sent.id;
    ack.textContent = `Sent set_threshold ${num(r.threshold)} as ${sent.id} on ${sent.topic}; waiting for the device's ack…`;
  }

  clearPending() {
    if (this.pending) clearTimeout(this.pending.timer);
    this.pending = null;
  }

  /** An ack message of @p device from the stream. */
  ack(device, m) {
    const p = this.pending;
    if (!p || device !== p.device || m.id !== p.id) return;
    this.clearPending();
    const ack = $('tune-ack');
    const after = dur((performance.now() - p.sentAt) / 1000);
    if (m.ok) {
      ack.dataset.state = 'ok';
      ack.textContent = `✓ ${device} acknowledged ${m.id}: threshold ${num(p.thr)} applied (ack after ${after}).`;
      // The figures stay compared with the previous threshold; the next replay compares
      // with the one just applied.
      if (this.cur && this.device === device) this.applied = this.cur;
    } else {
      ack.dataset.state = 'refused';
      ack.textContent = `✗ ${device} refused ${m.id}: ${m.error || 'no reason given'}`;
    }
  }
}
