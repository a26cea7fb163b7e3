/* global document, fetch, setInterval */
// The control panel's live charts (last 15 minutes) and its links to the native dashboards, drawn
// with the dashboards' own code (/dashboards/assets/, api/routes/dashboards.ts) from the same
// series the overview dashboard uses. Prometheus down: each chart says so; the controls keep working.
import { alignSeries, note, promQuery, timeChart } from '/dashboards/assets/charts.js';
import { stepFor } from '/dashboards/assets/format.js';

const RANGE_SECONDS = 15 * 60;
const rate = (selector) => `rate(${selector}[$__rate_interval])`;

const CHARTS = [
  {
    id: 'chart-eventsIn',
    expr:
      `(sum(${rate('retail_producer_events_total')}) or vector(0))` +
      ` + (sum(${rate('retail_ingest_events_total{result="accepted"}')}) or vector(0))`,
    legend: 'events in',
    unit: 'short',
  },
  {
    id: 'chart-rowsOut',
    expr: `sum by (sink) (${rate('retail_sink_rows_written_total')})`,
    legend: '{{sink}}',
    unit: 'short',
  },
  {
    id: 'chart-lag',
    expr: 'max by (group) ({__name__=~"retail_[a-z]+_consumer_lag_seconds"})',
    legend: '{{group}}',
    unit: 's',
  },
  {
    id: 'chart-latencyP95',
    expr: `histogram_quantile(0.95, sum by (sink, le) (${rate('retail_sink_event_to_row_seconds_bucket{from="ingest"}')}))`,
    legend: '{{sink}}',
    unit: 's',
  },
];

const charts = CHARTS.map((c) => {
  const el = document.getElementById(c.id);
  return { ...c, el, chart: timeChart(el, { unit: c.unit, min: 0 }) };
});

async function refreshCharts() {
  const step = stepFor(RANGE_SECONDS, 180);
  const end = Math.floor(Date.now() / 1000 / step) * step;
  const start = end - RANGE_SECONDS;
  await Promise.all(
    charts.map(async (c) => {
      try {
        const data = await promQuery('query_range', { query: c.expr, start, end, step });
        const { xs, series } = alignSeries(
          [{ target: { legendFormat: c.legend, refId: 'A' }, data }],
          start,
          end,
          step,
        );
        const shown = series.filter((s) => s.values.some((v) => v !== null));
        c.el.dataset.state = shown.length ? 'data' : 'empty';
        note(c.el, shown.length ? '' : 'No data yet', 'empty');
        if (shown.length) c.chart.update(xs, shown);
        else c.chart.clear();
      } catch (err) {
        c.el.dataset.state = 'error';
        c.chart.clear();
        note(c.el, err.message, 'error');
      }
    }),
  );
}

async function showDashboardLinks() {
  const target = document.getElementById('dashboard-links');
  try {
    const res = await fetch('/v1/dashboards', { headers: { accept: 'application/json' } });
    const { dashboards } = await res.json();
    const links = dashboards.map((d) => {
      const a = document.createElement('a');
      a.href = `/dashboards/${encodeURIComponent(d.uid)}`;
      a.textContent = d.title.replace(/^Retail ETL — /, '');
      return a;
    });
    const all = document.createElement('a');
    all.href = '/dashboards';
    all.textContent = 'all';
    target.replaceChildren(...[...links, all].flatMap((a, i) => (i ? [' · ', a] : [a])));
  } catch (err) {
    target.textContent = `not available (${err.message})`;
  }
}

void showDashboardLinks();
void refreshCharts();
setInterval(refreshCharts, 10_000);
