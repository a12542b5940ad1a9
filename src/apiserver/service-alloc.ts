// Allocations of Services: ClusterIPs, NodePorts and (Bramble's) userspace proxy ports, each
// unique in the cluster. The Service objects themselves are the record (persisted with them);
// this index is rebuilt from the store at start and follows it, so a deleted Service frees its
// values by whatever path it went (API delete, namespace emptied, garbage collector).
import { StatusError } from '../api/status.js';
import { resourceByKind, storePrefix, type ResourceType } from '../api/registry.js';
import type { FieldError, KObject } from '../api/types.js';
import type { Logger } from '../log/logger.js';
import { objectKey } from '../client/informer.js';
import { followPrefix } from '../store/follow.js';
import type { Entry, Store, StoredValue, WatchHandle } from '../store/store.js';
import { invalid } from './errors.js';

export interface ServiceRanges {
  /** IPv4 CIDR ClusterIPs are drawn from (default 10.96.0.0/16). */
  clusterIPRange: string;
  /** Inclusive NodePort range, "30000-32767". */
  nodePortRange: string;
  /** Inclusive range of userspace proxy ports, "20000-29999". */
  proxyPortRange: string;
}

export const defaultServiceRanges: ServiceRanges = {
  clusterIPRange: '10.96.0.0/16',
  nodePortRange: '30000-32767',
  proxyPortRange: '20000-29999',
};

const servicesType = resourceByKind('v1', 'Service') as ResourceType;

interface Range { first: number; last: number }

interface SvcPort { name?: string; protocol?: string; port: number; nodePort?: number }
interface SvcSpec { type?: string; clusterIP?: string; clusterIPs?: string[]; ports?: SvcPort[] }
interface ProxyPort { port: number; protocol: string; proxyPort: number }

export function parseCIDR(cidr: string): Range {
  const m = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\/(\d+)$/.exec(cidr.trim());
  const octets = m ? m.slice(1, 5).map(Number) : [];
  const bits = m ? Number(m[5]) : NaN;
  if (!m || octets.some((o) => o > 255) || !(bits >= 8 && bits <= 30)) throw new Error(`service ClusterIP range "${cidr}": expected an IPv4 CIDR with a prefix of 8 to 30 bits, e.g. 10.96.0.0/16`);
  const base = ipToInt(octets.join('.'));
  const size = 2 ** (32 - bits);
  const network = base - (base % size);
  // Neither the network nor the broadcast address; the first host address is kept back, as
  // Kubernetes does for its own API Service.
  return { first: network + 2, last: network + size - 2 };
}

export function parsePortRange(range: string, what: string): Range {
  const m = /^(\d+)-(\d+)$/.exec(range.trim());
  const first = m ? Number(m[1]) : NaN;
  const last = m ? Number(m[2]) : NaN;
  if (!m || first < 1 || last > 65535 || first > last) throw new Error(`${what} range "${range}": expected FIRST-LAST within 1-65535, e.g. 30000-32767`);
  return { first, last };
}

export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => acc * 256 + Number(o), 0);
}

export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** One pool of unique values, each owned by one Service key. */
class Pool {
  private readonly owner = new Map<number, string>();
  private cursor: number;

  constructor(readonly range: Range) {
    this.cursor = range.first;
  }

  ownerOf(v: number): string | undefined {
    return this.owner.get(v);
  }

  inRange(v: number): boolean {
    return v >= this.range.first && v <= this.range.last;
  }

  take(v: number, key: string): void {
    this.owner.set(v, key);
  }

  release(v: number, key: string): void {
    if (this.owner.get(v) === key) this.owner.delete(v);
  }

  /** The next free value after the last one handed out (so a freed value is not reused at once). */
  next(key: string): number | undefined {
    const size = this.range.last - this.range.first + 1;
    for (let i = 0; i < size; i++) {
      const v = this.range.first + ((this.cursor - this.range.first + i) % size);
      if (!this.owner.has(v)) {
        this.cursor = v + 1 > this.range.last ? this.range.first : v + 1;
        this.owner.set(v, key);
        return v;
      }
    }
    return undefined;
  }
}

type Kind = 'ip' | 'nodePort' | 'proxyPort';

/** An allocation in flight: its object, then exactly one of commit or abort. */
export interface Allocation {
  object: KObject;
  /** The write happened: the key now holds what `written` holds (nothing if it was deleted). */
  commit(written: KObject | undefined): void;
  /** The write did not happen: the key holds what it held before. */
  abort(): void;
}
type Held = Record<Kind, number[]>;

const emptyHeld = (): Held => ({ ip: [], nodePort: [], proxyPort: [] });

export class ServiceAllocator {
  private readonly pools: Record<Kind, Pool>;
  private readonly held = new Map<string, Held>();
  /** Keys with an allocation not yet committed or aborted, and how many. */
  private readonly inFlight = new Map<string, number>();
  private watch: WatchHandle | undefined;

  constructor(private readonly store: Store, private readonly log: Logger, ranges: Partial<ServiceRanges> = {}) {
    const r = { ...defaultServiceRanges, ...ranges };
    this.pools = {
      ip: new Pool(parseCIDR(r.clusterIPRange)),
      nodePort: new Pool(parsePortRange(r.nodePortRange, 'NodePort')),
      proxyPort: new Pool(parsePortRange(r.proxyPortRange, 'proxy port')),
    };
  }

  async start(): Promise<void> {
    this.watch = await followPrefix(this.store, storePrefix(servicesType), (e, gone) => this.onEntry(e, gone), this.log, 'service allocation index', () => this.reset());
  }

  /**
   * Before a reload's listing is applied: a Service deleted while the watch was behind would
   * keep its values forever, so everything is released and the listing takes back what is
   * stored — except what allocations in flight hold, whose writes settle them.
   */
  private reset(): void {
    for (const key of [...this.held.keys()]) if (!this.inFlight.has(key)) this.hold(key, emptyHeld());
  }

  private begin(key: string): () => void {
    this.inFlight.set(key, (this.inFlight.get(key) ?? 0) + 1);
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const n = (this.inFlight.get(key) ?? 1) - 1;
      if (n === 0) this.inFlight.delete(key);
      else this.inFlight.set(key, n);
    };
  }

  stop(): void {
    this.watch?.close();
  }

  /**
   * Fills in what the server allocates (clusterIP, nodePorts, status.proxyPorts) and checks
   * what the client asked for. The values are held for `key` at once, together with what it
   * held before, until the caller commits (what was written) or aborts (nothing was).
   */
  allocate(key: string, obj: KObject, prev: KObject | undefined): Allocation {
    const got = emptyHeld();
    const before = this.held.get(key) ?? emptyHeld();
    try {
      const object = this.allocateInto(key, obj, prev, got, before);
      const end = this.begin(key);
      return {
        object,
        commit: (written) => { end(); this.settle(key, written); },
        abort: () => { end(); this.hold(key, before); },
      };
    } catch (err) {
      // Values drawn for this attempt go back unless the key already held them.
      const held = this.held.get(key) ?? emptyHeld();
      for (const kind of ['ip', 'nodePort', 'proxyPort'] as const) {
        for (const v of got[kind]) if (!held[kind].includes(v)) this.pools[kind].release(v, key);
      }
      throw err;
    }
  }

  private allocateInto(key: string, obj: KObject, prev: KObject | undefined, got: Held, before: Held): KObject {
    const next = structuredClone(obj);
    const spec = (next.spec ?? {}) as SvcSpec;
    next.spec = spec;
    const name = next.metadata.name ?? '';
    const errors: FieldError[] = [];
    const mine = (kind: Kind, v: number): boolean => {
      const o = this.pools[kind].ownerOf(v);
      return o === undefined || o === key;
    };
    const headless = spec.clusterIP === 'None';
    if (!headless) {
      if (spec.clusterIP === undefined || spec.clusterIP === '') {
        const v = this.pools.ip.next(key);
        if (v === undefined) throw exhausted('ClusterIP', this.pools.ip.range);
        spec.clusterIP = intToIp(v);
        got.ip.push(v);
      } else {
        const v = ipToInt(spec.clusterIP);
        const unchanged = (prev?.spec as SvcSpec | undefined)?.clusterIP === spec.clusterIP;
        if (!unchanged && !this.pools.ip.inRange(v)) errors.push(fieldErr('spec.clusterIP', spec.clusterIP, `provided IP is not in the valid range (${intToIp(this.pools.ip.range.first - 2)}-${intToIp(this.pools.ip.range.last + 1)})`));
        else if (!mine('ip', v)) errors.push(fieldErr('spec.clusterIP', spec.clusterIP, 'provided IP is already allocated'));
        else got.ip.push(v);
      }
      if (spec.clusterIP !== undefined && (spec.clusterIPs === undefined || spec.clusterIPs.length === 0)) spec.clusterIPs = [spec.clusterIP];
    }
    const wantsNodePorts = spec.type === 'NodePort' || spec.type === 'LoadBalancer';
    (spec.ports ?? []).forEach((p, i) => {
      if (!wantsNodePorts) return;
      if (p.nodePort === undefined || p.nodePort === 0) {
        const v = this.pools.nodePort.next(key);
        if (v === undefined) throw exhausted('NodePort', this.pools.nodePort.range);
        p.nodePort = v;
        got.nodePort.push(v);
      } else if (!this.pools.nodePort.inRange(p.nodePort)) {
        errors.push(fieldErr(`spec.ports[${i}].nodePort`, p.nodePort, `provided port is not in the valid range. The range of valid ports is ${this.pools.nodePort.range.first}-${this.pools.nodePort.range.last}`));
      } else if (!mine('nodePort', p.nodePort) || got.nodePort.includes(p.nodePort)) {
        errors.push(fieldErr(`spec.ports[${i}].nodePort`, p.nodePort, 'provided port is already allocated'));
      } else got.nodePort.push(p.nodePort);
    });
    if (!headless) {
      const status = (next.status ?? {}) as { proxyPorts?: ProxyPort[] };
      const before = ((prev?.status ?? {}) as { proxyPorts?: ProxyPort[] }).proxyPorts ?? [];
      status.proxyPorts = (spec.ports ?? []).map((p) => {
        const protocol = p.protocol ?? 'TCP';
        const kept = before.find((x) => x.port === p.port && x.protocol === protocol && mine('proxyPort', x.proxyPort));
        const v = kept?.proxyPort ?? this.pools.proxyPort.next(key);
        if (v === undefined) throw exhausted('proxy port', this.pools.proxyPort.range);
        got.proxyPort.push(v);
        return { port: p.port, protocol, proxyPort: v };
      });
      next.status = status;
    } else if (next.status !== undefined) {
      delete (next.status as { proxyPorts?: unknown }).proxyPorts;
    }
    if (errors.length > 0) throw invalid(servicesType, name, errors);
    // Until the write is settled the key holds both what it held and what it asked for.
    const union = (kind: Kind): number[] => [...new Set([...got[kind], ...before[kind], ...(prev ? heldBy(prev)[kind] : [])])];
    this.hold(key, { ip: union('ip'), nodePort: union('nodePort'), proxyPort: union('proxyPort') });
    return next;
  }

  /** After a write: the key holds what `written` (the stored object, or none) holds. */
  settle(key: string, written: KObject | undefined): void {
    this.hold(key, written ? heldBy(written) : emptyHeld());
  }

  private onEntry(e: Entry<StoredValue>, gone: boolean): void {
    const obj = e.value as unknown as KObject;
    const key = objectKey(obj);
    this.settle(key, gone ? undefined : obj);
  }

  private hold(key: string, values: Held): void {
    const old = this.held.get(key) ?? emptyHeld();
    for (const kind of ['ip', 'nodePort', 'proxyPort'] as const) {
      for (const v of old[kind]) if (!values[kind].includes(v)) this.pools[kind].release(v, key);
      for (const v of values[kind]) {
        const o = this.pools[kind].ownerOf(v);
        // Two stored Services claiming one value can only come from outside this server (a
        // restored backup): keep the first owner and say so, rather than hand it out a third time.
        if (o !== undefined && o !== key) this.log.warn({ kind, value: v, owner: o, service: key }, 'service allocation claimed twice');
        else this.pools[kind].take(v, key);
      }
    }
    if (values.ip.length + values.nodePort.length + values.proxyPort.length === 0) this.held.delete(key);
    else this.held.set(key, values);
  }
}

function heldBy(obj: KObject): Held {
  const spec = (obj.spec ?? {}) as SvcSpec;
  const held = emptyHeld();
  if (spec.clusterIP && spec.clusterIP !== 'None' && /^\d+\.\d+\.\d+\.\d+$/.test(spec.clusterIP)) held.ip.push(ipToInt(spec.clusterIP));
  for (const p of spec.ports ?? []) if (p.nodePort) held.nodePort.push(p.nodePort);
  for (const p of ((obj.status ?? {}) as { proxyPorts?: ProxyPort[] }).proxyPorts ?? []) held.proxyPort.push(p.proxyPort);
  return held;
}

function fieldErr(field: string, value: unknown, detail: string): FieldError {
  return { field, reason: 'FieldValueInvalid', message: `Invalid value: ${JSON.stringify(value)}: ${detail}` };
}

function exhausted(what: string, r: Range): StatusError {
  const show = what === 'ClusterIP' ? `${intToIp(r.first)}-${intToIp(r.last)}` : `${r.first}-${r.last}`;
  return new StatusError('InternalError', `no ${what} left to allocate in ${show}: delete unused Services or widen the range`);
}
