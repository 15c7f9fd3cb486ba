// SPDX-License-Identifier: MIT
// The fleet: one row per device with its state (from the retained status), open anomalies
// (events opened and not yet closed in the device's current boot), last seen and model.
import { $, ago, h, num } from './format.js';

export class Fleet {
  constructor(onSelect) {
    this.devices = new Map();
    this.selected = null;
    this.onSelect = onSelect;
    this.body = $('fleet').tBodies[0];
    this.pending = false;
    this.rows = new Map(); // device id -> its <tr>, kept across redraws
    // One listener for the whole table: rows are created once per device.
    const pick = (e) => e.target.closest('tr[data-device]')?.dataset.device;
    this.body.addEventListener('click', (e) => {
      const id = pick(e);
      if (id) this.select(id);
    });
    this.body.addEventListener('keydown', (e) => {
      const id = pick(e);
      if (id && (e.key === 'Enter' || e.key === ' ')) {
        e.preventDefault();
        this.select(id);
      }
    });
    setInterval(() => this.render(), 1000); // "last seen" keeps counting
  }

  device(id) {
    let d = this.devices.get(id);
    if (!d) {
      d = { id, state: null, reason: null, boot: null, model: null, threshold: null, lastSeen: 0, open: new Map() };
      this.devices.set(id, d);
    }
    return d;
  }

  /** A row of GET /api/devices. */
  loadRow(r) {
    const d = this.device(r.device);
    d.state = r.state;
    d.reason = r.reason;
    d.boot = r.boot;
    d.model = r.model_kind;
    d.threshold = r.threshold;
    d.fw = r.fw;
    d.lastSeen = Math.max(d.lastSeen, r.status_ms || 0, r.last_telemetry_ts || 0);
  }

  /** A status message (live). */
  status(id, m, now = Date.now()) {
    const d = this.device(id);
    d.state = m.state;
    d.reason = m.reason || null;
    if (m.boot !== undefined && m.boot !== d.boot) {
      // A new boot: events left open by the previous one will never close.
      for (const [k, e] of d.open) if (e.boot !== m.boot) d.open.delete(k);
      d.boot = m.boot;
    }
    if (m.model) {
      d.model = m.model.kind;
      d.threshold = m.model.threshold;
    }
    d.fw = m.fw;
    d.lastSeen = now;
    this.changed();
  }

  /** Anything else the device sent: it is alive. */
  seen(id, ts) {
    const d = this.device(id);
    d.lastSeen = Math.max(d.lastSeen, ts || Date.now());
    this.changed();
  }

  /** An event message, in arrival order: open adds, close removes. */
  event(id, m) {
    const d = this.device(id);
    const key = `${m.boot}:${m.event}`;
    if (m.phase === 'open') d.open.set(key, m);
    else d.open.delete(key);
    this.changed();
  }

  openCount(d) {
    let n = 0;
    for (const e of d.open.values()) if (d.boot === null || e.boot === d.boot) n++;
    return n;
  }

  select(id) {
    if (this.selected === id) return;
    this.selected = id;
    this.render();
    this.onSelect(id);
  }

  /** Something changed: render soon, at most twice a second (a big fleet sends a lot). */
  changed() {
    if (this.pending) return;
    this.pending = true;
    setTimeout(() => {
      this.pending = false;
      this.render();
    }, 250);
  }

  /**
   * Rows are kept per device and only the cells whose content changed are redrawn: a table
   * rebuilt several times a second would lose clicks (mouse down on one row, up on its
   * replacement) and the keyboard focus.
   */
  render() {
    const now = Date.now();
    const list = [...this.devices.values()].sort((a, b) => a.id.localeCompare(b.id));
    const rows = list.map((d) => {
      const open = this.openCount(d);
      const state = d.state === 'online' ? 'online' : d.state === 'offline' ? 'offline' : 'unknown';
      const label = state === 'offline' && d.reason ? `offline · ${d.reason}` : state;
      let tr = this.rows.get(d.id);
      if (!tr) {
        tr = h('tr', { dataset: { device: d.id }, tabindex: '0' }, ...Array.from({ length: 6 }, () => h('td')));
        this.rows.set(d.id, tr);
      }
      tr.className = d.id === this.selected ? 'sel' : '';
      Object.assign(tr.dataset, { state, open: String(open) });
      const cells = [
        h('td', { class: 'dev' }, d.id),
        h('td', {}, h('span', { class: `pill ${state}` }, label)),
        h('td', { class: 'num' }, open ? h('span', { class: 'badge alert' }, String(open)) : h('span', { class: 'muted' }, '0')),
        h('td', { class: now - d.lastSeen > 60000 && state === 'online' ? 'stale' : null }, ago(d.lastSeen, now)),
        h('td', {}, d.model || '–'),
        h('td', { class: 'num' }, num(d.threshold)),
      ];
      cells.forEach((c, i) => {
        const td = tr.cells[i];
        if (td.className !== c.className) td.className = c.className;
        if (td.innerHTML !== c.innerHTML) td.replaceChildren(...c.childNodes);
      });
      return tr;
    });
    // Devices are never dropped, so rows only come in: move rows only where the order changed
    // (a new device), so the others stay in place.
    rows.forEach((tr, i) => {
      if (this.body.rows[i] !== tr) this.body.insertBefore(tr, this.body.rows[i] || null);
    });
    $('fleet-empty').hidden = list.length > 0;
    const online = list.filter((d) => d.state === 'online').length;
    const open = list.reduce((s, d) => s + this.openCount(d), 0);
    $('summary').replaceChildren(
      h('span', {}, h('b', {}, String(list.length)), ' devices'),
      h('span', { class: 'ok' }, h('b', {}, String(online)), ' online'),
      h('span', { class: 'off' }, h('b', {}, String(list.length - online)), ' offline'),
      h('span', { class: open ? 'alert' : '' }, h('b', {}, String(open)), ' open anomal', open === 1 ? 'y' : 'ies'),
    );
  }
}
