// The table of each kind, as kubectl prints it: default columns, then the extra ones `-o wide` adds.
import type { KObject } from '../../api/types.js';
import { age } from './age.js';
import { arr, at, labelsText, num, rec, str } from './fields.js';

export interface Columns {
  headers: string[];
  wide: string[];
  /** Cells for `headers`, then for `wide`. */
  row(obj: KObject, now: number): { cells: string[]; wide: string[] };
}

const none = '<none>';

function created(o: KObject, now: number): string {
  return age(o.metadata.creationTimestamp, now);
}

/** kubectl's pod STATUS: the phase, refined by the reason, a waiting/terminated container, or deletion. */
export function podStatus(pod: KObject): string {
  let reason = str(at(pod, 'status', 'reason'), str(at(pod, 'status', 'phase'), 'Pending'));
  for (const cs of arr(at(pod, 'status', 'containerStatuses'))) {
    const waiting = str(at(cs, 'state', 'waiting', 'reason'));
    const terminated = at(cs, 'state', 'terminated');
    if (waiting) reason = waiting;
    else if (terminated !== undefined) {
      const r = str(at(terminated, 'reason'));
      reason = r || (num(at(terminated, 'signal')) ? `Signal:${num(at(terminated, 'signal'))}` : `ExitCode:${num(at(terminated, 'exitCode'))}`);
    }
  }
  if (pod.metadata.deletionTimestamp) reason = reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return reason;
}

function podReady(pod: KObject): string {
  const statuses = arr(at(pod, 'status', 'containerStatuses'));
  const total = arr(at(pod, 'spec', 'containers')).length;
  const ready = statuses.filter((cs) => at(cs, 'ready') === true).length;
  return `${ready}/${total}`;
}

function podRestarts(pod: KObject): string {
  return String(arr(at(pod, 'status', 'containerStatuses')).reduce<number>((n, cs) => n + num(at(cs, 'restartCount')), 0));
}

function condition(obj: KObject, type: string): string | undefined {
  const c = arr(at(obj, 'status', 'conditions')).find((x) => at(x, 'type') === type);
  return c === undefined ? undefined : str(at(c, 'status'));
}

export function nodeStatus(node: KObject): string {
  const ready = condition(node, 'Ready');
  let s = ready === 'True' ? 'Ready' : ready === 'False' ? 'NotReady' : 'Unknown';
  if (at(node, 'spec', 'unschedulable') === true) s += ',SchedulingDisabled';
  return s;
}

function nodeRoles(node: KObject): string {
  const prefix = 'node-role.kubernetes.io/';
  const roles = Object.keys(node.metadata.labels ?? {}).filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)).filter((r) => r !== '');
  return roles.length === 0 ? none : roles.sort().join(',');
}

function nodeAddress(node: KObject, type: string): string {
  const a = arr(at(node, 'status', 'addresses')).find((x) => at(x, 'type') === type);
  return str(at(a, 'address'), none);
}

/** `80/TCP`, `80:30080/TCP`, comma-joined. */
function servicePorts(svc: KObject): string {
  const ports = arr(at(svc, 'spec', 'ports')).map((p) => {
    const port = str(at(p, 'port'));
    const nodePort = at(p, 'nodePort');
    return `${port}${nodePort !== undefined ? `:${str(nodePort)}` : ''}/${str(at(p, 'protocol'), 'TCP')}`;
  });
  return ports.length === 0 ? none : ports.join(',');
}

function externalIP(svc: KObject): string {
  const ips = arr(at(svc, 'spec', 'externalIPs')).map((x) => str(x));
  const lb = arr(at(svc, 'status', 'loadBalancer', 'ingress')).map((i) => str(at(i, 'ip'), str(at(i, 'hostname'))));
  const all = [...lb, ...ips].filter((x) => x !== '');
  if (all.length > 0) return all.join(',');
  return str(at(svc, 'spec', 'type')) === 'LoadBalancer' ? '<pending>' : none;
}

/** `10.0.0.1:80,10.0.0.2:80 + 3 more...` like kubectl. */
function endpointsText(ep: KObject): string {
  const all: string[] = [];
  for (const subset of arr(ep.subsets)) {
    const ports = arr(at(subset, 'ports')).map((p) => str(at(p, 'port')));
    for (const a of arr(at(subset, 'addresses'))) {
      const ip = str(at(a, 'ip'));
      if (ports.length === 0) all.push(ip);
      for (const port of ports) all.push(`${ip}:${port}`);
    }
  }
  if (all.length === 0) return none;
  return all.length > 3 ? `${all.slice(0, 3).join(',')} + ${all.length - 3} more...` : all.join(',');
}

function containersAndImages(template: unknown): [string, string] {
  const cs = arr(at(template, 'spec', 'containers'));
  return [cs.map((c) => str(at(c, 'name'))).join(','), cs.map((c) => str(at(c, 'image'))).join(',')];
}

function selectorText(sel: unknown): string {
  const match = rec(at(sel, 'matchLabels'));
  const parts = Object.entries(match).map(([k, v]) => `${k}=${str(v)}`);
  for (const e of arr(at(sel, 'matchExpressions'))) {
    const values = arr(at(e, 'values')).map((v) => str(v)).join(',');
    parts.push(`${str(at(e, 'key'))} ${str(at(e, 'operator')).toLowerCase()} (${values})`);
  }
  return parts.length === 0 ? none : parts.join(',');
}

function dataCount(o: KObject): string {
  return String(Object.keys(rec(o.data)).length + Object.keys(rec(o.binaryData)).length);
}

function eventObject(ev: KObject): string {
  return `${str(at(ev, 'involvedObject', 'kind')).toLowerCase()}/${str(at(ev, 'involvedObject', 'name'))}`;
}

function eventLastSeen(ev: KObject, now: number): string {
  const t = str(ev.lastTimestamp) || str(ev.eventTime) || str(ev.firstTimestamp) || ev.metadata.creationTimestamp;
  return age(t, now);
}

const byKind: Record<string, Columns> = {
  Pod: {
    headers: ['NAME', 'READY', 'STATUS', 'RESTARTS', 'AGE'],
    wide: ['IP', 'NODE'],
    row: (o, now) => ({
      cells: [str(o.metadata.name), podReady(o), podStatus(o), podRestarts(o), created(o, now)],
      wide: [str(at(o, 'status', 'podIP'), none), str(at(o, 'spec', 'nodeName'), none)],
    }),
  },
  Node: {
    headers: ['NAME', 'STATUS', 'ROLES', 'AGE', 'VERSION'],
    wide: ['INTERNAL-IP', 'OS-IMAGE', 'ARCH'],
    row: (o, now) => ({
      cells: [str(o.metadata.name), nodeStatus(o), nodeRoles(o), created(o, now), str(at(o, 'status', 'nodeInfo', 'kubeletVersion'), none)],
      wide: [nodeAddress(o, 'InternalIP'), str(at(o, 'status', 'nodeInfo', 'osImage'), '<unknown>'), str(at(o, 'status', 'nodeInfo', 'architecture'), '<unknown>')],
    }),
  },
  Deployment: {
    headers: ['NAME', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row: (o, now) => {
      const [containers, images] = containersAndImages(at(o, 'spec', 'template'));
      const desired = at(o, 'spec', 'replicas') === undefined ? 1 : num(at(o, 'spec', 'replicas'));
      return {
        cells: [str(o.metadata.name), `${num(at(o, 'status', 'readyReplicas'))}/${desired}`, String(num(at(o, 'status', 'updatedReplicas'))), String(num(at(o, 'status', 'availableReplicas'))), created(o, now)],
        wide: [containers, images, selectorText(at(o, 'spec', 'selector'))],
      };
    },
  },
  ReplicaSet: {
    headers: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row: (o, now) => {
      const [containers, images] = containersAndImages(at(o, 'spec', 'template'));
      const desired = at(o, 'spec', 'replicas') === undefined ? 1 : num(at(o, 'spec', 'replicas'));
      return {
        cells: [str(o.metadata.name), String(desired), String(num(at(o, 'status', 'replicas'))), String(num(at(o, 'status', 'readyReplicas'))), created(o, now)],
        wide: [containers, images, selectorText(at(o, 'spec', 'selector'))],
      };
    },
  },
  DaemonSet: {
    headers: ['NAME', 'DESIRED', 'CURRENT', 'READY', 'UP-TO-DATE', 'AVAILABLE', 'NODE SELECTOR', 'AGE'],
    wide: ['CONTAINERS', 'IMAGES', 'SELECTOR'],
    row: (o, now) => {
      const [containers, images] = containersAndImages(at(o, 'spec', 'template'));
      const s = (k: string): string => String(num(at(o, 'status', k)));
      return {
        cells: [str(o.metadata.name), s('desiredNumberScheduled'), s('currentNumberScheduled'), s('numberReady'), s('updatedNumberScheduled'), s('numberAvailable'), labelsText(at(o, 'spec', 'template', 'spec', 'nodeSelector')), created(o, now)],
        wide: [containers, images, selectorText(at(o, 'spec', 'selector'))],
      };
    },
  },
  Service: {
    headers: ['NAME', 'TYPE', 'CLUSTER-IP', 'EXTERNAL-IP', 'PORT(S)', 'AGE'],
    wide: ['SELECTOR'],
    row: (o, now) => ({
      cells: [str(o.metadata.name), str(at(o, 'spec', 'type'), 'ClusterIP'), str(at(o, 'spec', 'clusterIP'), none), externalIP(o), servicePorts(o), created(o, now)],
      wide: [labelsText(at(o, 'spec', 'selector'))],
    }),
  },
  Endpoints: {
    headers: ['NAME', 'ENDPOINTS', 'AGE'],
    wide: [],
    row: (o, now) => ({ cells: [str(o.metadata.name), endpointsText(o), created(o, now)], wide: [] }),
  },
  ConfigMap: {
    headers: ['NAME', 'DATA', 'AGE'],
    wide: [],
    row: (o, now) => ({ cells: [str(o.metadata.name), dataCount(o), created(o, now)], wide: [] }),
  },
  Secret: {
    headers: ['NAME', 'TYPE', 'DATA', 'AGE'],
    wide: [],
    row: (o, now) => ({ cells: [str(o.metadata.name), str(o.type, 'Opaque'), dataCount(o), created(o, now)], wide: [] }),
  },
  Event: {
    headers: ['LAST SEEN', 'TYPE', 'REASON', 'OBJECT', 'MESSAGE'],
    wide: [],
    row: (o, now) => ({ cells: [eventLastSeen(o, now), str(o.type, 'Normal'), str(o.reason), eventObject(o), str(o.message).replace(/\s*\n\s*/g, ' ')], wide: [] }),
  },
  Namespace: {
    headers: ['NAME', 'STATUS', 'AGE'],
    wide: [],
    row: (o, now) => ({ cells: [str(o.metadata.name), str(at(o, 'status', 'phase'), 'Active'), created(o, now)], wide: [] }),
  },
  ServiceAccount: {
    headers: ['NAME', 'SECRETS', 'AGE'],
    wide: [],
    row: (o, now) => ({ cells: [str(o.metadata.name), String(arr(o.secrets).length), created(o, now)], wide: [] }),
  },
};

const generic: Columns = {
  headers: ['NAME', 'AGE'],
  wide: [],
  row: (o, now) => ({ cells: [str(o.metadata.name), created(o, now)], wide: [] }),
};

export function columnsFor(kind: string): Columns {
  return byKind[kind] ?? generic;
}
