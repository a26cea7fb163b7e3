/* global document, fetch, window, URLSearchParams */
// Sign-in page of the control panel: trades the token for a session cookie (POST /panel/session,
// api/routes/panel-pages.ts), then opens the panel — or the dashboards, when a dashboard page sent
// the browser here (?next=/dashboards…; only those paths of this server, never another site).
const form = document.getElementById('sign-in');
const message = document.getElementById('message');

form.addEventListener('submit', async (e) => {
  e.preventDefault();
  message.textContent = 'Signing in…';
  message.className = '';
  try {
    const res = await fetch('/panel/session', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ token: document.getElementById('token').value.trim() }),
    });
    const answer = await res.json();
    if (!res.ok) {
      message.textContent = `Refused: ${answer.message}`;
      message.className = 'error';
      return;
    }
    const next = new URLSearchParams(window.location.search).get('next') ?? '';
    window.location.assign(/^\/dashboards(\/[\w-]+)?$/.test(next) ? next : '/panel');
  } catch (err) {
    message.textContent = `The server did not answer: ${err.message}`;
    message.className = 'error';
  }
});
