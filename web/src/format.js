// SPDX-License-Identifier: MIT
// Number, time and DOM helpers shared by the views.

/** A number with about @p sig significant digits, "–" for null/NaN. */
export function num(v, sig = 4) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return v.toExponential(Math.max(0, sig - 2));
  return String(Number(v.toPrecision(sig)));
}

/** A ratio in [0, 1] as "0.943". */
export function ratio(v) {
  return v === null || v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(3);
}

/** "12 s ago", "4 min ago", "3 h ago", "2 d ago". */
export function ago(ms, now = Date.now()) {
  if (!ms) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** Wall clock time of @p ms as HH:MM:SS (and the date when it is not today). */
export function clock(ms) {
  if (!ms) return '–';
  const d = new Date(ms);
  const t = d.toLocaleTimeString([], { hour12: false });
  return d.toDateString() === new Date().toDateString() ? t : `${d.toLocaleDateString()} ${t}`;
}

/** Seconds as "1:05:09" or "5:09". */
export function hms(s) {
  if (!Number.isFinite(s)) return '–';
  const neg = s < 0;
  s = Math.round(Math.abs(s));
  const h = Math.floor(s / 3600),
    m = Math.floor((s % 3600) / 60),
    r = s % 60;
  const mm = h ? String(m).padStart(2, '0') : String(m);
  return `${neg ? '-' : ''}${h ? `${h}:` : ''}${mm}:${String(r).padStart(2, '0')}`;
}

/** A duration in seconds as "850 ms", "4.5 s", "3.2 min". */
export function dur(s) {
  if (!Number.isFinite(s)) return '–';
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 120) return `${Number(s.toPrecision(3))} s`;
  return `${Number((s / 60).toPrecision(3))} min`;
}

/** Create an element: h('td', {class: 'num'}, 'text', child, ...). */
export function h(tag, attrs = {}, ...kids) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v === true ? '' : v);
  }
  for (const c of kids) if (c !== null && c !== undefined) e.append(c);
  return e;
}

export const $ = (id) => document.getElementById(id);
