import { describe, expect, it } from 'vitest';
import type { KObject } from '../../src/api/types.js';
import { daemonSetVerdict, deploymentVerdict } from '../../src/cli/commands/rollout-status.js';

const dep = (generation: number, spec: object, status: object): KObject => ({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', generation }, spec, status });

describe('deploymentVerdict (kubectl rollout status wording)', () => {
  const cases: [string, KObject, string, boolean][] = [
    ['spec not observed yet', dep(2, { replicas: 3 }, { observedGeneration: 1 }), 'Waiting for deployment spec update to be observed...', false],
    ['updating', dep(1, { replicas: 3 }, { observedGeneration: 1, updatedReplicas: 1, replicas: 4 }), 'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...', false],
    ['old pods terminating', dep(1, { replicas: 3 }, { observedGeneration: 1, updatedReplicas: 3, replicas: 4 }), 'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...', false],
    ['waiting for availability', dep(1, { replicas: 3 }, { observedGeneration: 1, updatedReplicas: 3, replicas: 3, availableReplicas: 2 }), 'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...', false],
    ['done', dep(1, { replicas: 3 }, { observedGeneration: 1, updatedReplicas: 3, replicas: 3, availableReplicas: 3 }), 'deployment "web" successfully rolled out', true],
    ['replicas default to 1', dep(1, {}, { observedGeneration: 1, updatedReplicas: 1, replicas: 1, availableReplicas: 1 }), 'deployment "web" successfully rolled out', true],
  ];
  for (const [name, d, message, done] of cases) it(name, () => expect(deploymentVerdict(d)).toEqual({ message, done }));

  it('fails on ProgressDeadlineExceeded', () => {
    const d = dep(1, { replicas: 3 }, { observedGeneration: 1, conditions: [{ type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded' }] });
    expect(deploymentVerdict(d).error).toBe('deployment "web" exceeded its progress deadline');
  });
});

describe('daemonSetVerdict', () => {
  const ds = (status: object, strategy = 'RollingUpdate'): KObject => ({ apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'cam', generation: 1 }, spec: { updateStrategy: { type: strategy } }, status: { observedGeneration: 1, ...status } });
  it('counts updated, then available pods, then succeeds', () => {
    expect(daemonSetVerdict(ds({ desiredNumberScheduled: 3, updatedNumberScheduled: 1 })).message).toBe('Waiting for daemon set "cam" rollout to finish: 1 out of 3 new pods have been updated...');
    expect(daemonSetVerdict(ds({ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 2 })).message).toBe('Waiting for daemon set "cam" rollout to finish: 2 of 3 updated pods are available...');
    expect(daemonSetVerdict(ds({ desiredNumberScheduled: 3, updatedNumberScheduled: 3, numberAvailable: 3 }))).toEqual({ message: 'daemon set "cam" successfully rolled out', done: true });
  });
  it('refuses OnDelete', () => {
    expect(daemonSetVerdict(ds({}, 'OnDelete')).error).toBe('rollout status is only available for RollingUpdate strategy type');
  });
});
