// The one way Bramble's CLI (and any other out-of-process tool) talks to a cluster: the Kubernetes-shaped REST API.
import { resourceByKind, type ResourceType } from '../api/registry.js';
import { bindingFor, type ApiInterface } from './api.js';
import type { Status } from '../api/status.js';
import type { KList, KObject } from '../api/types.js';
import { ApiError, ConnectionError, errorFromResponse } from './errors.js';
import { ndjsonLines } from './ndjson.js';
import { resourcePath, withQuery } from './paths.js';

export interface ApiClientOptions {
  /** Base URL, e.g. `http://127.0.0.1:6443`. */
  server: string;
  token?: string;
  /** Replaces the global fetch (tests). */
  fetch?: typeof fetch;
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
  resourceVersion?: string;
}

export interface WatchOptions {
  resourceVersion?: string;
  labelSelector?: string;
  fieldSelector?: string;
  timeoutSeconds?: number;
  allowWatchBookmarks?: boolean;
  signal?: AbortSignal;
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK';
export type WatchEvent<T extends KObject = KObject> = { type: WatchEventType; object: T } | { type: 'ERROR'; object: Status };

export type PropagationPolicy = 'Background' | 'Foreground' | 'Orphan';

export interface DeleteOptions {
  gracePeriodSeconds?: number;
  propagationPolicy?: PropagationPolicy;
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface TokenRequest {
  node?: string;
  user?: string;
  roles?: string[];
  description?: string;
  ttlSeconds?: number;
}

export interface TokenObject {
  kind: 'Token';
  id: string;
  user: string;
  roles: string[];
  node?: string;
  description?: string;
  createdAt: string;
  expiresAt?: string;
}

export interface PodLogOptions {
  container?: string;
  follow?: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
  limitBytes?: number;
  previous?: boolean;
}

const tokensPath = '/apis/bramble.dev/v1/tokens';
const podsType = resourceByKind('v1', 'Pod')!;

export type PatchType = 'merge' | 'json';
const patchContentTypes: Record<PatchType, string> = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
};

export class ApiClient implements ApiInterface {
  readonly server: string;
  private readonly token: string | undefined;
  private readonly fetchImpl: typeof fetch;

  constructor(opts: ApiClientOptions) {
    this.server = opts.server.replace(/\/+$/, '');
    this.token = opts.token;
    this.fetchImpl = opts.fetch ?? globalThis.fetch;
  }

  get<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, name: string): Promise<T> {
    return this.json<T>('GET', resourcePath(rt, ns, name));
  }

  /** `ns` undefined on a namespaced kind lists every namespace. */
  list<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, opts: ListOptions = {}): Promise<KList<T>> {
    return this.json<KList<T>>('GET', withQuery(resourcePath(rt, ns), { ...opts }));
  }

  /** Lists every page, following `continue` tokens. */
  async listAll<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, opts: Omit<ListOptions, 'continue'> = {}): Promise<KList<T>> {
    const first = await this.list<T>(rt, ns, opts);
    let cont = first.metadata.continue;
    while (cont) {
      const page = await this.list<T>(rt, ns, { ...opts, continue: cont });
      first.items.push(...page.items);
      first.metadata.resourceVersion = page.metadata.resourceVersion;
      cont = page.metadata.continue;
    }
    delete first.metadata.continue;
    return first;
  }

  create<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, obj: KObject): Promise<T> {
    return this.json<T>('POST', resourcePath(rt, ns), obj);
  }

  /** PUT: the object's `metadata.resourceVersion`, if set, makes the write conditional (409 Conflict when stale). */
  update<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, obj: KObject): Promise<T> {
    return this.json<T>('PUT', resourcePath(rt, ns, nameOf(obj)), obj);
  }

  updateStatus<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, obj: KObject): Promise<T> {
    return this.json<T>('PUT', resourcePath(rt, ns, nameOf(obj), 'status'), obj);
  }

  patch<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, name: string, patch: unknown, type: PatchType = 'merge', subresource?: 'status'): Promise<T> {
    return this.json<T>('PATCH', resourcePath(rt, ns, name, subresource), patch, patchContentTypes[type]);
  }

  /** Returns the object while it is still terminating (graceful deletion, finalizers), or a Success Status once gone. */
  delete(rt: ResourceType, ns: string | undefined, name: string, opts: DeleteOptions = {}): Promise<KObject | Status> {
    const path = withQuery(resourcePath(rt, ns, name), { gracePeriodSeconds: opts.gracePeriodSeconds, propagationPolicy: opts.propagationPolicy });
    // Preconditions have no query form: only then is a DeleteOptions body needed.
    const body = opts.preconditions ? { kind: 'DeleteOptions', apiVersion: 'v1', ...opts } : undefined;
    return this.json<KObject | Status>('DELETE', path, body);
  }

  async bind(ns: string, name: string, nodeName: string): Promise<void> {
    await this.json<unknown>('POST', resourcePath(podsType, ns, name, 'binding'), bindingFor(name, nodeName));
  }

  /** Streams watch events until the server ends the watch (timeoutSeconds), the signal aborts, or the consumer stops. */
  async *watch<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, opts: WatchOptions = {}): AsyncGenerator<WatchEvent<T>> {
    const { signal, ...params } = opts;
    const res = await this.openStream(withQuery(resourcePath(rt, ns), { watch: true, ...params }), signal);
    if (!res?.body) return;
    try {
      for await (const line of ndjsonLines(res.body)) yield line as WatchEvent<T>;
    } catch (err) {
      // Aborting is how a caller ends a watch; it is not a failure.
      if (signal?.aborted) return;
      throw err;
    }
  }

  /** GET a streaming response; undefined when the caller aborted before it started (not a failure). */
  private async openStream(path: string, signal: AbortSignal | undefined): Promise<Response | undefined> {
    try {
      return await this.send('GET', path, undefined, undefined, signal);
    } catch (err) {
      if (signal?.aborted) return undefined;
      throw err;
    }
  }

  // ---- tokens (admin) ----------------------------------------------------------------

  createToken(req: TokenRequest): Promise<TokenObject & { token: string }> {
    return this.json('POST', tokensPath, req);
  }

  async listTokens(): Promise<TokenObject[]> {
    return (await this.json<{ items: TokenObject[] }>('GET', tokensPath)).items;
  }

  revokeToken(id: string): Promise<Status> {
    return this.json<Status>('DELETE', `${tokensPath}/${encodeURIComponent(id)}`);
  }

  /** A container's log as raw chunks; with follow, until the signal aborts or the pod's log ends. */
  async *logs(ns: string, pod: string, opts: PodLogOptions = {}, signal?: AbortSignal): AsyncGenerator<Uint8Array> {
    const res = await this.openStream(withQuery(resourcePath(podsType, ns, pod, 'log'), { ...opts }), signal);
    if (!res?.body) return;
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield value;
      }
    } catch (err) {
      if (signal?.aborted) return;
      throw err;
    } finally {
      await reader.cancel().catch(() => undefined);
    }
  }

  /** Any other endpoint (`/healthz`, `/version`, `/metrics`): JSON bodies are parsed, anything else returned as text. */
  async raw(method: string, path: string, body?: unknown, contentType?: string): Promise<unknown> {
    const res = await this.send(method, path, body, contentType);
    const text = await res.text();
    if ((res.headers.get('content-type') ?? '').includes('json') && text !== '') return JSON.parse(text) as unknown;
    return text;
  }

  private async json<T>(method: string, path: string, body?: unknown, contentType?: string): Promise<T> {
    const res = await this.send(method, path, body, contentType);
    const text = await res.text();
    try {
      return JSON.parse(text) as T;
    } catch {
      throw new ApiError('InternalError', `${method} ${path}: the server sent a response that is not JSON: ${text.slice(0, 200)}`, res.status);
    }
  }

  /** Sends one request; non-2xx answers become ApiError, network failures ConnectionError. */
  private async send(method: string, path: string, body?: unknown, contentType?: string, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    let payload: string | undefined;
    if (body !== undefined) {
      payload = typeof body === 'string' ? body : JSON.stringify(body);
      headers['content-type'] = contentType ?? 'application/json';
    }
    let res: Response;
    try {
      res = await this.fetchImpl(this.server + path, { method, headers, body: payload, signal });
    } catch (err) {
      if (signal?.aborted) throw err;
      throw new ConnectionError(this.server, err);
    }
    if (res.status < 200 || res.status > 299) {
      throw errorFromResponse(res.status, res.statusText, await res.text().catch(() => ''));
    }
    return res;
  }
}

function nameOf(obj: KObject): string {
  const name = obj.metadata.name;
  if (!name) throw new Error(`${obj.kind} has no metadata.name`);
  return name;
}
