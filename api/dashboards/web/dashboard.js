/* global document, fetch, setTimeout, clearTimeout, window, URLSearchParams, Option */
// One native dashboard (GET /dashboards/<uid>): its JSON from /v1/dashboards/<uid>, laid out on
// Grafana's 24-column grid, every panel re-queried at the refresh interval over the picked range.
// The range and refresh live in the address (?from=now-1h&refresh=10s), so a link keeps them.
import { relativeSeconds, stepFor } from './format.js';
import { renderPanel } from './panels.js';

const $ = (id) => document.getElementById(id);
const uid = document.body.dataset.uid;
const params = new URLSearchParams(window.location.search);
const ROW_PX = 32;
let timer;
let panels = [];

function choose(select, value) {
  if (value && ![...select.options].some((o) => o.value === value)) select.add(new Option(value, value));
  if (value) select.value = value;
}

function range() {
  const seconds = relativeSeconds($('range').value) ?? 1800;
  const step = stepFor(seconds);
  // Aligned on the step: every series of every panel shares its timestamps, and refreshes overlap.
  const end = Math.floor(Date.now() / 1000 / step) * step;
  return { start: end - seconds, end, step, seconds };
}

async function refreshAll() {
  clearTimeout(timer);
  const r = range();
  $('status').textContent = 'updating…';
  await Promise.all(panels.map((p) => p.refresh(r).catch((err) => console.error(p.el, err))));
  $('status').textContent = `updated ${new Date().toLocaleTimeString()}`;
  document.body.dataset.refreshed = String(Number(document.body.dataset.refreshed ?? 0) + 1);
  const every = relativeSeconds($('refresh').value);
  if (every) timer = setTimeout(refreshAll, every * 1000);
}

function keepInAddress() {
  const search = new URLSearchParams({ from: `now-${$('range').value}`, refresh: $('refresh').value });
  window.history.replaceState(null, '', `?${search}`);
}

/** Grafana's vertical compaction: each panel, in order, rises until it meets one above it. */
function compact(positions) {
  const placed = [];
  for (const pos of positions) {
    const above = placed.filter((q) => q.x < pos.x + pos.w && pos.x < q.x + q.w);
    pos.y = Math.min(pos.y, Math.max(0, ...above.map((q) => q.y + q.h)));
    placed.push(pos);
  }
}

async function main() {
  const res = await fetch(`/v1/dashboards/${encodeURIComponent(uid)}`, {
    headers: { accept: 'application/json' },
  });
  if (res.status === 401) return window.location.assign('/panel/login?next=/dashboards');
  const dashboard = await res.json();
  if (!res.ok) {
    $('status').textContent = dashboard.message ?? `HTTP ${res.status}`;
    return;
  }
  choose($('range'), (params.get('from') ?? dashboard.time?.from ?? 'now-30m').replace(/^now-/, ''));
  choose($('refresh'), params.get('refresh') ?? dashboard.refresh ?? '10s');
  const grid = $('grid');
  panels = dashboard.panels
    .filter((p) => p.type !== 'row')
    .map((p) => renderPanel(p, uid))
    .sort((a, b) => a.pos.y - b.pos.y || a.pos.x - b.pos.x);
  compact(panels.map((p) => p.pos));
  for (const p of panels) {
    p.el.style.gridColumn = `${p.pos.x + 1} / span ${p.pos.w}`;
    p.el.style.gridRow = `${p.pos.y + 1} / span ${p.pos.h}`;
    grid.append(p.el);
  }
  grid.style.gridAutoRows = `${ROW_PX}px`;
  for (const id of ['range', 'refresh'])
    $(id).addEventListener('change', () => {
      keepInAddress();
      void refreshAll();
    });
  $('now').addEventListener('click', () => void refreshAll());
  await refreshAll();
}

void main();
