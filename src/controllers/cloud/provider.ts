// The cloud controller manager's contract, reduced to what a fleet needs: does the machine
// behind a Node still exist? Kubernetes asks the cloud's API; Bramble's built-in `lan`
// provider asks the enrollment records (lan.ts). Other providers (a fleet inventory, a
// DHCP lease table) fit behind the same interface.
import type { KObject } from '../../api/types.js';
import type { ReadyStatus } from '../taints.js';

export interface CloudProvider {
  readonly name: string;
  /** False when the device behind the Node is gone for good, so the Node may be deleted. */
  instanceExists(node: KObject): Promise<boolean>;
}

export type CloudNodeDecision =
  | { action: 'keep'; missingSinceMs?: undefined }
  | { action: 'wait'; missingSinceMs: number; afterMs: number }
  | { action: 'delete'; missingSinceMs: number };

/**
 * Whether to delete a Node whose device may have left the fleet. As Kubernetes' cloud node
 * lifecycle controller, only a node that is not Ready is asked about: a device still reporting
 * is plainly there, and deleting it would only see it register again. The device must stay
 * missing for `graceMs` (a token rotated by revoke-then-create is not a removal).
 */
export function cloudNodeDecision(ready: ReadyStatus, exists: boolean | undefined, missingSinceMs: number | undefined, nowMs: number, graceMs: number): CloudNodeDecision {
  if (ready === 'True' || exists !== false) return { action: 'keep' };
  const since = missingSinceMs ?? nowMs;
  const left = since + graceMs - nowMs;
  if (left <= 0) return { action: 'delete', missingSinceMs: since };
  return { action: 'wait', missingSinceMs: since, afterMs: left };
}
