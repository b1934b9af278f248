// The REST API (/api/v1) with the console's cookie session: every write
// carries the session's CSRF token; the token itself never reaches the page.
export const API = '/api/v1';
const SESSION = '/console/session';
const CSRF_HEADER = 'X-CSRF-Token';

let csrf = '';
let onSignedOut = () => {};

export class APIError extends Error {
  constructor(status, body) {
    super(body.message || `HTTP ${status}`);
    this.status = status;
    this.code = body.code || '';
    this.problems = (body.problems && body.problems.problems) || [];
  }
}

export function whenSignedOut(fn) { onSignedOut = fn; }

async function send(method, url, body, type) {
  const headers = {};
  if (method !== 'GET') headers[CSRF_HEADER] = csrf;
  if (body !== undefined && type === undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(body);
  } else if (type) {
    headers['Content-Type'] = type;
  }
  const r = await fetch(url, { method, headers, body, credentials: 'same-origin', cache: 'no-store' });
  if (!r.ok) {
    let b = {};
    try { b = await r.json(); } catch { /* not JSON */ }
    if (r.status === 401 && url !== SESSION) onSignedOut();
    throw new APIError(r.status, b);
  }
  return r.status === 204 ? null : r.json();
}

// call is one API request: path is under /api/v1.
export const call = (method, path, body, type) => send(method, API + path, body, type);
export const get = (path) => call('GET', path);
// getList reads a list (an empty one may come back as null).
export const getList = async (path) => (await get(path)) || [];
export const enc = encodeURIComponent;

export async function signIn(token) {
  const s = await send('POST', SESSION, { token });
  csrf = s.csrf;
  return s.principal;
}

// session returns the signed-in principal, or null.
export async function session() {
  try {
    const s = await send('GET', SESSION);
    csrf = s.csrf;
    return s.principal;
  } catch (e) {
    if (e.status === 401) return null;
    throw e;
  }
}

export async function signOut() {
  try { await send('DELETE', SESSION); } finally { csrf = ''; }
}

// stream follows an execution's events (Server-Sent Events; the browser
// resumes from Last-Event-ID by itself). It returns a function that stops it.
export function stream(execID, after, onEvent, onEnd, onOpen) {
  const es = new EventSource(`${API}/executions/${enc(execID)}/events/stream?after=${after || 0}`);
  if (onOpen) es.addEventListener('open', onOpen);
  es.addEventListener('event', (m) => onEvent(JSON.parse(m.data)));
  es.addEventListener('end', (m) => { es.close(); onEnd(JSON.parse(m.data)); });
  es.addEventListener('error', (m) => {
    if (m.data) { es.close(); onEnd(null, JSON.parse(m.data)); return; }
    // Refused on reconnect (the session ended: signed out elsewhere, token
    // revoked): one read tells, and a 401 shows the sign-in page.
    if (es.readyState === EventSource.CLOSED) get(`/executions/${enc(execID)}`).catch(() => {});
  });
  return () => es.close();
}
