import { describe, expect, it } from 'vitest';
import type { KObject } from '../../src/api/types.js';
import { eventExpired, sweepIntervalMs } from '../../src/controllers/event-ttl.js';

const now = Date.parse('2024-05-01T10:00:00Z');
const ev = (f: Record<string, string>, created?: string): KObject => ({ apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'default', ...(created ? { creationTimestamp: created } : {}) }, ...f });

describe('eventExpired (TTL 3600 s)', () => {
  const table = [
    { name: 'lastTimestamp just inside the TTL: kept', ev: ev({ lastTimestamp: '2024-05-01T09:00:01Z', firstTimestamp: '2024-05-01T07:00:00Z' }), want: false },
    { name: 'lastTimestamp exactly at the TTL: deleted', ev: ev({ lastTimestamp: '2024-05-01T09:00:00Z' }), want: true },
    { name: 'an old event seen again recently (count bumped) is kept', ev: ev({ firstTimestamp: '2024-04-01T00:00:00Z', lastTimestamp: '2024-05-01T09:59:00Z' }, '2024-04-01T00:00:00Z'), want: false },
    { name: 'no lastTimestamp: eventTime', ev: ev({ eventTime: '2024-05-01T08:00:00Z' }), want: true },
    { name: 'no times at all but creation: creation decides', ev: ev({}, '2024-05-01T08:59:59Z'), want: true },
    { name: 'recent creation, no times: kept', ev: ev({}, '2024-05-01T09:30:00Z'), want: false },
    { name: 'no time anywhere: kept', ev: ev({}), want: false },
    { name: 'unparsable lastTimestamp falls back to creation', ev: ev({ lastTimestamp: 'soon' }, '2024-05-01T09:59:00Z'), want: false },
  ];
  for (const t of table) it(t.name, () => expect(eventExpired(t.ev, now, 3600)).toBe(t.want));
});

describe('sweepIntervalMs', () => {
  it('is a quarter of the TTL, between 1 s and 1 min', () => {
    expect(sweepIntervalMs(3600)).toBe(60_000);
    expect(sweepIntervalMs(120)).toBe(30_000);
    expect(sweepIntervalMs(1)).toBe(1000);
  });
});
