// SPDX-License-Identifier: MIT
// uPlot charts with the dashboard's look: shared axis styling, width that follows the card,
// and shaded time spans (labelled anomalies, raised events) drawn under the series.
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export const COLORS = {
  signal: ['#0969da', '#0a7f6f', '#bc4c00', '#bf3989'],
  score: '#8250df',
  thr: '#cf222e',
  current: '#6e7781',
  anomaly: 'rgba(207, 34, 46, 0.13)',
  label: 'rgba(212, 167, 44, 0.26)',
  raised: 'rgba(207, 34, 46, 0.85)',
};

const FONT = '12px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif';

/** An axis with the dashboard's colours; @p extra overrides. */
export function axis(extra = {}) {
  return {
    stroke: '#57606a',
    font: FONT,
    labelFont: FONT,
    grid: { stroke: '#eaeef2', width: 1 },
    ticks: { stroke: '#d0d7de', width: 1, size: 4 },
    ...extra,
  };
}

const two = (n) => String(n).padStart(2, '0');

/** A time axis (x in seconds since the epoch) labelled HH:MM, or HH:MM:SS over short spans. */
export function timeAxis() {
  return axis({
    size: 30,
    space: 70,
    values: (u, ticks) => {
      const span = u.scales.x.max - u.scales.x.min;
      return ticks.map((t) => {
        const d = new Date(t * 1000);
        const hm = `${two(d.getHours())}:${two(d.getMinutes())}`;
        return span < 600 ? `${hm}:${two(d.getSeconds())}` : hm;
      });
    },
  });
}

/** Tick steps for an axis of elapsed seconds: whole minutes and hours. */
export const ELAPSED_INCRS = [1, 5, 10, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 14400, 21600, 43200, 86400];

/**
 * Shaded spans: @p get(u) returns [{x0, x1, color, strip}] in x-scale units; a span with
 * strip = N pixels is drawn as a bar of that height at the top of the plot, else full height.
 */
export function spans(get) {
  return {
    hooks: {
      drawClear: [
        (u) => {
          const list = get(u);
          if (!list || !list.length) return;
          const { ctx } = u;
          const { left, top, width, height } = u.bbox;
          ctx.save();
          ctx.beginPath();
          ctx.rect(left, top, width, height);
          ctx.clip();
          for (const s of list) {
            const a = u.valToPos(s.x0, 'x', true);
            let b = u.valToPos(s.x1, 'x', true);
            if (b - a < 2 * devicePixelRatio) b = a + 2 * devicePixelRatio; // stays visible
            ctx.fillStyle = s.color;
            if (s.strip) ctx.fillRect(a, top, b - a, s.strip * devicePixelRatio);
            else ctx.fillRect(a, top, b - a, height);
          }
          ctx.restore();
        },
      ],
    },
  };
}

/** Create a uPlot in @p el, @p height pixels high, as wide as @p el (and following it). */
export function chart(el, height, opts, data) {
  const width = Math.max(200, el.clientWidth);
  const u = new uPlot({ width, height, legend: { show: false }, ...opts }, data, el);
  const ro = new ResizeObserver(() => {
    const w = Math.max(200, el.clientWidth);
    if (Math.abs(w - u.width) > 1) u.setSize({ width: w, height });
  });
  ro.observe(el);
  const destroy = u.destroy.bind(u);
  u.destroy = () => {
    ro.disconnect();
    destroy();
  };
  return u;
}

/** Runs of truthy flags[i] as [{x0, x1}] over xs. */
export function runs(xs, flags) {
  const out = [];
  let start = -1;
  for (let i = 0; i <= xs.length; i++) {
    const on = i < xs.length && flags[i];
    if (on && start < 0) start = i;
    if (!on && start >= 0) {
      out.push({ x0: xs[start], x1: xs[i - 1] });
      start = -1;
    }
  }
  return out;
}

/** A positive value for a log scale, or null. */
export const positive = (v) => (Number.isFinite(v) && v > 0 ? v : null);

export { uPlot };
