/* global document, fetch, setInterval, window */
// The control panel's script: plain browser JavaScript, no build step. It polls the control
// routes of `retail-etl serve` (api/routes/control-panel.ts) and sends the operator's changes,
// each with the session's CSRF token (from the page's meta tag); a lost session goes back to sign-in.
const $ = (id) => document.getElementById(id);
const csrfToken = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';

function signInAgain(res) {
  if (res.status === 401) window.location.assign('/panel/login');
  return res.status === 401;
}
const slider = $('rate-slider');
const input = $('rate-input');
let editingUntil = 0; // while the operator edits, polling does not overwrite the rate controls

const fmt = (n, digits = 0) =>
  n === null || n === undefined ? '–' : Number(n).toLocaleString('en', { maximumFractionDigits: digits });

function ago(iso) {
  const s = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  return s < 120 ? `${s.toFixed(0)} s ago` : `${(s / 60).toFixed(0)} min ago`;
}

function say(text, kind) {
  const m = $('message');
  m.textContent = text;
  m.className = kind;
}

function showState(s) {
  $('group').textContent = s.group;
  $('connection').textContent = s.connected ? 'connected to the control topic' : 'waiting for Kafka…';
  $('rate').textContent = fmt(s.rate);
  $('actual').textContent = fmt(s.actualRate, 1);
  const state = $('state');
  state.textContent = s.paused ? 'Paused' : 'Running';
  state.className = `state ${s.paused ? 'paused' : 'running'}`;
  $('cap').textContent = fmt(s.cap);
  $('pause').disabled = s.paused;
  $('resume').disabled = !s.paused;
  const by = [];
  if (s.rateSetBy) by.push(`rate set by ${s.rateSetBy.actor} ${ago(s.rateSetBy.at)}`);
  if (s.pausedSetBy)
    by.push(`${s.paused ? 'paused' : 'resumed'} by ${s.pausedSetBy.actor} ${ago(s.pausedSetBy.at)}`);
  $('changed-by').textContent = by.join(' · ');
  const live = s.replicas.filter((r) => !r.stale && r.state !== 'stopped');
  const stale = s.replicas.filter((r) => r.stale);
  $('replicas').textContent =
    `${live.length} producer replica${live.length === 1 ? '' : 's'} running` +
    (stale.length ? ` · ${stale.length} not reporting` : '') +
    (live.some((r) => r.lastChange?.startsWith('refused'))
      ? ' · a replica refused the last change (see its log)'
      : '');
  if (Number.isFinite(s.cap)) slider.max = String(s.cap);
  if (Date.now() > editingUntil && s.rate !== null) {
    slider.value = String(s.rate);
    input.value = String(s.rate);
  }
}

async function refresh() {
  try {
    const res = await fetch('/v1/control/producer', { cache: 'no-store' });
    if (signInAgain(res)) return;
    if (res.ok) showState(await res.json());
  } catch {
    $('connection').textContent = 'the server does not answer';
  }
}

async function refreshFigures() {
  try {
    const res = await fetch('/v1/control/metrics', { cache: 'no-store' });
    if (signInAgain(res)) return;
    const f = await res.json();
    for (const [name, value] of Object.entries(f.figures)) {
      const el = $(`fig-${name}`);
      if (el) el.textContent = fmt(value, name === 'latencyP95' || name === 'lagSeconds' ? 2 : 0);
    }
    if (f.prometheus === 'up') {
      const sinks = Object.entries(f.rowsOutBySink).map(([k, v]) => `${k} ${fmt(v)}/s`);
      $('prom-status').textContent = `From Prometheus${sinks.length ? ` · rows: ${sinks.join(', ')}` : ''}`;
    } else {
      for (const el of document.querySelectorAll('[id^="fig-"]')) el.textContent = '–';
      $('prom-status').textContent = `${f.reason}. Live figures are unavailable; the controls still work.`;
    }
  } catch {
    $('prom-status').textContent = 'the server does not answer';
  }
}

async function send(method, path, body, done) {
  try {
    const res = await fetch(path, {
      method,
      headers: { 'content-type': 'application/json', 'x-csrf-token': csrfToken },
      body: JSON.stringify(body),
    });
    if (signInAgain(res)) return;
    const answer = await res.json();
    if (!res.ok) {
      say(`Refused: ${answer.message}`, 'error');
      editingUntil = 0;
      return;
    }
    showState(answer);
    say(done(answer), 'ok');
  } catch (err) {
    say(`The server did not answer: ${err.message}`, 'error');
  }
  editingUntil = 0;
}

function applyRate(value) {
  const rate = Number(value);
  editingUntil = Date.now() + 10_000;
  say(`Setting the rate to ${fmt(rate)} events/s…`, '');
  void send('PUT', '/v1/control/producer/rate', { rate }, (s) => `Rate set to ${fmt(s.rate)} events/s.`);
}

slider.addEventListener('input', () => {
  editingUntil = Date.now() + 10_000;
  input.value = slider.value;
});
slider.addEventListener('change', () => applyRate(slider.value));
input.addEventListener('input', () => (editingUntil = Date.now() + 10_000));
input.addEventListener('keydown', (e) => {
  if (e.key === 'Enter') applyRate(input.value);
});
$('apply').addEventListener('click', () => applyRate(input.value));
$('pause').addEventListener('click', () =>
  send('POST', '/v1/control/producer/pause', {}, () => 'Paused: no new events are sent.'),
);
$('resume').addEventListener('click', () =>
  send('POST', '/v1/control/producer/resume', {}, (s) => `Resumed at ${fmt(s.rate)} events/s.`),
);

$('sign-out').addEventListener('click', async () => {
  await fetch('/panel/session', { method: 'DELETE', headers: { 'x-csrf-token': csrfToken } }).catch(
    () => null,
  );
  window.location.assign('/panel/login');
});

void refresh();
void refreshFigures();
setInterval(refresh, 1000);
setInterval(refreshFigures, 2000);
