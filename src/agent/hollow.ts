// Hollow agents: many simulated nodes in one process, each a real Agent with its own MQTT
// connection, on a FakeRuntime and a synthetic status source. Shared where it is free to share:
// one coarse timer wheel for every heartbeat, back-off and resync, the hardware profiles loaded
// once, probes that always pass (a fake pod's IP leads nowhere), local state in memory (it
// describes containers that only exist in memory). For scale tests and benchmarks.
import path from 'node:path';
import type { Logger } from '../log/logger.js';
import { Agent, type AgentTuning } from './agent.js';
import { CoarseClock } from './clock.js';
import { detectProfile, loadProfiles } from './hardware.js';
import { FakeRuntime } from './runtime/fake.js';
import { MemoryStateStore } from './state.js';
import { SyntheticStatusSource, syntheticFacts, type UsageSample } from './status/source.js';

export interface HollowOptions {
  masterUrl: string;
  count: number;
  /** Node names are `${prefix}${index}` (default "hollow-"). */
  prefix?: string;
  /** The MQTT password of each node (its token). */
  token: (nodeName: string) => string;
  /** Each agent keeps its state in <dataDir>/<nodeName>. */
  dataDir: string;
  logger: Logger;
  /** Device model string the synthetic nodes report (default a Pi 4). */
  deviceModel?: string;
  options?: Partial<AgentTuning>;
  /** Start this many agents at a time (a gentler connection storm). */
  concurrency?: number;
}

export interface HollowFleet {
  agents: Agent[];
  runtimes: Map<string, FakeRuntime>;
  stop(): Promise<void>;
}

export async function startHollowAgents(o: HollowOptions): Promise<HollowFleet> {
  const clock = new CoarseClock(250);
  const profiles = await loadProfiles();
  const deviceModel = o.deviceModel ?? 'Raspberry Pi 4 Model B Rev 1.4';
  const profile = detectProfile(profiles, deviceModel, 'arm64');
  const agents: Agent[] = [];
  const runtimes = new Map<string, FakeRuntime>();
  // Live readings that move like an idle Pi's: CPU 8–16 %, memory ±32 MiB, temperature ±1 °C
  // around fixed means, a fresh draw for every heartbeat (the master sees new usage each time).
  const usage = (): UsageSample => ({
    cpuPercent: 8 + Math.random() * 8, memoryUsedBytes: (900 + (Math.random() - 0.5) * 64) * 2 ** 20, memoryAvailableBytes: 3 * 2 ** 30,
    diskFreeBytes: 20 * 2 ** 30, diskTotalBytes: 32 * 2 ** 30, temperatureCelsius: 47 + Math.random() * 2,
  });
  for (let i = 0; i < o.count; i++) {
    const name = `${o.prefix ?? 'hollow-'}${i}`;
    const runtime = new FakeRuntime();
    runtimes.set(name, runtime);
    agents.push(new Agent({
      nodeName: name, mqtt: { url: o.masterUrl, username: name, password: o.token(name) }, runtime,
      status: new SyntheticStatusSource(syntheticFacts(name, { deviceModel }), usage), stateDir: path.join(o.dataDir, name),
      stateStore: new MemoryStateStore(), logger: o.logger, nodeIP: `127.1.${(i >> 8) & 255}.${i & 255}`, clock, profile,
      options: { syncPeriodMs: 10_000, prober: async () => ({ ok: true }), ...o.options },
    }));
  }
  const batch = o.concurrency ?? 50;
  for (let i = 0; i < agents.length; i += batch) await Promise.all(agents.slice(i, i + batch).map((a) => a.start()));
  return {
    agents,
    runtimes,
    stop: async () => {
      await Promise.all(agents.map((a) => a.stop()));
    },
  };
}
