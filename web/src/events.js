// SPDX-License-Identifier: MIT
// The event log: every device's event open/close messages, newest first, live. Each row
// records when it was put on the page (data-shown-at, ms since the epoch) so a test can
// measure publish-to-page latency.
import { $, clock, h, num } from './format.js';

const MAX_ROWS = 300;

function magnitude(m) {
  const mg = m.magnitude;
  if (!mg || typeof mg !== 'object') return '–';
  const parts = Object.entries(mg)
    .filter(([, v]) => Number.isFinite(v))
    .map(([k, v]) => `${k.replace(/_/g, ' ')} ${num(v, 3)}`);
  return parts.length ? parts.join(', ') : '–';
}

function classCell(m) {
  if (m.class_name) return h('span', { class: 'cls' }, m.class_name, h('span', { class: 'muted' }, ` #${m.class}`));
  if (m.class !== null && m.class !== undefined) return `class ${m.class}`;
  return h('span', { class: 'muted' }, '–');
}

export class EventLog {
  constructor(onSelect) {
    this.body = $('events').tBodies[0];
    this.keys = new Set();
    this.onSelect = onSelect;
  }

  has(device, m) {
    return this.keys.has(`${device}/${m.boot}/${m.seq}`);
  }

  /** @p m is an event message of @p device; @p live when it just arrived. */
  add(device, m, live) {
    const key = `${device}/${m.boot}/${m.seq}`;
    if (this.keys.has(key)) return;
    this.keys.add(key);
    const ts = m.ts || Date.now();
    const row = h(
      'tr',
      {
        class: live ? 'fresh' : null,
        dataset: { key, device, ts: String(ts), phase: m.phase, shownAt: String(Date.now()) },
      },
      h('td', { class: 'time' }, clock(ts)),
      h('td', {}, h('a', { href: `#device=${encodeURIComponent(device)}`, onclick: (e) => { e.preventDefault(); this.onSelect(device); } }, device)),
      h('td', {}, h('span', { class: `pill ${m.phase === 'open' ? 'alert' : 'closed'}` }, `#${m.event} ${m.phase}`)),
      h('td', {}, classCell(m)),
      h('td', { class: 'mag' }, magnitude(m)),
      h('td', { class: 'num' }, num(m.score, 3)),
    );
    // Newest first: find the first row older than this one (live rows normally go on top).
    let before = this.body.firstElementChild;
    while (before && Number(before.dataset.ts) > ts) before = before.nextElementSibling;
    this.body.insertBefore(row, before);
    while (this.body.rows.length > MAX_ROWS) {
      const last = this.body.lastElementChild;
      this.keys.delete(last.dataset.key);
      last.remove();
    }
    $('events-empty').hidden = true;
    if (live) setTimeout(() => row.classList.remove('fresh'), 4000);
  }

  empty() {
    $('events-empty').hidden = this.body.rows.length > 0;
  }
}
