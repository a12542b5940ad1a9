// The API as components see it: one interface implemented over HTTP (ApiClient, for the CLI
// and out-of-process tools) and in process (LocalApiClient in src/apiserver, for the node
// gateway, scheduler and controllers inside the master). Code written against it does not
// care which side of a socket the API server is on.
import type { ResourceType } from '../api/registry.js';
import type { Status } from '../api/status.js';
import type { KList, KObject } from '../api/types.js';
import type { DeleteOptions, ListOptions, PatchType, WatchEvent, WatchOptions } from './client.js';

export type { DeleteOptions, ListOptions, PatchType, WatchEvent, WatchOptions } from './client.js';

export interface ApiInterface {
  get<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, name: string): Promise<T>;
  /** `ns` undefined on a namespaced kind lists every namespace. */
  list<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, opts?: ListOptions): Promise<KList<T>>;
  create<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, obj: KObject): Promise<T>;
  /** A `metadata.resourceVersion` in obj is a precondition (409 Conflict when stale). */
  update<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, obj: KObject): Promise<T>;
  updateStatus<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, obj: KObject): Promise<T>;
  patch<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, name: string, patch: unknown, type?: PatchType, subresource?: 'status'): Promise<T>;
  /** The object while it is still terminating (graceful deletion, finalizers), else the deleted object or a Success Status. */
  delete(rt: ResourceType, ns: string | undefined, name: string, opts?: DeleteOptions): Promise<KObject | Status>;
  /**
   * Watch events until timeoutSeconds, the signal aborts, or the consumer stops iterating.
   * Without resourceVersion (or "0") every current object comes first as ADDED; a
   * resourceVersion older than the kept history yields one ERROR event (code 410).
   */
  watch<T extends KObject = KObject>(rt: ResourceType, ns: string | undefined, opts?: WatchOptions): AsyncIterable<WatchEvent<T>>;
  /**
   * POST `pods/{name}/binding`: assigns the pod to a node (spec.nodeName, set once; 409 Conflict
   * if already bound) and sets PodScheduled=True. What the scheduler does; admin only.
   */
  bind(ns: string, name: string, nodeName: string): Promise<void>;
}

/** The body of `POST .../pods/{name}/binding` (Kubernetes' v1 Binding). */
export function bindingFor(name: string, nodeName: string): KObject {
  return { apiVersion: 'v1', kind: 'Binding', metadata: { name }, target: { apiVersion: 'v1', kind: 'Node', name: nodeName } };
}

/** What `GET .../pods/{name}/log` asks for (Kubernetes' PodLogOptions). */
export interface PodLogRequest {
  namespace: string;
  pod: string;
  uid: string;
  /** The node the pod is bound to. */
  node: string;
  container: string;
  follow: boolean;
  tailLines?: number;
  sinceSeconds?: number;
  timestamps?: boolean;
  limitBytes?: number;
  previous?: boolean;
}

/**
 * Where pod logs come from (the node gateway, over MQTT). The iterator yields raw chunks and
 * ends when the node ends the stream; it throws when the node reports an error or does not
 * answer. Aborting the signal (or ending the iteration) cancels the stream on the node.
 * The first chunk may be empty: it confirms the node has started the stream.
 */
export interface PodLogSource {
  streamLogs(req: PodLogRequest, signal: AbortSignal): AsyncIterable<Uint8Array>;
}
