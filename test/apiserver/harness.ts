// Starts a real API server on a free loopback port over an in-memory store, with an admin token.
import { ApiServer, type ApiServerOptions } from '../../src/apiserver/server.js';
import { MemoryStore } from '../../src/store/memory.js';
import type { Store } from '../../src/store/store.js';
import { silentLogger } from '../../src/log/logger.js';
import { ndjsonLines } from '../../src/client/ndjson.js';

export interface Harness {
  server: ApiServer;
  store: Store;
  url: string;
  token: string;
  /** fetch with the admin token (or another) and JSON bodies. */
  call(method: string, path: string, body?: unknown, opts?: { token?: string | null; contentType?: string; raw?: string }): Promise<{ status: number; body: any; headers: Headers }>;
  stop(): Promise<void>;
}

export async function startHarness(opts: Partial<ApiServerOptions> & { historyLimit?: number } = {}): Promise<Harness> {
  const store = opts.store ?? new MemoryStore({ historyLimit: opts.historyLimit ?? 10_000 });
  await store.start();
  const server = new ApiServer({ logger: silentLogger(), processMetrics: false, ...opts, store });
  const url = await server.start({ host: '127.0.0.1', port: 0 });
  const token = await server.tokens.create({ user: 'admin', roles: ['admin'] });
  const call: Harness['call'] = async (method, path, body, o = {}) => {
    const headers: Record<string, string> = {};
    const tok = o.token === undefined ? token : o.token;
    if (tok !== null) headers.authorization = `Bearer ${tok}`;
    let payload: string | undefined = o.raw;
    if (body !== undefined) payload = JSON.stringify(body);
    if (payload !== undefined) headers['content-type'] = o.contentType ?? (method === 'PATCH' ? 'application/merge-patch+json' : 'application/json');
    const res = await fetch(url + path, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await res.text();
    let parsed: unknown = text;
    try { parsed = JSON.parse(text); } catch { /* not JSON: keep the text */ }
    return { status: res.status, body: parsed, headers: res.headers };
  };
  return {
    server, store, url, token, call,
    stop: async () => { await server.stop(); await store.stop(); },
  };
}

export function pod(name: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, labels: { app: 'web' } },
    spec: { containers: [{ name: 'main', image: 'busybox:1.36', command: ['sleep', '3600'] }] },
    ...extra,
  };
}

export function configMap(name: string, data: Record<string, string> = { a: '1' }, meta: Record<string, unknown> = {}): Record<string, unknown> {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, ...meta }, data };
}

/** Read a watch stream line by line until `until` says stop (or the stream ends). */
export async function readWatch(url: string, token: string, path: string, until: (events: any[]) => boolean, signal?: AbortSignal): Promise<any[]> {
  const ctl = new AbortController();
  signal?.addEventListener('abort', () => ctl.abort());
  const res = await fetch(url + path, { headers: { authorization: `Bearer ${token}` }, signal: ctl.signal });
  const events: any[] = [];
  try {
    for await (const ev of ndjsonLines(res.body!)) {
      events.push(ev);
      if (until(events)) break;
    }
  } finally {
    ctl.abort();
  }
  return events;
}
