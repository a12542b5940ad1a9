// The YAML examples in docs/scheduling.md are valid pods, and the decision treats them as the page says.
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Pod } from '../../src/api/schemas.js';
import { decide } from '../../src/scheduler/decide.js';
import { buildNodeInfos, podInfo } from '../../src/scheduler/node-info.js';
import { startHarness, type Harness } from '../apiserver/harness.js';
import { ctx, node, pod } from './fixtures.js';

const page = readFileSync(new URL('../../docs/scheduling.md', import.meta.url), 'utf8');
const examples = [...page.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]!) as Pod);
const byName = (n: string): Pod => examples.find((p) => p.metadata.name === n)!;

describe('docs/scheduling.md examples', () => {
  let h: Harness;
  beforeAll(async () => { h = await startHarness(); });
  afterAll(async () => { await h.stop(); });

  it('are accepted by the API', async () => {
    expect(examples.length).toBeGreaterThanOrEqual(4);
    for (const p of examples) {
      const r = await h.call('POST', '/api/v1/namespaces/default/pods', p);
      expect(r.status, JSON.stringify(r.body)).toBe(201);
    }
  });

  it('place as described', () => {
    const nodes = [
      node('pi-1', { unschedulable: true }),
      node('pi-2', { labels: { 'bramble.dev/model': 'raspberry-pi-4b' }, extra: { 'bramble.dev/camera': '1' }, taints: [{ key: 'dedicated', value: 'camera', effect: 'NoSchedule' }] }),
      node('pi-3', { labels: { 'bramble.dev/model': 'raspberry-pi-5' }, extra: { 'bramble.dev/camera': '1' } }),
      node('nuc', { labels: { 'kubernetes.io/arch': 'amd64' } }),
    ];
    const where = (p: Pod, placed: Pod[] = []) => decide(podInfo(p), buildNodeInfos(nodes, placed), ctx());
    const arm = where(byName('arm-only'));
    expect(arm.fit && arm.node).not.toBe('nuc');
    expect(where(byName('camera-reader'))).toMatchObject({ fit: true, node: 'pi-3' });
    expect(where(byName('camera-reader'), [pod('other-cam', { nodeName: 'pi-3', extra: { 'bramble.dev/camera': '1' } })])).toMatchObject({ fit: true, node: 'pi-2' });
    expect(where(byName('sensor-pi-1'))).toMatchObject({ fit: true, node: 'pi-1' });
    expect(byName('alarm').spec.priority).toBe(1000);
  });
});
