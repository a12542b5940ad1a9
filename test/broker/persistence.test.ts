import { describe, expect, it } from 'vitest';
import { createPersistence } from '../../src/broker/persistence.js';

interface CbPersistence {
  storeRetained(pkt: object, cb: (err?: Error) => void): void;
  createRetainedStreamCombi(patterns: string[]): AsyncIterable<{ topic: string; payload: Buffer }>;
}

async function topics(p: CbPersistence, patterns: string[]): Promise<string[]> {
  const out: string[] = [];
  for await (const pkt of p.createRetainedStreamCombi(patterns)) out.push(pkt.topic);
  return out.sort();
}

function store(p: CbPersistence, topic: string, payload: string): Promise<void> {
  return new Promise((resolve, reject) => p.storeRetained({ cmd: 'publish', topic, payload: Buffer.from(payload), qos: 1, retain: true }, (err) => (err ? reject(err) : resolve())));
}

describe('retained messages by exact topic', () => {
  it('answers exact subscriptions by lookup and wildcard ones by matching, and forgets cleared topics', async () => {
    const p = createPersistence() as unknown as CbPersistence & { broker: object; once(ev: string, fn: () => void): void };
    // aedes hands itself over like this; the store is usable once it says 'ready'.
    await new Promise<void>((resolve) => { p.once('ready', resolve); p.broker = {}; });
    for (let i = 0; i < 100; i++) await store(p, `bramble/v1/nodes/n${i}/presence`, 'online');
    expect(await topics(p, ['bramble/v1/nodes/n7/presence'])).toEqual(['bramble/v1/nodes/n7/presence']);
    expect(await topics(p, ['bramble/v1/nodes/n7/desired'])).toEqual([]);
    expect(await topics(p, ['bramble/v1/nodes/+/presence'])).toHaveLength(100);
    expect(await topics(p, ['bramble/v1/nodes/n1/#'])).toEqual(['bramble/v1/nodes/n1/presence']);
    await store(p, 'bramble/v1/nodes/n7/presence', '');
    expect(await topics(p, ['bramble/v1/nodes/n7/presence'])).toEqual([]);
    expect(await topics(p, ['bramble/v1/nodes/+/presence'])).toHaveLength(99);
  });
});
