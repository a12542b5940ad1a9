// A node is not trusted: malformed or hostile messages on its own topics cost one warn line
// each and change nothing; the gateway keeps serving.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNode, startEnv, statusReport, until, type Env } from './env.js';

let env: Env;
let pi1: FakeNode;
const call = (method: string, path: string, body?: unknown) => env.h.call(method, path, body);
const pod = (name: string, nodeName: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] } });

beforeAll(async () => {
  env = await startEnv();
  await call('POST', '/api/v1/namespaces/default/pods', pod('mine', 'pi-1'));
  await call('POST', '/api/v1/namespaces/default/pods', pod('theirs', 'pi-2'));
  pi1 = await env.node('pi-1');
  await pi1.send('status', statusReport({ a: 'b' }));
  await until('pi-1 registered', async () => (await call('GET', '/api/v1/nodes/pi-1')).body.status?.conditions !== undefined);
});
afterAll(async () => { await env?.stop(); });

async function snapshot(): Promise<string[]> {
  const paths = ['/api/v1/nodes/pi-1', '/api/v1/namespaces/default/pods/mine', '/api/v1/namespaces/default/pods/theirs'];
  return Promise.all(paths.map(async (p) => (await call('GET', p)).body.metadata.resourceVersion as string));
}

describe('hostile payloads on a node\'s own topics', () => {
  it('are logged (node, topic, reason), dropped, and leave every object unchanged', async () => {
    const before = await snapshot();
    const theirs = (await call('GET', '/api/v1/namespaces/default/pods/theirs')).body;
    const mine = (await call('GET', '/api/v1/namespaces/default/pods/mine')).body;
    const cases: [string, unknown, RegExp][] = [
      ['status', 'this is not json {', /not JSON/],
      ['status', Buffer.from([0xff, 0xfe, 0x00, 0x01]), /not JSON/],
      ['status', '[1,2,3]', /version|object/],
      ['status', Buffer.alloc(4 * 1024 * 1024 + 10, 0x20), /exceeds/],
      ['status', { ...statusReport({}), v: 2 }, /unsupported protocol version 2/],
      ['status', { ...statusReport({}), extra: true }, /invalid status message/],
      ['status', { v: 1, type: 'status', labels: {}, status: { capacity: { cpu: 'lots' } } }, /Invalid: .*status.capacity\[cpu\]/],
      ['hello', { v: 1, type: 'status', labels: {}, status: {} }, /invalid hello message/],
      ['podstatus', { v: 1, type: 'podstatus', namespace: 'default', name: 'theirs', uid: theirs.metadata.uid, status: { phase: 'Failed' } }, /not bound to this node/],
      ['podstatus', { v: 1, type: 'podstatus', namespace: 'default', name: 'mine', uid: 'not-the-uid', status: { phase: 'Failed' } }, /not bound to this node/],
      ['podstatus', { v: 1, type: 'podstatus', namespace: 'default', name: 'theirs', uid: theirs.metadata.uid, status: { phase: 'Succeeded' }, terminated: true }, /not bound to this node/],
      ['presence', { v: 1, type: 'presence', state: 'sleeping' }, /invalid presence message/],
      ['logs/data', { v: 1, type: 'logs.data', id: '../../etc', seq: 0 }, /invalid logs\/data message/],
    ];
    const warned = () => env.logs.filter((l) => l.level === 40 && l.node === 'pi-1');
    for (const [leaf, payload, reason] of cases) {
      const n = warned().length;
      await pi1.send(leaf, payload);
      const line = await until(`warning for ${leaf} ${String(reason)}`, () => warned().length > n && warned()[n]);
      expect(line.topic, JSON.stringify(line)).toBe(`bramble/v1/nodes/pi-1/${leaf}`);
      expect(line.reason ?? line.msg).toMatch(reason);
      expect(warned().length).toBe(n + 1);
    }
    expect(await snapshot()).toEqual(before);
    expect((await call('GET', '/api/v1/namespaces/default/pods/theirs')).body.status).toEqual(theirs.status);
    expect((await call('GET', '/api/v1/namespaces/default/pods/mine')).body.status).toEqual(mine.status);
    // The connection and the gateway still work: a valid report is applied.
    await pi1.send('podstatus', { v: 1, type: 'podstatus', namespace: 'default', name: 'mine', uid: mine.metadata.uid, status: { phase: 'Running' } });
    await until('valid status applied', async () => (await call('GET', '/api/v1/namespaces/default/pods/mine')).body.status.phase === 'Running');
  });

  it('a status the API rejects (invalid label) is logged and nothing half-written', async () => {
    const before = (await call('GET', '/api/v1/nodes/pi-1')).body;
    const n = env.logs.length;
    await pi1.send('status', statusReport({ 'bad label!': 'x' }));
    await until('refusal logged', () => env.logs.slice(n).some((l) => l.node === 'pi-1' && /not applied/.test(l.msg)));
    const after = (await call('GET', '/api/v1/nodes/pi-1')).body;
    expect(after.metadata.labels).toEqual(before.metadata.labels);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });
});
