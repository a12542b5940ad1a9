// Test helpers for the agent: a manual clock, pod bundles, a pod manager on a FakeRuntime,
// a plain embedded aedes broker, and polling.
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Aedes } from 'aedes';
import type { Container, Pod } from '../../src/api/schemas.js';
import type { Clock, TimerHandle } from '../../src/agent/clock.js';
import { kubeletBackoff } from '../../src/agent/pods/backoff.js';
import { PodManager, type PodManagerOptions } from '../../src/agent/pods/manager.js';
import { kubeProbeDefaults } from '../../src/agent/pods/probes.js';
import { FakeRuntime } from '../../src/agent/runtime/fake.js';
import type { ContainerInfo } from '../../src/agent/runtime/runtime.js';
import type { PodBundle, PodStatusReport } from '../../src/protocol/messages.js';
import { silentLogger } from '../../src/log/logger.js';

/** Time moves only when a test says so; timers fire in order, each followed by `onFire` (settling the manager). */
export class ManualClock implements Clock {
  private t: number;
  private timers: { at: number; fn: () => void; seq: number }[] = [];
  private seq = 0;
  onFire: () => Promise<void> = async () => undefined;

  constructor(start = Date.parse('2026-01-01T00:00:00Z')) {
    this.t = start;
  }

  now(): number {
    return this.t;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const entry = { at: this.t + Math.max(0, ms), fn, seq: this.seq++ };
    this.timers.push(entry);
    return { cancel: () => { this.timers = this.timers.filter((x) => x !== entry); } };
  }

  /** Move time forward by `ms`, firing every timer due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.t = Math.max(this.t, next.at);
      next.fn();
      await this.onFire();
    }
    this.t = end;
    await this.onFire();
  }
}

export const nodeName = 'pi-1';

let uidSerial = 0;

export function container(name: string, over: Partial<Container> = {}): Container {
  return { name, image: `busybox:1.36`, imagePullPolicy: 'IfNotPresent', ...over };
}

export function pod(name: string, spec: Partial<Pod['spec']> = {}, meta: Partial<Pod['metadata']> = {}): Pod {
  uidSerial++;
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: { name, namespace: 'default', uid: `uid-${name}-${uidSerial}`, resourceVersion: '1', ...meta },
    spec: { nodeName, restartPolicy: 'Always', containers: [container('app')], ...spec },
  };
}

export function bundle(p: Pod, extra: Partial<Omit<PodBundle, 'pod'>> = {}): PodBundle {
  return { pod: p, configMaps: [], secrets: [], ...extra };
}

export async function tempDir(prefix = 'bramble-agent-'): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

export interface Harness {
  clock: ManualClock;
  runtime: FakeRuntime;
  pm: PodManager;
  reports: PodStatusReport[];
  dataDir: string;
  /** Run everything pending, then move time. */
  tick: (ms?: number) => Promise<void>;
  latestReport: (uid: string) => PodStatusReport | undefined;
  containers: (uid: string, name?: string) => Promise<ContainerInfo[]>;
  close: () => Promise<void>;
}

export async function harness(over: Partial<PodManagerOptions> = {}, runtime = new FakeRuntime()): Promise<Harness> {
  const clock = new ManualClock();
  const { dir, cleanup } = await tempDir();
  const reports: PodStatusReport[] = [];
  const pm = new PodManager({
    nodeName, runtime, dataDir: dir, clock, logger: silentLogger(), hostIP: () => '192.168.1.10',
    backoff: kubeletBackoff, probeDefaults: kubeProbeDefaults, syncPeriodMs: 2000, orphanGraceSeconds: 5,
    nodeCpuMillis: 3700, nodeMemoryBytes: 3 * 2 ** 30, onStatus: (r) => reports.push(r),
    prober: async () => ({ ok: true }), ...over,
  });
  clock.onFire = () => pm.settle();
  pm.start();
  await pm.settle();
  return {
    clock, runtime, pm, reports, dataDir: dir,
    tick: async (ms = 0) => { await pm.settle(); await clock.advance(ms); await pm.settle(); },
    latestReport: (uid) => reports.filter((r) => r.uid === uid).at(-1),
    containers: async (uid, name) => (await runtime.listContainers(nodeName)).filter((c) => c.pod.uid === uid && !c.isSandbox && (name === undefined || c.name === name)),
    close: async () => { await pm.stop(); await cleanup(); },
  };
}

export interface Broker {
  port: number;
  close(): Promise<void>;
}

/** A plain embedded aedes broker on 127.0.0.1 (any port by default); close() drops its clients. */
export async function startBroker(port = 0): Promise<Broker> {
  const broker = await Aedes.createBroker();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    broker.handle(s);
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((r) => server.close(() => r()));
      await new Promise<void>((r) => broker.close(() => r()));
    },
  };
}

/** Poll `fn` until it holds; fails after `timeoutMs`. */
export async function waitFor(what: string, fn: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out waiting for: ${what}`);
}
