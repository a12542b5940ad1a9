// A node that stops reading (its link died and TCP has not noticed) must not hold up what the
// master sends every other node: aedes waits for a subscriber to drain before it takes the
// publisher's next packet, so the broker never lets a node's connection report backpressure,
// and cuts the node off once too much waits for it.
import { connectAsync, type MqttClient } from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { EmbeddedBroker, masterUsername, type Principal } from '../../src/broker/broker.js';
import { silentLogger } from '../../src/log/logger.js';
import type { Logger } from '../../src/log/logger.js';
import { until } from '../helpers/poll.js';

const clients: MqttClient[] = [];
let broker: EmbeddedBroker | undefined;
afterEach(async () => {
  for (const c of clients.splice(0)) await c.endAsync(true).catch(() => undefined);
  await broker?.stop();
  broker = undefined;
});

/** A logger that keeps warn lines (the broker says why it cut a node off). */
function keepingLogger(lines: { obj: unknown; msg: string }[]): Logger {
  const base = silentLogger();
  const wrap = (l: Logger): Logger => new Proxy(l, {
    get: (t, p) => (p === 'warn' ? (obj: unknown, msg: string) => { lines.push({ obj, msg }); } : p === 'child' ? () => wrap(t) : Reflect.get(t, p)),
  });
  return wrap(base);
}

async function start(nodeQueueLimitBytes: number, lines: { obj: unknown; msg: string }[]): Promise<string> {
  broker = new EmbeddedBroker({
    host: '127.0.0.1', port: 0, logger: keepingLogger(lines), nodeQueueLimitBytes,
    authenticate: async (username, password): Promise<Principal | undefined> => {
      if (username === masterUsername && password === 'master-secret') return { kind: 'master' };
      if (password === `token-${username}`) return { kind: 'node', node: username };
      return undefined;
    },
  });
  return `mqtt://127.0.0.1:${await broker.start()}`;
}

async function node(url: string, name: string): Promise<MqttClient> {
  const c = await connectAsync(url, { clientId: `bramble-agent-${name}`, username: name, password: `token-${name}`, reconnectPeriod: 0 });
  clients.push(c);
  await c.subscribeAsync(`bramble/v1/nodes/${name}/desired`, { qos: 1 });
  return c;
}

describe('broker: a node that stops reading', () => {
  it('does not hold up what the master sends other nodes, and is cut off once too much waits for it', async () => {
    const lines: { obj: unknown; msg: string }[] = [];
    const url = await start(1024 * 1024, lines);
    const frozen = await node(url, 'pi-1');
    const live = await node(url, 'pi-2');
    let got = 0;
    live.on('message', () => { got++; });
    frozen.stream.pause(); // reads nothing more from the broker, like a peer behind a dead link
    const master = await connectAsync(url, { clientId: 'gateway', username: masterUsername, password: 'master-secret', reconnectPeriod: 0 });
    clients.push(master);
    // 200 × 64 KiB to each: far more than the kernel's socket buffers hold for pi-1.
    const payload = Buffer.alloc(64 * 1024, 7);
    for (let i = 0; i < 200; i++) {
      master.publish('bramble/v1/nodes/pi-1/desired', payload, { qos: 1 });
      master.publish('bramble/v1/nodes/pi-2/desired', payload, { qos: 1 });
    }
    await until('pi-2 got all 200', async () => (got === 200 ? true : undefined), 20_000, 50);
    // (The frozen client itself reads nothing, so it cannot see the close: the broker says it.)
    const cut = (): boolean => lines.some((l) => l.msg === 'MQTT node not reading what is sent to it: connection closed' && (l.obj as { node?: string }).node === 'pi-1');
    await until('pi-1 cut off', async () => (cut() ? true : undefined), 10_000, 50);
    expect((lines.find((l) => l.msg.startsWith('MQTT node not reading'))!.obj as { queued: number }).queued).toBeGreaterThan(1024 * 1024);
  }, 30_000);
});
