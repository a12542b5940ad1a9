import { describe, expect, it } from 'vitest';
import { decodeDesired, decodeLogsRequest, ProtocolError } from '../../src/agent/decode.js';
import { bundle, pod } from './helpers.js';

const buf = (v: unknown): Buffer => Buffer.from(JSON.stringify(v));

describe('agent-side decoding of master → node messages', () => {
  it('accepts sync, upsert, delete, logs.start and logs.cancel', () => {
    const b = bundle(pod('a'));
    expect(decodeDesired(buf({ v: 1, type: 'sync', revision: 3, pods: [b] })).type).toBe('sync');
    expect(decodeDesired(buf({ v: 1, type: 'upsert', revision: 4, bundle: b })).type).toBe('upsert');
    expect(decodeDesired(buf({ v: 1, type: 'delete', revision: 5, namespace: 'default', name: 'a', uid: 'u' })).type).toBe('delete');
    expect(decodeDesired(buf({ v: 1, type: 'resend' })).type).toBe('resend'); // no revision: it changes no desired state
    expect(decodeLogsRequest(buf({ v: 1, type: 'logs.start', id: 's-1', namespace: 'default', pod: 'a', uid: 'u', container: 'app', follow: true, tailLines: 10 })).type).toBe('logs.start');
    expect(decodeLogsRequest(buf({ v: 1, type: 'logs.cancel', id: 's-1' })).type).toBe('logs.cancel');
  });

  it.each([
    ['not JSON', Buffer.from('{'), /not JSON/],
    ['another version', buf({ v: 2, type: 'sync', revision: 1, pods: [] }), /unsupported protocol version 2/],
    ['an unknown type', buf({ v: 1, type: 'nope', revision: 1 }), /unknown type "nope"/],
    ['a negative revision', buf({ v: 1, type: 'sync', revision: -1, pods: [] }), /revision/],
    ['a pod without uid', buf({ v: 1, type: 'upsert', revision: 1, bundle: { pod: { metadata: { name: 'a' }, spec: { containers: [{ name: 'c' }] } }, configMaps: [], secrets: [] } }), /name and uid/],
    ['a pod without containers', buf({ v: 1, type: 'sync', revision: 1, pods: [{ pod: { metadata: { name: 'a', uid: 'u' }, spec: { containers: [] } }, configMaps: [], secrets: [] }] }), /pods\[0\]\.pod\.spec\.containers/],
  ])('refuses %s', (_what, payload, msg) => {
    expect(() => decodeDesired(payload)).toThrow(ProtocolError);
    expect(() => decodeDesired(payload)).toThrow(msg);
  });

  it('refuses bad log requests', () => {
    expect(() => decodeLogsRequest(buf({ v: 1, type: 'logs.start', id: 'a/b', namespace: 'n', pod: 'p', uid: 'u', container: 'c', follow: false }))).toThrow(/id must be/);
    expect(() => decodeLogsRequest(buf({ v: 1, type: 'logs.start', id: 'a', namespace: 'n', pod: 'p', uid: 'u', container: 'c' }))).toThrow(/follow/);
  });
});
