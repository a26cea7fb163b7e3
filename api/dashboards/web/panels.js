/* global document */
// One renderer per Grafana panel type the native view shows — timeseries, stat, table, text — from
// the panel's JSON as in dashboards/*.json. Each sets `data-state` on its panel (data, empty,
// error, text, unsupported): the page's test and a person see the same thing.
import { alignSeries, note, promQuery, timeChart } from './charts.js';
import { formatValue, legendName, mapValue, thresholdColor } from './format.js';

/** Grafana's named colours (its light theme's shades), for stat backgrounds; other CSS colours pass through. */
const GRAFANA_COLORS = {
  green: '#73bf69',
  'dark-green': '#37872d',
  yellow: '#fade2a',
  orange: '#ff9830',
  red: '#f2495c',
  'dark-red': '#c4162a',
  blue: '#8ab8ff',
  purple: '#ca95e5',
  gray: '#d0d3da',
  grey: '#d0d3da',
  transparent: 'transparent',
};

const targetsOf = (panel) =>
  (panel.targets ?? []).filter((t) => !t.hide && typeof t.expr === 'string' && t.expr !== '');

function setState(el, state, text = '') {
  el.closest('.panel').dataset.state = state;
  note(el, text, state);
}

/** Runs the queries of every target; a failed one makes the whole panel an error (with its message). */
async function run(body, targets, query) {
  try {
    return await Promise.all(targets.map(async (target) => ({ target, data: await query(target) })));
  } catch (err) {
    setState(body, 'error', err.message);
    return undefined;
  }
}

function timeseries(panel, body, uid) {
  const defaults = panel.fieldConfig?.defaults ?? {};
  const chart = timeChart(body, { unit: defaults.unit, decimals: defaults.decimals, min: defaults.min });
  return async (range) => {
    const answers = await run(body, targetsOf(panel), (t) =>
      promQuery('query_range', { query: t.expr, start: range.start, end: range.end, step: range.step }, uid),
    );
    if (!answers) return chart.clear();
    const { xs, series } = alignSeries(answers, range.start, range.end, range.step);
    const withData = series.filter((s) => s.values.some((v) => v !== null));
    if (withData.length === 0) {
      chart.clear();
      return setState(body, 'empty', 'No data');
    }
    setState(body, 'data');
    const last = xs.findLastIndex((_, i) => withData.some((s) => s.values[i] !== null));
    body.closest('.panel').dataset.last = String(xs[last] ?? 0);
    chart.update(xs, withData);
  };
}

/** The instant values of a panel's targets: [{name, metric, value}]. */
async function instantValues(panel, body, uid, range) {
  const answers = await run(body, targetsOf(panel), (t) =>
    promQuery('query', { query: t.expr, time: range.end, range: range.seconds }, uid),
  );
  if (!answers) return undefined;
  return answers.flatMap(({ target, data }) => {
    if (data?.resultType === 'scalar')
      return [{ name: target.refId, metric: {}, value: Number(data.result[1]) }];
    return (data?.result ?? []).map((r) => ({
      name: legendName(target.legendFormat, r.metric ?? {}, target.refId),
      metric: r.metric ?? {},
      value: Number(r.value?.[1]),
    }));
  });
}

function stat(panel, body, uid) {
  const defaults = panel.fieldConfig?.defaults ?? {};
  const list = document.createElement('div');
  list.className = 'stat';
  body.append(list);
  return async (range) => {
    const values = await instantValues(panel, body, uid, range);
    list.replaceChildren();
    if (!values) return;
    if (values.length === 0) return setState(body, 'empty', 'No data');
    setState(body, 'data');
    for (const v of values) {
      const mapped = mapValue(v.value, defaults.mappings);
      const item = document.createElement('div');
      item.className = 'stat-value';
      const color = mapped?.color ?? thresholdColor(v.value, defaults.thresholds);
      if (color) item.style.background = GRAFANA_COLORS[color] ?? color;
      const number = document.createElement('strong');
      number.textContent = mapped?.text ?? formatValue(v.value, defaults.unit, defaults.decimals);
      item.append(number);
      if (values.length > 1) {
        const name = document.createElement('small');
        name.textContent = v.name;
        item.append(name);
      }
      list.append(item);
    }
  };
}

function table(panel, body, uid) {
  const defaults = panel.fieldConfig?.defaults ?? {};
  const t = document.createElement('table');
  body.append(t);
  return async (range) => {
    const values = await instantValues(panel, body, uid, range);
    t.replaceChildren();
    if (!values) return;
    if (values.length === 0) return setState(body, 'empty', 'No data');
    setState(body, 'data');
    const labels = [...new Set(values.flatMap((v) => Object.keys(v.metric)))]
      .filter((k) => k !== '__name__')
      .sort();
    const row = (cells, tag) => {
      const tr = document.createElement('tr');
      for (const c of cells) {
        const td = document.createElement(tag);
        td.textContent = c;
        tr.append(td);
      }
      return tr;
    };
    t.append(row([...labels, 'Value'], 'th'));
    for (const v of values)
      t.append(
        row(
          [...labels.map((l) => v.metric[l] ?? ''), formatValue(v.value, defaults.unit, defaults.decimals)],
          'td',
        ),
      );
  };
}

/** Grafana's markdown, the part the dashboards use: paragraphs, **bold**, `code`, [links](…). No HTML. */
function text(panel, body) {
  const content = panel.options?.content ?? '';
  for (const para of content.split(/\n\s*\n/)) {
    const p = document.createElement('p');
    for (const part of para.split(/(\*\*[^*]+\*\*|`[^`]+`|\[[^\]]+\]\([^)\s]+\))/)) {
      let node;
      if (/^\*\*.+\*\*$/.test(part))
        (node = document.createElement('strong')).textContent = part.slice(2, -2);
      else if (/^`.+`$/.test(part)) (node = document.createElement('code')).textContent = part.slice(1, -1);
      else if (/^\[.+\)$/.test(part)) {
        const [, label, href] = /^\[([^\]]+)\]\(([^)]+)\)$/.exec(part);
        node = document.createElement('a');
        node.textContent = label;
        if (/^(https?:\/\/|\/)/.test(href)) node.href = href;
      } else node = document.createTextNode(part);
      p.append(node);
    }
    body.append(p);
  }
  body.closest('.panel').dataset.state = 'text';
  return async () => undefined;
}

function unsupported(panel, body) {
  setState(body, 'unsupported', `A ${panel.type} panel is not shown here: open this dashboard in Grafana.`);
  return async () => undefined;
}

const RENDERERS = { timeseries, graph: timeseries, stat, gauge: stat, bargauge: stat, table, text };

/** The panel's element (title, description, body) and its refresh function. */
export function renderPanel(panel, uid) {
  const el = document.createElement('section');
  el.className = `panel panel-${panel.type}`;
  el.dataset.state = 'loading';
  const pos = panel.gridPos ?? { x: 0, y: 0, w: 12, h: 8 };
  el.dataset.x = pos.x;
  el.dataset.w = pos.w;
  el.dataset.h = pos.h;
  const h = document.createElement('h2');
  h.textContent = panel.title ?? '';
  if (panel.description) h.title = panel.description;
  const body = document.createElement('div');
  body.className = 'body';
  el.append(h, body);
  const refresh = (RENDERERS[panel.type] ?? unsupported)(panel, body, uid);
  return { el, pos, refresh };
}
