// Helpers over stored objects: the resourceVersion lives in the store's modRevision, never in
// the stored bytes, and server-owned metadata is set here.
import { randomBytes, randomUUID } from 'node:crypto';
import type { KObject } from '../api/types.js';
import type { Entry, StoredValue } from '../store/store.js';
import { StatusError } from '../api/status.js';
import type { ResourceType } from '../api/registry.js';

/** The stored form: the object without resourceVersion. */
export function toStored(obj: KObject): StoredValue {
  const meta = { ...obj.metadata };
  delete meta.resourceVersion;
  return { ...obj, metadata: meta } as unknown as StoredValue;
}

/** The served form: resourceVersion = the entry's modRevision. */
export function fromEntry(e: Entry): KObject {
  const obj = e.value as unknown as KObject;
  return { ...obj, metadata: { ...obj.metadata, resourceVersion: String(e.modRevision) } };
}

export function nowTimestamp(d = new Date()): string {
  // Kubernetes timestamps are RFC 3339 with second precision.
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export function newUid(): string {
  return randomUUID();
}

const nameAlphabet = 'bcdfghjklmnpqrstvwxz2456789';

/** Kubernetes' generateName suffix: 5 characters that never spell words. */
export function generateNameSuffix(): string {
  const bytes = randomBytes(5);
  return [...bytes].map((b) => nameAlphabet[b % nameAlphabet.length]).join('');
}

export function parseResourceVersion(rv: string | undefined, field = 'metadata.resourceVersion'): number | undefined {
  if (rv === undefined || rv === '') return undefined;
  if (!/^\d+$/.test(rv)) throw new StatusError('BadRequest', `${field}: invalid value "${rv}": must be a decimal resource version`);
  return Number(rv);
}

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Check the body is an object of the kind the URL names. */
export function checkBodyKind(rt: ResourceType, body: unknown): KObject {
  if (!isObject(body)) throw new StatusError('BadRequest', `the request body must be a ${rt.kind} object`);
  if (body.kind === undefined || body.kind === '') throw new StatusError('BadRequest', `Object 'Kind' is missing in the request body (expected "${rt.kind}")`);
  if (body.apiVersion === undefined || body.apiVersion === '') throw new StatusError('BadRequest', `Object 'apiVersion' is missing in the request body (expected "${rt.apiVersion}")`);
  if (body.kind !== rt.kind || body.apiVersion !== rt.apiVersion) {
    throw new StatusError('BadRequest', `the body is a ${String(body.apiVersion)} ${String(body.kind)}, but this path serves ${rt.apiVersion} ${rt.kind}`);
  }
  if (body.metadata !== undefined && !isObject(body.metadata)) throw new StatusError('BadRequest', 'metadata must be an object');
  return { ...body, metadata: { ...((body.metadata as object | undefined) ?? {}) } } as KObject;
}
