// Pod template hashes, as Kubernetes names ReplicaSets (`web-5d4b6c8f9`) and labels pods
// (`pod-template-hash`, `controller-revision-hash`): FNV-1a 32 of the template (keys sorted,
// so equal templates hash equal), plus a collision count that changes the hash when two
// different templates meet on one name, encoded with an alphabet that has no vowels (no words).
import type { PodTemplateSpec } from '../api/kinds/pod.js';

const alphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** JSON with object keys sorted at every level. */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v !== null && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, x]) => `${JSON.stringify(k)}:${stableJson(x)}`).join(',')}}`;
  }
  return JSON.stringify(v);
}

export function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(text, 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function safeEncode(s: string): string {
  return [...s].map((c) => alphabet[c.charCodeAt(0) % alphabet.length]).join('');
}

export function templateHash(template: PodTemplateSpec | undefined, collisionCount = 0): string {
  const text = stableJson(template ?? {}) + (collisionCount > 0 ? `#${collisionCount}` : '');
  return safeEncode(String(fnv1a32(text)));
}

/** A template without the given label (the hash label is not part of what the user wrote). */
export function withoutLabel(template: PodTemplateSpec | undefined, label: string): PodTemplateSpec | undefined {
  if (!template?.metadata?.labels || !(label in template.metadata.labels)) return template;
  const labels = Object.fromEntries(Object.entries(template.metadata.labels).filter(([k]) => k !== label));
  return { ...template, metadata: { ...template.metadata, labels } };
}

/** Equal templates ignoring the hash label (Kubernetes' EqualIgnoreHash). */
export function sameTemplate(a: PodTemplateSpec | undefined, b: PodTemplateSpec | undefined, hashLabel: string): boolean {
  return stableJson(withoutLabel(a, hashLabel) ?? {}) === stableJson(withoutLabel(b, hashLabel) ?? {});
}
