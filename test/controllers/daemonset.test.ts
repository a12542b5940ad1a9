import { describe, expect, it } from 'vitest';
import type { DaemonSet } from '../../src/api/kinds/apps.js';
import type { Node } from '../../src/api/kinds/node.js';
import type { Pod } from '../../src/api/kinds/pod.js';
import { reconcileDaemonSet } from '../../src/controllers/daemonset.js';
import { daemonPodFor, revisionHashLabel, targetNode } from '../../src/controllers/daemonset-pods.js';
import { nodeFit } from '../../src/controllers/node-match.js';
import { templateHash } from '../../src/controllers/hash.js';
import { T0, daemonSet, node, ownedBy, pod, template } from './fixtures.js';

const ds = daemonSet('cam');
const mine = ownedBy(ds, 'DaemonSet');
const hash = templateHash(ds.spec.template);
const run = (d: DaemonSet, nodes: Node[], pods: Pod[], satisfied = true) => reconcileDaemonSet({ ds: d, nodes, pods, now: T0, expectationsSatisfied: satisfied });
const dpod = (name: string, nodeName: string, o: Parameters<typeof pod>[1] = {}, h = hash) =>
  pod(name, { owner: mine, phase: 'Running', affinityNode: nodeName, node: nodeName, labels: { app: 'web', [revisionHashLabel]: h }, ...o });

describe('nodeFit', () => {
  const spec = (extra: object = {}) => ({ containers: [{ name: 'c', image: 'x' }], ...extra });
  const cases: { name: string; spec: ReturnType<typeof spec>; node: Node; run: boolean; stay: boolean }[] = [
    { name: 'plain node', spec: spec(), node: node('a'), run: true, stay: true },
    { name: 'nodeSelector matches', spec: spec({ nodeSelector: { camera: 'true' } }), node: node('a', { camera: 'true' }), run: true, stay: true },
    { name: 'nodeSelector misses', spec: spec({ nodeSelector: { camera: 'true' } }), node: node('a', { camera: 'false' }), run: false, stay: false },
    {
      name: 'affinity In matches', node: node('a', { arch: 'arm64' }), run: true, stay: true,
      spec: spec({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'arch', operator: 'In', values: ['arm64', 'arm'] }] }] } } } }),
    },
    {
      name: 'affinity terms are ORed; Gt on a numeric label', node: node('a', { mem: '4096' }), run: true, stay: true,
      spec: spec({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'x', operator: 'Exists' }] }, { matchExpressions: [{ key: 'mem', operator: 'Gt', values: ['1024'] }] }] } } } }),
    },
    {
      name: 'affinity matchFields metadata.name', node: node('b'), run: false, stay: false,
      spec: spec({ affinity: { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['a'] }] }] } } } }),
    },
    { name: 'NoSchedule taint not tolerated: no new pod, existing stays', spec: spec(), node: node('a', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]), run: false, stay: true },
    { name: 'NoExecute taint not tolerated: nothing runs', spec: spec(), node: node('a', {}, [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }]), run: false, stay: false },
    { name: 'PreferNoSchedule is no obstacle', spec: spec(), node: node('a', {}, [{ key: 'soft', effect: 'PreferNoSchedule' }]), run: true, stay: true },
    {
      name: 'tolerated taint', node: node('a', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]), run: true, stay: true,
      spec: spec({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'db', effect: 'NoSchedule' }] }),
    },
    {
      name: 'toleration with the wrong value', node: node('a', {}, [{ key: 'dedicated', value: 'db', effect: 'NoSchedule' }]), run: false, stay: true,
      spec: spec({ tolerations: [{ key: 'dedicated', operator: 'Equal', value: 'web' }] }),
    },
    { name: 'nodeName elsewhere', spec: spec({ nodeName: 'b' }), node: node('a'), run: false, stay: false },
  ];
  for (const c of cases) {
    it(c.name, () => expect(nodeFit(c.spec, c.node)).toEqual({ shouldRun: c.run, shouldContinueRunning: c.stay }));
  }
});

describe('daemonPodFor', () => {
  it('pins the pod to its node by required affinity, adds the DaemonSet tolerations and the hash label', () => {
    const p = daemonPodFor(ds, 'h1', 'pi-1');
    expect(p.spec.nodeName).toBeUndefined();
    expect(p.spec.affinity?.nodeAffinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms).toEqual([{ matchFields: [{ key: 'metadata.name', operator: 'In', values: ['pi-1'] }] }]);
    expect(targetNode(p)).toBe('pi-1');
    expect(p.metadata.labels).toEqual({ app: 'web', [revisionHashLabel]: 'h1' });
    expect(p.metadata.generateName).toBe('cam-');
    expect(p.metadata.ownerReferences?.[0]).toMatchObject({ kind: 'DaemonSet', name: 'cam', controller: true });
    expect(p.spec.tolerations?.map((t) => `${t.key}:${t.effect}`)).toEqual([
      'node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule', 'node.kubernetes.io/pid-pressure:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule',
    ]);
    expect(p.spec.tolerations?.every((t) => t.operator === 'Exists' && t.tolerationSeconds === undefined)).toBe(true);
  });
});

describe('reconcileDaemonSet', () => {
  const cameraDs = daemonSet('cam', { template: { ...template(), spec: { ...template().spec, nodeSelector: { camera: 'true' } } } });
  const camHash = templateHash(cameraDs.spec.template);

  it('creates a pod on every matching node', () => {
    const p = run(cameraDs, [node('pi-1', { camera: 'true' }), node('pi-2'), node('pi-3', { camera: 'true' })], []);
    expect(p.create).toEqual(['pi-1', 'pi-3']);
    expect(p.status).toMatchObject({ desiredNumberScheduled: 2, currentNumberScheduled: 0, numberUnavailable: 2 });
  });

  it('deletes the pod of a node that lost its label, and of a node that is gone', () => {
    const pods = [dpod('on-1', 'pi-1', {}, camHash), dpod('on-2', 'pi-2', {}, camHash), dpod('on-gone', 'pi-9', {}, camHash)];
    const p = run(cameraDs, [node('pi-1', { camera: 'true' }), node('pi-2')], pods);
    expect(p.create).toEqual([]);
    expect(p.delete.map((x) => x.metadata.name).sort()).toEqual(['on-2', 'on-gone']);
    expect(p.status).toMatchObject({ desiredNumberScheduled: 1, currentNumberScheduled: 1, numberMisscheduled: 1, numberReady: 1, numberAvailable: 1, updatedNumberScheduled: 1 });
  });

  it('keeps its pods on a cordoned or not-ready node (default tolerations), evicts on an untolerated NoExecute taint', () => {
    const nodes = [
      node('cordoned', {}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }]),
      node('unreachable', {}, [{ key: 'node.kubernetes.io/unreachable', effect: 'NoExecute' }, { key: 'node.kubernetes.io/unreachable', effect: 'NoSchedule' }]),
      node('dedicated', {}, [{ key: 'dedicated', value: 'db', effect: 'NoExecute' }]),
    ];
    const p = run(ds, nodes, [dpod('a', 'cordoned'), dpod('b', 'unreachable'), dpod('c', 'dedicated')]);
    expect(p.delete.map((x) => x.metadata.name)).toEqual(['c']);
    // A cordoned node still gets a daemon pod (unschedulable is tolerated); an unreachable one does not get a new one.
    expect(run(ds, nodes, []).create).toEqual(['cordoned']);
  });

  it('replaces a failed pod (deletes it; the next sync creates), keeps only the oldest of duplicates', () => {
    const p = run(ds, [node('a'), node('b')], [dpod('failed', 'a', { phase: 'Failed' }), dpod('old', 'b', { created: T0 - 10 }), dpod('dup', 'b', { created: T0 })]);
    expect(p.delete.map((x) => x.metadata.name)).toEqual(['failed', 'dup']);
    expect(p.create).toEqual([]);
    expect(run(ds, [node('a')], []).create).toEqual(['a']);
  });

  it('waits for a terminating pod to go before placing a new one on its node', () => {
    expect(run(ds, [node('a')], [dpod('going', 'a', { deleting: true })]).create).toEqual([]);
  });

  it('adopts an orphan daemon pod and acts on nothing while its writes are on their way', () => {
    const orphan = pod('orphan', { phase: 'Running', node: 'a', labels: { app: 'web', [revisionHashLabel]: hash } });
    expect(run(ds, [node('a')], [orphan]).adopt.map((x) => x.metadata.name)).toEqual(['orphan']);
    expect(run(ds, [node('a'), node('b')], [], false).create).toEqual([]);
  });

  it('OnDelete: a new template touches no running pod', () => {
    const onDelete = daemonSet('cam', { updateStrategy: { type: 'OnDelete' }, template: template('busybox:1.37') });
    const p = run(onDelete, [node('a'), node('b')], [dpod('a1', 'a'), dpod('b1', 'b')]);
    expect(p.delete).toEqual([]);
    expect(p.status).toMatchObject({ updatedNumberScheduled: 0, currentNumberScheduled: 2 });
  });
});

describe('reconcileDaemonSet: rolling update', () => {
  /** Nodes, pods and a step that applies the plan; new pods become available one step after creation. */
  function simulate(d: DaemonSet, nodeCount: number, check: (pods: Pod[]) => void): { steps: number; pods: Pod[] } {
    const nodes = Array.from({ length: nodeCount }, (_, i) => node(`pi-${i}`));
    const oldHash = templateHash(template());
    let pods: Pod[] = nodes.map((n, i) => dpod(`old-${i}`, n.metadata.name!, {}, oldHash));
    let serial = 0;
    for (let step = 1; step < 100; step++) {
      // Pods created last step come up; deleted ones are gone.
      pods = pods.map((p) => (p.status?.phase === 'Pending' ? pod(p.metadata.name!, { owner: mine, phase: 'Running', node: targetNode(p), affinityNode: targetNode(p), labels: p.metadata.labels }) : p));
      const plan = run(d, nodes, pods);
      if (plan.create.length === 0 && plan.delete.length === 0) return { steps: step, pods };
      const gone = new Set(plan.delete.map((p) => p.metadata.name));
      pods = pods.filter((p) => !gone.has(p.metadata.name));
      for (const n of plan.create) pods.push(pod(`new-${serial++}`, { owner: mine, phase: 'Pending', ready: false, affinityNode: n, labels: { app: 'web', [revisionHashLabel]: plan.hash } }));
      check(pods);
    }
    throw new Error('did not finish');
  }
  const availableNodes = (pods: Pod[]) => new Set(pods.filter((p) => p.status?.phase === 'Running').map(targetNode)).size;

  it('maxUnavailable 1: replaces pods node by node, never more than one node without an available pod', () => {
    const d = daemonSet('cam', { template: template('busybox:1.37') });
    const { steps, pods } = simulate(d, 5, (ps) => expect(availableNodes(ps)).toBeGreaterThanOrEqual(4));
    expect(steps).toBeGreaterThanOrEqual(5);
    expect(pods.every((p) => p.metadata.labels?.[revisionHashLabel] === templateHash(d.spec.template))).toBe(true);
    expect(pods).toHaveLength(5);
  });

  it('maxUnavailable 40% of 5 nodes rounds up to 2', () => {
    const d = daemonSet('cam', { template: template('busybox:1.37'), updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: '40%', maxSurge: 0 } } });
    let minSeen = 5;
    simulate(d, 5, (ps) => { minSeen = Math.min(minSeen, availableNodes(ps)); });
    expect(minSeen).toBe(3);
  });

  it('maxSurge 1: starts the new pod beside the old one and removes the old once the new is available', () => {
    const d = daemonSet('cam', { template: template('busybox:1.37'), updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } } });
    const { pods } = simulate(d, 3, (ps) => {
      expect(availableNodes(ps)).toBe(3);
      expect(ps.length).toBeLessThanOrEqual(4);
    });
    expect(pods).toHaveLength(3);
  });
});

describe('reconcileDaemonSet: failed pods back off', () => {
  it('leaves failed pods of a node in back-off alone and says so', () => {
    const pods = [dpod('failed', 'a', { phase: 'Failed' })];
    const first = reconcileDaemonSet({ ds, nodes: [node('a')], pods, now: T0, expectationsSatisfied: true });
    expect(first).toMatchObject({ replacingFailed: ['a'], backedOff: false });
    const held = reconcileDaemonSet({ ds, nodes: [node('a')], pods, now: T0, expectationsSatisfied: true, backoffNodes: new Set(['a']) });
    expect(held).toMatchObject({ delete: [], create: [], replacingFailed: [], backedOff: true });
  });
});
