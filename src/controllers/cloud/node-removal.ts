// The node lifecycle controller's cloud hook: asks the provider about nodes that are not Ready,
// remembers since when a device has been missing, and deletes the Node (with its pods) once
// cloudNodeDecision says so.
import type { ResourceType } from '../../api/registry.js';
import type { KObject } from '../../api/types.js';
import type { ControllerConfig } from '../config.js';
import { isNotFound, type ControllerContext } from '../controller.js';
import { nodesType, podsType } from '../owners.js';
import { nodeReady } from '../taints.js';
import { cloudNodeDecision } from './provider.js';


/** How often a not-Ready node is asked about again while a provider may remove it. */
const recheckMs = 10_000;

async function deleteIgnoringGone(ctx: ControllerContext, rt: ResourceType, obj: KObject, grace?: number): Promise<void> {
  try {
    await ctx.api.delete(rt, obj.metadata.namespace, obj.metadata.name ?? '', {
      ...(grace !== undefined ? { gracePeriodSeconds: grace } : {}),
      ...(obj.metadata.uid ? { preconditions: { uid: obj.metadata.uid } } : {}),
    });
  } catch (err) {
    if (!isNotFound(err)) throw err;
  }
}

export class CloudNodeRemoval {
  /** node name → when the provider first said its device was gone. */
  private readonly missingSince = new Map<string, number>();

  constructor(private readonly ctx: ControllerContext, private readonly config: ControllerConfig) {}

  forget(node: string): void {
    this.missingSince.delete(node);
  }

  /** 'deleted', or when to look at the node again (undefined: no need). */
  async check(node: KObject, pods: readonly KObject[], now: number): Promise<'deleted' | number | undefined> {
    const provider = this.config.cloudProvider;
    const name = node.metadata.name ?? '';
    const ready = nodeReady(node);
    if (!provider || ready === 'True') { this.forget(name); return undefined; }
    const exists = await provider.instanceExists(node);
    const d = cloudNodeDecision(ready, exists, this.missingSince.get(name), now, this.config.cloudNodeGraceSeconds * 1000);
    if (d.action === 'keep') { this.forget(name); return recheckMs; }
    this.missingSince.set(name, d.missingSinceMs);
    if (d.action === 'wait') return Math.min(d.afterMs, recheckMs);
    this.ctx.logger.info({ node: name, provider: provider.name }, 'deleting node: its device left the fleet');
    this.ctx.events.record(node, 'Normal', 'DeletingNode', `Deleting node ${name} because its device is no longer in the fleet (${provider.name} provider)`);
    // The device is gone for good: nothing will confirm its pods' termination, so they go at once.
    for (const pod of pods) await deleteIgnoringGone(this.ctx, podsType, pod, 0);
    await deleteIgnoringGone(this.ctx, nodesType, node);
    this.forget(name);
    return 'deleted';
  }
}
