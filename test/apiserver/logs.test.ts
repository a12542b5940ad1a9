// GET .../pods/{name}/log: parameter handling and errors, with a scripted PodLogSource.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PodLogRequest, PodLogSource } from '../../src/client/api.js';
import { startHarness, type Harness } from './harness.js';

let h: Harness;
const asked: PodLogRequest[] = [];
const source: PodLogSource = {
  async *streamLogs(req) {
    asked.push(req);
    yield Buffer.from('');
    yield Buffer.from('hello\n');
    yield Buffer.from('world\n');
  },
};

const pod = (name: string, containers: string[], nodeName?: string) => ({
  apiVersion: 'v1', kind: 'Pod', metadata: { name },
  spec: { ...(nodeName ? { nodeName } : {}), containers: containers.map((c) => ({ name: c, image: 'busybox' })) },
});

beforeAll(async () => {
  h = await startHarness();
  await h.call('POST', '/api/v1/namespaces/default/pods', pod('one', ['app'], 'pi-1'));
  await h.call('POST', '/api/v1/namespaces/default/pods', pod('two', ['app', 'sidecar'], 'pi-1'));
  await h.call('POST', '/api/v1/namespaces/default/pods', pod('unbound', ['app']));
});
afterAll(async () => { await h?.stop(); });

describe('pod log endpoint', () => {
  it('answers 503 with a clear message when no log source is attached', async () => {
    const r = await h.call('GET', '/api/v1/namespaces/default/pods/one/log');
    expect(r.status).toBe(503);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'ServiceUnavailable' });
    expect(r.body.message).toMatch(/pod logs are not available/);
  });

  it('streams text/plain and passes Kubernetes parameters through', async () => {
    h.server.podLogs = source;
    const r = await h.call('GET', '/api/v1/namespaces/default/pods/two/log?container=sidecar&follow=true&tailLines=3&sinceSeconds=300&timestamps=true&previous=false');
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(r.body).toBe('hello\nworld\n');
    expect(asked.at(-1)).toMatchObject({ namespace: 'default', pod: 'two', node: 'pi-1', container: 'sidecar', follow: true, tailLines: 3, sinceSeconds: 300, timestamps: true, previous: false });
  });

  it('cuts the stream at limitBytes', async () => {
    const r = await h.call('GET', '/api/v1/namespaces/default/pods/one/log?limitBytes=8');
    expect(r.body).toBe('hello\nwo');
  });

  it('names the containers when a pod has several and none is chosen; 404 for an unknown one', async () => {
    const many = await h.call('GET', '/api/v1/namespaces/default/pods/two/log');
    expect(many.status).toBe(400);
    expect(many.body.message).toBe('a container name must be specified for pod two, choose one of: [app sidecar]');
    const unknown = await h.call('GET', '/api/v1/namespaces/default/pods/two/log?container=nope');
    expect(unknown.status).toBe(404);
    expect(unknown.body.message).toMatch(/container nope is not valid for pod two/);
  });

  it('404 for an unknown pod, 400 for an unbound one or a bad parameter, 401 without a token', async () => {
    expect((await h.call('GET', '/api/v1/namespaces/default/pods/ghost/log')).status).toBe(404);
    expect((await h.call('GET', '/api/v1/namespaces/default/pods/unbound/log')).body.message).toMatch(/not bound to a node/);
    expect((await h.call('GET', '/api/v1/namespaces/default/pods/one/log?tailLines=-1')).status).toBe(400);
    expect((await h.call('GET', '/api/v1/namespaces/default/pods/one/log', undefined, { token: null })).status).toBe(401);
  });
});
