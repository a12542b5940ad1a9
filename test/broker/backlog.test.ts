// A fleet reconnecting at once (the gateway restarted) must find room in the broker's accept
// queue: with Node's default backlog of 511 the kernel dropped or SYN-cookied the rest, and their
// CONNECTs met resets (hollow fleets of 1000 and 5000 registering: the kernel's listen-overflow
// counter at 2.3 million after a day of benches, agents reconnecting into the next minute's work).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { EmbeddedBroker } from '../../src/broker/broker.js';
import { silentLogger } from '../../src/log/logger.js';

let broker: EmbeddedBroker | undefined;
afterEach(async () => {
  await broker?.stop();
  broker = undefined;
});

it('the MQTT listener asks the kernel for a 4096-connection accept queue (capped by net.core.somaxconn)', async () => {
  broker = new EmbeddedBroker({ host: '127.0.0.1', port: 0, logger: silentLogger(), authenticate: async () => undefined });
  const port = await broker.start();
  // For a listening socket, ss's Send-Q column is its backlog.
  const line = execFileSync('ss', ['-Hltn', `sport = :${port}`], { encoding: 'utf8' }).trim();
  const backlog = Number(line.split(/\s+/)[2]);
  const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  expect(backlog).toBe(Math.min(4096, somaxconn));
});
