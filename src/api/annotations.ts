// Well-known annotations that more than one component reads or writes. src/api is a leaf, so
// the controllers and the CLI (which may not import src/controllers) both take them from here.

/**
 * Why a revision was made (kubectl's `--record`, or set by hand). The Deployment controller
 * copies it with the Deployment's other annotations to the ReplicaSet of each revision;
 * `bramble rollout history` shows it and `rollout undo` copies the chosen revision's back.
 */
export const changeCauseAnnotation = 'kubernetes.io/change-cause';

/** The label a Deployment puts on each ReplicaSet and its pods: the hash of their template. */
export const podTemplateHashLabel = 'pod-template-hash';

/** A ReplicaSet's revision within its Deployment (and the Deployment's current one). */
export const revisionAnnotation = 'deployment.kubernetes.io/revision';
