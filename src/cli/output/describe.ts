// `describe` text: aligned `Key:  value` lines, nested blocks indented by two spaces, like kubectl describe.
import { stringify } from 'yaml';
import type { ResourceType } from '../../api/registry.js';
import type { KObject } from '../../api/types.js';
import { age } from './age.js';
import { nodeStatus, podStatus } from './columns.js';
import { arr, at, num, rec, str, strMap } from './fields.js';
import { renderTable } from './table.js';

/** A line is `[key, value]` (aligned with its neighbours) or plain text; `indent` nests blocks. */
type Line = { indent: number; key: string; value: string } | { indent: number; text: string };

export class Describer {
  private readonly lines: Line[] = [];
  private level = 0;

  field(key: string, value: string | number | undefined): this {
    this.lines.push({ indent: this.level, key, value: value === undefined || value === '' ? '<none>' : String(value) });
    return this;
  }

  /** A key whose values are one per line (labels, annotations). */
  list(key: string, values: string[]): this {
    if (values.length === 0) return this.field(key, '<none>');
    values.forEach((v, i) => this.field(i === 0 ? key : '', v));
    return this;
  }

  text(text: string): this {
    for (const t of text.split('\n')) this.lines.push({ indent: this.level, text: t });
    return this;
  }

  block(title: string, body: () => void): this {
    this.lines.push({ indent: this.level, text: `${title}:` });
    this.level++;
    body();
    this.level--;
    return this;
  }

  render(): string {
    // Keys at the same depth share one column across the whole text, as kubectl's tabwriter output does.
    const widths = new Map<number, number>();
    for (const l of this.lines) if ('key' in l) widths.set(l.indent, Math.max(widths.get(l.indent) ?? 0, l.key.length + 1));
    const out = this.lines.map((l) => {
      const pad = '  '.repeat(l.indent);
      if (!('key' in l)) return `${pad}${l.text}`;
      return `${pad}${(l.key ? `${l.key}:` : '').padEnd((widths.get(l.indent) ?? 0) + 2)}${l.value}`.trimEnd();
    });
    return `${out.join('\n')}\n`;
  }
}

function pairs(m: unknown, sep = '='): string[] {
  return Object.entries(strMap(m)).map(([k, v]) => `${k}${sep}${v}`);
}

function selector(sel: unknown): string {
  const labels = at(sel, 'matchLabels') !== undefined ? at(sel, 'matchLabels') : sel;
  return pairs(labels).join(',') || '<none>';
}

function controlledBy(o: KObject): string | undefined {
  const ref = (o.metadata.ownerReferences ?? []).find((r) => r.controller);
  return ref ? `${ref.kind}/${ref.name}` : undefined;
}

function containers(d: Describer, podSpec: unknown, statuses: unknown[]): void {
  d.block('Containers', () => {
    for (const c of arr(at(podSpec, 'containers'))) {
      const name = str(at(c, 'name'));
      const cs = statuses.find((s) => at(s, 'name') === name);
      d.block(`  ${name}`.trim(), () => {
        d.field('Image', str(at(c, 'image')));
        const ports = arr(at(c, 'ports')).map((p) => `${str(at(p, 'containerPort'))}/${str(at(p, 'protocol'), 'TCP')}${at(p, 'hostPort') !== undefined ? ` (host ${str(at(p, 'hostPort'))})` : ''}`);
        d.field('Port', ports.join(', '));
        const command = arr(at(c, 'command')).map((x) => str(x));
        if (command.length > 0) d.field('Command', command.join(' '));
        if (cs !== undefined) {
          const state = Object.keys(rec(at(cs, 'state')))[0];
          const reason = state ? str(at(cs, 'state', state, 'reason')) : '';
          d.field('State', state ? `${state[0]!.toUpperCase()}${state.slice(1)}${reason ? ` (${reason})` : ''}` : '<unknown>');
          d.field('Ready', String(at(cs, 'ready') === true));
          d.field('Restart Count', num(at(cs, 'restartCount')));
        }
        const limits = pairs(at(c, 'resources', 'limits'), ': ');
        const requests = pairs(at(c, 'resources', 'requests'), ': ');
        if (limits.length > 0) d.list('Limits', limits);
        if (requests.length > 0) d.list('Requests', requests);
        const env = arr(at(c, 'env')).map((e) => `${str(at(e, 'name'))}=${at(e, 'valueFrom') !== undefined ? '<from reference>' : str(at(e, 'value'))}`);
        d.list('Environment', env);
      });
    }
  });
}

function conditions(d: Describer, o: KObject): void {
  const conds = arr(at(o, 'status', 'conditions'));
  if (conds.length === 0) return;
  d.block('Conditions', () => {
    d.text(renderTable([['Type', 'Status', 'Reason', 'Message'], ...conds.map((c) => [str(at(c, 'type')), str(at(c, 'status')), str(at(c, 'reason'), '-'), str(at(c, 'message'), '-')])]).map((l) => `  ${l}`).join('\n'));
  });
}

const highlights: Record<string, (d: Describer, o: KObject) => void> = {
  Pod: (d, o) => {
    d.field('Node', str(at(o, 'spec', 'nodeName'), '<none>'));
    d.field('Start Time', str(at(o, 'status', 'startTime'), '<none>'));
    d.field('Status', podStatus(o));
    d.field('IP', str(at(o, 'status', 'podIP'), '<none>'));
    d.field('Controlled By', controlledBy(o));
    containers(d, o.spec, arr(at(o, 'status', 'containerStatuses')));
    d.list('Node-Selectors', pairs(at(o, 'spec', 'nodeSelector')));
    d.list('Tolerations', arr(at(o, 'spec', 'tolerations')).map((t) => `${str(at(t, 'key'))}${at(t, 'value') !== undefined ? `=${str(at(t, 'value'))}` : ''}:${str(at(t, 'effect'))} op=${str(at(t, 'operator'), 'Equal')}`));
  },
  Deployment: (d, o) => {
    d.field('Selector', selector(at(o, 'spec', 'selector')));
    const s = (k: string): number => num(at(o, 'status', k));
    d.field('Replicas', `${at(o, 'spec', 'replicas') === undefined ? 1 : num(at(o, 'spec', 'replicas'))} desired | ${s('updatedReplicas')} updated | ${s('replicas')} total | ${s('availableReplicas')} available | ${s('unavailableReplicas')} unavailable`);
    d.field('StrategyType', str(at(o, 'spec', 'strategy', 'type'), 'RollingUpdate'));
    d.block('Pod Template', () => { d.list('Labels', pairs(at(o, 'spec', 'template', 'metadata', 'labels'))); containers(d, at(o, 'spec', 'template', 'spec'), []); });
  },
  ReplicaSet: (d, o) => {
    d.field('Selector', selector(at(o, 'spec', 'selector')));
    d.field('Controlled By', controlledBy(o));
    d.field('Replicas', `${num(at(o, 'status', 'replicas'))} current / ${at(o, 'spec', 'replicas') === undefined ? 1 : num(at(o, 'spec', 'replicas'))} desired`);
    d.field('Pods Status', `${num(at(o, 'status', 'readyReplicas'))} Ready / ${num(at(o, 'status', 'availableReplicas'))} Available`);
    d.block('Pod Template', () => { d.list('Labels', pairs(at(o, 'spec', 'template', 'metadata', 'labels'))); containers(d, at(o, 'spec', 'template', 'spec'), []); });
  },
  DaemonSet: (d, o) => {
    d.field('Selector', selector(at(o, 'spec', 'selector')));
    d.field('Node-Selector', pairs(at(o, 'spec', 'template', 'spec', 'nodeSelector')).join(',') || '<none>');
    const s = (k: string): number => num(at(o, 'status', k));
    d.field('Desired Number of Nodes Scheduled', s('desiredNumberScheduled'));
    d.field('Current Number of Nodes Scheduled', s('currentNumberScheduled'));
    d.field('Number of Nodes Scheduled with Up-to-date Pods', s('updatedNumberScheduled'));
    d.field('Number of Nodes Scheduled with Available Pods', s('numberAvailable'));
    d.field('Number of Nodes Misscheduled', s('numberMisscheduled'));
    d.block('Pod Template', () => { d.list('Labels', pairs(at(o, 'spec', 'template', 'metadata', 'labels'))); containers(d, at(o, 'spec', 'template', 'spec'), []); });
  },
  Service: (d, o) => {
    d.field('Selector', selector(at(o, 'spec', 'selector')));
    d.field('Type', str(at(o, 'spec', 'type'), 'ClusterIP'));
    d.field('IP', str(at(o, 'spec', 'clusterIP'), '<none>'));
    for (const p of arr(at(o, 'spec', 'ports'))) {
      d.field('Port', `${str(at(p, 'name'), '<unset>')}  ${str(at(p, 'port'))}/${str(at(p, 'protocol'), 'TCP')}`);
      d.field('TargetPort', `${str(at(p, 'targetPort'), str(at(p, 'port')))}/${str(at(p, 'protocol'), 'TCP')}`);
      if (at(p, 'nodePort') !== undefined) d.field('NodePort', `${str(at(p, 'nodePort'))}/${str(at(p, 'protocol'), 'TCP')}`);
    }
  },
  Node: (d, o) => {
    d.field('Status', nodeStatus(o));
    d.field('Unschedulable', String(at(o, 'spec', 'unschedulable') === true));
    d.list('Taints', arr(at(o, 'spec', 'taints')).map((t) => `${str(at(t, 'key'))}${at(t, 'value') !== undefined ? `=${str(at(t, 'value'))}` : ''}:${str(at(t, 'effect'))}`));
    d.list('Addresses', arr(at(o, 'status', 'addresses')).map((a) => `${str(at(a, 'type'))}: ${str(at(a, 'address'))}`));
    d.list('Capacity', pairs(at(o, 'status', 'capacity'), ': '));
    d.list('Allocatable', pairs(at(o, 'status', 'allocatable'), ': '));
    d.list('System Info', pairs(at(o, 'status', 'nodeInfo'), ': '));
  },
  ConfigMap: (d, o) => {
    d.block('Data', () => { for (const [k, v] of Object.entries(strMap(o.data))) d.text(`${k}:\n----\n${v}\n`); });
  },
  Secret: (d, o) => {
    d.field('Type', str(o.type, 'Opaque'));
    // Values are never shown, only their sizes.
    d.block('Data', () => { for (const [k, v] of Object.entries(strMap(o.data))) d.field(k, `${Buffer.from(v, 'base64').length} bytes`); });
  },
  Namespace: (d, o) => { d.field('Status', str(at(o, 'status', 'phase'), 'Active')); },
};

function generic(d: Describer, o: KObject): void {
  // Kinds without a tailored view still show everything they hold.
  const { apiVersion: _a, kind: _k, metadata: _m, status, ...rest } = o;
  for (const [k, v] of Object.entries(rest)) d.block(k[0]!.toUpperCase() + k.slice(1), () => d.text(stringify(v, { lineWidth: 0 }).trimEnd().split('\n').map((l) => `  ${l}`).join('\n')));
  if (status !== undefined && arr(at(status, 'conditions')).length === 0) d.block('Status', () => d.text(stringify(status, { lineWidth: 0 }).trimEnd().split('\n').map((l) => `  ${l}`).join('\n')));
}

export function describeObject(rt: ResourceType, o: KObject, events: KObject[], now: number): string {
  const d = new Describer();
  d.field('Name', o.metadata.name);
  if (rt.namespaced) d.field('Namespace', o.metadata.namespace);
  d.list('Labels', pairs(o.metadata.labels));
  d.list('Annotations', pairs(o.metadata.annotations, ': ').filter((a) => !a.startsWith('bramble.dev/last-applied-configuration')));
  d.field('CreationTimestamp', o.metadata.creationTimestamp);
  if (o.metadata.deletionTimestamp) d.field('DeletionTimestamp', o.metadata.deletionTimestamp);
  (highlights[rt.kind] ?? generic)(d, o);
  conditions(d, o);
  if (events.length === 0) d.field('Events', '<none>');
  else d.block('Events', () => d.text(renderTable([['Type', 'Reason', 'Age', 'From', 'Message'], ...events.map((e) => [str(e.type, 'Normal'), str(e.reason), age(str(e.lastTimestamp) || str(e.eventTime) || e.metadata.creationTimestamp, now), str(at(e, 'source', 'component'), str(e.reportingComponent, '-')), str(e.message)])]).map((l) => `  ${l}`).join('\n')));
  return d.render();
}
