/* global document, fetch, window */
// Sign-in page of the control panel: trades the token for a session cookie (POST /panel/session,
// api/routes/panel-pages.ts), then opens the panel.
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
    window.location.assign('/panel');
  } catch (err) {
    message.textContent = `The server did not answer: ${err.message}`;
    message.className = 'error';
  }
});
