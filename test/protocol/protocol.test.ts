import { describe, expect, it } from 'vitest';
import { decode, encode, maxPayloadBytes, ProtocolError } from '../../src/protocol/codec.js';
import type { Hello, NodeStatusReport } from '../../src/protocol/messages.js';
import { nodeMayPublish, nodeMayReceive, nodeMaySubscribe, nodeTopic, parseNodeTopic } from '../../src/protocol/topics.js';

describe('topics', () => {
  it('builds and parses node topics', () => {
    expect(nodeTopic('pi-1', 'logs/data')).toBe('bramble/v1/nodes/pi-1/logs/data');
    expect(parseNodeTopic('bramble/v1/nodes/pi-1/logs/data')).toEqual({ node: 'pi-1', leaf: 'logs/data' });
    expect(parseNodeTopic('bramble/v1/nodes/+/status')).toBeUndefined();
    expect(parseNodeTopic('other/pi-1/status')).toBeUndefined();
    expect(() => nodeTopic('a/b', 'status')).toThrow();
    expect(() => nodeTopic('#', 'status')).toThrow();
  });

  it.each([
    ['pi-1', 'bramble/v1/nodes/pi-1/status', true],
    ['pi-1', 'bramble/v1/nodes/pi-1/podstatus', true],
    ['pi-1', 'bramble/v1/nodes/pi-2/status', false],
    ['pi-1', 'bramble/v1/nodes/pi-1/desired', false],
    ['pi-1', 'bramble/v1/nodes/+/status', false],
    ['pi-1', 'bramble/v1/nodes/pi-1/#', false],
    ['pi-1', '$SYS/x', false],
  ])('node %s may publish to %s: %s', (node, topic, ok) => {
    expect(nodeMayPublish(node, topic)).toBe(ok);
  });

  it.each([
    ['pi-1', 'bramble/v1/nodes/pi-1/desired', true],
    ['pi-1', 'bramble/v1/nodes/pi-1/#', true],
    ['pi-1', 'bramble/v1/nodes/pi-1/status', false],
    ['pi-1', 'bramble/v1/nodes/pi-2/desired', false],
    ['pi-1', 'bramble/v1/nodes/+/desired', false],
    ['pi-1', 'bramble/#', false],
    ['pi-1', '#', false],
  ])('node %s may subscribe to %s: %s', (node, filter, ok) => {
    expect(nodeMaySubscribe(node, filter)).toBe(ok);
  });

  it('delivers only a node\'s own master → node topics', () => {
    expect(nodeMayReceive('pi-1', 'bramble/v1/nodes/pi-1/desired')).toBe(true);
    expect(nodeMayReceive('pi-1', 'bramble/v1/nodes/pi-1/status')).toBe(false);
    expect(nodeMayReceive('pi-1', 'bramble/v1/nodes/pi-2/desired')).toBe(false);
  });
});

describe('codec', () => {
  it('round-trips a valid message', () => {
    const hello: Hello = { v: 1, type: 'hello', agentVersion: '0.1.0', appliedRevision: 12 };
    expect(decode<typeof import('../../src/protocol/messages.js').Hello>('hello', encode(hello))).toEqual(hello);
  });

  it('accepts a node status report with live usage', () => {
    const report: NodeStatusReport = {
      v: 1, type: 'status', labels: { 'kubernetes.io/arch': 'arm64' },
      status: { capacity: { cpu: '4', memory: '4Gi' }, usage: { cpu: '850m', memory: '612Mi', cpuPercent: 21.2, temperatureCelsius: 48.5 } },
    };
    expect(() => decode('status', encode(report))).not.toThrow();
  });

  it.each([
    ['not JSON', Buffer.from('{nope'), /not JSON/],
    ['not an object', Buffer.from('42'), /not a JSON object/],
    ['wrong version', encode({ v: 2, type: 'hello' }), /unsupported protocol version 2/],
    ['missing field', encode({ v: 1, type: 'hello', agentVersion: 'x' }), /invalid hello message/],
    ['extra field', encode({ v: 1, type: 'hello', agentVersion: 'x', appliedRevision: 0, evil: true }), /invalid hello message/],
    ['wrong type', encode({ v: 1, type: 'status', labels: {}, status: { capacity: { cpu: 7 } } }), /invalid hello message/],
  ])('rejects %s with a ProtocolError', (_what, payload, re) => {
    expect(() => decode('hello', payload)).toThrow(ProtocolError);
    expect(() => decode('hello', payload)).toThrow(re);
  });

  it('accepts a compact heartbeat and a status report carrying the digest heartbeats refer to', () => {
    expect(decode('status', encode({ v: 1, type: 'heartbeat', sig: 'abc123-x9', usage: { cpu: '850m', cpuPercent: 21.2, timestamp: '2026-01-01T00:00:00Z' } }))).toMatchObject({ type: 'heartbeat' });
    expect(decode('status', encode({ v: 1, type: 'heartbeat', sig: 'abc123-x9' }))).toMatchObject({ type: 'heartbeat' });
    expect(decode('status', encode({ v: 1, type: 'status', labels: {}, status: {}, sig: 'abc123-x9' }))).toMatchObject({ type: 'status' });
  });

  it.each([
    ['extra field', { v: 1, type: 'heartbeat', sig: 'a', usage: {}, labels: {} }, /invalid status message at \/labels/],
    ['no sig', { v: 1, type: 'heartbeat' }, /invalid status message at \/sig/],
    ['a sig that is not a short token', { v: 1, type: 'heartbeat', sig: 'a b/../"' }, /invalid status message at \/sig/],
    ['a sig too long', { v: 1, type: 'heartbeat', sig: 'a'.repeat(65) }, /invalid status message at \/sig/],
    ['usage out of range', { v: 1, type: 'heartbeat', sig: 'a', usage: { cpuPercent: 1e9 } }, /invalid status message at \/usage\/cpuPercent/],
    ['usage with an unknown reading', { v: 1, type: 'heartbeat', sig: 'a', usage: { evil: 1 } }, /invalid status message at \/usage/],
    ['an unknown type', { v: 1, type: 'beat', sig: 'a' }, /invalid status message/],
  ])('rejects a heartbeat with %s', (_what, msg, re) => {
    expect(() => decode('status', encode(msg))).toThrow(ProtocolError);
    expect(() => decode('status', encode(msg))).toThrow(re);
  });

  it('refuses oversized payloads before parsing', () => {
    expect(() => decode('status', Buffer.alloc(maxPayloadBytes + 1, 32))).toThrow(/exceeds/);
  });

  it('refuses unknown topic leaves', () => {
    expect(() => decode('nope', encode({ v: 1 }))).toThrow(/no messages are defined/);
  });
});
