// How kubectl names resources in messages: `pod/x`, `deployment.apps/web`, `pod "x" deleted`.
import type { ResourceType } from '../../api/registry.js';

/** `pod`, `deployment.apps`. */
export function qualifiedKind(rt: ResourceType): string {
  return rt.group === '' ? rt.singular : `${rt.singular}.${rt.group}`;
}

/** `pod/x`, `deployment.apps/web`. */
export function objectRef(rt: ResourceType, name: string | undefined): string {
  return `${qualifiedKind(rt)}/${name ?? ''}`;
}
