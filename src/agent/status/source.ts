// Where node facts and live readings come from. The real source is systeminformation (sysinfo.ts);
// hollow agents and tests pass a synthetic one.

/** Facts that do not change while the agent runs. */
export interface HostFacts {
  hostname: string;
  /** Kubernetes architecture name (arm64, amd64). */
  architecture: string;
  operatingSystem: string;
  osImage: string;
  kernelVersion: string;
  machineID?: string;
  systemUUID?: string;
  bootID?: string;
  cpus: number;
  memoryBytes: number;
  /** Size of the filesystem holding the data dir (containers' writable layers and volumes). */
  diskBytes: number;
  /** /proc/device-tree/model, where there is one. */
  deviceModel?: string;
}

/** One reading; every field may be missing where the hardware or OS does not report it. */
export interface UsageSample {
  /** CPU use across all cores since the previous sample, 0–100. */
  cpuPercent?: number;
  memoryUsedBytes?: number;
  memoryAvailableBytes?: number;
  diskFreeBytes?: number;
  diskTotalBytes?: number;
  temperatureCelsius?: number;
  throttled?: boolean;
  /** Process count and the kernel's limit. */
  pids?: number;
  pidMax?: number;
}

export interface NodeStatusSource {
  facts(): Promise<HostFacts>;
  sample(): Promise<UsageSample>;
}

/** A fixed, cheap source: hollow agents, tests. */
export class SyntheticStatusSource implements NodeStatusSource {
  /** `usage`: a fixed reading, or a function giving each reading. */
  constructor(private readonly hostFacts: HostFacts, private readonly usage: UsageSample | (() => UsageSample) = {}) {}

  facts(): Promise<HostFacts> {
    return Promise.resolve(this.hostFacts);
  }

  sample(): Promise<UsageSample> {
    return Promise.resolve(typeof this.usage === 'function' ? this.usage() : this.usage);
  }
}

export function syntheticFacts(name: string, over: Partial<HostFacts> = {}): HostFacts {
  return {
    hostname: name, architecture: 'arm64', operatingSystem: 'linux', osImage: 'Debian GNU/Linux 12 (bookworm)',
    kernelVersion: '6.6.31+rpt-rpi-v8', cpus: 4, memoryBytes: 4 * 2 ** 30, diskBytes: 32 * 2 ** 30,
    deviceModel: 'Raspberry Pi 4 Model B Rev 1.4', ...over,
  };
}
