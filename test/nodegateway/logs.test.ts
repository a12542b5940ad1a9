// Pod logs end to end: HTTP GET .../log → API server → node gateway → MQTT → a fake node
// answering logs.start with logs.data chunks → back out as text/plain.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeNode, startEnv, until, type Env } from './env.js';

let env: Env;
let pi1: FakeNode;
const call = (method: string, path: string, body?: unknown) => env.h.call(method, path, body);
const pod = (name: string, nodeName: string) => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { nodeName, containers: [{ name: 'c', image: 'busybox' }] } });
const b64 = (s: string) => Buffer.from(s).toString('base64');

function requests(n: FakeNode): any[] {
  return n.received.filter((r) => r.topic.endsWith('/logs/request')).map((r) => r.msg);
}

beforeAll(async () => {
  env = await startEnv({ logAnswerTimeoutMs: 800 });
  await call('POST', '/api/v1/namespaces/default/pods', pod('talker', 'pi-1'));
  await call('POST', '/api/v1/namespaces/default/pods', pod('far', 'pi-silent'));
  pi1 = await env.node('pi-1');
  // The scripted node: a finite log answered out of order with a duplicate; a follow stream
  // that sends one chunk and waits.
  pi1.client.on('message', (topic, payload) => {
    if (!topic.endsWith('/logs/request')) return;
    const m = JSON.parse(payload.toString());
    if (m.type !== 'logs.start') return;
    const send = (msg: object) => void pi1.send('logs/data', { v: 1, type: 'logs.data', id: m.id, ...msg });
    if (m.follow) { send({ seq: 0, data: b64('first line\n') }); return; }
    send({ seq: 1, data: b64('line 2\n') });
    send({ seq: 0, data: b64(`line 1 of ${m.namespace}/${m.pod}/${m.container} tail=${m.tailLines ?? '-'}\n`) });
    send({ seq: 1, data: b64('line 2\n') });
    send({ seq: 2, end: true });
  });
});
afterAll(async () => { await env?.stop(); });

describe('pod logs over MQTT', () => {
  it('streams a finished log in order, without duplicates, as text/plain', async () => {
    const res = await fetch(`${env.h.url}/api/v1/namespaces/default/pods/talker/log?tailLines=5`, { headers: { authorization: `Bearer ${env.h.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await res.text()).toBe('line 1 of default/talker/c tail=5\nline 2\n');
    expect(requests(pi1).at(-1)).toMatchObject({ type: 'logs.start', pod: 'talker', container: 'c', follow: false, tailLines: 5 });
  });

  it('cancels a follow stream on the node when the HTTP client goes away', async () => {
    const ac = new AbortController();
    const res = await fetch(`${env.h.url}/api/v1/namespaces/default/pods/talker/log?follow=true`, { headers: { authorization: `Bearer ${env.h.token}` }, signal: ac.signal });
    const reader = res.body!.getReader();
    const { value } = await reader.read();
    expect(Buffer.from(value!).toString()).toBe('first line\n');
    const start = requests(pi1).at(-1);
    ac.abort();
    const cancel = await until('logs.cancel', () => requests(pi1).find((m) => m.type === 'logs.cancel' && m.id === start.id));
    expect(cancel).toEqual({ v: 1, type: 'logs.cancel', id: start.id });
    await until('stream released', () => (env.gateway as any).logs.active === 0);
  });

  it('fails clearly when the node does not answer', async () => {
    const r = await call('GET', '/api/v1/namespaces/default/pods/far/log');
    expect(r.status).toBe(504);
    expect(r.body).toMatchObject({ kind: 'Status', reason: 'Timeout' });
    expect(r.body.message).toMatch(/node pi-silent did not answer the log request/);
  });

  it('ignores chunks for a stream that another node sends', async () => {
    const pi2 = await env.node('pi-2');
    const ac = new AbortController();
    const res = await fetch(`${env.h.url}/api/v1/namespaces/default/pods/talker/log?follow=true`, { headers: { authorization: `Bearer ${env.h.token}` }, signal: ac.signal });
    const reader = res.body!.getReader();
    await reader.read();
    const start = requests(pi1).filter((m) => m.type === 'logs.start').at(-1);
    await pi2.send('logs/data', { v: 1, type: 'logs.data', id: start.id, seq: 1, data: b64('injected\n') });
    await pi1.send('logs/data', { v: 1, type: 'logs.data', id: start.id, seq: 1, data: b64('genuine\n'), end: true });
    const { value } = await reader.read();
    expect(Buffer.from(value!).toString()).toBe('genuine\n');
    expect((await reader.read()).done).toBe(true);
    await pi2.close();
  });
});
