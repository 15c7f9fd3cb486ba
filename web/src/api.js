// SPDX-License-Identifier: MIT
// The collector's HTTP API (docs/api.md): JSON lists, commands, the replay, and the live
// stream (Server-Sent Events). A collector started with --token wants it on every /api call:
// the page takes it from ?token=... once and keeps it in sessionStorage.

const KEY = 'vigil-token';

function token() {
  const q = new URLSearchParams(location.search).get('token');
  if (q) {
    sessionStorage.setItem(KEY, q);
    return q;
  }
  return sessionStorage.getItem(KEY) || '';
}

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

function headers(extra) {
  const t = token();
  return t ? { ...extra, Authorization: `Bearer ${t}` } : extra;
}

async function answer(r) {
  let body = null;
  try {
    body = await r.json();
  } catch {
    body = null;
  }
  if (!r.ok) throw new ApiError(r.status, (body && body.error) || `HTTP ${r.status}`);
  return body;
}

/** GET /api/PATH with query parameters (undefined ones left out). */
export async function get(path, params = {}) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null) q.set(k, v);
  const qs = q.toString();
  return answer(await fetch(`/api/${path}${qs ? `?${qs}` : ''}`, { headers: headers({}) }));
}

/** POST /api/PATH with a JSON body. */
export async function post(path, body) {
  return answer(
    await fetch(`/api/${path}`, {
      method: 'POST',
      headers: headers({ 'Content-Type': 'application/json' }),
      body: JSON.stringify(body),
    }),
  );
}

/**
 * Open /api/stream and call handlers[name](device, msg) for each update; onState('live' |
 * 'reconnecting') as the connection changes. EventSource reconnects by itself.
 */
export function stream(handlers, onState) {
  const t = token();
  const es = new EventSource(`/api/stream${t ? `?token=${encodeURIComponent(t)}` : ''}`);
  es.onopen = () => onState('live');
  es.onerror = () => onState(es.readyState === EventSource.CLOSED ? 'closed' : 'reconnecting');
  for (const name of Object.keys(handlers)) {
    es.addEventListener(name, (e) => {
      let d;
      try {
        d = JSON.parse(e.data);
      } catch {
        return;
      }
      handlers[name](d.device, d.msg);
    });
  }
  return es;
}
