// The node's status report: capacity and allocatable (minus the profile's reservations, plus
// capability resources), conditions, addresses, nodeInfo, live usage, and the node's labels.
import type { Condition, NodeStatus } from '../../api/schemas.js';
import type { NodeStatusReport } from '../../protocol/messages.js';
import { brambleVersion } from '../../version.js';
import { cpuMillis, memoryBytes } from '../../api/quantity.js';
import { capabilityResources, profileLabels, type HardwareProfile } from '../hardware.js';
import { diskCondition, memoryCondition, pidCondition, readyCondition, stampConditions, type RuntimeHealth } from './conditions.js';
import type { HostFacts, UsageSample } from './source.js';

export interface NodeStatusInput {
  nodeName: string;
  facts: HostFacts;
  profile: HardwareProfile;
  runtime: RuntimeHealth;
  /** e.g. "docker://20.10.24". */
  runtimeVersion?: string;
  sample: UsageSample;
  nodeIP?: string;
  maxPods: number;
  now: Date;
  previousConditions?: Condition[];
}

const kib = (bytes: number): string => `${Math.max(0, Math.floor(bytes / 1024))}Ki`;
const mib = (bytes: number): string => `${Math.max(0, Math.round(bytes / 2 ** 20))}Mi`;
const round1 = (n: number): number => Math.round(n * 10) / 10;
const clampPercent = (n: number): number => Math.min(100, Math.max(0, round1(n)));

/** Label values are at most 63 characters, alphanumeric at both ends. */
export function labelValue(v: string): string {
  return v.slice(0, 63).replace(/^[^A-Za-z0-9]+|[^A-Za-z0-9]+$/g, '');
}

export function nodeLabels(nodeName: string, facts: HostFacts, profile: HardwareProfile): Record<string, string> {
  return {
    'kubernetes.io/arch': facts.architecture,
    'kubernetes.io/os': facts.operatingSystem,
    'kubernetes.io/hostname': labelValue(nodeName),
    ...profileLabels(profile),
  };
}

function resources(i: NodeStatusInput): { capacity: Record<string, string>; allocatable: Record<string, string> } {
  const { facts, profile } = i;
  const caps = capabilityResources(profile);
  const reservedCpu = cpuMillis(profile.reserved.system.cpu) + cpuMillis(profile.reserved.agent.cpu);
  const reservedMem = memoryBytes(profile.reserved.system.memory) + memoryBytes(profile.reserved.agent.memory);
  return {
    capacity: { cpu: String(facts.cpus), memory: kib(facts.memoryBytes), pods: String(i.maxPods), 'ephemeral-storage': kib(facts.diskBytes), ...caps },
    allocatable: {
      cpu: `${Math.max(0, facts.cpus * 1000 - reservedCpu)}m`,
      memory: kib(facts.memoryBytes - reservedMem),
      pods: String(i.maxPods),
      'ephemeral-storage': kib(facts.diskBytes),
      ...caps,
    },
  };
}

function usage(i: NodeStatusInput): NonNullable<NodeStatus['usage']> {
  const s = i.sample;
  const u: NonNullable<NodeStatus['usage']> = { timestamp: i.now.toISOString() };
  if (s.cpuPercent !== undefined) {
    u.cpuPercent = clampPercent(s.cpuPercent);
    u.cpu = `${Math.round((u.cpuPercent / 100) * i.facts.cpus * 1000)}m`;
  }
  if (s.memoryUsedBytes !== undefined) {
    u.memory = mib(s.memoryUsedBytes);
    if (i.facts.memoryBytes > 0) u.memoryPercent = clampPercent((s.memoryUsedBytes / i.facts.memoryBytes) * 100);
  }
  if (s.temperatureCelsius !== undefined) u.temperatureCelsius = round1(s.temperatureCelsius);
  if (s.throttled !== undefined) u.throttled = s.throttled;
  return u;
}

export function buildNodeStatus(i: NodeStatusInput): NodeStatusReport {
  const now = i.now.toISOString();
  const conditions = stampConditions(
    [readyCondition(i.runtime), memoryCondition(i.sample), diskCondition(i.sample), pidCondition(i.sample)],
    i.previousConditions, now,
  );
  const addresses: NonNullable<NodeStatus['addresses']> = [];
  if (i.nodeIP) addresses.push({ type: 'InternalIP', address: i.nodeIP });
  addresses.push({ type: 'Hostname', address: i.facts.hostname });
  const f = i.facts;
  const status: NodeStatus = {
    ...resources(i),
    conditions,
    addresses,
    nodeInfo: {
      architecture: f.architecture,
      operatingSystem: f.operatingSystem,
      osImage: f.osImage,
      kernelVersion: f.kernelVersion,
      containerRuntimeVersion: i.runtimeVersion ?? 'unknown',
      kubeletVersion: `v${brambleVersion}`,
      kubeProxyVersion: `v${brambleVersion}`,
      ...(f.machineID ? { machineID: f.machineID } : {}),
      ...(f.systemUUID ? { systemUUID: f.systemUUID } : {}),
      ...(f.bootID ? { bootID: f.bootID } : {}),
    },
    usage: usage(i),
  };
  return { v: 1, type: 'status', labels: nodeLabels(i.nodeName, f, i.profile), status };
}

/** The report without heartbeat times and live readings: when this changes, report at once. */
export function meaningfulSignature(r: NodeStatusReport): string {
  const { usage: _usage, conditions, ...rest } = r.status;
  const conds = conditions?.map(({ lastHeartbeatTime: _h, ...c }) => c);
  return JSON.stringify({ labels: r.labels, status: rest, conds });
}

/** A short digest of meaningfulSignature (FNV-1a, 2 × 32 bits): what heartbeats refer to. */
export function statusDigest(signature: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ signature.length;
  for (let i = 0; i < signature.length; i++) {
    const c = signature.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
  }
  return (a >>> 0).toString(36) + '-' + (b >>> 0).toString(36);
}
