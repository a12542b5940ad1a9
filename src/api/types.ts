// Shapes shared by every kind. The per-kind typebox schemas live beside this file;
// these plain types are what generic code (store, API server, CLI) works with.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
}

/** Any API object: the generic view used by code that does not care about the kind. */
export interface KObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  spec?: unknown;
  status?: unknown;
  // Kinds such as ConfigMap, Secret, Endpoints, Event carry top-level fields of their own.
  [field: string]: unknown;
}

export interface KList<T = KObject> {
  apiVersion: string;
  kind: string; // e.g. "PodList"
  metadata: { resourceVersion: string; continue?: string };
  items: T[];
}

/** One problem with one field, named by its path, e.g. `spec.containers[0].image`. */
export interface FieldError {
  field: string;
  /** Kubernetes cause reasons: FieldValueRequired, FieldValueInvalid, FieldValueNotSupported, FieldValueTooLong, FieldValueDuplicate, FieldValueForbidden, FieldValueTypeInvalid, FieldValueUnknown */
  reason: string;
  message: string;
}
