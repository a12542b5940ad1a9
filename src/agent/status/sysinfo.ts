// The real status source: systeminformation, loaded lazily (it is large, and hollow agents and
// tests never need it). currentLoad() averages since its previous call and costs ~500 ms the
// first time, so the constructor-time warm-up call is made once at start-up.
//
// Only the three systeminformation modules the agent calls (osinfo, cpu, memory) are loaded, not
// its lib/index.js, which eagerly requires all 22 (graphics, wifi, docker, bluetooth with its
// vendor table, ...): ~1 MB of RSS and 18 modules fewer for the agent's whole life.
import { readFile, statfs } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import { kubeArch, readDeviceModel } from '../hardware.js';
import type { HostFacts, NodeStatusSource, UsageSample } from './source.js';
import { readThrottled } from './throttle.js';

type SI = Pick<typeof import('systeminformation'), 'osInfo' | 'uuid' | 'cpu' | 'currentLoad' | 'cpuTemperature' | 'mem'>;

/** The six functions from their own modules (the package has no `exports` map, so lib/ paths resolve). */
function loadSystemInformation(): SI {
  const require = createRequire(import.meta.url);
  const part = (name: string): Partial<SI> => require(`systeminformation/lib/${name}.js`) as Partial<SI>;
  return { ...part('osinfo'), ...part('cpu'), ...part('memory') } as SI;
}

async function readText(file: string): Promise<string | undefined> {
  try {
    return (await readFile(file, 'utf8')).trim();
  } catch {
    return undefined;
  }
}

async function countPids(): Promise<number | undefined> {
  // loadavg's 4th field is "running/total" scheduling entities: a cheap process count.
  const text = await readText('/proc/loadavg');
  const total = text?.split(/\s+/)[3]?.split('/')[1];
  return total === undefined ? undefined : Number(total);
}

export class SystemInfoSource implements NodeStatusSource {
  private si: SI | undefined;

  constructor(private readonly dataDir: string) {}

  private async lib(): Promise<SI> {
    if (!this.si) {
      this.si = loadSystemInformation();
      await this.si.currentLoad(); // warm-up: the next call reports the average since now
    }
    return this.si;
  }

  async facts(): Promise<HostFacts> {
    const si = await this.lib();
    const [os, cpu, mem, disk, uuid] = await Promise.all([si.osInfo(), si.cpu(), si.mem(), statfs(this.dataDir), si.uuid().catch(() => undefined)]);
    return {
      hostname: hostname(),
      architecture: kubeArch(),
      operatingSystem: os.platform === 'linux' ? 'linux' : os.platform,
      osImage: [os.distro, os.release, os.codename ? `(${os.codename})` : ''].filter(Boolean).join(' '),
      kernelVersion: os.kernel,
      machineID: (await readText('/etc/machine-id')) || undefined,
      systemUUID: uuid?.hardware || undefined,
      bootID: await readText('/proc/sys/kernel/random/boot_id'),
      cpus: cpu.cores || 1,
      memoryBytes: mem.total,
      diskBytes: disk.blocks * disk.bsize,
      deviceModel: await readDeviceModel(),
    };
  }

  async sample(): Promise<UsageSample> {
    const si = await this.lib();
    const [load, mem, temp, disk, throttled, pids, pidMax] = await Promise.all([
      si.currentLoad(), si.mem(), si.cpuTemperature().catch(() => undefined), statfs(this.dataDir).catch(() => undefined),
      readThrottled(), countPids(), readText('/proc/sys/kernel/pid_max'),
    ]);
    return {
      cpuPercent: Number.isFinite(load.currentLoad) ? load.currentLoad : undefined,
      memoryUsedBytes: mem.total - mem.available,
      memoryAvailableBytes: mem.available,
      diskFreeBytes: disk ? disk.bavail * disk.bsize : undefined,
      diskTotalBytes: disk ? disk.blocks * disk.bsize : undefined,
      // On VMs and some boards there is no sensor: main is null.
      temperatureCelsius: typeof temp?.main === 'number' ? temp.main : undefined,
      throttled,
      pids,
      pidMax: pidMax ? Number(pidMax) : undefined,
    };
  }
}
