import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { ProxyMetrics, type CounterReport } from '../../src/master/proxy-metrics.js';

const report = (n: number): CounterReport => ({
  mode: 'userspace', since: '2026-01-01T00:00:00Z',
  services: [{ key: 'default/web:http', connections: n, bytesIn: 10 * n, bytesOut: 100 * n, failed: n > 1 ? 1 : 0 }],
});
const gw = 'service="default/web",port="http",node="(gateway)"';

describe('ProxyMetrics: the gateway\'s own counters', () => {
  it('one scrape pulls them once, and every series shows that pull', async () => {
    const registry = new Registry();
    const m = new ProxyMetrics(registry);
    let calls = 0;
    let n = 1;
    m.local = () => { calls++; return report(n); };

    const first = await registry.metrics();
    expect(calls).toBe(1);
    for (const line of [`bramble_proxy_connections_total{${gw}} 1`, `bramble_proxy_bytes_in_total{${gw}} 10`, `bramble_proxy_bytes_out_total{${gw}} 100`, 'bramble_proxy_mode{node="(gateway)",mode="userspace"} 1']) {
      expect(first).toContain(line);
    }

    n = 3;
    const second = await registry.metrics();
    expect(calls).toBe(2);
    for (const line of [`bramble_proxy_connections_total{${gw}} 3`, `bramble_proxy_bytes_in_total{${gw}} 30`, `bramble_proxy_bytes_out_total{${gw}} 300`, `bramble_proxy_failed_connections_total{${gw}} 1`]) {
      expect(second).toContain(line);
    }

    await registry.getMetricsAsJSON();
    expect(calls).toBe(3);
  });

  it('without a local source a scrape still shows the nodes\' reports', async () => {
    const registry = new Registry();
    const m = new ProxyMetrics(registry);
    m.observe('pi-1', report(2));
    expect(await registry.metrics()).toContain('bramble_proxy_connections_total{service="default/web",port="http",node="pi-1"} 2');
  });
});
