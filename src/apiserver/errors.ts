// Store errors and request mistakes become Kubernetes Status errors here, in one place.
import { StatusError } from '../api/status.js';
import type { ResourceType } from '../api/registry.js';
import type { FieldError } from '../api/types.js';
import { StoreAlreadyExistsError, StoreClosedError, StoreConflictError, StoreExpiredError, StoreNotFoundError } from '../store/errors.js';

export function notFound(rt: ResourceType, name: string): StatusError {
  return new StatusError('NotFound', `${rt.plural}${rt.group ? `.${rt.group}` : ''} "${name}" not found`, { name, group: rt.group, kind: rt.plural });
}

export function alreadyExists(rt: ResourceType, name: string): StatusError {
  return new StatusError('AlreadyExists', `${rt.plural}${rt.group ? `.${rt.group}` : ''} "${name}" already exists`, { name, group: rt.group, kind: rt.plural });
}

export function conflict(rt: ResourceType, name: string, why = 'the object has been modified; please apply your changes to the latest version and try again'): StatusError {
  return new StatusError('Conflict', `Operation cannot be fulfilled on ${rt.plural}${rt.group ? `.${rt.group}` : ''} "${name}": ${why}`, { name, group: rt.group, kind: rt.plural });
}

export function invalid(rt: ResourceType, name: string, causes: FieldError[]): StatusError {
  const list = causes.map((c) => `${c.field}: ${c.message}`).join(', ');
  return new StatusError('Invalid', `${rt.kind} "${name}" is invalid: ${causes.length === 1 ? list : `[${list}]`}`, { name, group: rt.group, kind: rt.kind, causes });
}

export function expired(requested: number, oldest: number): StatusError {
  return new StatusError('Expired', `too old resource version: ${requested} (${oldest})`);
}

/** Map a store error raised while serving `rt`/`name`; anything else passes through. */
export function fromStoreError(err: unknown, rt: ResourceType, name: string): unknown {
  if (err instanceof StoreNotFoundError) return notFound(rt, name);
  if (err instanceof StoreAlreadyExistsError) return alreadyExists(rt, name);
  if (err instanceof StoreConflictError) return conflict(rt, name);
  if (err instanceof StoreExpiredError) return expired(err.requested, err.compacted);
  if (err instanceof StoreClosedError) return new StatusError('ServiceUnavailable', 'the API server is shutting down');
  return err;
}
