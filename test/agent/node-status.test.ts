import { describe, expect, it } from 'vitest';
import { detectProfile, loadProfiles } from '../../src/agent/hardware.js';
import { buildNodeStatus, meaningfulSignature } from '../../src/agent/status/node-status.js';
import { SyntheticStatusSource, syntheticFacts, type UsageSample } from '../../src/agent/status/source.js';
import { NodeStatusReporter } from '../../src/agent/status/reporter.js';
import { FakeRuntime } from '../../src/agent/runtime/fake.js';
import { silentLogger } from '../../src/log/logger.js';
import { ManualClock } from './helpers.js';
import { parseThrottled } from '../../src/agent/status/throttle.js';
import { decode, encode } from '../../src/protocol/codec.js';

async function build(sample: UsageSample, runtimeOk = true, previous?: ReturnType<typeof buildNodeStatus>, at = '2026-01-01T00:00:00Z') {
  const facts = syntheticFacts('pi-1', { memoryBytes: 4 * 2 ** 30, cpus: 4, diskBytes: 32 * 2 ** 30 });
  const profile = detectProfile(await loadProfiles(), facts.deviceModel, 'arm64');
  return buildNodeStatus({
    nodeName: 'pi-1', facts, profile, runtime: runtimeOk ? { ok: true } : { ok: false, message: 'cannot reach Docker. Install docker.io' },
    runtimeVersion: 'docker://20.10.24', sample, nodeIP: '192.168.1.20', maxPods: 110, now: new Date(at), previousConditions: previous?.status.conditions,
  });
}

const healthy: UsageSample = { cpuPercent: 25, memoryUsedBytes: 2 ** 30, memoryAvailableBytes: 3 * 2 ** 30, diskFreeBytes: 20 * 2 ** 30, diskTotalBytes: 32 * 2 ** 30, temperatureCelsius: 51.26, throttled: false, pids: 200, pidMax: 32768 };

describe('node status', () => {
  it('capacity and allocatable subtract the profile reservation and carry capability resources', async () => {
    const r = await build(healthy);
    expect(r.status.capacity).toMatchObject({ cpu: '4', memory: '4194304Ki', pods: '110', 'ephemeral-storage': '33554432Ki', 'bramble.dev/gpio': '1' });
    // Pi 4: 200m + 100m cpu, 256Mi + 64Mi memory reserved.
    expect(r.status.allocatable).toMatchObject({ cpu: '3700m', memory: `${4 * 1024 * 1024 - 320 * 1024}Ki`, 'bramble.dev/camera': '1' });
  });

  it('reports usage, addresses, nodeInfo and labels, and passes the strict protocol check', async () => {
    const r = await build(healthy);
    expect(r.status.usage).toMatchObject({ cpu: '1000m', cpuPercent: 25, memory: '1024Mi', memoryPercent: 25, temperatureCelsius: 51.3, throttled: false });
    expect(r.status.addresses).toEqual([{ type: 'InternalIP', address: '192.168.1.20' }, { type: 'Hostname', address: 'pi-1' }]);
    expect(r.status.nodeInfo).toMatchObject({ architecture: 'arm64', operatingSystem: 'linux', containerRuntimeVersion: 'docker://20.10.24', kubeletVersion: expect.stringMatching(/^v\d/) });
    expect(r.labels).toMatchObject({ 'kubernetes.io/arch': 'arm64', 'kubernetes.io/os': 'linux', 'kubernetes.io/hostname': 'pi-1', 'bramble.dev/model': 'raspberry-pi-4b' });
    expect(() => decode('status', encode(r))).not.toThrow();
  });

  it('conditions: pressure from readings, Ready from the runtime; transition times move only on transitions', async () => {
    const a = await build(healthy);
    const cond = (r: typeof a, t: string) => r.status.conditions!.find((c) => c.type === t)!;
    expect(cond(a, 'Ready')).toMatchObject({ status: 'True', reason: 'KubeletReady' });
    expect(cond(a, 'MemoryPressure').status).toBe('False');
    const b = await build({ ...healthy, memoryAvailableBytes: 50 * 2 ** 20, diskFreeBytes: 2 ** 30, pids: 32000 }, true, a, '2026-01-01T00:00:10Z');
    expect(cond(b, 'MemoryPressure')).toMatchObject({ status: 'True', reason: 'KubeletHasInsufficientMemory', lastTransitionTime: '2026-01-01T00:00:10.000Z' });
    expect(cond(b, 'DiskPressure').status).toBe('True');
    expect(cond(b, 'PIDPressure').status).toBe('True');
    expect(cond(b, 'Ready')).toMatchObject({ lastTransitionTime: '2026-01-01T00:00:00.000Z', lastHeartbeatTime: '2026-01-01T00:00:10.000Z' });
    const c = await build(healthy, false, b, '2026-01-01T00:00:20Z');
    expect(cond(c, 'Ready')).toMatchObject({ status: 'False', reason: 'ContainerRuntimeUnavailable', message: 'cannot reach Docker. Install docker.io' });
  });

  it('a heartbeat differs only in times and readings; a condition change is meaningful', async () => {
    const a = await build(healthy);
    const b = await build({ ...healthy, cpuPercent: 80 }, true, a, '2026-01-01T00:00:10Z');
    expect(meaningfulSignature(b)).toBe(meaningfulSignature(a));
    const c = await build(healthy, false, b, '2026-01-01T00:00:20Z');
    expect(meaningfulSignature(c)).not.toBe(meaningfulSignature(b));
  });

  it('missing readings (no sensor, no throttling file) are left out', async () => {
    const r = await build({});
    expect(r.status.usage?.temperatureCelsius).toBeUndefined();
    expect(r.status.usage?.throttled).toBeUndefined();
    expect(r.status.conditions!.find((c) => c.type === 'MemoryPressure')!.status).toBe('Unknown');
  });

  it('parses the Pi firmware throttling flags', () => {
    expect(parseThrottled('throttled=0x0')).toBe(false);
    expect(parseThrottled('0x50005')).toBe(true);
    expect(parseThrottled('0x50000')).toBe(false);
    expect(parseThrottled('')).toBeUndefined();
  });
});

describe('status reporter', () => {
  async function reporter(fullEvery = 3) {
    const facts = syntheticFacts('pi-1');
    const profile = detectProfile(await loadProfiles(), facts.deviceModel, 'arm64');
    const clock = new ManualClock();
    const sent: any[] = [];
    let cpu = 10;
    const r = new NodeStatusReporter({
      nodeName: 'pi-1', source: new SyntheticStatusSource(facts, () => ({ ...healthy, cpuPercent: cpu })), runtime: new FakeRuntime(), profile, facts, clock,
      heartbeatMs: 10_000, maxPods: 110, logger: silentLogger(), nodeIP: () => '192.168.1.20', publish: (m) => sent.push(m), fullEvery,
    });
    const settle = () => new Promise<void>((res) => setTimeout(res, 5));
    clock.onFire = settle;
    return { r, clock, sent, settle, setCpu: (v: number) => { cpu = v; } };
  }

  it('sends full reports every beat, without sig, until a master lists the heartbeat feature', async () => {
    const { r, clock, sent, settle } = await reporter();
    await r.start();
    r.masterSynced(undefined); // an older master
    await settle();
    await clock.advance(30_000);
    expect(sent.length).toBeGreaterThanOrEqual(4);
    expect(sent.every((m) => m.type === 'status' && m.sig === undefined)).toBe(true);
    expect(() => sent.forEach((m) => decode('status', encode(m)))).not.toThrow();
    r.stop();
  });

  it('with the heartbeat feature: a full report (with sig) at once, then compact heartbeats with usage, a full one every fullEvery beats and on any change', async () => {
    const { r, clock, sent, settle, setCpu } = await reporter(3);
    await r.start();
    sent.length = 0;
    r.masterSynced(['heartbeat']);
    await settle();
    expect(sent.map((m) => m.type)).toEqual(['status']);
    const sig = sent[0].sig;
    expect(sig).toMatch(/^[a-z0-9]+-[a-z0-9]+$/);
    setCpu(55);
    await clock.advance(30_000);
    expect(sent.map((m) => m.type)).toEqual(['status', 'heartbeat', 'heartbeat', 'status']);
    expect(sent[1]).toEqual({ v: 1, type: 'heartbeat', sig, usage: expect.objectContaining({ cpuPercent: 55 }) });
    expect(sent[3].sig).toBe(sig);
    for (const m of sent) expect(() => decode('status', encode(m))).not.toThrow();
    // A meaningful change (the runtime fails) is a full report at once, with a new sig.
    r.setRuntimeProblem('docker is gone');
    await settle();
    const last = sent.at(-1);
    expect(last).toMatchObject({ type: 'status' });
    expect(last.sig).not.toBe(sig);
    // A reconnect's report is the base protocol (no sig), safe for any master.
    expect(r.current()?.sig).toBeUndefined();
    r.stop();
  });
});
