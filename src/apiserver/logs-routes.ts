// GET /api/v1/namespaces/{ns}/pods/{name}/log: a container's log, streamed as text/plain from
// the pod's node through a PodLogSource (the node gateway). Kubernetes' parameters: container,
// follow, tailLines, sinceSeconds, timestamps, limitBytes, previous.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { resourceByKind } from '../api/registry.js';
import { StatusError } from '../api/status.js';
import type { PodLogRequest } from '../client/api.js';
import type { ApiServer } from './server.js';

type Query = Record<string, string | string[] | undefined>;
const pods = resourceByKind('v1', 'Pod')!;

function one(q: Query, name: string): string | undefined {
  const v = q[name];
  return Array.isArray(v) ? v[v.length - 1] : v;
}

function bool(q: Query, name: string): boolean | undefined {
  const v = one(q, name);
  if (v === undefined || v === '') return undefined;
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw new StatusError('BadRequest', `${name}: invalid value "${v}": must be true or false`);
}

function int(q: Query, name: string, min: number): number | undefined {
  const v = one(q, name);
  if (v === undefined || v === '') return undefined;
  if (!/^\d+$/.test(v) || Number(v) < min) throw new StatusError('BadRequest', `${name}: invalid value "${v}": must be an integer of at least ${min}`);
  return Number(v);
}

interface PodLike {
  metadata: { name?: string; uid?: string };
  spec?: { nodeName?: string; containers?: { name: string }[]; initContainers?: { name: string }[] };
}

/** Which container: the one named, else the only one; Kubernetes' wording for the errors. */
export function chooseContainer(pod: PodLike, wanted: string | undefined): string {
  const name = pod.metadata.name ?? '';
  const main = (pod.spec?.containers ?? []).map((c) => c.name);
  const init = (pod.spec?.initContainers ?? []).map((c) => c.name);
  if (wanted === undefined || wanted === '') {
    if (main.length === 1) return main[0]!;
    throw new StatusError('BadRequest', `a container name must be specified for pod ${name}, choose one of: [${main.join(' ')}]${init.length > 0 ? ` or one of the init containers: [${init.join(' ')}]` : ''}`);
  }
  if (![...main, ...init].includes(wanted)) throw new StatusError('NotFound', `container ${wanted} is not valid for pod ${name}`, { name, kind: 'pods' });
  return wanted;
}

export function registerLogRoutes(app: FastifyInstance, server: ApiServer): void {
  app.get('/api/v1/namespaces/:namespace/pods/:name/log', async (req, reply) => {
    const { namespace, name } = req.params as { namespace: string; name: string };
    server.check(req, { verb: 'get', resource: 'pods', subresource: 'log', namespace, name });
    const q = req.query as Query;
    const pod = await server.resources.get(pods, namespace, name) as PodLike;
    const container = chooseContainer(pod, one(q, 'container'));
    const node = pod.spec?.nodeName;
    if (!node) throw new StatusError('BadRequest', `pod ${name} is not bound to a node yet: it has no logs`);
    const source = server.podLogs;
    if (!source) throw new StatusError('ServiceUnavailable', 'pod logs are not available: this API server has no node gateway (pod log source) attached');
    const r: PodLogRequest = { namespace, pod: name, uid: pod.metadata.uid ?? '', node, container, follow: bool(q, 'follow') ?? false };
    const tailLines = int(q, 'tailLines', 0);
    const sinceSeconds = int(q, 'sinceSeconds', 1);
    const limitBytes = int(q, 'limitBytes', 1);
    const timestamps = bool(q, 'timestamps');
    const previous = bool(q, 'previous');
    if (tailLines !== undefined) r.tailLines = tailLines;
    if (sinceSeconds !== undefined) r.sinceSeconds = sinceSeconds;
    if (limitBytes !== undefined) r.limitBytes = limitBytes;
    if (timestamps !== undefined) r.timestamps = timestamps;
    if (previous !== undefined) r.previous = previous;
    return streamLogs(server, req, reply, r);
  });
}

async function streamLogs(server: ApiServer, req: FastifyRequest, reply: FastifyReply, r: PodLogRequest): Promise<FastifyReply> {
  req.isWatch = true; // long-lived: out of the latency histogram
  const ac = new AbortController();
  reply.raw.on('close', () => ac.abort());
  const it = server.podLogs!.streamLogs(r, ac.signal)[Symbol.asyncIterator]();
  // Wait for the node's first answer before the headers, so "no answer" is a proper error status.
  const first = await it.next();
  reply.hijack();
  const res = reply.raw;
  res.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8', 'Transfer-Encoding': 'chunked', 'Cache-Control': 'no-cache', 'X-Content-Type-Options': 'nosniff' });
  res.flushHeaders();
  let left = r.limitBytes ?? Number.POSITIVE_INFINITY;
  const write = (chunk: Uint8Array): boolean => {
    const part = chunk.length > left ? chunk.subarray(0, left) : chunk;
    left -= part.length;
    if (part.length > 0) res.write(part);
    return left > 0;
  };
  try {
    if (!first.done && write(first.value)) {
      for (let n = await it.next(); !n.done; n = await it.next()) if (!write(n.value)) break;
    }
  } catch (err) {
    // Headers are out: the only way left to say "failed" is to end the stream; the log says why.
    server.log.warn({ err: err instanceof Error ? err.message : String(err), namespace: r.namespace, pod: r.pod }, 'pod log stream failed');
  } finally {
    await it.return?.();
    if (!res.writableEnded) res.end();
  }
  return reply;
}
