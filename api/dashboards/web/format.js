// Units, legends and time ranges as Grafana shows them, for the native dashboards (dashboard.js)
// and the control panel's charts. Pure functions: test/api/dashboards/web/format.test.ts runs them.

const SI = [
  [1e12, 'T'],
  [1e9, 'G'],
  [1e6, 'M'],
  [1e3, 'k'],
];

function scaled(v, decimals, steps, base, suffixes) {
  let i = 0;
  let x = Math.abs(v);
  while (i < suffixes.length - 1 && x >= base * (steps[i] ?? 1)) {
    x /= base;
    i += 1;
  }
  return `${round(Math.sign(v) * x, decimals)} ${suffixes[i]}`;
}

function round(v, decimals) {
  const d = decimals ?? (Math.abs(v) >= 100 ? 0 : Math.abs(v) >= 10 ? 1 : Math.abs(v) >= 1 ? 2 : 3);
  return Number(v.toFixed(d)).toLocaleString('en', { maximumFractionDigits: d });
}

function duration(v, decimals) {
  const a = Math.abs(v);
  if (a === 0) return '0 s';
  if (a < 1e-3) return `${round(v * 1e6, decimals)} µs`;
  if (a < 1) return `${round(v * 1e3, decimals)} ms`;
  if (a < 60) return `${round(v, decimals)} s`;
  if (a < 3600) return `${round(v / 60, decimals)} min`;
  if (a < 86400) return `${round(v / 3600, decimals)} h`;
  return `${round(v / 86400, decimals)} d`;
}

/** A value in a Grafana unit (`short`, `s`, `ms`, `percentunit`, `percent`, `bytes`, `Bps`, …). */
export function formatValue(v, unit = 'short', decimals) {
  if (v === null || v === undefined || Number.isNaN(v)) return '–';
  if (!Number.isFinite(v)) return v > 0 ? '+Inf' : '-Inf';
  switch (unit) {
    case 's':
      return duration(v, decimals);
    case 'ms':
      return duration(v / 1000, decimals);
    case 'percentunit':
      return `${round(v * 100, decimals)} %`;
    case 'percent':
      return `${round(v, decimals)} %`;
    case 'bytes':
    case 'decbytes':
      return scaled(v, decimals, [1, 1, 1, 1], 1024, ['B', 'KiB', 'MiB', 'GiB', 'TiB']);
    case 'Bps':
    case 'binBps':
      return scaled(v, decimals, [1, 1, 1, 1], 1024, ['B/s', 'KiB/s', 'MiB/s', 'GiB/s', 'TiB/s']);
    case 'reqps':
      return `${formatValue(v, 'short', decimals)} req/s`;
    case 'ops':
      return `${formatValue(v, 'short', decimals)} ops/s`;
    case 'none':
      return round(v, decimals);
    case 'short':
    case undefined:
    case '': {
      for (const [size, suffix] of SI)
        if (Math.abs(v) >= size) return `${round(v / size, decimals)}${suffix}`;
      return round(v, decimals);
    }
    default:
      return `${round(v, decimals)} ${unit}`;
  }
}

/** A series' name: the target's legendFormat with `{{label}}` filled in, else its labels. */
export function legendName(format, metric, refId = 'A') {
  if (format && format !== '__auto') {
    return format.replace(/\{\{\s*([\w.]+)\s*\}\}/g, (_, name) => metric[name] ?? '');
  }
  const labels = Object.entries(metric).filter(([k]) => k !== '__name__');
  if (labels.length === 0) return metric.__name__ ?? refId;
  return `${metric.__name__ ?? ''}{${labels.map(([k, v]) => `${k}="${v}"`).join(', ')}}`;
}

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86400, w: 604800 };

/** Seconds in a Grafana relative time (`now-30m` → 1800) or a plain duration (`15m`); undefined if neither. */
export function relativeSeconds(text) {
  const m = /^(?:now-)?(\d+)([smhdw])$/.exec(String(text ?? '').trim());
  return m ? Number(m[1]) * UNIT_SECONDS[m[2]] : undefined;
}

/** The step of a range query: about `points` points, at least `min` s, a round number of seconds. */
export function stepFor(rangeSeconds, points = 240, min = 5) {
  return Math.max(min, Math.ceil(rangeSeconds / points / min) * min);
}

/** A value mapping's text and colour (Grafana `type: value` and `range` mappings). */
export function mapValue(v, mappings = []) {
  for (const m of mappings) {
    if (m.type === 'value' && m.options) {
      const hit = m.options[String(v)];
      if (hit) return hit;
    }
    if (m.type === 'range' && m.options) {
      const { from, to, result } = m.options;
      if ((from == null || v >= from) && (to == null || v <= to)) return result;
    }
  }
  return undefined;
}

/** The colour of the last threshold step `v` reaches (steps ascending; the first has value null). */
export function thresholdColor(v, thresholds) {
  let color;
  for (const step of thresholds?.steps ?? []) if (step.value == null || v >= step.value) color = step.color;
  return color;
}
