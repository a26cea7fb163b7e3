/* global document, fetch, ResizeObserver, URLSearchParams, uPlot */
// Queries through `serve` (GET /v1/prometheus/query[_range], api/routes/dashboards.ts) and uPlot
// time series charts, shared by the native dashboards (dashboard.js) and the control panel.
import { formatValue, legendName } from './format.js';

export const PALETTE = [
  '#7eb26d',
  '#eab839',
  '#6ed0e0',
  '#ef843c',
  '#e24d42',
  '#1f78c1',
  '#ba43a9',
  '#705da0',
  '#508642',
  '#cca300',
];

export class QueryError extends Error {
  constructor(message, status) {
    super(message);
    this.status = status;
  }
}

/** Prometheus's `data` for a query; throws QueryError with the server's message on a refusal. */
export async function promQuery(kind, params, dashboardUid) {
  const search = new URLSearchParams(params);
  if (dashboardUid) search.set('dashboard', dashboardUid);
  const res = await fetch(`/v1/prometheus/${kind}?${search}`, { headers: { accept: 'application/json' } });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new QueryError(body.message ?? `HTTP ${res.status}`, res.status);
  return body.data;
}

/**
 * The range query answers of a panel's targets as uPlot data: one x axis (start..end by step —
 * Prometheus aligns every series on it) and one named series per result.
 */
export function alignSeries(answers, start, end, step) {
  const xs = [];
  for (let t = start; t <= end + 1e-9; t += step) xs.push(t);
  const index = new Map(xs.map((t, i) => [Math.round(t * 1000), i]));
  const series = [];
  for (const { target, data } of answers) {
    for (const r of data?.result ?? []) {
      const ys = new Array(xs.length).fill(null);
      for (const [t, v] of r.values ?? []) {
        const i = index.get(Math.round(Number(t) * 1000));
        const n = Number(v);
        if (i !== undefined && Number.isFinite(n)) ys[i] = n;
      }
      series.push({ name: legendName(target.legendFormat, r.metric ?? {}, target.refId), values: ys });
    }
  }
  return { xs, series };
}

/** A uPlot time series chart in `el` that fills its width and follows its size. */
export function timeChart(el, { unit, decimals, min, height }) {
  let plot;
  let names = '';
  // The legend sits under the plot, inside the panel: the plot gets the height the legend leaves.
  const size = () => {
    const legend = plot?.root.querySelector('.u-legend')?.offsetHeight ?? 24;
    return {
      width: Math.max(200, el.clientWidth),
      height: height ?? Math.max(80, el.clientHeight - legend - 8),
    };
  };
  const build = (xs, series) => {
    plot?.destroy();
    const fmt = (v) => formatValue(v, unit, decimals);
    plot = new uPlot(
      {
        ...size(),
        series: [
          {},
          ...series.map((s, i) => ({
            label: s.name,
            stroke: PALETTE[i % PALETTE.length],
            fill: `${PALETTE[i % PALETTE.length]}1a`,
            width: 1.5,
            value: (_, v) => fmt(v),
          })),
        ],
        axes: [{}, { values: (_, ticks) => ticks.map(fmt), size: 70 }],
        scales: { y: min === 0 ? { range: (_, lo, hi) => [Math.min(0, lo), hi > 0 ? hi * 1.1 : 1] } : {} },
        legend: { live: true },
        cursor: { drag: { x: false, y: false } },
      },
      [xs, ...series.map((s) => s.values)],
      el,
    );
    // Many series: the legend scrolls within a third of the panel, the plot keeps the rest.
    const legend = plot.root.querySelector('.u-legend');
    if (legend) legend.style.maxHeight = `${Math.round(el.clientHeight / 3)}px`;
    plot.setSize(size());
  };
  new ResizeObserver(() => plot?.setSize(size())).observe(el);
  return {
    update(xs, series) {
      const key = series.map((s) => s.name).join('\u0000');
      if (plot && key === names) plot.setData([xs, ...series.map((s) => s.values)]);
      else build(xs, series);
      names = key;
    },
    clear() {
      plot?.destroy();
      plot = undefined;
      names = '';
    },
  };
}

/** A message in a panel body instead of (or before) its chart. */
export function note(el, text, kind = 'empty') {
  let p = el.querySelector(':scope > .note');
  if (!p) {
    p = document.createElement('p');
    el.prepend(p);
  }
  p.className = `note ${kind}`;
  p.textContent = text;
  p.hidden = text === '';
}
